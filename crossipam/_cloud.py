"""The Azure clouds' endpoints: [`CloudEndpoints`][crossipam.models.CloudEndpoints] (shown and imported from
``crossipam.models``).

```python
from crossipam.models import CloudEndpoints

CloudEndpoints.for_cloud("AZURE_US_GOVERNMENT").resource_manager_scope
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Union
from urllib.parse import urlsplit

from azure.core import AzureClouds

from .errors import ConfigurationError

__all__ = ["CloudArgument", "CloudEndpoints", "CloudLike"]


class CloudLike(Protocol):
    """Any object with a cloud's four endpoints, taken as ``cloud=`` like a `CloudEndpoints` — the offline Azure's
    ``ScenarioInfo.cloud`` is one (``crossipam.testing`` does not import the library, so it cannot build a
    `CloudEndpoints` itself).

    ```python
    client = CrossTenantIpamClient.from_client_secret(app_id, secret, managed_tenant_id=b,
                                                      management_tenant_id=a, cloud=info.cloud)
    ```
    """

    @property
    def authority_host(self) -> str:
        """Entra ID's authority (``https://login.microsoftonline.com``).

        ```python
        info.cloud.authority_host
        ```
        """
        ...

    @property
    def resource_manager(self) -> str:
        """Azure Resource Manager's base URL.

        ```python
        info.cloud.resource_manager
        ```
        """
        ...

    @property
    def graph(self) -> str:
        """Microsoft Graph's base URL.

        ```python
        info.cloud.graph
        ```
        """
        ...

    @property
    def resource_manager_scope(self) -> str:
        """The scope of ARM tokens (``…/.default``).

        ```python
        info.cloud.resource_manager_scope
        ```
        """
        ...


_KNOWN_AUTHORITIES = frozenset(
    {"login.microsoftonline.com", "login.chinacloudapi.cn", "login.microsoftonline.us"}
)


def _https(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.netloc:
        raise ConfigurationError(f"{what} must be an https:// URL, got {url!r}")
    return url


@dataclass(frozen=True)
class CloudEndpoints:
    """Where a cloud's services answer. Defaults: Azure public cloud. Use it for sovereign or custom clouds.

    ```python
    CloudEndpoints.for_cloud(AzureClouds.AZURE_CHINA_CLOUD).resource_manager
    CloudEndpoints(authority_host="https://login.example", resource_manager="https://arm.example/",
                   graph="https://graph.example", resource_manager_scope="https://arm.example/.default")
    ```
    """

    authority_host: str = "https://login.microsoftonline.com"
    resource_manager: str = "https://management.azure.com/"
    graph: str = "https://graph.microsoft.com"
    resource_manager_scope: str = ""
    """The ARM token scope; derived from ``resource_manager`` when empty."""

    def __post_init__(self) -> None:
        authority = self.authority_host if "://" in self.authority_host else f"https://{self.authority_host}"
        object.__setattr__(self, "authority_host", _https(authority, "authority_host").rstrip("/"))
        object.__setattr__(self, "resource_manager", _https(self.resource_manager, "resource_manager"))
        object.__setattr__(self, "graph", _https(self.graph, "graph").rstrip("/"))
        if not self.resource_manager_scope:
            object.__setattr__(
                self, "resource_manager_scope", self.resource_manager.rstrip("/") + "/.default"
            )

    @classmethod
    def for_cloud(cls, cloud: AzureClouds | CloudEndpoints | CloudLike | str | None) -> CloudEndpoints:
        """Endpoints of a named Azure cloud (``AzureClouds`` or its name), or ``cloud`` itself.

        Args:
            cloud: An ``AzureClouds`` value or name, a ``CloudEndpoints`` (returned as is), a `CloudLike` (its
                endpoints copied), or ``None`` (the
                public cloud).

        ```python
        CloudEndpoints.for_cloud(AzureClouds.AZURE_US_GOVERNMENT).graph   # 'https://graph.microsoft.us'
        ```
        """
        if cloud is None:
            return cls()
        if isinstance(cloud, CloudEndpoints):
            return cloud
        if not isinstance(cloud, str):  # a CloudLike: ScenarioInfo.cloud
            return cls(**{name: getattr(cloud, name) for name in cls.__dataclass_fields__})
        try:
            name = AzureClouds(cloud)
        except ValueError:
            raise ConfigurationError(
                f"unknown cloud {cloud!r}: use an azure.core.AzureClouds value or CloudEndpoints(...)"
            ) from None
        if name == AzureClouds.AZURE_CHINA_CLOUD:
            return cls(
                "https://login.chinacloudapi.cn",
                "https://management.chinacloudapi.cn/",
                "https://microsoftgraph.chinacloudapi.cn",
                "https://management.chinacloudapi.cn/.default",
            )
        if name == AzureClouds.AZURE_US_GOVERNMENT:
            return cls(
                "https://login.microsoftonline.us",
                "https://management.usgovcloudapi.net/",
                "https://graph.microsoft.us",
                "https://management.core.usgovcloudapi.net/.default",
            )
        return cls()

    @property
    def graph_scope(self) -> str:
        """The Microsoft Graph token scope.

        ```python
        CloudEndpoints().graph_scope    # "https://graph.microsoft.com/.default"
        ```
        """
        return self.graph + "/.default"

    @property
    def is_known_authority(self) -> bool:
        """Whether MSAL knows the authority host (otherwise instance discovery must be disabled).

        ```python
        CloudEndpoints().is_known_authority    # True: login.microsoftonline.com
        ```
        """
        return (urlsplit(self.authority_host).hostname or "").lower() in _KNOWN_AUTHORITIES


CloudArgument = Union[AzureClouds, CloudEndpoints, CloudLike, str]  # noqa: UP007 (a runtime alias on 3.10)
"""What ``cloud=`` takes: an ``azure.core.AzureClouds`` value or its name, a `CloudEndpoints`, or any
`CloudLike` object."""
