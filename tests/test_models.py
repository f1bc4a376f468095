"""Unit tests of the pure parts: ids, models, request bodies, plans, error and credential mapping."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
from typing import Any

import pytest
from azure.core import AzureClouds
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError

from crossipam import (
    AddressSpaceConflictError,
    AllocationDecreaseError,
    AppNotOnboardedError,
    BulkItemResult,
    CloudEndpoints,
    ConfigurationError,
    CrossIpamError,
    DeploymentRefusedError,
    InvalidInputError,
    InvalidResourceIdError,
    IpamPoolId,
    PoolAllocation,
    PoolUsage,
    ResourceId,
    SubnetSpec,
    TenantNotAllowedError,
    VirtualNetworkId,
)
from crossipam.credentials import TenantBoundCredential, credential_error, validate_multitenant_credential
from crossipam.deployment import (
    deployment_from_wire,
    deployment_request,
    plan_deployment,
    put_body_from_existing,
)
from crossipam.onboarding import OffboardingResult, OnboardingResult, OnboardingStep
from crossipam.policies import MAX_AUXILIARY_TENANTS, CrossTenantAuxiliaryPolicy
from crossipam.removal import plan_removal, validate_replacement_prefixes

SUB_B = "bbbbbbbb-1111-4000-8000-000000000002"
SUB_A = "aaaaaaaa-1111-4000-8000-000000000002"
TENANT_A = "aaaaaaaa-0000-4000-8000-000000000001"
TENANT_B = "bbbbbbbb-0000-4000-8000-000000000001"
VNET = f"/subscriptions/{SUB_B}/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks/vnet1"
POOL = f"/subscriptions/{SUB_A}/resourceGroups/rg-ipam/providers/Microsoft.Network/networkManagers/nm/ipamPools/p4"
POOL6 = f"/subscriptions/{SUB_A}/resourceGroups/rg-ipam/providers/Microsoft.Network/networkManagers/nm/ipamPools/p6"
OTHER_POOL = POOL.replace("/p4", "/other")
SCOPE = "https://management.azure.com/.default"


def net(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text)


# ---- resource ids --------------------------------------------------------------------------------------


def test_vnet_id_parses_and_round_trips() -> None:
    vid = VirtualNetworkId.parse(VNET)
    assert (vid.subscription_id, vid.resource_group, vid.name) == (SUB_B, "rg-spoke", "vnet1")
    assert str(vid) == VNET
    assert vid == VirtualNetworkId.parse(VNET.upper().replace("/SUBSCRIPTIONS/", "/subscriptions/"))
    assert vid.subnet_id("app") == VNET + "/subnets/app"
    assert VirtualNetworkId.parse(VNET + "/") == vid


def test_pool_id_parses() -> None:
    pid = IpamPoolId.parse(POOL)
    assert (pid.network_manager, pid.name) == ("nm", "p4")
    assert pid.network_manager_id.endswith("/networkManagers/nm")
    assert str(pid) == POOL
    assert hash(pid) == hash(IpamPoolId.parse(POOL.lower()))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "vnet1",
        "/subscriptions/x",
        VNET + "/subnets/app",
        POOL,
        VNET.replace("virtualNetworks", "networkSecurityGroups"),
        VNET.replace("vnet1", "bad name"),
    ],
)
def test_vnet_id_rejects(value: str) -> None:
    with pytest.raises(InvalidResourceIdError) as caught:
        VirtualNetworkId.parse(value)
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, CrossIpamError)


@pytest.mark.parametrize("value", [VNET, POOL + "/staticCidrs/x", POOL.replace("ipamPools", "pools"), "/x"])
def test_pool_id_rejects(value: str) -> None:
    with pytest.raises(InvalidResourceIdError, match="IPAM pool id"):
        IpamPoolId.parse(value)


def test_generic_resource_id() -> None:
    rid = ResourceId.parse(POOL + "/staticCidrs/reserved")
    assert rid.resource_type == "Microsoft.Network/networkManagers/ipamPools/staticCidrs"
    assert rid.name == "reserved"
    assert str(rid) == POOL + "/staticCidrs/reserved"
    assert rid == ResourceId.parse((POOL + "/staticCidrs/reserved").lower())
    assert ResourceId.parse(f"/subscriptions/{SUB_A}/resourceGroups/rg").name == "rg"


# ---- models --------------------------------------------------------------------------------------------


def test_cloud_endpoints() -> None:
    public = CloudEndpoints()
    assert public.resource_manager_scope == "https://management.azure.com/.default"
    gov = CloudEndpoints.for_cloud(AzureClouds.AZURE_US_GOVERNMENT)
    assert gov.resource_manager_scope == "https://management.core.usgovcloudapi.net/.default"
    assert CloudEndpoints.for_cloud("AZURE_CHINA_CLOUD").graph == "https://microsoftgraph.chinacloudapi.cn"
    custom = CloudEndpoints(authority_host="https://login.example", resource_manager="https://arm.example/")
    assert custom.resource_manager_scope == "https://arm.example/.default"
    assert not custom.is_known_authority and public.is_known_authority
    with pytest.raises(ConfigurationError, match="https"):
        CloudEndpoints(resource_manager="http://arm.example/")
    with pytest.raises(ConfigurationError):
        CloudEndpoints.for_cloud("MARS")


@pytest.mark.parametrize("count", [0, -1, True, 1.5])
def test_subnet_spec_rejects_bad_counts(count: Any) -> None:
    with pytest.raises(InvalidInputError):
        SubnetSpec("app", count)


@pytest.mark.parametrize("count", [1, 4, 7])
def test_subnet_spec_refuses_a_subnet_smaller_than_azures_smallest(count: int) -> None:
    """Azure's smallest IPv4 subnet is a /29: fewer than 8 addresses is refused before any request."""
    with pytest.raises(InvalidInputError, match="/29"):
        SubnetSpec("app", count)
    assert SubnetSpec("app", 8).number_of_ip_addresses == 8


def test_subnet_spec_rejects_bad_name() -> None:
    with pytest.raises(InvalidInputError):
        SubnetSpec("bad name", 16)


def test_pool_usage_from_wire_is_typed() -> None:
    usage = PoolUsage.from_wire(
        {
            "addressPrefixes": ["10.0.0.0/16"],
            "childPools": [{"resourceId": POOL.replace("p4", "child"), "addressPrefixes": ["10.0.128.0/17"]}],
            "allocatedAddressPrefixes": ["10.0.0.0/26"],
            "reservedAddressPrefixes": [],
            "availableAddressPrefixes": ["10.0.0.64/26"],
            "totalNumberOfIPAddresses": "65536",
            "numberOfAllocatedIPAddresses": "64",
            "numberOfReservedIPAddresses": "0",
            "numberOfAvailableIPAddresses": "32704",
        }
    )
    assert usage.total_number_of_ip_addresses == 65536
    assert usage.number_of_allocated_ip_addresses == 64
    assert usage.allocated_address_prefixes == [net("10.0.0.0/26")]
    assert usage.child_pools[0].resource_id.name == "child"
    assert usage.child_pools[0].address_prefixes == [net("10.0.128.0/17")]


def test_pool_allocation_from_wire_parses_datetimes_with_seven_digits() -> None:
    alloc = PoolAllocation.from_wire(
        {
            "resourceId": VNET,
            "poolId": POOL,
            "addressPrefixes": ["10.0.0.0/26", "10.0.0.64/28"],
            "reservedPrefixes": [],
            "totalNumberOfIPAddresses": "80",
            "numberOfReservedIPAddresses": "0",
            "createdAt": "2025-01-02T03:04:05.1234567Z",
            "reservationExpiresAt": None,
        }
    )
    assert alloc.is_virtual_network and alloc.resource_id.subscription_id == SUB_B
    assert alloc.pool_id == IpamPoolId.parse(POOL)
    assert alloc.total_number_of_ip_addresses == 80
    assert alloc.created_at == dt.datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=dt.timezone.utc)
    assert alloc.reservation_expires_at is None


def test_pool_usage_and_allocation_to_dict() -> None:
    usage = PoolUsage.from_wire(
        {
            "addressPrefixes": ["10.0.0.0/16"],
            "childPools": [{"resourceId": POOL.replace("p4", "child"), "addressPrefixes": ["10.0.128.0/17"]}],
            "allocatedAddressPrefixes": ["10.0.0.0/26"],
            "totalNumberOfIPAddresses": "65536",
            "numberOfAllocatedIPAddresses": "64",
        }
    )
    assert usage.to_dict() == {
        "address_prefixes": ["10.0.0.0/16"],
        "allocated_address_prefixes": ["10.0.0.0/26"],
        "reserved_address_prefixes": [],
        "available_address_prefixes": [],
        "child_pools": [{"resource_id": POOL.replace("p4", "child"), "address_prefixes": ["10.0.128.0/17"]}],
        "total_number_of_ip_addresses": 65536,
        "number_of_allocated_ip_addresses": 64,
        "number_of_reserved_ip_addresses": 0,
        "number_of_available_ip_addresses": 0,
    }
    alloc = PoolAllocation.from_wire(
        {
            "resourceId": VNET,
            "poolId": POOL,
            "addressPrefixes": ["10.0.0.0/26"],
            "createdAt": "2025-01-02T03:04:05Z",
        }
    )
    assert alloc.to_dict() == {
        "resource_id": VNET,
        "pool_id": POOL,
        "description": "",
        "address_prefixes": ["10.0.0.0/26"],
        "reserved_prefixes": [],
        "total_number_of_ip_addresses": 0,
        "number_of_reserved_ip_addresses": 0,
        "created_at": "2025-01-02T03:04:05+00:00",
        "reservation_expires_at": None,
    }
    assert PoolAllocation.from_wire({"resourceId": VNET}).to_dict()["pool_id"] is None
    assert json.loads(json.dumps([usage.to_dict(), alloc.to_dict()])) == [usage.to_dict(), alloc.to_dict()]


# ---- deployment request & plan -------------------------------------------------------------------------


def _request(**overrides: Any) -> Any:
    kwargs: dict[str, Any] = {"location": "eastus", "pool_id": POOL, "number_of_ip_addresses": 100}
    kwargs.update(overrides)
    return deployment_request(VNET, **kwargs)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"number_of_ip_addresses": 0}, "positive"),
        ({"location": " "}, "location"),
        ({"pool_id": VNET}, "IPAM pool id"),
        ({"ipv6_pool_id": POOL6}, "go together"),
        ({"ipv6_number_of_ip_addresses": 10}, "go together"),
        ({"ipv6_pool_id": POOL, "ipv6_number_of_ip_addresses": 10}, "different pools"),
        ({"subnets": [SubnetSpec("a", 8), SubnetSpec("A", 8)]}, "twice"),
        ({"subnets": [SubnetSpec("a", 8, ipv6_number_of_ip_addresses=64)]}, "no ipv6_pool_id"),
        ({"subnets": [SubnetSpec("a", 64), SubnetSpec("b", 64)]}, "more than the VNet"),
        ({"tags": {"a": 1}}, "tags"),
    ],
)
def test_deployment_request_validation(overrides: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        _request(**overrides)


def test_create_body_is_minimal_and_uses_string_counts() -> None:
    request = _request(
        subnets=[SubnetSpec("app", 64)],
        ipv6_pool_id=POOL6,
        ipv6_number_of_ip_addresses=2**64,
        tags={"env": "prod"},
    )
    plan = plan_deployment(request, None)
    assert plan.action == "created" and plan.if_match is None
    assert plan.body == {
        "location": "eastus",
        "tags": {"env": "prod"},
        "properties": {
            "addressSpace": {
                "ipamPoolPrefixAllocations": [
                    {"numberOfIpAddresses": "100", "pool": {"id": POOL}},
                    {"numberOfIpAddresses": str(2**64), "pool": {"id": POOL6}},
                ]
            },
            "subnets": [
                {
                    "name": "app",
                    "properties": {
                        "ipamPoolPrefixAllocations": [{"numberOfIpAddresses": "64", "pool": {"id": POOL}}]
                    },
                }
            ],
        },
    }


def _existing(count: int = 100, *, subnets: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    blocks = {100: ["10.0.0.0/26", "10.0.0.64/27", "10.0.0.96/30"], 64: ["10.0.0.0/26"]}[count]
    return {
        "id": VNET,
        "name": "vnet1",
        "type": "Microsoft.Network/virtualNetworks",
        "location": "eastus",
        "etag": 'W/"1"',
        "tags": {"owner": "team"},
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": "g",
            "addressSpace": {
                "addressPrefixes": blocks,
                "ipamPoolPrefixAllocations": [
                    {
                        "numberOfIpAddresses": str(count),
                        "pool": {"id": POOL},
                        "allocatedAddressPrefixes": blocks,
                    }
                ],
            },
            "dhcpOptions": {"dnsServers": ["10.1.1.4"]},
            "virtualNetworkPeerings": [
                {"name": "to-hub", "properties": {"remoteVirtualNetwork": {"id": "x"}}}
            ],
            "subnets": subnets
            if subnets is not None
            else [
                {
                    "name": "legacy",
                    "id": VNET + "/subnets/legacy",
                    "etag": 'W/"1"',
                    "type": "Microsoft.Network/virtualNetworks/subnets",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "addressPrefixes": ["10.0.0.0/28"],
                        "ipamPoolPrefixAllocations": [
                            {
                                "numberOfIpAddresses": "16",
                                "pool": {"id": POOL},
                                "allocatedAddressPrefixes": ["10.0.0.0/28"],
                            }
                        ],
                        "networkSecurityGroup": {"id": "nsg"},
                    },
                }
            ],
        },
    }


def test_same_request_plans_no_write() -> None:
    plan = plan_deployment(_request(subnets=[SubnetSpec("legacy", 16)], tags={"owner": "team"}), _existing())
    assert plan.action == "unchanged" and plan.body is None


def test_grow_keeps_everything_it_does_not_name() -> None:
    plan = plan_deployment(_request(number_of_ip_addresses=200, subnets=[SubnetSpec("app", 32)]), _existing())
    assert plan.action == "updated" and plan.if_match == 'W/"1"'
    body = plan.body
    assert body is not None
    props = body["properties"]
    assert props["addressSpace"] == {
        "ipamPoolPrefixAllocations": [{"numberOfIpAddresses": "200", "pool": {"id": POOL}}]
    }
    assert props["dhcpOptions"] == {"dnsServers": ["10.1.1.4"]}
    assert props["virtualNetworkPeerings"][0]["name"] == "to-hub"
    assert body["tags"] == {"owner": "team"}
    legacy, app = props["subnets"]
    assert legacy["name"] == "legacy" and legacy["properties"]["networkSecurityGroup"] == {"id": "nsg"}
    assert "addressPrefixes" not in legacy["properties"] and "provisioningState" not in legacy["properties"]
    assert legacy["properties"]["ipamPoolPrefixAllocations"] == [
        {"numberOfIpAddresses": "16", "pool": {"id": POOL}}
    ]
    assert app == {
        "name": "app",
        "properties": {"ipamPoolPrefixAllocations": [{"numberOfIpAddresses": "32", "pool": {"id": POOL}}]},
    }
    for key in ("etag", "id", "name", "type"):
        assert key not in body
    assert "provisioningState" not in props and "resourceGuid" not in props


def test_decrease_is_refused() -> None:
    with pytest.raises(AllocationDecreaseError) as caught:
        plan_deployment(_request(number_of_ip_addresses=64), _existing())
    assert (caught.value.current, caught.value.requested) == (100, 64)
    with pytest.raises(AllocationDecreaseError, match="subnet legacy"):
        plan_deployment(_request(subnets=[SubnetSpec("legacy", 8)]), _existing())


def test_other_pool_static_space_and_location_are_refused() -> None:
    existing = _existing()
    with pytest.raises(AddressSpaceConflictError, match="already takes IPv4"):
        plan_deployment(_request(pool_id=OTHER_POOL), existing)
    static = _existing()
    static["properties"]["addressSpace"] = {"addressPrefixes": ["192.168.0.0/24"]}
    with pytest.raises(AddressSpaceConflictError, match="static address prefixes"):
        plan_deployment(_request(), static)
    with pytest.raises(DeploymentRefusedError, match="location"):
        plan_deployment(_request(location="westeurope"), existing)


def test_tags_are_merged() -> None:
    plan = plan_deployment(_request(tags={"env": "prod"}), _existing())
    assert plan.body is not None and plan.body["tags"] == {"owner": "team", "env": "prod"}


def test_deployment_from_wire() -> None:
    d = deployment_from_wire(_existing(), "read")
    assert d.vnet_id == VirtualNetworkId.parse(VNET)
    assert d.address_prefixes == [net("10.0.0.0/26"), net("10.0.0.64/27"), net("10.0.0.96/30")]
    assert d.allocations[0].number_of_ip_addresses == 100 and d.allocations[0].ip_version == 4
    assert d.subnet("LEGACY").address_prefixes == [net("10.0.0.0/28")]
    assert d.has_allocation and not d.changed


def test_deployment_to_dict_is_json_with_prefixes_as_text() -> None:
    d = deployment_from_wire(_existing(), "updated")
    shown = d.to_dict()
    assert json.loads(json.dumps(shown)) == shown  # JSON types only: no default=str needed
    assert shown == {
        "vnet_id": VNET,
        "name": "vnet1",
        "location": "eastus",
        "action": "updated",
        "address_prefixes": ["10.0.0.0/26", "10.0.0.64/27", "10.0.0.96/30"],
        "allocations": [
            {
                "pool_id": POOL,
                "number_of_ip_addresses": 100,
                "allocated_prefixes": ["10.0.0.0/26", "10.0.0.64/27", "10.0.0.96/30"],
            }
        ],
        "subnets": [s.to_dict() for s in d.subnets],
        "tags": {"owner": "team"},
        "provisioning_state": "Succeeded",
    }
    assert shown["subnets"][0] == {
        "name": "legacy",
        "address_prefixes": ["10.0.0.0/28"],
        "allocations": [
            {"pool_id": POOL, "number_of_ip_addresses": 16, "allocated_prefixes": ["10.0.0.0/28"]}
        ],
    }


def test_bulk_item_to_dict_shapes_the_error_as_asked() -> None:
    d = deployment_from_wire(_existing(), "unchanged")
    assert BulkItemResult(VNET, deployment=d, attempts=1).to_dict() == {
        "vnet_id": VNET,
        "ok": True,
        "attempts": 1,
        "action": "unchanged",
        "deployment": d.to_dict(),
        "error": None,
    }
    failed = BulkItemResult(VNET, error=InvalidInputError("bad", hint="fix it"), attempts=2)
    assert failed.to_dict()["error"] == {"type": "InvalidInputError", "message": "bad", "hint": "fix it"}
    assert failed.to_dict(lambda err: err.message)["error"] == "bad"
    assert failed.to_dict()["action"] is None and failed.to_dict()["deployment"] is None


def test_onboarding_results_to_dict() -> None:
    steps = (
        OnboardingStep("create_service_principal", "already_done", "exists", TENANT_A),
        OnboardingStep("assign_pool_role", "done", "IPAM Pool User", TENANT_A),
    )
    common = {
        "app_id": "app",
        "pool_id": POOL,
        "management_tenant_id": TENANT_A,
        "dry_run": False,
        "changed": True,
        "service_principal_object_id": "sp",
        "steps": [
            {
                "name": "create_service_principal",
                "status": "already_done",
                "detail": "exists",
                "tenant_id": TENANT_A,
            },
            {"name": "assign_pool_role", "status": "done", "detail": "IPAM Pool User", "tenant_id": TENANT_A},
        ],
    }
    onboarded = OnboardingResult("app", POOL, TENANT_B, TENANT_A, False, steps, "sp", "ra")
    shown = onboarded.to_dict()
    assert shown == {**common, "managed_tenant_id": TENANT_B, "role_assignment_id": "ra"}
    assert list(shown) == [*common, "managed_tenant_id", "role_assignment_id"]
    offboarded = OffboardingResult("app", POOL, TENANT_A, False, steps, "sp", ("ra",))
    assert offboarded.to_dict() == {**common, "removed_role_assignment_ids": ["ra"]}
    assert json.loads(json.dumps(shown)) == shown


def test_put_body_keeps_static_subnets() -> None:
    existing = _existing(subnets=[{"name": "s", "properties": {"addressPrefix": "10.0.0.0/28"}}])
    body = put_body_from_existing(existing)
    assert body["properties"]["subnets"] == [{"name": "s", "properties": {"addressPrefix": "10.0.0.0/28"}}]


# ---- removal plan --------------------------------------------------------------------------------------


def test_removal_keeps_the_prefixes() -> None:
    plan = plan_removal(_existing())
    assert plan.action == "removed" and plan.if_match == 'W/"1"'
    assert plan.body is not None
    props = plan.body["properties"]
    assert props["addressSpace"] == {"addressPrefixes": ["10.0.0.0/26", "10.0.0.64/27", "10.0.0.96/30"]}
    legacy = props["subnets"][0]["properties"]
    assert legacy["addressPrefix"] == "10.0.0.0/28" and "ipamPoolPrefixAllocations" not in legacy
    assert legacy["networkSecurityGroup"] == {"id": "nsg"}
    assert props["dhcpOptions"] == {"dnsServers": ["10.1.1.4"]} and plan.body["tags"] == {"owner": "team"}
    assert [a.number_of_ip_addresses for a in plan.freed] == [100, 16]


def test_removal_with_new_prefixes() -> None:
    plan = plan_removal(_existing(), [net("10.0.0.0/24")])
    assert plan.body is not None
    assert plan.body["properties"]["addressSpace"] == {"addressPrefixes": ["10.0.0.0/24"]}
    with pytest.raises(AddressSpaceConflictError, match="legacy"):
        plan_removal(_existing(), [net("192.168.0.0/24")])


def test_removal_without_allocation_is_a_no_op() -> None:
    static = _existing(subnets=[])
    static["properties"]["addressSpace"] = {"addressPrefixes": ["10.0.0.0/24"]}
    plan = plan_removal(static)
    assert plan.action == "no_allocation" and plan.body is None


@pytest.mark.parametrize("value", [[], ["10.0.0.1/24"], "10.0.0.0/24", ["10.0.0.0/24", "10.0.0.128/25"]])
def test_replacement_prefixes_are_validated(value: Any) -> None:
    with pytest.raises(InvalidInputError):
        validate_replacement_prefixes(value)


# ---- credentials and the aux policy --------------------------------------------------------------------


class _Recorder:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error = error

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.calls.append({"scopes": scopes, **kwargs})
        if self.error is not None:
            raise self.error
        return AccessToken(f"token-for-{kwargs.get('tenant_id')}", 2_000_000_000)


def test_tenant_bound_credential_forwards_tenant() -> None:
    inner = _Recorder()
    bound = TenantBoundCredential(inner, TENANT_A)
    assert bound.get_token(SCOPE).token == f"token-for-{TENANT_A}"
    info = bound.get_token_info(SCOPE)
    assert info.token == f"token-for-{TENANT_A}" and info.expires_on == 2_000_000_000
    assert [c["tenant_id"] for c in inner.calls] == [TENANT_A, TENANT_A]
    assert "token" not in repr(bound)


def test_tenant_bound_credential_maps_aadsts700016() -> None:
    err = ClientAuthenticationError(
        "Authentication failed: AADSTS700016: Application with identifier 'app' was not found in the directory"
    )
    bound = TenantBoundCredential(_Recorder(err), TENANT_A, client_id="app")
    with pytest.raises(AppNotOnboardedError) as caught:
        bound.get_token(SCOPE)
    assert caught.value.tenant_id == TENANT_A and "onboard" in str(caught.value)
    assert caught.value.code == "AADSTS700016" and caught.value.client_id == "app"


def test_credential_error_for_disallowed_tenant() -> None:
    err = ClientAuthenticationError("... add the tenant to additionally_allowed_tenants ...")
    assert isinstance(credential_error(err, tenant_id=TENANT_A, client_id=None), TenantNotAllowedError)


def test_static_validation_of_additionally_allowed_tenants() -> None:
    from azure.identity import ClientSecretCredential

    narrow = ClientSecretCredential(TENANT_B, "app", "secret")
    with pytest.raises(TenantNotAllowedError, match="additionally_allowed_tenants"):
        validate_multitenant_credential(narrow, managed_tenant_id=TENANT_B, management_tenant_id=TENANT_A)
    wide = ClientSecretCredential(TENANT_B, "app", "secret", additionally_allowed_tenants=["*"])
    validate_multitenant_credential(wide, managed_tenant_id=TENANT_B, management_tenant_id=TENANT_A)


def test_aux_policy_binds_and_limits_tenants() -> None:
    inner = _Recorder()
    policy = CrossTenantAuxiliaryPolicy(inner, [TENANT_A, TENANT_A.upper()], SCOPE)
    assert policy.tenant_ids == (TENANT_A,)
    four = [f"{i}aaaaaaa-0000-4000-8000-000000000001" for i in range(MAX_AUXILIARY_TENANTS + 1)]
    with pytest.raises(ConfigurationError, match="at most 3"):
        CrossTenantAuxiliaryPolicy(inner, four, SCOPE)
    with pytest.raises(ConfigurationError):
        CrossTenantAuxiliaryPolicy(inner, [], SCOPE)
    with pytest.raises(ConfigurationError):
        CrossTenantAuxiliaryPolicy(inner, ["not-a-guid"], SCOPE)
