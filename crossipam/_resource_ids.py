"""Parsed ARM resource ids, validated before any request, as Azure validates them.

```python
from crossipam import IpamPoolId, VirtualNetworkId

sub = "bbbbbbbb-1111-4000-8000-000000000002"
vnet = VirtualNetworkId.parse(f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v")
vnet.subscription_id, vnet.resource_group, vnet.name      # ('bbbbbbbb-…', 'rg', 'v')
pool = IpamPoolId.parse(".../providers/Microsoft.Network/networkManagers/nm/ipamPools/p")
pool.network_manager_id
```

Ids compare case-insensitively (as ARM does) and ``str(id)`` gives the canonical form.

Every part is checked before any request (docs/deployment.md, "Names and ids"):

* the subscription id is a GUID (``xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx``, hex digits, any case);
* names follow Azure's rule for their type (`RESOURCE_GROUP_NAME`, `VIRTUAL_NETWORK_NAME`,
  `SUBNET_NAME`, `NETWORK_MANAGER_NAME`, `IPAM_POOL_NAME`); lengths count UTF-16 code units,
  as ARM does;
* no part of any id may change the request's URL path: ``.`` and ``..`` segments, ``/``, ``\\``, ``?``, ``#``,
  ``%`` (so no ``%2F``), NUL, whitespace, control, format (invisible) and unassigned characters are refused,
  whatever the type.

Surrounding spaces, tabs and line breaks (as pasted) and trailing slashes are ignored; nothing else is changed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .errors import InvalidInputError, InvalidResourceIdError

__all__ = [
    "IPAM_POOL_NAME",
    "NETWORK_MANAGER_NAME",
    "RESOURCE_GROUP_NAME",
    "SUBNET_NAME",
    "VIRTUAL_NETWORK_NAME",
    "IpamPoolId",
    "NameRule",
    "ResourceId",
    "VirtualNetworkId",
    "check_path_segment",
    "check_subscription_id",
    "path_problem",
    "utf16_length",
]

_SEGMENT = r"[^/]+"
_GENERIC_RX = re.compile(
    rf"^/subscriptions/(?P<sub>{_SEGMENT})"
    rf"(?:/resourceGroups/(?P<rg>{_SEGMENT}))?"
    rf"(?:/providers/(?P<ns>{_SEGMENT})(?P<rest>(?:/{_SEGMENT}/{_SEGMENT})+))?$",
    re.IGNORECASE,
)
_GUID_RX = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_PASTED_WHITESPACE = " \t\r\n"

_ID_HINT = (
    "check the id for typos, or copy it as Azure shows it (the portal's JSON View, the CLI's --query id); "
    "a resource to be created needs a name Azure accepts"
)
_SUBSCRIPTION_HINT = (
    "a subscription id is a GUID such as 00000000-0000-0000-0000-000000000000, not the subscription's name: "
    'az account list --query "[].{name:name, id:id}"'
)


def utf16_length(text: str) -> int:
    """The length of ``text`` as Azure (.NET) counts it: UTF-16 code units (a character outside the Basic
    Multilingual Plane counts 2).

    ```python
    utf16_length("rg-münchen"), utf16_length("\\N{MATHEMATICAL BOLD CAPITAL A}")   # (10, 2)
    ```
    """
    return len(text.encode("utf-16-le")) // 2


_UNSAFE = {
    "/": "'/' (a path separator)",
    "\\": "'\\' (read as '/' by some URL parsers)",
    "?": "'?' (starts a query string)",
    "#": "'#' (starts a fragment)",
    "%": "'%' (percent-encoding: '%2F' is '/')",
}


def _describe_unsafe(char: str) -> str | None:
    """Why ``char`` may never appear in an id segment, or ``None`` when it may (as far as the path goes)."""
    if char in _UNSAFE:
        return _UNSAFE[char]
    if char == "\0":
        return "NUL ('\\x00')"
    category = unicodedata.category(char)
    if char in " \t\n\r\v\f" or category.startswith("Z"):
        return f"whitespace ({char!r})"
    if category == "Cc":
        return f"a control character ({char!r})"
    if category.startswith("C"):
        return f"an invisible or unassigned character ({char!r}, Unicode category {category})"
    return None


def path_problem(segment: str) -> str | None:
    """What would make ``segment`` change a request's URL path (``None``: nothing): a ``.``/``..`` segment, or
    the first of ``/``, ``\\``, ``?``, ``#``, ``%``, NUL, whitespace, control, format or unassigned characters.

    ```python
    path_problem("vnet1"), path_problem(".."), path_problem("a%2Fb")
    # (None, "is a '..' path segment", "contains '%' (percent-encoding: '%2F' is '/') at position 1")
    ```
    """
    if segment in (".", ".."):
        return f"is a {segment!r} path segment"
    for index, char in enumerate(segment):
        why = _describe_unsafe(char)
        if why is not None:
            return f"contains {why} at position {index}"
    return None


def check_path_segment(
    value: object, what: str, *, error: type[InvalidInputError] = InvalidResourceIdError
) -> str:
    """A non-empty string that cannot change the URL path (see `path_problem`); raises ``error``.

    ```python
    check_path_segment("Microsoft.Network", "resource provider namespace")   # 'Microsoft.Network'
    ```
    """
    if not isinstance(value, str):
        raise error(f"{what} must be a string, got {type(value).__name__}", hint=_ID_HINT)
    if not value:
        raise error(f"{what} is empty", hint=_ID_HINT)
    problem = path_problem(value)
    if problem is not None:
        raise error(f"{what} {value!r} {problem}, which would change the request URL", hint=_ID_HINT)
    return value


def check_subscription_id(value: object, *, error: type[InvalidInputError] = InvalidResourceIdError) -> str:
    """A subscription id must be a GUID (``xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx``, hex digits, any case; no
    braces); returned unchanged. Raises ``error``.

    ```python
    check_subscription_id("bbbbbbbb-1111-4000-8000-000000000002")
    check_subscription_id("prod")   # raises InvalidResourceIdError: subscription id 'prod' is not a GUID
    ```
    """
    if not isinstance(value, str):
        raise error(f"subscription id must be a string, got {type(value).__name__}", hint=_SUBSCRIPTION_HINT)
    if _GUID_RX.fullmatch(value) is None:
        problem = path_problem(value)
        raise error(
            f"subscription id {value!r} is not a GUID"
            + (f" (it {problem})" if problem else "")
            + "; subscription ids are GUIDs: 32 hex digits as 8-4-4-4-12, e.g. 00000000-0000-0000-0000-000000000000",
            hint=_SUBSCRIPTION_HINT,
        )
    return value


def _ascii_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


_DOTNET_WORD = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Nd", "Pc"})
r""".NET's ``\w`` (what ARM's resource group pattern ``^[-\w._()]+$`` uses): letters, non-spacing marks,
decimal digits and connector punctuation, in any script."""


def _unicode_word(char: str) -> bool:
    return unicodedata.category(char) in _DOTNET_WORD


@dataclass(frozen=True)
class NameRule:
    """An Azure naming rule for one resource type: length (UTF-16 code units), allowed characters, first and
    last character. `check` raises a typed error naming the part and the rule.

    ```python
    VIRTUAL_NETWORK_NAME.accepts("vnet-team_blue"), VIRTUAL_NETWORK_NAME.accepts("v.")   # (True, False)
    SUBNET_NAME.check("app")                                                              # 'app'
    ```
    """

    kind: str
    """What the name names, e.g. ``"virtual network name"``."""
    min_length: int
    max_length: int
    punctuation: str
    """Characters allowed besides letters and digits."""
    summary: str
    """The rule in words (what the error messages quote)."""
    unicode: bool = False
    r"""Letters and digits of any script (.NET ``\w``) instead of ASCII only."""
    start_alphanumeric: bool = False
    """The first character must be a letter or digit."""
    last_punctuation: str | None = None
    """Characters allowed last besides letters and digits (``None``: any allowed character but those in
    `not_last`)."""
    not_last: str = ""
    """Characters that may not come last."""

    def _alnum(self, char: str) -> bool:
        return _unicode_word(char) if self.unicode else _ascii_alnum(char)

    def problem(self, value: str) -> str | None:
        """What is wrong with ``value`` under this rule, or ``None``.

        ```python
        RESOURCE_GROUP_NAME.problem("rg.")   # "ends with '.'"
        ```
        """
        path = path_problem(value)
        if path is not None:
            return f"{path}, which would change the request URL"
        length = utf16_length(value)
        if not self.min_length <= length <= self.max_length:
            return "is empty" if not value else f"is {length} character{'s' if length != 1 else ''} long"
        for index, char in enumerate(value):
            if not (self._alnum(char) or char in self.punctuation):
                return f"contains {char!r} at position {index}"
        if self.start_alphanumeric and not self._alnum(value[0]):
            return f"starts with {value[0]!r}"
        last = value[-1]
        if last in self.not_last or (
            self.last_punctuation is not None and not (self._alnum(last) or last in self.last_punctuation)
        ):
            return f"ends with {last!r}"
        return None

    def accepts(self, value: object) -> bool:
        """Whether ``value`` is a string that follows the rule.

        ```python
        SUBNET_NAME.accepts("GatewaySubnet")   # True
        ```
        """
        return isinstance(value, str) and self.problem(value) is None

    def check(self, value: object, *, error: type[InvalidInputError] = InvalidInputError) -> str:
        """``value`` unchanged when it follows the rule; otherwise raises ``error`` naming the part and the rule.

        ```python
        VIRTUAL_NETWORK_NAME.check("v w", error=InvalidResourceIdError)
        # InvalidResourceIdError: virtual network name 'v w' contains whitespace (' ') at position 1, …;
        # virtual network names are 2 to 64 characters: …
        ```
        """
        if not isinstance(value, str):
            raise error(f"{self.kind} must be a string, got {type(value).__name__}", hint=self.summary)
        problem = self.problem(value)
        if problem is not None:
            hint = (
                _ID_HINT
                if issubclass(error, InvalidResourceIdError)
                else f"choose a name Azure accepts: {self.summary}"
            )
            raise error(f"{self.kind} {value!r} {problem}; {self.summary}", hint=hint)
        return value


_STRICT = "letters, digits, '_', '.' and '-', starting with a letter or digit and ending with a letter, digit or '_'"

RESOURCE_GROUP_NAME = NameRule(
    "resource group name",
    1,
    90,
    "_()-.",
    "resource group names are 1 to 90 characters: letters (any script), digits, '_', '(', ')', '-' and '.', "
    "not ending in '.'",
    unicode=True,
    not_last=".",
)
r"""Resource groups: 1 to 90 characters; letters and digits of any script (ARM's ``^[-\w._()]+$`` in .NET, so
also non-spacing marks and connector punctuation), ``_``, ``(``, ``)``, ``-``, ``.``; not ending in ``.``."""
VIRTUAL_NETWORK_NAME = NameRule(
    "virtual network name",
    2,
    64,
    "_.-",
    f"virtual network names are 2 to 64 characters: {_STRICT}",
    start_alphanumeric=True,
    last_punctuation="_",
)
"""Virtual networks: 2 to 64 characters; ASCII letters, digits, ``_``, ``.``, ``-``; first a letter or digit;
last a letter, digit or ``_``."""
SUBNET_NAME = NameRule(
    "subnet name",
    1,
    80,
    "_.-",
    f"subnet names are 1 to 80 characters: {_STRICT}",
    start_alphanumeric=True,
    last_punctuation="_",
)
"""Subnets: 1 to 80 characters, otherwise as virtual networks."""
NETWORK_MANAGER_NAME = NameRule(
    "network manager name",
    1,
    64,
    "_.-",
    f"network manager names are 1 to 64 characters: {_STRICT}",
    start_alphanumeric=True,
    last_punctuation="_",
)
"""Network managers: 1 to 64 characters, ``^[0-9a-zA-Z]([0-9a-zA-Z_.-]{0,62}[0-9a-zA-Z_])?$``."""
IPAM_POOL_NAME = NameRule(
    "IPAM pool name",
    1,
    64,
    "_.-",
    f"IPAM pool names are 1 to 64 characters: {_STRICT}",
    start_alphanumeric=True,
    last_punctuation="_",
)
"""IPAM pools: as network managers (1 to 64 characters)."""

_TYPE_RULES: dict[str, NameRule] = {
    "microsoft.network/virtualnetworks": VIRTUAL_NETWORK_NAME,
    "microsoft.network/virtualnetworks/subnets": SUBNET_NAME,
    "microsoft.network/networkmanagers": NETWORK_MANAGER_NAME,
    "microsoft.network/networkmanagers/ipampools": IPAM_POOL_NAME,
}
"""The name rule of each known resource type (lower-cased ``namespace/type[/subtype]``)."""


def _clean(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidResourceIdError(
            f"{what} must be a string resource id, got {type(value).__name__}", hint=_ID_HINT
        )
    text = value.strip(_PASTED_WHITESPACE).rstrip("/")
    if not text.startswith("/"):
        raise InvalidResourceIdError(
            f"{what} must be a fully qualified resource id starting with '/subscriptions/', got {value!r}",
            hint=_ID_HINT,
        )
    return text


@contextmanager
def _context(what: str, value: object) -> Iterator[None]:
    """Prefix a part's error with the id it was found in."""
    try:
        yield
    except InvalidResourceIdError as err:
        raise InvalidResourceIdError(f"{what} {value!r}: {err.message}", hint=err.hint) from None


def _check_common(subscription_id: object, resource_group: object) -> None:
    check_subscription_id(subscription_id)
    if resource_group is not None:
        RESOURCE_GROUP_NAME.check(resource_group, error=InvalidResourceIdError)


@dataclass(frozen=True, eq=False)
class ResourceId:
    """Any ARM resource id below a subscription. Every part is validated (a GUID subscription id, Azure's
    resource group rule, the name rule of known Network types, and nothing that changes the URL path).

    ```python
    rid = ResourceId.parse(f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v")
    rid.resource_type    # 'Microsoft.Network/virtualNetworks'
    ```
    """

    subscription_id: str
    resource_group: str | None = None
    namespace: str | None = None
    types: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_common(self.subscription_id, self.resource_group)
        if len(self.types) != len(self.names) or (self.namespace is None) != (not self.types):
            raise InvalidResourceIdError(
                f"a resource id needs a provider namespace and one name per type, got {self.namespace!r}, "
                f"types {self.types!r}, names {self.names!r}",
                hint=_ID_HINT,
            )
        if self.namespace is None:
            return
        check_path_segment(self.namespace, "resource provider namespace")
        path = self.namespace.lower()
        for type_, name in zip(self.types, self.names, strict=True):
            check_path_segment(type_, "resource type")
            path += "/" + type_.lower()
            rule = _TYPE_RULES.get(path)
            if rule is not None:
                rule.check(name, error=InvalidResourceIdError)
            else:
                check_path_segment(name, f"{type_} name")

    @classmethod
    def parse(cls, value: str) -> ResourceId:
        """Parse any ARM resource id; raises
        [`InvalidResourceIdError`][crossipam.errors.InvalidResourceIdError] naming the part and the rule.

        ```python
        ResourceId.parse(f"/subscriptions/{sub}/resourceGroups/rg").resource_group   # 'rg'
        ```
        """
        text = _clean(value, "resource id")
        m = _GENERIC_RX.match(text)
        if not m:
            raise InvalidResourceIdError(f"not an ARM resource id: {value!r}", hint=_ID_HINT)
        parts = m["rest"].strip("/").split("/") if m["rest"] else []
        with _context("resource id", value):
            return ResourceId(
                subscription_id=m["sub"],
                resource_group=m["rg"],
                namespace=m["ns"],
                types=tuple(parts[0::2]),
                names=tuple(parts[1::2]),
            )

    @property
    def resource_type(self) -> str:
        """``Namespace/type[/subtype…]``, or ``""`` for a subscription or resource group id.

        ```python
        ResourceId.parse(vnet_id + "/subnets/app").resource_type   # 'Microsoft.Network/virtualNetworks/subnets'
        ```
        """
        return "/".join([self.namespace or "", *self.types]) if self.namespace else ""

    @property
    def name(self) -> str:
        """The last name segment (or the resource group / subscription).

        ```python
        ResourceId.parse(vnet_id + "/subnets/app").name   # 'app'
        ```
        """
        if self.names:
            return self.names[-1]
        return self.resource_group or self.subscription_id

    def __str__(self) -> str:
        out = f"/subscriptions/{self.subscription_id}"
        if self.resource_group:
            out += f"/resourceGroups/{self.resource_group}"
        if self.namespace:
            out += f"/providers/{self.namespace}"
            for t, n in zip(self.types, self.names, strict=True):
                out += f"/{t}/{n}"
        return out

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (ResourceId, VirtualNetworkId, IpamPoolId)):
            return str(self).lower() == str(other).lower()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self).lower())


def _typed(value: object, what: str, expected: tuple[str, ...], example: str) -> tuple[str, str, list[str]]:
    """The subscription, resource group and names of an id of the ``expected`` type — its shape only; the parts
    are validated when the typed id is built."""
    text = _clean(value, what)
    m = _GENERIC_RX.match(text)
    parts = m["rest"].strip("/").split("/") if m and m["rest"] else []
    found = "/".join([m["ns"], *parts[0::2]]) if m and m["ns"] else ""
    if not m or not m["rg"] or found.lower() != "/".join(expected).lower():
        raise InvalidResourceIdError(
            f"{what} must be a {'/'.join(expected)} resource id like {example!r}, got {value!r}",
            hint=_ID_HINT,
        )
    return m["sub"], m["rg"], parts[1::2]


@dataclass(frozen=True, eq=False)
class VirtualNetworkId:
    """A ``Microsoft.Network/virtualNetworks`` id; its parts are validated when it is built (a GUID
    subscription id, `RESOURCE_GROUP_NAME`, `VIRTUAL_NETWORK_NAME`).

    ```python
    VirtualNetworkId.parse(vnet_id).name
    VirtualNetworkId(sub, "rg", "v.")   # raises InvalidResourceIdError: virtual network name 'v.' ends with '.'
    ```
    """

    subscription_id: str
    resource_group: str
    name: str

    def __post_init__(self) -> None:
        _check_common(self.subscription_id, self.resource_group)
        VIRTUAL_NETWORK_NAME.check(self.name, error=InvalidResourceIdError)

    @classmethod
    def parse(cls, value: str | VirtualNetworkId) -> VirtualNetworkId:
        """Parse and validate; raises [`InvalidResourceIdError`][crossipam.errors.InvalidResourceIdError] for
        anything but a valid VNet id, naming the part and the rule.

        ```python
        VirtualNetworkId.parse(f"/subscriptions/{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v")
        ```
        """
        if isinstance(value, VirtualNetworkId):
            return value
        sub, rg, names = _typed(
            value,
            "virtual network id",
            ("Microsoft.Network", "virtualNetworks"),
            "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<name>",
        )
        with _context("virtual network id", value):
            return cls(sub, rg, names[0])

    def subnet_id(self, subnet: str) -> str:
        """The id of one of its subnets (``subnet`` must follow `SUBNET_NAME`).

        ```python
        VirtualNetworkId.parse(vnet_id).subnet_id("app")   # vnet_id + "/subnets/app"
        ```
        """
        SUBNET_NAME.check(subnet, error=InvalidResourceIdError)
        return f"{self}/subnets/{subnet}"

    def __str__(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Network/virtualNetworks/{self.name}"
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (ResourceId, VirtualNetworkId, IpamPoolId)):
            return str(self).lower() == str(other).lower()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self).lower())


@dataclass(frozen=True, eq=False)
class IpamPoolId:
    """A ``Microsoft.Network/networkManagers/ipamPools`` id; its parts are validated when it is built (a GUID
    subscription id, `RESOURCE_GROUP_NAME`, `NETWORK_MANAGER_NAME`, `IPAM_POOL_NAME`).

    ```python
    IpamPoolId.parse(pool_id).network_manager
    ```
    """

    subscription_id: str
    resource_group: str
    network_manager: str
    name: str

    def __post_init__(self) -> None:
        _check_common(self.subscription_id, self.resource_group)
        NETWORK_MANAGER_NAME.check(self.network_manager, error=InvalidResourceIdError)
        IPAM_POOL_NAME.check(self.name, error=InvalidResourceIdError)

    @classmethod
    def parse(cls, value: str | IpamPoolId) -> IpamPoolId:
        """Parse and validate; raises [`InvalidResourceIdError`][crossipam.errors.InvalidResourceIdError] for
        anything but a valid IPAM pool id, naming the part and the rule.

        ```python
        IpamPoolId.parse(".../providers/Microsoft.Network/networkManagers/nm/ipamPools/p").name   # 'p'
        ```
        """
        if isinstance(value, IpamPoolId):
            return value
        sub, rg, names = _typed(
            value,
            "IPAM pool id",
            ("Microsoft.Network", "networkManagers", "ipamPools"),
            "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Network/networkManagers/<nm>"
            "/ipamPools/<pool>",
        )
        with _context("IPAM pool id", value):
            return cls(sub, rg, names[0], names[1])

    @property
    def network_manager_id(self) -> str:
        """The id of the network manager that holds the pool.

        ```python
        IpamPoolId.parse(pool_id).network_manager_id   # '/subscriptions/…/networkManagers/nm'
        ```
        """
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Network/networkManagers/{self.network_manager}"
        )

    def __str__(self) -> str:
        return f"{self.network_manager_id}/ipamPools/{self.name}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (ResourceId, VirtualNetworkId, IpamPoolId)):
            return str(self).lower() == str(other).lower()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self).lower())
