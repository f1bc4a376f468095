"""Input validation (issue 7): malformed ids, wrong types, bad counts, too many auxiliary tenants, non-https
endpoints are refused before any request (the journal stays empty); a pool outside the management tenant gets a
clear typed error on its first read. Property-based tests and a bounded fuzz run on the id parsers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossipam import (
    AuthenticationError,
    CloudEndpoints,
    ConfigurationError,
    InvalidInputError,
    InvalidResourceIdError,
    IpamPoolId,
    ResourceId,
    SubnetSpec,
    VirtualNetworkId,
)
from crossipam.policies import CrossTenantAuxiliaryPolicy
from crossipam.testing import AzureEmulator

if TYPE_CHECKING:
    from .fixtures.clients import CloudOf, InfoOf, MakeAsyncClient, MakeClient
    from .fixtures.onboarding import Onboard


SUB = "bbbbbbbb-1111-4000-8000-000000000002"
VNET = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1"
POOL = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/networkManagers/nm/ipamPools/p1"

BAD_IDS = [
    "",
    "   ",
    "subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
    "/subscriptions/",
    "/subscriptions/s/resourceGroups/rg",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/a",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v",
    "/subscriptions/s/providers/Microsoft.Network/virtualNetworks/v",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v w",
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/-bad",
    "https://management.azure.com/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
    POOL,
]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_vnet_id_parser_rejects(bad: str) -> None:
    with pytest.raises(InvalidResourceIdError):
        VirtualNetworkId.parse(bad)


@pytest.mark.parametrize("bad", [*BAD_IDS[:-1], VNET, POOL + "/staticCidrs/c"])
def test_pool_id_parser_rejects(bad: str) -> None:
    with pytest.raises(InvalidResourceIdError):
        IpamPoolId.parse(bad)


@pytest.mark.parametrize("bad", [None, 42, b"/subscriptions/x", ["/subscriptions/x"]])
def test_parsers_reject_non_strings(bad: Any) -> None:
    for parser in (VirtualNetworkId.parse, IpamPoolId.parse, ResourceId.parse):
        with pytest.raises(InvalidResourceIdError):
            parser(bad)


# ---- every public entry point refuses bad input before any request ---------------------------------------------


def _calls(info: Any) -> list[tuple[str, dict[str, Any], type[Exception]]]:
    ok = {"location": info.location, "pool_id": info.pool_id, "number_of_ip_addresses": 16}
    vnet = info.vnet_id("v1")
    return [
        ("deploy", {"vnet_id": "not-an-id", **ok}, InvalidResourceIdError),
        ("deploy", {"vnet_id": info.pool_id, **ok}, InvalidResourceIdError),
        ("deploy", {"vnet_id": vnet, **ok, "pool_id": vnet}, InvalidResourceIdError),
        ("deploy", {"vnet_id": vnet, **ok, "number_of_ip_addresses": 0}, InvalidInputError),
        ("deploy", {"vnet_id": vnet, **ok, "number_of_ip_addresses": -5}, InvalidInputError),
        ("deploy", {"vnet_id": vnet, **ok, "number_of_ip_addresses": True}, InvalidInputError),
        ("deploy", {"vnet_id": vnet, **ok, "number_of_ip_addresses": 2**32 + 1}, InvalidInputError),
        (
            "deploy",
            {
                "vnet_id": vnet,
                **ok,
                "ipv6_pool_id": info.ipv6_pool_id,
                "ipv6_number_of_ip_addresses": 2**128 + 1,
            },
            InvalidInputError,
        ),
        ("deploy", {"vnet_id": vnet, **ok, "ipv6_pool_id": info.ipv6_pool_id}, InvalidInputError),
        ("deploy", {"vnet_id": vnet, **ok, "location": " "}, InvalidInputError),
        ("deploy", {"vnet_id": vnet, **ok, "subnets": [SubnetSpec("a", 32)]}, InvalidInputError),
        ("deploy", {"vnet_id": vnet, **ok, "tags": {"a": 1}}, InvalidInputError),
        ("remove", {"vnet_id": "/subscriptions/x"}, InvalidResourceIdError),
        ("remove", {"vnet_id": vnet, "address_prefixes": "10.0.0.0/24"}, InvalidInputError),
        ("remove", {"vnet_id": vnet, "address_prefixes": ["10.0.0.1/24"]}, InvalidInputError),
        ("remove", {"vnet_id": vnet, "address_prefixes": []}, InvalidInputError),
        ("usage", {"pool_id": vnet}, InvalidResourceIdError),
        ("allocations", {"pool_id": "junk"}, InvalidResourceIdError),
        ("read", {"vnet_id": info.pool_id}, InvalidResourceIdError),
    ]


def test_client_entry_points_refuse_before_any_request(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    with make_client(emu) as client:
        emu.journal.clear()
        for op, kwargs, error in _calls(info):
            kw = dict(kwargs)
            with pytest.raises(error):
                if op == "deploy":
                    client.begin_deploy_virtual_network(kw.pop("vnet_id"), **kw)
                elif op == "remove":
                    client.begin_remove_allocation(kw.pop("vnet_id"), **kw)
                elif op == "usage":
                    client.get_pool_usage(kw["pool_id"])
                elif op == "allocations":
                    client.list_pool_allocations(kw["pool_id"])
                else:
                    client.get_virtual_network_allocation(kw["vnet_id"])
    assert list(emu.journal) == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"managed_tenant_id": "not-a-guid"},
        {"management_tenant_id": ""},
        {"cloud": CloudEndpoints.__name__},  # unknown cloud name
    ],
)
def test_client_construction_refuses_bad_configuration(
    azure_emulator: AzureEmulator, overrides: dict[str, Any], make_client: MakeClient
) -> None:
    with pytest.raises(ConfigurationError):
        make_client(azure_emulator, **overrides)
    assert list(azure_emulator.journal) == []


@pytest.mark.parametrize("field", ["authority_host", "resource_manager", "graph"])
def test_non_https_endpoints_are_refused(field: str) -> None:
    base = {
        "authority_host": "https://login.example",
        "resource_manager": "https://arm.example/",
        "graph": "https://graph.example",
    }
    base[field] = "http://insecure.example/"
    with pytest.raises(ConfigurationError, match="https"):
        CloudEndpoints(**base)


def test_more_than_three_auxiliary_tenants_are_refused(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient
) -> None:
    info = info_of(azure_emulator)
    with make_client(azure_emulator) as client:
        tenants = [f"aaaaaaaa-0000-4000-8000-00000000000{i}" for i in range(1, 5)]
        with pytest.raises(ConfigurationError, match="at most 3"):
            CrossTenantAuxiliaryPolicy(client._credential, tenants, info.arm_scope)
        with pytest.raises(ConfigurationError):
            CrossTenantAuxiliaryPolicy(
                client._credential, "aaaaaaaa-0000-4000-8000-000000000001", info.arm_scope
            )
    assert list(azure_emulator.journal) == []


def test_onboarding_refuses_bad_input_before_any_request(
    azure_emulator_fresh: AzureEmulator, info_of: InfoOf, onboard: Onboard
) -> None:
    emu = azure_emulator_fresh
    info = info_of(emu)
    for overrides in (
        {"managed_tenant_id": "nope"},
        {"max_replication_wait": -1},
        {"role_name": ""},
        {"managed_subscription_id": "x"},
    ):
        with pytest.raises(InvalidInputError):
            onboard(emu, **overrides)
    from crossipam.onboarding import onboard_service_principal

    with pytest.raises(InvalidResourceIdError):
        onboard_service_principal(
            info.app.client_id,
            info.vnet_id("v1"),
            managed_tenant_id=info.managed_tenant_id,
            management_tenant_id=info.management_tenant_id,
            managed_tenant_credential=object(),  # type: ignore[arg-type]
            management_tenant_credential=object(),  # type: ignore[arg-type]
        )
    assert [e for e in emu.journal if e.service != "login"] == []


async def test_pool_outside_the_management_tenant_is_a_clear_typed_error(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    cloud_of: CloudOf,
    make_client: MakeClient,
    make_async_client: MakeAsyncClient,
) -> None:
    """Before any request the client cannot know a subscription's tenant; the first pool read with a
    management-tenant token answers 401 InvalidAuthenticationTokenTenant, which crossipam names plainly."""
    emu = azure_emulator
    info = info_of(emu)
    other = emu.add_tenant("cccccccc-0000-4000-8000-000000000001", "Other")
    sub = emu.add_subscription(other.tenant_id, "cccccccc-1111-4000-8000-000000000002")
    rg = emu.add_resource_group(sub.subscription_id, "rg-other")
    nm = emu.add_network_manager(rg.id, "nm-other")
    pool = emu.add_ipam_pool(nm, "pool-other", ["10.50.0.0/16"])
    with make_client(emu) as client:
        for read in (client.get_pool_usage, client.list_pool_allocations):
            with pytest.raises(AuthenticationError) as caught:
                read(pool)
            err = caught.value
            assert err.code == "InvalidAuthenticationTokenTenant" and err.status == 401
            assert "not in the management tenant" in str(err) and info.management_tenant_id in str(err)
            assert "management_tenant_id" in (err.hint or "")
    async with make_async_client(emu) as aio_client:  # the asyncio twin says the same
        for aread in (aio_client.get_pool_usage, aio_client.list_pool_allocations):
            with pytest.raises(AuthenticationError) as caught:
                await aread(pool)
            assert "not in the management tenant" in str(caught.value)
            assert "management_tenant_id" in (caught.value.hint or "")
    assert emu.journal.writes() == []
    assert cloud_of(info)  # the scenario's endpoints are https


# ---- property-based tests and a bounded fuzz run ------------------------------------------------------------

# names that follow Azure's rules (docs/deployment.md, "Names and ids"): the resource group's ASCII subset, a VNet
# name (2 to 64), a network manager or pool name (1 to 64)
_rg = st.from_regex(r"\A[A-Za-z0-9_()\-.]{0,20}[A-Za-z0-9_()\-]\Z", fullmatch=True)
_name = st.from_regex(r"\A[A-Za-z0-9](?:[A-Za-z0-9_.\-]{0,20}[A-Za-z0-9_])?\Z", fullmatch=True)
_vnet_name = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_.\-]{0,20}[A-Za-z0-9_]\Z", fullmatch=True)
_sub = st.uuids().map(str)


def _case(text: str, flips: list[bool]) -> str:
    return "".join(
        c.upper() if f else c.lower() for c, f in zip(text, flips + [False] * len(text), strict=False)
    )


@settings(max_examples=200, deadline=None)
@given(sub=_sub, rg=_rg, name=_vnet_name)
def test_vnet_id_round_trips(sub: str, rg: str, name: str) -> None:
    text = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}"
    parsed = VirtualNetworkId.parse(text)
    assert str(parsed) == text
    assert VirtualNetworkId.parse(str(parsed)) == parsed
    assert (parsed.subscription_id, parsed.resource_group, parsed.name) == (sub, rg, name)
    assert ResourceId.parse(text) == parsed


@settings(max_examples=200, deadline=None)
@given(sub=_sub, rg=_rg, nm=_name, name=_name, flips=st.lists(st.booleans(), max_size=200))
def test_pool_id_round_trips_case_insensitively(
    sub: str, rg: str, nm: str, name: str, flips: list[bool]
) -> None:
    text = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkManagers/{nm}/ipamPools/{name}"
    parsed = IpamPoolId.parse(text)
    assert str(parsed) == text and IpamPoolId.parse(str(parsed)) == parsed
    shuffled = IpamPoolId.parse(_case(text, flips) + "/")
    assert shuffled == parsed and hash(shuffled) == hash(parsed)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.text(max_size=200),
        st.text(
            alphabet="/subscriptionsresourceGroupsprovidersMicrosoft.NetworkvirtualNetworksipamPools -_.",
            max_size=160,
        ),
        st.lists(
            st.sampled_from(
                [
                    "subscriptions",
                    "resourceGroups",
                    "providers",
                    "Microsoft.Network",
                    "virtualNetworks",
                    "networkManagers",
                    "ipamPools",
                    "x",
                    "",
                    " ",
                    "..",
                    "%2F",
                    "ü",
                ]
            ),
            max_size=12,
        ).map(lambda parts: "/" + "/".join(parts)),
    )
)
def test_fuzz_parsers_only_raise_invalid_resource_id(text: str) -> None:
    """Bounded fuzz run (3000 examples, a few seconds): junk either parses into an id that round-trips, or
    is refused with InvalidResourceIdError — never any other exception."""
    for parser in (VirtualNetworkId.parse, IpamPoolId.parse, ResourceId.parse):
        try:
            parsed = parser(text)
        except InvalidResourceIdError:
            continue
        assert parser(str(parsed)) == parsed
