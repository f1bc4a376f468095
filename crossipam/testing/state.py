"""The offline Azure's directory and resource-manager state (tenants, apps, principals, RBAC).

Network state (network managers, IPAM pools, virtual networks) lives in `crossipam.testing.network.state`.
Plain data: handlers and the seeding API hold the services' one lock (``ServiceContext.lock``) while they use it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from ._ids import SUBSCRIPTION_ID

__all__ = [
    "BUILTIN_ROLES",
    "Application",
    "FederatedCredential",
    "ResourceGroup",
    "RoleAssignment",
    "RoleDefinition",
    "ServicePrincipal",
    "State",
    "Subscription",
    "Tenant",
]


@dataclass
class Tenant:
    """An Entra tenant (directory).

    ```python
    tenant = emulator.add_tenant(display_name="Fabrikam")
    ```
    """

    tenant_id: str
    display_name: str
    default_domain: str


@dataclass
class ResourceGroup:
    """A resource group in a subscription.

    ```python
    rg = emulator.add_resource_group(subscription_id, "rg-network", "westeurope")
    ```
    """

    subscription_id: str
    name: str
    location: str
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The resource group's ARM id.

        ```python
        ResourceGroup("s1", "rg-network", "eastus").id  # "/subscriptions/s1/resourceGroups/rg-network"
        ```
        """
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.name}"


@dataclass
class Subscription:
    """A subscription, its tenant and its resource groups (keyed by lower-case name).

    ```python
    sub = emulator.add_subscription(tenant_id, display_name="spoke-prod")
    ```
    """

    subscription_id: str
    tenant_id: str
    display_name: str
    resource_groups: dict[str, ResourceGroup] = field(default_factory=dict)  # key: lower-case name

    @property
    def id(self) -> str:
        """The subscription's ARM id.

        ```python
        Subscription("s1", "t1", "prod").id  # "/subscriptions/s1"
        ```
        """
        return f"/subscriptions/{self.subscription_id}"


@dataclass
class FederatedCredential:
    """A workload-identity federation trust: assertions from ``issuer`` about ``subject`` are accepted."""

    issuer: str
    subject: str
    audiences: tuple[str, ...] = ("api://AzureADTokenExchange",)
    name: str = "federated"


@dataclass
class Application:
    """An app registration (lives in its home tenant)."""

    app_id: str
    object_id: str
    home_tenant_id: str
    display_name: str
    sign_in_audience: str = "AzureADMyOrg"
    secrets: list[str] = field(default_factory=list, repr=False)
    certificates: list[bytes] = field(default_factory=list, repr=False)
    """DER-encoded X.509 certificates whose private keys may sign client assertions."""
    federated_credentials: list[FederatedCredential] = field(default_factory=list)
    owners: set[str] = field(default_factory=set)
    """Object ids of the owners (service principals of the home tenant)."""

    @property
    def is_multitenant(self) -> bool:
        """Whether other tenants may sign the app in (``signInAudience`` allows other organisations).

        ```python
        emulator.state.applications[info.app.client_id].is_multitenant  # True in "onboarded"
        ```
        """
        return self.sign_in_audience in ("AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount")


@dataclass
class ServicePrincipal:
    """An app's identity in one tenant."""

    object_id: str
    app_id: str
    tenant_id: str
    display_name: str
    app_owner_tenant_id: str
    created_at: float = 0.0
    """Emulator time of creation, for replication delay."""
    graph_app_roles: set[str] = field(default_factory=set)
    """Microsoft Graph application permissions granted to it (``Application.ReadWrite.All`` …)."""
    replication_misses: int = 0
    """Replication-delay failures already served for this principal."""


@dataclass
class RoleDefinition:
    """An Azure RBAC role definition (the built-ins are in `BUILTIN_ROLES`).

    ```python
    emulator.state.role_by_name("IPAM Pool User").allows("Microsoft.Network/networkManagers/ipamPools/read")
    ```
    """

    role_id: str  # the GUID
    role_name: str
    description: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()
    role_type: str = "BuiltInRole"
    implied_actions: tuple[str, ...] = ()
    """[unverified] Actions the offline Azure grants beyond the published ``actions`` (never shown in the
    definition's JSON). Used where Azure's wildcard semantics are not documented, e.g. whether
    ``…/ipamPools/*/read`` covers ``…/ipamPools/read``."""

    def resource_id(self, scope: str = "") -> str:
        """The definition's id at ``scope`` (built-ins are addressable below any subscription)."""
        return f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleDefinitions/{self.role_id}"

    def to_arm(self, scope: str) -> dict[str, Any]:
        """The definition as ARM's ``roleDefinitions`` API returns it at ``scope``."""
        return {
            "id": self.resource_id(scope),
            "name": self.role_id,
            "type": "Microsoft.Authorization/roleDefinitions",
            "properties": {
                "roleName": self.role_name,
                "type": self.role_type,
                "description": self.description,
                "assignableScopes": ["/"],
                "permissions": [
                    {
                        "actions": list(self.actions),
                        "notActions": list(self.not_actions),
                        "dataActions": list(self.data_actions),
                        "notDataActions": list(self.not_data_actions),
                    }
                ],
                "createdOn": "2015-02-02T21:55:09.8806423Z",
                "updatedOn": "2024-06-01T00:00:00.0000000Z",
                "createdBy": None,
                "updatedBy": None,
            },
        }

    def allows(self, action: str) -> bool:
        """Whether this role grants the control-plane ``action`` (wildcards, notActions honoured)."""
        granted = (*self.actions, *self.implied_actions)
        return any(action_matches(p, action) for p in granted) and not any(
            action_matches(p, action) for p in self.not_actions
        )


@dataclass
class RoleAssignment:
    """An Azure RBAC role assignment: ``principal_id`` holds role ``role_id`` at ``scope``.

    ```python
    assignment = emulator.assign_role(principal_object_id, "Network Contributor", resource_group_id)
    ```
    """

    name: str  # GUID
    scope: str
    role_id: str  # GUID of the definition
    principal_id: str
    principal_type: str
    tenant_id: str
    created_on: str
    created_by: str | None = None
    description: str | None = None

    @property
    def id(self) -> str:
        """The assignment's ARM id (below its scope)."""
        return f"{self.scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{self.name}"

    def to_arm(self) -> dict[str, Any]:
        """The assignment as ARM's ``roleAssignments`` API returns it."""
        sub = _subscription_of(self.scope)
        role_def_scope = f"/subscriptions/{sub}" if sub else ""
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {
                "roleDefinitionId": f"{role_def_scope}/providers/Microsoft.Authorization/roleDefinitions/"
                f"{self.role_id}",
                "principalId": self.principal_id,
                "principalType": self.principal_type,
                "scope": self.scope,
                "condition": None,
                "conditionVersion": None,
                "createdOn": self.created_on,
                "updatedOn": self.created_on,
                "createdBy": self.created_by,
                "updatedBy": self.created_by,
                "delegatedManagedIdentityResourceId": None,
                "description": self.description,
            },
        }


def action_matches(pattern: str, action: str) -> bool:
    """ARM action matching: case-insensitive, ``*`` matches any run of characters (slashes included)."""
    rx = "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
    return re.match(rx, action, re.IGNORECASE) is not None


def _subscription_of(scope: str) -> str | None:
    at = SUBSCRIPTION_ID.parse_prefix(scope)
    return at["sub"] if at else None


def scope_contains(outer: str, inner: str) -> bool:
    """Whether an assignment at ``outer`` applies at ``inner`` (same or ancestor scope)."""
    o = outer.rstrip("/").lower()
    i = inner.rstrip("/").lower()
    return o in ("", "/") or i == o or i.startswith(o + "/")


_NETWORK_CONTRIBUTOR_ACTIONS = (
    "Microsoft.Authorization/*/read",
    "Microsoft.Insights/alertRules/*",
    "Microsoft.Network/*",
    "Microsoft.ResourceHealth/availabilityStatuses/read",
    "Microsoft.Resources/deployments/*",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Support/*",
)

BUILTIN_ROLES: tuple[RoleDefinition, ...] = (
    RoleDefinition(
        "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        "Owner",
        "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
        ("*",),
    ),
    RoleDefinition(
        "b24988ac-6180-42a0-ab88-20f7382dd24c",
        "Contributor",
        "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, "
        "manage assignments in Azure Blueprints, or share image galleries.",
        ("*",),
        (
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
            "Microsoft.Compute/galleries/share/action",
            "Microsoft.Purview/consents/write",
            "Microsoft.Purview/consents/delete",
            "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
            "Microsoft.Subscription/cancel/action",
            "Microsoft.Subscription/enable/action",
        ),
    ),
    RoleDefinition(
        "acdd72a7-3385-48ef-bd42-f606fba81ae7",
        "Reader",
        "View all resources, but does not allow you to make any changes.",
        ("*/read",),
    ),
    RoleDefinition(
        "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9",
        "User Access Administrator",
        "Lets you manage user access to Azure resources.",
        ("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"),
    ),
    RoleDefinition(
        "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        "Role Based Access Control Administrator",
        "Manage access to Azure resources by assigning roles using Azure RBAC.",
        (
            "Microsoft.Authorization/roleAssignments/write",
            "Microsoft.Authorization/roleAssignments/delete",
            "*/read",
            "Microsoft.Support/*",
        ),
    ),
    RoleDefinition(
        "4d97b98b-1d4f-4787-a291-c67834d212e7",
        "Network Contributor",
        "Lets you manage networks, but not access to them.",
        _NETWORK_CONTRIBUTOR_ACTIONS,
    ),
    RoleDefinition(
        "7b3e853f-ad5d-4fb5-a7b8-56a3581c7037",
        "IPAM Pool User",
        "Read IPAM Pools and child resources. Create and remove associations. This role is in preview and "
        "subject to change.",
        (
            "Microsoft.Network/networkManagers/ipamPools/*/read",
            "Microsoft.Network/networkManagers/ipamPools/*/action",
            "Microsoft.Network/networkManagers/ipamPools/*/write",
        ),
        implied_actions=(
            # [unverified] the role's description says it reads IPAM pools; the published wildcard
            # "ipamPools/*/read" does not literally match "ipamPools/read", so grant it explicitly.
            "Microsoft.Network/networkManagers/ipamPools/read",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
        ),
    ),
    RoleDefinition(
        # [unverified] Learn mentions "Network Manager Read" for pool discoverability, but no built-in role of
        # that name was found in the public role catalogues (Aug 2025); this GUID is the offline Azure's own.
        "4b2e6f1a-3d5c-4e8f-9a7b-2c1d0e9f8a6b",
        "Network Manager Read",
        "[offline Azure: not a verified built-in role] Read network managers and their IPAM pools.",
        ("Microsoft.Network/networkManagers/*/read", "Microsoft.Network/networkManagers/read"),
    ),
)
"""Built-in role definitions with their real GUIDs and (trimmed to what matters here) action patterns."""


class State:
    """Tenants, subscriptions, apps, service principals, role definitions and assignments."""

    def __init__(self) -> None:
        self.tenants: dict[str, Tenant] = {}
        self.subscriptions: dict[str, Subscription] = {}
        self.applications: dict[str, Application] = {}  # by appId
        self.service_principals: dict[tuple[str, str], ServicePrincipal] = {}
        """(tenant_id, app_id) -> service principal"""
        self.role_definitions: dict[str, RoleDefinition] = {r.role_id: r for r in BUILTIN_ROLES}
        self.role_assignments: dict[str, RoleAssignment] = {}  # by lower-case name (GUID)

    # ---- lookups -------------------------------------------------------------------------------
    def principal(self, tenant_id: str, object_id: str) -> ServicePrincipal | None:
        """The service principal with ``object_id`` in ``tenant_id``, if any."""
        for sp in self.service_principals.values():
            if sp.tenant_id == tenant_id and sp.object_id == object_id:
                return sp
        return None

    def principal_anywhere(self, object_id: str) -> ServicePrincipal | None:
        """The service principal with ``object_id`` in any tenant, if any."""
        for sp in self.service_principals.values():
            if sp.object_id == object_id:
                return sp
        return None

    def tenant_of_subscription(self, subscription_id: str) -> str | None:
        """The id of the tenant a subscription belongs to, if the subscription exists."""
        sub = self.subscriptions.get(subscription_id.lower())
        return sub.tenant_id if sub else None

    def role_by_name(self, name: str) -> RoleDefinition | None:
        """The role definition named ``name`` (case-insensitive), if any."""
        for r in self.role_definitions.values():
            if r.role_name.lower() == name.lower():
                return r
        return None

    # ---- RBAC ----------------------------------------------------------------------------------
    def assignments_for(self, principal_id: str, scope: str) -> list[RoleAssignment]:
        """Assignments of ``principal_id`` that apply at ``scope`` (inherited from ancestors included)."""
        return [
            a
            for a in self.role_assignments.values()
            if a.principal_id == principal_id and scope_contains(a.scope, scope)
        ]

    def is_authorized(self, principal_id: str, action: str, scope: str) -> bool:
        """Whether any role assigned to ``principal_id`` at or above ``scope`` grants ``action``."""
        for a in self.assignments_for(principal_id, scope):
            role = self.role_definitions.get(a.role_id)
            if role is not None and role.allows(action):
                return True
        return False


def new_guid() -> str:
    """A random GUID in Azure's lower-case form."""
    return str(uuid.uuid4())
