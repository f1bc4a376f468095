"""The cross-tenant linked checks of a write that references IPAM pools (a VNet or a subnet PUT).

The primary token must come from the resource's tenant and hold its write action (checked by the handler);
each referenced pool needs ``ipamPools/associateResourcesToPool/action`` — from the primary principal for a
pool of the same tenant, from an ``x-ms-authorization-auxiliary`` token of the pool's tenant otherwise (403
``LinkedAuthorizationFailed`` in the two shapes ARM uses).
"""

from __future__ import annotations

from .._http import arm_error
from .._ids import IPAM_POOL_ID
from ..entra import Caller
from .common import NetworkContext

__all__ = ["ASSOCIATE_ACTION", "SUBNET_WRITE", "VNET_WRITE", "linked_checks"]

ASSOCIATE_ACTION = "Microsoft.Network/networkManagers/ipamPools/associateResourcesToPool/action"
VNET_WRITE = "Microsoft.Network/virtualNetworks/write"
SUBNET_WRITE = "Microsoft.Network/virtualNetworks/subnets/write"


def linked_checks(
    ctx: NetworkContext,
    caller: Caller,
    aux: list[Caller],
    vnet_id: str,
    pool_ids: list[str],
    vnet_sub: str,
    *,
    action: str = VNET_WRITE,
) -> None:
    """403 ``LinkedAuthorizationFailed`` (or ``NetworkManagerConnectionNotConnected``) unless the write of
    ``action`` on ``vnet_id`` may use each pool of ``pool_ids``: a pool of the caller's tenant needs
    ``associateResourcesToPool`` for the caller, a pool of another tenant for an auxiliary token of that
    tenant (and, with ``Settings.require_connection``, a Connected network-manager connection).

    Args:
        ctx: The network's context.
        caller: The primary token's caller.
        aux: The callers of the ``x-ms-authorization-auxiliary`` tokens.
        vnet_id: The resource written (a VNet or a subnet id), as the messages name it.
        pool_ids: The pools the request body references.
        vnet_sub: The subscription of the resource written.
        action: The action performed on ``vnet_id`` (the VNet's or the subnet's write).

    ```python
    linked_checks(ctx, caller, aux, subnet_id, ["/subscriptions/…/ipamPools/p"], sub, action=SUBNET_WRITE)
    ```
    """
    for pid in pool_ids:
        m = IPAM_POOL_ID.parse(pid)
        if m is None:
            raise arm_error(
                400,
                "LinkedInvalidPropertyId",
                f"Property id '{pid}' at path 'pool.id' is invalid. Expect fully qualified resource Id that start "
                "with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.",
            )
        pool_sub = m["sub"]
        pool_tenant = ctx.directory.tenant_of_subscription(pool_sub)
        if pool_tenant is not None and pool_tenant == caller.tenant_id:
            principal: Caller = caller
        else:
            found = next((a for a in aux if pool_tenant is not None and a.tenant_id == pool_tenant), None)
            if found is None:
                raise arm_error(
                    403,
                    "LinkedAuthorizationFailed",
                    f"The client has permission to perform action '{action}' on scope '{vnet_id}', however the "
                    f"current tenant '{caller.tenant_id}' is not authorized to access linked subscription "
                    f"'{pool_sub}'.",
                )
            principal = found
        if not ctx.directory.is_authorized(principal.object_id, ASSOCIATE_ACTION, pid):
            raise arm_error(
                403,
                "LinkedAuthorizationFailed",
                f"The client '{caller.app_id}' with object id '{caller.object_id}' has permission to perform action "
                f"'{action}' on scope '{vnet_id}'; however, it does not have permission to perform action "
                f"'{ASSOCIATE_ACTION}' on the linked scope(s) '{pid}' or the linked scope(s) are invalid.",
            )
        if ctx.settings.require_connection and pool_tenant != ctx.directory.tenant_of_subscription(vnet_sub):
            nm_id = pid.rsplit("/ipamPools/", 1)[0]  # the manager's id as sent (text before "/ipamPools/")
            if not ctx.state.is_connected(nm_id, vnet_sub):
                raise arm_error(
                    403,
                    "NetworkManagerConnectionNotConnected",
                    f"Subscription '{vnet_sub}' is not connected to network manager '{nm_id}': both the scope "
                    "connection (management tenant) and the network manager connection (this subscription) must "
                    "exist before a virtual network can use an IPAM pool of another tenant.",
                )
