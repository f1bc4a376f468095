"""Entra ID: OIDC discovery, the v2.0 token endpoint, and validation of the tokens it issues.

Tokens are RS256 JWTs signed with the emulator's own key; ARM and Graph accept only those.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jwt
from cryptography import x509

from ._context import ServiceContext
from ._http import EmulatorHTTPError, Request, Response, aad_error, arm_error, graph_error
from ._tokens import TokenIssuer
from .state import Application, ServicePrincipal

if TYPE_CHECKING:
    from ._core import Router

__all__ = ["Caller", "TokenIssuer", "authenticate", "federated_assertion_valid", "register"]

_GUID = r"[0-9a-fA-F-]{36}"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass(frozen=True)
class Caller:
    """Who a validated access token says is calling."""

    tenant_id: str
    object_id: str
    app_id: str
    audience: str
    roles: tuple[str, ...]
    expires_on: int


# ------------------------------------------------------------------------------------------------
# endpoints


def register(router: Router, ctx: ServiceContext) -> None:
    """Register the Entra ID routes (OIDC discovery, instance discovery, v2.0 token endpoint)."""
    router.register(
        "login",
        ctx,
        [
            (
                "GET",
                rf"/(?P<tenant>{_GUID}|common|organizations)/v2\.0/\.well-known/openid-configuration",
                _oidc,
            ),
            ("GET", r"/common/discovery/instance", _instance_discovery),
            ("POST", r"/(?P<tenant>[^/]+)/oauth2/v2\.0/token", _token),
            ("POST", r"/(?P<tenant>[^/]+)/oauth2/token", _token_v1),
        ],
    )


def _oidc(ctx: ServiceContext, req: Request, p: dict[str, str]) -> Response:
    tenant = p["tenant"]
    if tenant not in ("common", "organizations") and tenant.lower() not in ctx.directory.tenants:
        raise aad_error(
            400,
            "invalid_tenant",
            90002,
            f"Tenant '{tenant}' not found. Check to make sure you have "
            "the correct tenant ID and are signing into the correct cloud.",
        )
    base = ctx.endpoints.authority
    return Response.json_body(
        200,
        {
            "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "crossipam.test",
        },
    )


def _instance_discovery(ctx: ServiceContext, req: Request, p: dict[str, str]) -> Response:
    host = ctx.endpoints.authority.split("://", 1)[1]
    return Response.json_body(
        200,
        {
            "tenant_discovery_endpoint": f"{ctx.endpoints.authority}/common/v2.0/.well-known/openid-configuration",
            "api-version": "1.1",
            "metadata": [{"preferred_network": host, "preferred_cache": host, "aliases": [host]}],
        },
    )


def _token(ctx: ServiceContext, req: Request, p: dict[str, str]) -> Response:
    """The v2.0 endpoint: ``scope=<resource>/.default``; the token's ``aud`` is the scope without
    ``/.default`` (``https://management.azure.com//.default`` → ``https://management.azure.com/``)."""
    form = req.form()
    token, expires_in = _client_credentials(ctx, req, p, form, lambda: _resource_of_scope(ctx, form))
    return Response.json_body(
        200,
        {
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": token,
        },
        _NO_STORE,
    )


def _token_v1(ctx: ServiceContext, req: Request, p: dict[str, str]) -> Response:
    """The v1.0 endpoint: ``resource=<resource id>``, answered with v1's fields (numbers as strings, the
    ``resource`` echoed); the token's ``aud`` is the resource as asked."""
    form = req.form()
    resource = form.get("resource", "")
    token, expires_in = _client_credentials(ctx, req, p, form, lambda: _known_resource(ctx, resource))
    claims = _peek(token)
    return Response.json_body(
        200,
        {
            "token_type": "Bearer",
            "expires_in": str(expires_in),
            "ext_expires_in": str(expires_in),
            "expires_on": str(claims["exp"]),
            "not_before": str(claims["nbf"]),
            "resource": resource,
            "access_token": token,
        },
        _NO_STORE,
    )


_NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


def _client_credentials(
    ctx: ServiceContext, req: Request, p: dict[str, str], form: dict[str, str], resource_of: Callable[[], str]
) -> tuple[str, int]:
    """The client-credentials grant both endpoints share: tenant, grant, client, credential, service principal,
    then the resource ``resource_of`` reads from the form; returns (token, expires_in)."""
    tenant_id = p["tenant"].lower()
    req.context["tenant_id"] = tenant_id
    req.context["is_token_request"] = True
    if tenant_id not in ctx.directory.tenants:
        raise aad_error(
            400,
            "invalid_tenant",
            90002,
            f"Tenant '{p['tenant']}' not found. Check to make sure you "
            "have the correct tenant ID and are signing into the correct cloud.",
        )
    grant = form.get("grant_type", "")
    if grant != "client_credentials":
        raise aad_error(
            400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type '{grant}'."
        )
    client_id = form.get("client_id", "")
    req.context["app_id"] = client_id
    with ctx.lock:
        app = ctx.directory.applications.get(client_id.lower())
        if app is None:
            raise aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{_tenant_name(ctx, tenant_id)}'. This can happen if the application has not been "
                "installed by the administrator of the tenant or consented to by any user in the "
                "tenant. You may have sent your authentication request to the wrong tenant.",
            )
        _check_client_credential(ctx, app, tenant_id, form)
        sp = ctx.directory.service_principals.get((tenant_id, app.app_id))
        if tenant_id != app.home_tenant_id and (not app.is_multitenant or sp is None):
            raise aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{_tenant_name(ctx, tenant_id)}'. This can happen if the application has not been "
                "installed by the administrator of the tenant or consented to by any user in the "
                "tenant. You may have sent your authentication request to the wrong tenant.",
            )
        if sp is None:
            raise aad_error(
                400,
                "unauthorized_client",
                7000112,
                f"Application '{client_id}' has no service principal in tenant '{tenant_id}'.",
            )
        return issue_token(ctx, sp, resource_of())


def issue_token(ctx: ServiceContext, sp: ServicePrincipal, resource: str) -> tuple[str, int]:
    """Sign an app-only access token for ``sp`` and ``resource``; returns (token, expires_in)."""
    now = int(ctx.clock.time())
    lifetime = int(ctx.settings.token_lifetime)
    claims: dict[str, Any] = {
        "aud": resource,
        "iss": f"https://sts.windows.net/{sp.tenant_id}/",
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "appid": sp.app_id,
        "appidacr": "1",
        "idp": f"https://sts.windows.net/{sp.tenant_id}/",
        "idtyp": "app",
        "oid": sp.object_id,
        "sub": sp.object_id,
        "tid": sp.tenant_id,
        "ver": "1.0",
        "uti": uuid.uuid4().hex[:22],
    }
    if resource.rstrip("/").lower() in ctx.endpoints.audiences_for(
        "graph", public=ctx.settings.public_audiences
    ):
        claims["roles"] = sorted(sp.graph_app_roles)
    token = ctx.tokens.sign(claims)
    ctx.issued_secrets.add(token)
    return token, lifetime


def _resource_of_scope(ctx: ServiceContext, form: dict[str, str]) -> str:
    scope = form.get("scope", "")
    scopes = scope.split()
    default = [s for s in scopes if s.endswith("/.default")]
    if len(default) != 1 or len(default[0]) == len("/.default"):
        raise aad_error(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {scope} is not valid. Client credential flows must have a "
            "scope value with /.default suffixed to the resource identifier (application ID URI).",
        )
    return _known_resource(ctx, default[0][: -len("/.default")])


def _known_resource(ctx: ServiceContext, resource: str) -> str:
    """``resource`` as asked, if it names ARM or Graph (the knob ``public_audiences`` adds the public ids)."""
    if not resource:
        raise aad_error(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'resource'.",
        )
    if resource.rstrip("/").lower() not in ctx.endpoints.audiences(public=ctx.settings.public_audiences):
        raise aad_error(
            400,
            "invalid_resource",
            500011,
            f"The resource principal named {resource} was not found in the tenant. This can happen if "
            "the application has not been installed by the administrator of the tenant or consented to "
            "by any user in the tenant. You might have sent your authentication request to the wrong "
            "tenant.",
        )
    return resource


def _tenant_name(ctx: ServiceContext, tenant_id: str) -> str:
    t = ctx.directory.tenants.get(tenant_id)
    return t.display_name if t else tenant_id


def _check_client_credential(
    ctx: ServiceContext, app: Application, tenant_id: str, form: dict[str, str]
) -> None:
    secret = form.get("client_secret")
    assertion = form.get("client_assertion")
    if secret is not None:
        if secret not in app.secrets:
            raise aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the "
                f"client secret value, not the client secret ID, for a secret added to app "
                f"'{app.app_id}'.",
            )
        return
    if assertion is not None:
        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
            raise aad_error(
                400,
                "invalid_request",
                90014,
                "The request body must contain the following parameter: 'client_assertion_type'.",
            )
        _check_assertion(ctx, app, tenant_id, assertion)
        return
    raise aad_error(
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _check_assertion(ctx: ServiceContext, app: Application, tenant_id: str, assertion: str) -> None:
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        raise aad_error(401, "invalid_client", 50027, "JWT token is invalid or malformed.") from None
    now = ctx.clock.time()
    if "x5t" in header or "x5t#S256" in header:
        cert = _find_certificate(app, header)
        if cert is None:
            raise aad_error(
                401,
                "invalid_client",
                700027,
                f"The certificate with identifier used to sign the client assertion is not registered "
                f"on application. [Reason - The key was not found., Thumbprint of key used by client: "
                f"'{header.get('x5t') or header.get('x5t#S256')}', Please visit the Azure Portal, "
                f"Graph Explorer or directly use MS Graph to see configured keys for app Id "
                f"'{app.app_id}'.]",
            )
        alg = header.get("alg", "")
        if alg not in ("RS256", "PS256"):
            raise aad_error(
                401,
                "invalid_client",
                5002738,
                f"Invalid JWT token. '{alg}' is not a supported signature algorithm.",
            )
        try:
            claims = jwt.decode(
                assertion,
                cert.public_key(),  # type: ignore[arg-type]
                algorithms=[alg],
                options={"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.InvalidTokenError:
            raise aad_error(
                401, "invalid_client", 700027, "Client assertion failed signature validation."
            ) from None
        expected_aud = f"{ctx.endpoints.authority}/{tenant_id}/oauth2/v2.0/token"
        aud = str(claims.get("aud", ""))
        if aud.rstrip("/").lower() != expected_aud.lower() and not re.fullmatch(
            rf"{re.escape(ctx.endpoints.authority)}/[^/]+/oauth2/(?:v2\.0/)?token", aud, re.IGNORECASE
        ):
            # a certificate assertion's audience is the token endpoint; Entra ID answers a wrong one with
            # AADSTS700023 (700212 is the federated-credential error and does not apply here)
            raise aad_error(
                401,
                "invalid_client",
                700023,
                "Client assertion audience claim does not match Realm issuer. Review the documentation at "
                "https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
            )
        if claims.get("iss") != app.app_id or claims.get("sub") != app.app_id:
            raise aad_error(
                401,
                "invalid_client",
                700021,
                "Client assertion application identifier doesn't match 'client_id' parameter.",
            )
        _check_lifetime(claims, now)
        return
    # federated credential: an external issuer's JWT, trusted by (issuer, subject, audience)
    iss, sub = unverified.get("iss"), unverified.get("sub")
    aud_claim = unverified.get("aud")
    auds = {aud_claim} if isinstance(aud_claim, str) else set(aud_claim or [])
    for fc in app.federated_credentials:
        if fc.issuer == iss and fc.subject == sub:
            if not auds & set(fc.audiences):
                raise aad_error(
                    401,
                    "invalid_client",
                    700212,
                    f"No matching federated identity record found for presented assertion audience "
                    f"'{', '.join(sorted(map(str, auds)))}'.",
                )
            _check_lifetime(unverified, now)
            if not federated_assertion_valid(ctx, assertion):
                raise aad_error(
                    401,
                    "invalid_client",
                    700024,
                    "Client assertion is not within its valid time range or was not signed by the issuer.",
                )
            return
    raise aad_error(
        400,
        "invalid_request",
        700213,
        f"No matching federated identity record found for presented assertion subject '{sub}'. Check "
        "your federated identity credential Subject, Audience and Issuer against the presented "
        "assertion.",
    )


def federated_assertion_valid(ctx: ServiceContext, assertion: str) -> bool:
    """Whether ``assertion`` bears the offline Azure's signature and has not expired (emulator clock)."""
    try:
        ctx.tokens.decode(assertion, ctx.clock.time())
    except Exception:
        return False
    return True


def _check_lifetime(claims: dict[str, Any], now: float) -> None:
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or exp <= now:
        raise aad_error(401, "invalid_client", 700024, "Client assertion is not within its valid time range.")


def _find_certificate(app: Application, header: dict[str, Any]) -> x509.Certificate | None:
    for der in app.certificates:
        x5t = str(header.get("x5t", "")).rstrip("=")
        x5t256 = str(header.get("x5t#S256", "")).rstrip("=")
        if x5t == _b64url(hashlib.sha1(der).digest()) or x5t256 == _b64url(hashlib.sha256(der).digest()):  # noqa: S324  # nosec B324
            return x509.load_der_x509_certificate(der)
    return None


# ------------------------------------------------------------------------------------------------
# validation of bearer tokens by ARM and Graph


def _decode_bearer(ctx: ServiceContext, token: str) -> dict[str, Any]:
    return ctx.tokens.decode(token, ctx.clock.time())


def authenticate(ctx: ServiceContext, req: Request) -> Caller:
    """Validate the ``Authorization`` bearer token for the request's service; raise its 401 otherwise."""
    service = req.service
    auth = req.header("authorization") or ""
    if not auth.lower().startswith("bearer "):
        if service == "graph":
            raise graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        raise arm_error(
            401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
        )
    token = auth[7:].strip()
    caller = _caller_from_token(ctx, token, service, aux=False)
    req.context["tenant_id"] = caller.tenant_id
    req.context["app_id"] = caller.app_id
    return caller


def _caller_from_token(ctx: ServiceContext, token: str, service: str, *, aux: bool) -> Caller:
    try:
        claims = _decode_bearer(ctx, token)
    except jwt.ExpiredSignatureError:
        unverified = _peek(token)
        if service == "graph":
            raise graph_error(
                401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."
            ) from None
        if aux:
            raise arm_error(
                401,
                "ExpiredAuthenticationToken",
                f"The access token in the auxiliary header 'x-ms-authorization-auxiliary' for client "
                f"'{unverified.get('appid')}' and tenant '{unverified.get('tid')}' has expired. Please "
                "refresh the token and try again.",
            ) from None
        raise arm_error(
            401,
            "ExpiredAuthenticationToken",
            f"The access token expiry UTC time '{unverified.get('exp')}' is earlier than current UTC time.",
        ) from None
    except jwt.InvalidTokenError:
        if service == "graph":
            raise graph_error(
                401,
                "InvalidAuthenticationToken",
                "Access token validation failure. Invalid audience or signature.",
            ) from None
        if aux:
            unverified = _peek(token)
            raise arm_error(
                401,
                "InvalidAuthenticationToken",
                f"The access token in the auxiliary header 'x-ms-authorization-auxiliary' for client "
                f"'{unverified.get('appid', 'unknown')}' and tenant "
                f"'{unverified.get('tid', 'unknown')}' is invalid.",
            ) from None
        raise arm_error(401, "InvalidAuthenticationToken", "The access token is invalid.") from None
    aud = str(claims.get("aud", "")).rstrip("/").lower()
    expected = ctx.endpoints.audiences_for(service, public=ctx.settings.public_audiences)
    if aud not in expected:
        if service == "graph":
            raise graph_error(
                401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."
            )
        raise arm_error(
            401,
            "InvalidAuthenticationTokenAudience",
            f"The access token has been obtained for wrong audience or resource '{claims.get('aud')}'. "
            f"It should exactly match with one of the allowed audiences "
            f"'{', '.join(sorted(expected))}'.",
        )
    return Caller(
        tenant_id=str(claims["tid"]),
        object_id=str(claims["oid"]),
        app_id=str(claims["appid"]),
        audience=aud,
        roles=tuple(claims.get("roles", ())),
        expires_on=int(claims["exp"]),
    )


def _peek(token: str) -> dict[str, Any]:
    try:
        return dict(jwt.decode(token, options={"verify_signature": False}))
    except jwt.InvalidTokenError:
        return {}


def authenticate_auxiliary(ctx: ServiceContext, req: Request) -> list[Caller]:
    """Validate ``x-ms-authorization-auxiliary``: at most three bearer tokens, each valid, unexpired, ARM audience."""
    raw = req.header("x-ms-authorization-auxiliary")
    if not raw:
        return []
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > 3:
        raise arm_error(
            401,
            "InvalidAuthenticationToken",
            f"The number of auxiliary tokens in the header 'x-ms-authorization-auxiliary' is "
            f"{len(parts)}; at most 3 are allowed.",
        )
    callers = []
    for part in parts:
        if not part.lower().startswith("bearer "):
            raise arm_error(
                401,
                "InvalidAuthenticationToken",
                "The auxiliary header 'x-ms-authorization-auxiliary' must contain bearer tokens "
                "('Bearer <token>'), separated by commas.",
            )
        callers.append(_caller_from_token(ctx, part[7:].strip(), "arm", aux=True))
    req.context["aux_tenant_ids"] = tuple(c.tenant_id for c in callers)
    return callers


def verified_caller_or_none(ctx: ServiceContext, req: Request) -> Caller | None:
    """Best-effort caller identity for the journal (never raises)."""
    try:
        return authenticate(ctx, req)
    except EmulatorHTTPError:
        return None
