"""ARM resource ids inside the offline Azure: one grammar for the ids it routes, builds and reads.

A shape is a template such as ``/subscriptions/{sub}/resourceGroups/{rg}``. Its literal segments match
case-insensitively (ARM ids are case-insensitive) and each ``{name}`` is one non-empty segment (anything but
``/``). The same template gives the router its pattern (`IdTemplate.route`, named groups as in the
template), builds an id from a route's parameters (`IdTemplate.build`) and parses an id read from a request
body, a scope or a seeding call (`IdTemplate.parse`, or `IdTemplate.parse_prefix` for the start of a
deeper scope). Services never write their own regular expression for an id.

```python
IPAM_POOL_ID.parse("/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/networkManagers/nm/ipamPools/p")
# {"sub": "s1", "rg": "rg", "nm": "nm", "pool": "p"}
RESOURCE_GROUP_ID.parse_prefix("/subscriptions/s1/resourceGroups/rg/providers/X/y/z")  # {"sub": "s1", "rg": "rg"}
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "IPAM_POOL_ID",
    "MANAGEMENT_GROUP_ID",
    "MANAGEMENT_GROUP_NETWORK_MANAGER_CONNECTION_ID",
    "NETWORK_MANAGER_CONNECTION_ID",
    "NETWORK_MANAGER_ID",
    "RESOURCE_GROUP_ID",
    "SCOPE_CONNECTION_ID",
    "STATIC_CIDR_ID",
    "SUBSCRIPTION_ID",
    "VIRTUAL_NETWORK_ID",
    "IdTemplate",
]

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_SEGMENT = "[^/]+"
"""One segment of an id: at least one character, no slash."""


@dataclass(frozen=True)
class IdTemplate:
    """The shape of one kind of ARM id (or of a path under one), e.g. ``/subscriptions/{sub}``.

    ```python
    SUBSCRIPTION_ID.child("/resourceGroups/{rg}").build({"sub": "s1", "rg": "rg-a"})  # "/subscriptions/s1/resourceGroups/rg-a"
    ```
    """

    text: str
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_regex", re.compile(self.route, re.IGNORECASE))

    @property
    def route(self) -> str:
        """The template as a regular expression with one named group per placeholder (for the router).

        ```python
        SUBSCRIPTION_ID.route  # "/subscriptions/(?P<sub>[^/]+)"
        ```
        """
        parts: list[str] = []
        last = 0
        for m in _PLACEHOLDER.finditer(self.text):
            parts.append(re.escape(self.text[last : m.start()]))
            parts.append(f"(?P<{m.group(1)}>{_SEGMENT})")
            last = m.end()
        parts.append(re.escape(self.text[last:]))
        return "".join(parts)

    def child(self, suffix: str) -> IdTemplate:
        """The template of what lies under this one (``suffix`` starts with ``/``).

        ```python
        RESOURCE_GROUP_ID.child("/providers/Microsoft.Network/virtualNetworks")  # the list path of VNets
        ```
        """
        return IdTemplate(self.text + suffix)

    def build(self, values: Mapping[str, str]) -> str:
        """The id with each placeholder replaced by ``values[name]`` (as given: no case change, no check).

        ```python
        VIRTUAL_NETWORK_ID.build({"sub": "s1", "rg": "rg-b", "name": "vnet-1"})
        ```
        """
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.text)

    def parse(self, text: str) -> dict[str, str] | None:
        """The placeholders' values if ``text`` is exactly an id of this shape, else ``None``.

        ```python
        RESOURCE_GROUP_ID.parse("/SUBSCRIPTIONS/s1/resourcegroups/rg-b")  # {"sub": "s1", "rg": "rg-b"}
        RESOURCE_GROUP_ID.parse("/subscriptions/s1/resourceGroups/rg-b/")  # None
        ```
        """
        m = self._regex.fullmatch(text)
        return m.groupdict() if m else None

    def parse_prefix(self, text: str) -> dict[str, str] | None:
        """The placeholders' values if ``text`` starts with an id of this shape (a scope at or below it).

        ```python
        SUBSCRIPTION_ID.parse_prefix("/subscriptions/s1/resourceGroups/rg-b")  # {"sub": "s1"}
        ```
        """
        m = self._regex.match(text)
        return m.groupdict() if m else None


SUBSCRIPTION_ID = IdTemplate("/subscriptions/{sub}")
RESOURCE_GROUP_ID = SUBSCRIPTION_ID.child("/resourceGroups/{rg}")
VIRTUAL_NETWORK_ID = RESOURCE_GROUP_ID.child("/providers/Microsoft.Network/virtualNetworks/{name}")
NETWORK_MANAGER_ID = RESOURCE_GROUP_ID.child("/providers/Microsoft.Network/networkManagers/{nm}")
IPAM_POOL_ID = NETWORK_MANAGER_ID.child("/ipamPools/{pool}")
STATIC_CIDR_ID = IPAM_POOL_ID.child("/staticCidrs/{cidr}")
SCOPE_CONNECTION_ID = NETWORK_MANAGER_ID.child("/scopeConnections/{conn}")
NETWORK_MANAGER_CONNECTION_ID = SUBSCRIPTION_ID.child(
    "/providers/Microsoft.Network/networkManagerConnections/{conn}"
)
MANAGEMENT_GROUP_ID = IdTemplate("/providers/Microsoft.Management/managementGroups/{mg}")
MANAGEMENT_GROUP_NETWORK_MANAGER_CONNECTION_ID = MANAGEMENT_GROUP_ID.child(
    "/providers/Microsoft.Network/networkManagerConnections/{conn}"
)
