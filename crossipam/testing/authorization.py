"""ARM authorization: RBAC checks used by every ARM handler, role definitions and role assignments.

Also the small part of Microsoft.Resources that the Azure CLI and readiness checks touch (subscriptions,
tenants, resource groups); the cloud metadata document (``/metadata/endpoints``) is `metadata.py`'s.

Behaviour chosen where Azure documents nothing (see docs/offline-azure.md):

- Re-PUT of an identical role assignment under the same name answers 200 with the stored assignment; a PUT that
  reuses a name with a different role, principal or scope answers 400 ``RoleAssignmentUpdateNotPermitted``.
- ``principalType`` skips the replication check (as Learn documents) but not the existence check: a principal
  that does not exist at all in the scope's tenant always answers 400 ``PrincipalNotFound``.
- Reading role definitions needs only a token of the scope's tenant (no RBAC).
- Role assignments at a resource scope are accepted whether or not the resource exists; a missing resource
  group answers 404 ``ResourceGroupNotFound``.
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

from . import entra
from ._context import ServiceContext
from ._http import EmulatorHTTPError, Request, Response, arm_error
from ._ids import RESOURCE_GROUP_ID, SUBSCRIPTION_ID
from ._validate import ROLE_ASSIGNMENT, check_shape
from .state import RoleAssignment, scope_contains

if TYPE_CHECKING:
    from ._core import Router
    from .entra import Caller

__all__ = ["check_tenant", "has_any_access", "register", "require"]

_GUID_RX = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_ROLE_DEF_ID_RX = re.compile(
    r"^(?:.*/providers/Microsoft\.Authorization/roleDefinitions/)?(?P<guid>[0-9a-fA-F-]{36})$", re.IGNORECASE
)
_PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
_PRINCIPAL_NOT_FOUND = (
    "Principal {pid} does not exist in the directory {tenant}. Check that you have the correct principal ID. "
    "If you are creating this principal and then immediately assigning a role, this error might be related "
    "to a replication delay. In this case, set the role assignment principalType property to a value, such "
    "as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype"
)


# ------------------------------------------------------------------------------------------------
# RBAC checks used by every ARM handler


def check_tenant(ctx: ServiceContext, caller: Caller, scope: str) -> None:
    """Raise 404 ``SubscriptionNotFound`` / 401 ``InvalidAuthenticationTokenTenant`` unless the scope's
    subscription exists and belongs to the tenant of the caller's token (scopes outside a subscription pass)."""
    with ctx.lock:
        parts = scope.split("/")
        if len(parts) > 2 and parts[1].lower() == "subscriptions":
            sub_tenant = ctx.directory.tenant_of_subscription(parts[2])
            if sub_tenant is None:
                raise arm_error(
                    404, "SubscriptionNotFound", f"The subscription '{parts[2]}' could not be found."
                )
            if sub_tenant != caller.tenant_id:
                raise arm_error(
                    401,
                    "InvalidAuthenticationTokenTenant",
                    f"The access token is from the wrong issuer 'https://sts.windows.net/{caller.tenant_id}/'. "
                    f"It must match the tenant 'https://sts.windows.net/{sub_tenant}/' associated with this "
                    "subscription. Please use the authority (URL) 'https://login.windows.net/"
                    f"{sub_tenant}' to get the token. Note, if the subscription is transferred to another "
                    "tenant there is no impact to the services, but information about new tenant could take "
                    "time to propagate (up to an hour). If you just transferred your subscription and see this "
                    "error message, please try back later.",
                )


def require(ctx: ServiceContext, caller: Caller, action: str, scope: str) -> None:
    """Raise ARM's 403 ``AuthorizationFailed`` unless ``caller`` may perform ``action`` at ``scope``.

    The caller's token must also come from the tenant that owns the scope's subscription
    (401 ``InvalidAuthenticationTokenTenant`` otherwise), as ARM requires.
    """
    with ctx.lock:
        check_tenant(ctx, caller, scope)
        if not ctx.directory.is_authorized(caller.object_id, action, scope):
            raise arm_error(
                403,
                "AuthorizationFailed",
                f"The client '{caller.app_id}' with object id '{caller.object_id}' does not have authorization "
                f"to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was "
                "recently granted, please refresh your credentials.",
            )


def has_any_access(ctx: ServiceContext, principal_id: str, scope: str) -> bool:
    """Whether ``principal_id`` holds any role assignment at, above or below ``scope``."""
    with ctx.lock:
        return any(
            a.principal_id == principal_id
            and (scope_contains(a.scope, scope) or scope_contains(scope, a.scope))
            for a in ctx.directory.role_assignments.values()
        )


# ------------------------------------------------------------------------------------------------
# routes

_AUTHZ = r"(?P<scope>(?:/.*)?)/providers/Microsoft\.Authorization"


def register(router: Router, ctx: ServiceContext) -> None:
    """Register Microsoft.Authorization routes and subscriptions/tenants/resource groups."""
    router.register(
        "arm",
        ctx,
        [
            ("GET", rf"{_AUTHZ}/roleDefinitions", _list_role_definitions),
            ("GET", rf"{_AUTHZ}/roleDefinitions/(?P<name>[^/]+)", _get_role_definition),
            ("GET", rf"{_AUTHZ}/roleAssignments", _list_role_assignments),
            ("GET", rf"{_AUTHZ}/roleAssignments/(?P<name>[^/]+)", _get_role_assignment),
            ("PUT", rf"{_AUTHZ}/roleAssignments/(?P<name>[^/]+)", _put_role_assignment),
            ("DELETE", rf"{_AUTHZ}/roleAssignments/(?P<name>[^/]+)", _delete_role_assignment),
            ("GET", rf"{_AUTHZ}/permissions", _list_permissions),
            ("GET", r"/subscriptions", _list_subscriptions),
            ("GET", SUBSCRIPTION_ID.route, _get_subscription),
            ("GET", r"/tenants", _list_tenants),
            ("GET", SUBSCRIPTION_ID.child("/resourceGroups").route, _list_resource_groups),
            ("GET", RESOURCE_GROUP_ID.route, _get_resource_group),
        ],
    )


def _scope(params: dict[str, str]) -> str:
    return params.get("scope", "").rstrip("/")


def _sub_of(scope: str) -> str | None:
    at = SUBSCRIPTION_ID.parse_prefix(scope)
    return at["sub"].lower() if at else None


def _tenant_of_scope(ctx: ServiceContext, caller: Caller, scope: str) -> str:
    sub = _sub_of(scope)
    return (ctx.directory.tenant_of_subscription(sub) if sub else None) or caller.tenant_id


def _check_resource_group(ctx: ServiceContext, scope: str) -> None:
    at = RESOURCE_GROUP_ID.parse_prefix(scope)
    if at is None:
        return
    sub = ctx.directory.subscriptions.get(at["sub"].lower())
    if sub is None or at["rg"].lower() not in sub.resource_groups:
        raise arm_error(404, "ResourceGroupNotFound", f"Resource group '{at['rg']}' could not be found.")


# ---- role definitions ---------------------------------------------------------------------------


def _role_def_scope(scope: str) -> str:
    sub = _sub_of(scope)
    return f"/subscriptions/{sub}" if sub else ""


def _list_role_definitions(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    scope = _scope(params)
    check_tenant(ctx, caller, scope)
    flt = (req.query_param("$filter") or "").strip()
    name_filter: str | None = None
    type_filter: str | None = None
    if flt:
        m = re.fullmatch(r"roleName\s+eq\s+'(?P<v>.*)'", flt, re.IGNORECASE)
        t = re.fullmatch(r"type\s+eq\s+'(?P<v>.*)'", flt, re.IGNORECASE)
        if m:
            name_filter = m.group("v")
        elif t:
            type_filter = t.group("v")
        else:
            raise arm_error(400, "InvalidFilterInQueryString", f"The filter '{flt}' is not supported.")
    with ctx.lock:
        defs = [
            rd.to_arm(_role_def_scope(scope))
            for rd in ctx.directory.role_definitions.values()
            if (name_filter is None or rd.role_name.lower() == name_filter.lower())
            and (type_filter is None or rd.role_type.lower() == type_filter.lower())
        ]
    return Response.json_body(200, {"value": defs})


def _get_role_definition(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    scope = _scope(params)
    check_tenant(ctx, caller, scope)
    with ctx.lock:
        rd = ctx.directory.role_definitions.get(params["name"].lower())
        if rd is None:
            raise arm_error(
                404,
                "RoleDefinitionDoesNotExist",
                f"The specified role definition with ID '{params['name']}' does not exist.",
            )
        return Response.json_body(200, rd.to_arm(_role_def_scope(scope)))


# ---- role assignments ---------------------------------------------------------------------------


def _same_scope(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


def _find_assignment(ctx: ServiceContext, name: str, scope: str) -> RoleAssignment | None:
    ra = ctx.directory.role_assignments.get(name.lower())
    return ra if ra is not None and _same_scope(ra.scope, scope) else None


def _get_role_assignment(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    scope = _scope(params)
    require(ctx, caller, "Microsoft.Authorization/roleAssignments/read", scope)
    with ctx.lock:
        ra = _find_assignment(ctx, params["name"], scope)
        if ra is None:
            raise arm_error(
                404, "RoleAssignmentNotFound", f"The role assignment '{params['name']}' is not found."
            )
        return Response.json_body(200, ra.to_arm())


def _delete_role_assignment(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    scope = _scope(params)
    require(ctx, caller, "Microsoft.Authorization/roleAssignments/delete", scope)
    with ctx.lock:
        ra = _find_assignment(ctx, params["name"], scope)
        if ra is None:
            return Response.empty(204)
        del ctx.directory.role_assignments[ra.name]
        return Response.json_body(200, ra.to_arm())


def _bad_request(code: str, message: str) -> EmulatorHTTPError:
    return arm_error(400, code, message)


def _put_role_assignment(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    scope = _scope(params)
    name = params["name"]
    require(ctx, caller, "Microsoft.Authorization/roleAssignments/write", scope)
    if not _GUID_RX.match(name):
        raise _bad_request(
            "InvalidRoleAssignmentId",
            f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
        )
    body = req.json()
    if isinstance(body, dict):
        check_shape(body, ROLE_ASSIGNMENT)
    props = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(props, dict):
        raise _bad_request(
            "InvalidRequestContent",
            "The request content was invalid and could not be deserialized: 'properties' is required.",
        )
    role_def_id = str(props.get("roleDefinitionId") or "")
    principal_id = str(props.get("principalId") or "").lower()
    principal_type = props.get("principalType")
    description = props.get("description")
    m = _ROLE_DEF_ID_RX.match(role_def_id.rstrip("/"))
    if not m:
        raise _bad_request("InvalidRoleDefinitionId", f"The role definition ID '{role_def_id}' is not valid.")
    if not _GUID_RX.match(principal_id):
        raise _bad_request("InvalidPrincipalId", "A valid principal ID must be provided for role assignment.")
    if principal_type is not None and principal_type not in _PRINCIPAL_TYPES:
        raise _bad_request(
            "InvalidRequestContent",
            f"The request content was invalid and could not be deserialized: Error converting value "
            f"\"{principal_type}\" to type 'PrincipalType'.",
        )
    with ctx.lock:
        _check_resource_group(ctx, scope)
        role_id = m.group("guid").lower()
        rd = ctx.directory.role_definitions.get(role_id)
        if rd is None:
            raise _bad_request(
                "RoleDefinitionDoesNotExist",
                f"The specified role definition with ID '{role_id}' does not exist.",
            )
        tenant = _tenant_of_scope(ctx, caller, scope)
        sp = ctx.directory.principal(tenant, principal_id)
        if sp is None or (principal_type is None and not ctx.is_replicated(sp)):
            raise _bad_request(
                "PrincipalNotFound", _PRINCIPAL_NOT_FOUND.format(pid=principal_id, tenant=tenant)
            )
        if principal_type is not None and principal_type != "ServicePrincipal":
            raise _bad_request(
                "UnmatchedPrincipalType",
                f"The PrincipalId '{principal_id.replace('-', '')}' has type 'ServicePrincipal' , which is "
                f"different from specified PrincipalType '{principal_type}'.",
            )
        existing = ctx.directory.role_assignments.get(name.lower())
        if existing is not None:
            if (
                _same_scope(existing.scope, scope)
                and existing.role_id == role_id
                and existing.principal_id == principal_id
            ):
                if description is not None:
                    existing.description = str(description)
                return Response.json_body(200, existing.to_arm())
            raise _bad_request(
                "RoleAssignmentUpdateNotPermitted",
                "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
            )
        for other in ctx.directory.role_assignments.values():
            if (
                _same_scope(other.scope, scope)
                and other.role_id == role_id
                and other.principal_id == principal_id
            ):
                raise arm_error(
                    409,
                    "RoleAssignmentExists",
                    "The role assignment already exists. The ID of the existing role assignment is "
                    f"{other.name.replace('-', '')}.",
                )
        ra = RoleAssignment(
            name=name.lower(),
            scope=scope,
            role_id=role_id,
            principal_id=principal_id,
            principal_type=str(principal_type or "ServicePrincipal"),
            tenant_id=tenant,
            created_on=time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime(ctx.clock.time())),
            created_by=caller.object_id,
            description=None if description is None else str(description),
        )
        ctx.directory.role_assignments[ra.name] = ra
        return Response.json_body(201, ra.to_arm())


def _parse_assignment_filter(flt: str) -> tuple[bool, str | None]:
    """(at_scope_only, principal_id) from a role-assignment ``$filter``."""
    at_scope = False
    principal: str | None = None
    for clause in re.split(r"\s+and\s+", flt.strip(), flags=re.IGNORECASE) if flt.strip() else []:
        clause = clause.strip()
        if re.fullmatch(r"atScope\(\)", clause, re.IGNORECASE):
            at_scope = True
            continue
        m = re.fullmatch(
            r"principalId\s+eq\s+'?(?P<id>[0-9a-fA-F-]{36})'?", clause, re.IGNORECASE
        ) or re.fullmatch(r"assignedTo\('(?P<id>[0-9a-fA-F-]{36})'\)", clause, re.IGNORECASE)
        if m:
            principal = m.group("id").lower()
            continue
        raise arm_error(400, "InvalidFilterInQueryString", f"The filter '{flt}' is not supported.")
    return at_scope, principal


def _list_role_assignments(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    scope = _scope(params)
    require(ctx, caller, "Microsoft.Authorization/roleAssignments/read", scope)
    at_scope, principal = _parse_assignment_filter(req.query_param("$filter") or "")
    with ctx.lock:
        tenant = _tenant_of_scope(ctx, caller, scope)
        out: list[dict[str, Any]] = []
        for ra in ctx.directory.role_assignments.values():
            if ra.tenant_id and ra.tenant_id != tenant:
                continue
            if principal is not None and ra.principal_id != principal:
                continue
            above = scope_contains(ra.scope, scope)
            below = scope_contains(scope, ra.scope)
            if above or (below and not at_scope):
                out.append(ra.to_arm())
    return Response.json_body(200, {"value": out})


def _list_permissions(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    scope = _scope(params)
    check_tenant(ctx, caller, scope)
    with ctx.lock:
        perms = []
        for ra in ctx.directory.assignments_for(caller.object_id, scope):
            rd = ctx.directory.role_definitions.get(ra.role_id)
            if rd is not None:
                perms.append(
                    {
                        "actions": list(rd.actions),
                        "notActions": list(rd.not_actions),
                        "dataActions": list(rd.data_actions),
                        "notDataActions": list(rd.not_data_actions),
                    }
                )
    return Response.json_body(200, {"value": perms})


# ---- subscriptions, tenants, resource groups ----------------------------------------------------

_SUBSCRIPTION_POLICIES = {
    "locationPlacementId": "Public_2014-09-01",
    "quotaId": "PayAsYouGo_2014-09-01",
    "spendingLimit": "Off",
}


def _subscription_json(ctx: ServiceContext, sub_id: str) -> dict[str, Any]:
    sub = ctx.directory.subscriptions[sub_id]
    return {
        "id": sub.id,
        "authorizationSource": "RoleBased",
        "managedByTenants": [],
        "subscriptionId": sub.subscription_id,
        "tenantId": sub.tenant_id,
        "displayName": sub.display_name,
        "state": "Enabled",
        "subscriptionPolicies": dict(_SUBSCRIPTION_POLICIES),
    }


def _list_subscriptions(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    with ctx.lock:
        subs = [
            _subscription_json(ctx, sid)
            for sid, sub in ctx.directory.subscriptions.items()
            if sub.tenant_id == caller.tenant_id and has_any_access(ctx, caller.object_id, sub.id)
        ]
    return Response.json_body(200, {"value": subs, "count": {"type": "Total", "value": len(subs)}})


def _get_subscription(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    sid = params["sub"].lower()
    check_tenant(ctx, caller, f"/subscriptions/{sid}")
    with ctx.lock:
        if not has_any_access(ctx, caller.object_id, f"/subscriptions/{sid}"):
            raise arm_error(
                403,
                "AuthorizationFailed",
                f"The client '{caller.app_id}' with object id '{caller.object_id}' does not have authorization "
                f"to perform action 'Microsoft.Resources/subscriptions/read' over scope '/subscriptions/{sid}' "
                "or the scope is invalid. If access was recently granted, please refresh your credentials.",
            )
        return Response.json_body(200, _subscription_json(ctx, sid))


def _list_tenants(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    with ctx.lock:
        t = ctx.directory.tenants.get(caller.tenant_id)
        value = []
        if t is not None:
            value.append(
                {
                    "id": f"/tenants/{t.tenant_id}",
                    "tenantId": t.tenant_id,
                    "countryCode": "US",
                    "displayName": t.display_name,
                    "domains": [t.default_domain],
                    "defaultDomain": t.default_domain,
                    "tenantCategory": "Home",
                    "tenantType": "AAD",
                }
            )
    return Response.json_body(200, {"value": value})


def _rg_json(sub_id: str, name: str, location: str, tags: dict[str, str]) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{sub_id}/resourceGroups/{name}",
        "name": name,
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        "tags": dict(tags),
        "properties": {"provisioningState": "Succeeded"},
    }


def _get_resource_group(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    sid = params["sub"].lower()
    scope = f"/subscriptions/{sid}/resourceGroups/{params['rg']}"
    require(ctx, caller, "Microsoft.Resources/subscriptions/resourceGroups/read", scope)
    with ctx.lock:
        rg = ctx.directory.subscriptions[sid].resource_groups.get(params["rg"].lower())
        if rg is None:
            raise arm_error(
                404, "ResourceGroupNotFound", f"Resource group '{params['rg']}' could not be found."
            )
        return Response.json_body(200, _rg_json(sid, rg.name, rg.location, rg.tags))


def _list_resource_groups(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    sid = params["sub"].lower()
    check_tenant(ctx, caller, f"/subscriptions/{sid}")
    action = "Microsoft.Resources/subscriptions/resourceGroups/read"
    with ctx.lock:
        value = [
            _rg_json(sid, rg.name, rg.location, rg.tags)
            for rg in ctx.directory.subscriptions[sid].resource_groups.values()
            if ctx.directory.is_authorized(caller.object_id, action, rg.id)
        ]
    return Response.json_body(200, {"value": value})
