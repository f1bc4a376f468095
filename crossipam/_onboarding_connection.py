"""The connection step of onboarding (``check_connection=True``): read-only, it checks that the network
manager's scope connection to the managed tenant — and, given the managed subscription, that subscription's
network manager connection — is ``Connected``. crossipam never creates these connections.
"""

from __future__ import annotations

from azure.core.exceptions import HttpResponseError

from ._engine import ArmCall, Steps
from ._onboarding_progress import Progress, arm_failure
from ._onboarding_rbac import same_scope
from ._onboarding_results import STEP_CHECK_CONNECTION
from ._resource_ids import IpamPoolId
from .errors import CrossTenantConnectionError

_CONNECTION_HINT = (
    "create the scope connection (management tenant) and the network manager connection (managed "
    "subscription); crossipam does not create them"
)


def step_connection(
    progress: Progress,
    pool: IpamPoolId,
    managed_tenant_id: str,
    management_tenant_id: str,
    managed_subscription_id: str | None,
) -> Steps[None]:
    try:
        connections = yield ArmCall(
            "network",
            "management",
            pool.subscription_id,
            "scope_connections.list",
            (pool.resource_group, pool.network_manager),
            paged=True,
        )
    except HttpResponseError as err:
        raise arm_failure(
            err,
            tenant_id=management_tenant_id,
            permission="Microsoft.Network/networkManagers/scopeConnections/read on network manager "
            f"{pool.network_manager_id} (e.g. Reader or Network Contributor)",
            action="list the network manager's scope connections",
            progress=progress,
        ) from err
    wanted_scope = f"/subscriptions/{managed_subscription_id}" if managed_subscription_id else None
    candidates = [
        c
        for c in connections
        if c.properties is not None
        and (c.properties.tenant_id or "").lower() == managed_tenant_id
        and (wanted_scope is None or same_scope(c.properties.resource_id or "", wanted_scope))
    ]
    connected = [
        c for c in candidates if c.properties is not None and c.properties.connection_state == "Connected"
    ]
    if not connected:
        states = ", ".join(
            f"{c.name}: {c.properties.connection_state if c.properties else 'unknown'}" for c in candidates
        )
        raise CrossTenantConnectionError(
            f"network manager {pool.network_manager_id} in tenant {management_tenant_id} has no Connected scope "
            f"connection to tenant {managed_tenant_id}"
            + (f" ({wanted_scope})" if wanted_scope else "")
            + (f"; found {states}" if states else "")
            + ". Create the scope connection in tenant A and the network manager connection in tenant B "
            "(crossipam does not create them).",
            tenant_id=management_tenant_id,
            completed_steps=progress.described(),
            hint=_CONNECTION_HINT,
        )
    detail = f"scope connection {connected[0].name} to tenant {managed_tenant_id} is Connected"
    if managed_subscription_id:
        try:
            nm_connections = yield ArmCall(
                "network",
                "managed",
                managed_subscription_id,
                "subscription_network_manager_connections.list",
                paged=True,
            )
        except HttpResponseError as err:
            raise arm_failure(
                err,
                tenant_id=managed_tenant_id,
                permission="Microsoft.Network/networkManagerConnections/read on "
                f"/subscriptions/{managed_subscription_id} (e.g. Reader)",
                action="list the subscription's network manager connections",
                progress=progress,
            ) from err
        ours = [
            c
            for c in nm_connections
            if c.properties is not None
            and (c.properties.network_manager_id or "").lower() == pool.network_manager_id.lower()
        ]
        if not any(c.properties is not None and c.properties.connection_state == "Connected" for c in ours):
            state = ours[0].properties.connection_state if ours and ours[0].properties else "missing"
            raise CrossTenantConnectionError(
                f"subscription {managed_subscription_id} in tenant {managed_tenant_id} has no Connected network "
                f"manager connection to {pool.network_manager_id} (state: {state})",
                tenant_id=managed_tenant_id,
                completed_steps=progress.described(),
                hint=_CONNECTION_HINT,
            )
        detail += f"; subscription {managed_subscription_id} is connected to the network manager"
    progress.add(STEP_CHECK_CONNECTION, "already_done", detail, management_tenant_id)
