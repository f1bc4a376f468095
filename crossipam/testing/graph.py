"""Microsoft Graph v1.0: applications, service principals and the organization.

App-only callers are authorized by the Graph application permissions in their token's ``roles`` claim (granted
with [`AzureEmulator.grant_graph_permission`][crossipam.testing.AzureEmulator.grant_graph_permission]; a token
keeps the roles it was issued with).

- Reads need ``Application.Read.All`` or any write permission (``Application.ReadWrite.OwnedBy`` reads only the
  applications the caller owns).
- ``PATCH /applications(appId='…')`` needs ``Application.ReadWrite.All``, or ``…OwnedBy`` on an owned app.
- ``POST /servicePrincipals`` needs ``Application.ReadWrite.All``; with ``…OwnedBy`` only for an owned app of the
  caller's own tenant (else 403 "When using this permission, the backing application of the service principal
  being created must in the local tenant", as Graph answers). An app of another tenant must be multitenant,
  else 400 ``Request_BadRequest`` "… does not reference a valid application object".
- A new service principal is subject to the replication delay: Graph reads of it answer 404 until replicated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import entra
from ._context import ServiceContext
from ._http import EmulatorHTTPError, Request, Response, graph_error
from ._odata import APPLICATION, SERVICE_PRINCIPAL, EntityType, ODataQuery
from .state import Application, ServicePrincipal

if TYPE_CHECKING:
    from ._core import Router
    from .entra import Caller

__all__ = ["register"]

_V1 = r"/v1\.0"
_KEY = r"'?(?P<key>[^'()]+)'?"

READ_ALL = "Application.Read.All"
READ_WRITE_ALL = "Application.ReadWrite.All"
READ_WRITE_OWNED_BY = "Application.ReadWrite.OwnedBy"
_DIRECTORY_READ = ("Directory.Read.All", "Directory.ReadWrite.All")
_APP_READ = (READ_ALL, READ_WRITE_ALL, READ_WRITE_OWNED_BY, *_DIRECTORY_READ)
_ORG_READ = ("Organization.Read.All", "Organization.ReadWrite.All", *_DIRECTORY_READ)
_SIGN_IN_AUDIENCES = (
    "AzureADMyOrg",
    "AzureADMultipleOrgs",
    "AzureADandPersonalMicrosoftAccount",
    "PersonalMicrosoftAccount",
)
_PATCHABLE = {"signInAudience", "displayName", "description", "notes", "tags"}


def register(router: Router, ctx: ServiceContext) -> None:
    """Register Graph routes."""
    router.register(
        "graph",
        ctx,
        [
            ("GET", rf"{_V1}/applications\(appId={_KEY}\)", _get_application),
            ("PATCH", rf"{_V1}/applications\(appId={_KEY}\)", _patch_application),
            ("GET", rf"{_V1}/applications/(?P<id>[^/()]+)", _get_application),
            ("PATCH", rf"{_V1}/applications/(?P<id>[^/()]+)", _patch_application),
            ("GET", rf"{_V1}/applications", _list_applications),
            ("POST", rf"{_V1}/servicePrincipals", _create_service_principal),
            ("GET", rf"{_V1}/servicePrincipals", _list_service_principals),
            ("GET", rf"{_V1}/servicePrincipals\(appId={_KEY}\)", _get_service_principal),
            ("DELETE", rf"{_V1}/servicePrincipals\(appId={_KEY}\)", _delete_service_principal),
            ("GET", rf"{_V1}/servicePrincipals/(?P<id>[^/()]+)", _get_service_principal),
            ("DELETE", rf"{_V1}/servicePrincipals/(?P<id>[^/()]+)", _delete_service_principal),
            ("GET", rf"{_V1}/organization", _list_organization),
            ("POST", rf"{_V1}/directoryObjects/getByIds", _get_by_ids),
        ],
    )


# ------------------------------------------------------------------------------------------------
# helpers


def _denied() -> EmulatorHTTPError:
    return graph_error(
        403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
    )


def _not_found(key: str) -> EmulatorHTTPError:
    return graph_error(
        404,
        "Request_ResourceNotFound",
        f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.",
    )


def _has(caller: Caller, *permissions: str) -> bool:
    return any(p in caller.roles for p in permissions)


def _owns(caller: Caller, app: Application) -> bool:
    return caller.tenant_id == app.home_tenant_id and caller.object_id in app.owners


def _context(ctx: ServiceContext, entity_set: str, single: bool, query: ODataQuery | None = None) -> str:
    selected = query.context_suffix() if query is not None else ""
    return f"{ctx.endpoints.graph.rstrip('/')}/v1.0/$metadata#{entity_set}{selected}" + (
        "/$entity" if single else ""
    )


def _query(req: Request, entity: EntityType) -> ODataQuery:
    """The request's ``$filter`` and ``$select`` (Graph's 400 for what it does not support)."""
    return ODataQuery.parse(req.query_param("$filter"), req.query_param("$select"), entity)


def _app_json(ctx: ServiceContext, app: Application) -> dict[str, Any]:
    tenant = ctx.directory.tenants.get(app.home_tenant_id)
    return {
        "id": app.object_id,
        "appId": app.app_id,
        "displayName": app.display_name,
        "signInAudience": app.sign_in_audience,
        "publisherDomain": tenant.default_domain if tenant else None,
        "deletedDateTime": None,
        "description": None,
        "notes": None,
        "identifierUris": [],
        "tags": [],
        "requiredResourceAccess": [],
        "passwordCredentials": [
            {"displayName": None, "hint": secret[:3], "keyId": None, "customKeyIdentifier": None}
            for secret in app.secrets
        ],
        "keyCredentials": [
            {"type": "AsymmetricX509Cert", "usage": "Verify", "displayName": None} for _ in app.certificates
        ],
    }


def _sp_json(ctx: ServiceContext, sp: ServicePrincipal) -> dict[str, Any]:
    app = ctx.directory.applications.get(sp.app_id)
    return {
        "id": sp.object_id,
        "appId": sp.app_id,
        "appOwnerOrganizationId": sp.app_owner_tenant_id,
        "appDisplayName": app.display_name if app else sp.display_name,
        "displayName": sp.display_name,
        "servicePrincipalType": "Application",
        "accountEnabled": True,
        "deletedDateTime": None,
        "signInAudience": app.sign_in_audience if app else None,
        "servicePrincipalNames": [sp.app_id],
        "appRoleAssignmentRequired": False,
        "tags": [],
    }


def _lookup_app(ctx: ServiceContext, caller: Caller, params: dict[str, str]) -> Application:
    """The application addressed by ``(appId='…')`` or object id, visible in the caller's tenant."""
    key = params.get("key") or params.get("id") or ""
    app: Application | None
    if "key" in params:
        app = ctx.directory.applications.get(key.lower())
    else:
        app = next((a for a in ctx.directory.applications.values() if a.object_id == key.lower()), None)
    if app is None or app.home_tenant_id != caller.tenant_id:
        raise _not_found(key)
    return app


def _lookup_sp(ctx: ServiceContext, caller: Caller, params: dict[str, str]) -> ServicePrincipal | None:
    if "key" in params:
        return ctx.directory.service_principals.get((caller.tenant_id, params["key"].lower()))
    return ctx.directory.principal(caller.tenant_id, params.get("id", "").lower())


# ------------------------------------------------------------------------------------------------
# applications


def _get_application(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    with ctx.lock:
        if not _has(caller, *_APP_READ):
            raise _denied()
        app = _lookup_app(ctx, caller, params)
        if not _has(caller, READ_ALL, READ_WRITE_ALL, *_DIRECTORY_READ) and not _owns(caller, app):
            raise _not_found(params.get("key") or params.get("id") or "")
        query = _query(req, APPLICATION)
        return Response.json_body(
            200,
            {
                "@odata.context": _context(ctx, "applications", True, query),
                **query.select(_app_json(ctx, app)),
            },
        )


def _list_applications(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    query = _query(req, APPLICATION)
    with ctx.lock:
        if not _has(caller, *_APP_READ):
            raise _denied()
        full = _has(caller, READ_ALL, READ_WRITE_ALL, *_DIRECTORY_READ)
        visible = [
            _app_json(ctx, a)
            for a in ctx.directory.applications.values()
            if a.home_tenant_id == caller.tenant_id and (full or _owns(caller, a))
        ]
    value = [query.select(a) for a in visible if query.matches(a)]
    return Response.json_body(
        200, {"@odata.context": _context(ctx, "applications", False, query), "value": value}
    )


def _patch_application(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    body = _json_object(req)
    with ctx.lock:
        if not _has(caller, READ_WRITE_ALL, READ_WRITE_OWNED_BY, "Directory.ReadWrite.All"):
            raise _denied()
        app = _lookup_app(ctx, caller, params)
        if not _has(caller, READ_WRITE_ALL, "Directory.ReadWrite.All") and not _owns(caller, app):
            raise _denied()
        for prop in body:
            if prop not in _PATCHABLE:
                raise graph_error(
                    400,
                    "Request_BadRequest",
                    f"Property '{prop}' does not exist as a declared property or extension property.",
                )
        audience = body.get("signInAudience")
        if audience is not None:
            if audience not in _SIGN_IN_AUDIENCES:
                raise graph_error(
                    400,
                    "Request_BadRequest",
                    "Invalid value specified for property 'signInAudience' of resource 'Application'.",
                )
            app.sign_in_audience = str(audience)
        if isinstance(body.get("displayName"), str):
            app.display_name = body["displayName"]
    return Response.empty(204)


def _json_object(req: Request) -> dict[str, Any]:
    try:
        body = req.json()
    except EmulatorHTTPError:
        raise graph_error(400, "BadRequest", "Unable to read JSON request payload.") from None
    if not isinstance(body, dict):
        raise graph_error(400, "BadRequest", "Unable to read JSON request payload.")
    return body


# ------------------------------------------------------------------------------------------------
# service principals


def _create_service_principal(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    body = _json_object(req)
    app_id = str(body.get("appId") or "").lower()
    with ctx.lock:
        full = _has(caller, READ_WRITE_ALL, "Directory.ReadWrite.All")
        if not full and not _has(caller, READ_WRITE_OWNED_BY):
            raise _denied()
        if not app_id:
            raise graph_error(400, "Request_BadRequest", "The appId property is required.")
        app = ctx.directory.applications.get(app_id)
        local = app is not None and app.home_tenant_id == caller.tenant_id
        if not full:
            if not local:
                raise graph_error(
                    403,
                    "Authorization_RequestDenied",
                    "When using this permission, the backing application of the service principal being "
                    "created must in the local tenant",
                )
            if app is None or caller.object_id not in app.owners:
                raise _denied()
        if app is None or (not local and not app.is_multitenant):
            raise graph_error(
                400,
                "Request_BadRequest",
                f"The appId '{app_id}' of the service principal does not reference a valid application object.",
            )
        if (caller.tenant_id, app.app_id) in ctx.directory.service_principals:
            raise graph_error(
                409,
                "Request_MultipleObjectsWithSameKeyValue",
                "Another object with the same value for property servicePrincipalNames already exists.",
            )
        sp = ctx.add_service_principal(app.app_id, caller.tenant_id, replicated=False)
        payload = {"@odata.context": _context(ctx, "servicePrincipals", True), **_sp_json(ctx, sp)}
    location = (
        f"{ctx.endpoints.graph.rstrip('/')}/v2/{caller.tenant_id}/directoryObjects/{sp.object_id}"
        "/Microsoft.DirectoryServices.ServicePrincipal"
    )
    return Response.json_body(201, payload, {"Location": location})


def _get_service_principal(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    with ctx.lock:
        if not _has(caller, *_APP_READ):
            raise _denied()
        sp = _lookup_sp(ctx, caller, params)
        if sp is None or not ctx.is_replicated(sp):
            raise _not_found(params.get("key") or params.get("id") or "")
        query = _query(req, SERVICE_PRINCIPAL)
        return Response.json_body(
            200,
            {
                "@odata.context": _context(ctx, "servicePrincipals", True, query),
                **query.select(_sp_json(ctx, sp)),
            },
        )


def _list_service_principals(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    query = _query(req, SERVICE_PRINCIPAL)
    with ctx.lock:
        if not _has(caller, *_APP_READ):
            raise _denied()
        visible = [
            _sp_json(ctx, sp)
            for (tenant, _), sp in ctx.directory.service_principals.items()
            if tenant == caller.tenant_id and ctx.is_replicated(sp)
        ]
    value = [query.select(sp) for sp in visible if query.matches(sp)]
    return Response.json_body(
        200, {"@odata.context": _context(ctx, "servicePrincipals", False, query), "value": value}
    )


def _get_by_ids(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    """``POST /directoryObjects/getByIds`` ``{"ids": [...], "types": [...]}``: the service principals among the
    ids (the only directory objects the offline Azure has), each with its ``@odata.type``."""
    caller = entra.authenticate(ctx, req)
    body = _json_object(req)
    ids, types = body.get("ids"), body.get("types", ["servicePrincipal"])
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or not isinstance(types, list):
        raise graph_error(400, "Request_BadRequest", "Invalid value specified for property 'ids'.")
    if len(ids) > 1000:
        raise graph_error(400, "Request_BadRequest", "The number of ids must not exceed 1000.")
    wanted = {str(t).lower().rsplit(".", 1)[-1] for t in types}
    with ctx.lock:
        if not _has(caller, *_APP_READ):
            raise _denied()
        value = []
        for object_id in ids if "serviceprincipal" in wanted else ():
            sp = ctx.directory.principal(caller.tenant_id, object_id.lower())
            if sp is not None and ctx.is_replicated(sp):
                value.append({"@odata.type": "#microsoft.graph.servicePrincipal", **_sp_json(ctx, sp)})
    return Response.json_body(
        200, {"@odata.context": _context(ctx, "directoryObjects", False), "value": value}
    )


def _delete_service_principal(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    with ctx.lock:
        full = _has(caller, READ_WRITE_ALL, "Directory.ReadWrite.All")
        if not full and not _has(caller, READ_WRITE_OWNED_BY):
            raise _denied()
        sp = _lookup_sp(ctx, caller, params)
        if sp is None:
            raise _not_found(params.get("key") or params.get("id") or "")
        app = ctx.directory.applications.get(sp.app_id)
        if not full and (app is None or not _owns(caller, app)):
            raise _denied()
        del ctx.directory.service_principals[(sp.tenant_id, sp.app_id)]
    return Response.empty(204)


# ------------------------------------------------------------------------------------------------
# organization


def _list_organization(ctx: ServiceContext, req: Request, params: dict[str, str]) -> Response:
    caller = entra.authenticate(ctx, req)
    with ctx.lock:
        if not _has(caller, *_ORG_READ):
            raise _denied()
        t = ctx.directory.tenants.get(caller.tenant_id)
        value = []
        if t is not None:
            value.append(
                {
                    "id": t.tenant_id,
                    "displayName": t.display_name,
                    "tenantType": "AAD",
                    "countryLetterCode": "US",
                    "verifiedDomains": [
                        {"name": t.default_domain, "isDefault": True, "isInitial": True, "type": "Managed"}
                    ],
                }
            )
    return Response.json_body(200, {"@odata.context": _context(ctx, "organization", False), "value": value})
