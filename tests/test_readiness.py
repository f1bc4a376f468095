"""Readiness checks against the offline Azure: each prerequisite missing in turn is named with its remedy."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from crossipam import CrossTenantIpamClient, IpamPoolId, PoolUsage
from crossipam._readiness_model import _Seen, _Unreadable
from crossipam._readiness_verdicts import _verdicts
from crossipam.credentials import CREDENTIAL_PIPELINE_KWARGS
from crossipam.options import ReadinessArguments
from crossipam.readiness import (
    CHECK_NAMES,
    actions_allow,
    check_readiness,
    fits_free_space,
    normalize_region,
    power_of_two_split,
)
from crossipam.testing import AzureEmulator

if TYPE_CHECKING:
    from .fixtures.clients import InfoOf, MakeClient
    from .fixtures.readiness import Case, CheckReadiness, Readiness


@pytest.fixture
def client(azure_emulator: AzureEmulator, make_client: MakeClient) -> Iterator[CrossTenantIpamClient]:
    """A sync client of the in-process onboarded offline Azure (this module's own: one front, one credential)."""
    with make_client(azure_emulator) as c:
        yield c


# ---- the same verdicts, in the same words, from both clients (``driver``) -------------------------------------


async def test_verdicts(readiness_case: Case, check_readiness: CheckReadiness, readiness: Readiness) -> None:
    case = readiness_case
    emu = case.emulator()
    report = await check_readiness(emu, **case.kwargs)
    assert readiness.statuses(report) == case.verdicts
    assert report.ok == ("fail" not in case.verdicts.values())
    for check in report.checks:
        assert check.observed
        if check.status != "skip":  # a skip says how to let the check decide, where there is a way
            assert bool(check.remedy) == (check.status == "fail"), check
    assert not emu.journal.writes()


async def test_everything_passes_when_onboarded(
    azure_emulator: AzureEmulator, check_readiness: CheckReadiness, readiness: Readiness
) -> None:
    report = await check_readiness(azure_emulator)
    assert report.ok
    # the automation app may not read the connection objects: skipped, with how to let the check see them
    assert readiness.statuses(report) == readiness.verdicts(cross_tenant_connection="skip")
    assert "scopeConnections/read" in report.check("cross_tenant_connection").remedy
    # nor its own app registration (no Graph permission): inferred from the tenant-A token
    multitenant = report.check("app_multitenant").observed
    assert "Authorization_RequestDenied" in multitenant and "inferred from the tenant-A token" in multitenant
    assert not azure_emulator.journal.writes()


async def test_app_not_onboarded(
    azure_emulator_fresh: AzureEmulator, check_readiness: CheckReadiness, readiness: Readiness
) -> None:
    report = await check_readiness(azure_emulator_fresh)
    assert readiness.statuses(report) == readiness.not_onboarded
    assert [c.name for c in report.failed] == [
        "token_management_tenant",
        "service_principal_in_management_tenant",
    ]
    for check in report.failed:
        assert "crossipam onboard" in check.remedy
    assert "AADSTS700016" in report.check("token_management_tenant").observed
    # single-tenant or no service principal in A? The token error cannot tell, and the app may not read itself
    multitenant = report.check("app_multitenant")
    assert "cannot tell" in multitenant.observed and "Authorization_RequestDenied" in multitenant.observed
    assert "Application.Read.All" in multitenant.remedy and "crossipam onboard" in multitenant.remedy


async def test_only_the_service_principal_is_missing(
    azure_emulator: AzureEmulator, info_of: InfoOf, check_readiness: CheckReadiness, readiness: Readiness
) -> None:
    """The app is multitenant (onboarded) but its service principal in tenant A was deleted."""
    info = info_of(azure_emulator)
    readiness.delete_sp_in_a(azure_emulator)
    report = await check_readiness(azure_emulator)
    assert readiness.statuses(report) == readiness.not_onboarded
    sp = report.check("service_principal_in_management_tenant")
    assert sp.tenant_id == info.management_tenant_id
    assert "AADSTS700016" in sp.observed and "no service principal" in sp.observed
    assert f"crossipam onboard --app-id {info.app.client_id}" in sp.remedy
    # not reported as single-tenant: it is not, and the check cannot see that it is not
    assert report.check("app_multitenant").status == "skip"


async def test_only_the_managed_tenant_token_fails(
    azure_emulator: AzureEmulator, info_of: InfoOf, check_readiness: CheckReadiness, readiness: Readiness
) -> None:
    """Tenant B (the app's home) refuses the app a token (its service principal there is gone); tenant A does
    not: the token check names tenant B, the tenant-B checks are skipped, the tenant-A checks still decide."""
    info = info_of(azure_emulator)
    readiness.delete_sp_in_b(azure_emulator)
    report = await check_readiness(azure_emulator)
    assert readiness.statuses(report) == readiness.cases["no token for B"].verdicts
    token = report.check("token_managed_tenant")
    assert token.tenant_id == info.managed_tenant_id
    assert f"could not get a token for tenant {info.managed_tenant_id}" in token.observed
    assert "AADSTS7000112" in token.observed and token.remedy
    assert report.check("network_contributor_on_vnet").remedy == "fix token_managed_tenant first"
    assert "no tenant-B token" in report.check("cross_tenant_connection").observed


# ---- the sync client ---------------------------------------------------------------------------------------------


def test_connection_passes_when_readable(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator, readiness: Readiness
) -> None:
    readiness.grant_connection_readers(azure_emulator)
    report = readiness.check(client, azure_emulator)
    conn = report.check("cross_tenant_connection")
    assert conn.observed.count("Connected") == 2
    assert readiness.statuses(report) == readiness.verdicts()


def test_single_tenant_app_read_in_graph(
    azure_emulator_fresh: AzureEmulator, readiness: Readiness, make_client: MakeClient
) -> None:
    readiness.grant_graph_read(azure_emulator_fresh)
    with make_client(azure_emulator_fresh) as c:
        report = readiness.check(c, azure_emulator_fresh)
    assert readiness.statuses(report) == readiness.cases["fresh, Graph readable"].verdicts
    multitenant = report.check("app_multitenant")
    assert multitenant.observed == "Graph: signInAudience is AzureADMyOrg (single tenant)"
    assert "crossipam onboard" in multitenant.remedy
    # a single-tenant app gets no token in A whether or not its service principal is there: not decided
    sp = report.check("service_principal_in_management_tenant")
    assert "single-tenant" in sp.observed and "app_multitenant" in sp.remedy


def test_only_the_service_principal_is_missing_graph_readable(
    azure_emulator: AzureEmulator, readiness: Readiness, make_client: MakeClient
) -> None:
    readiness.graph_readable_without_sp_in_a(azure_emulator)
    with make_client(azure_emulator) as c:
        report = readiness.check(c, azure_emulator)
    assert readiness.statuses(report) == readiness.cases["no service principal in A, Graph readable"].verdicts
    assert report.check("app_multitenant").observed == "Graph: signInAudience is AzureADMultipleOrgs"
    sp = report.check("service_principal_in_management_tenant")
    assert "the app is multitenant" in sp.observed and "crossipam onboard" in sp.remedy


def test_pool_role_missing(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator, readiness: Readiness, info_of: InfoOf
) -> None:
    info = info_of(azure_emulator)
    assert readiness.delete_assignments(
        azure_emulator, readiness.app_sp(azure_emulator, info.management_tenant_id), info.pool_id
    )
    report = readiness.check(client, azure_emulator, number_of_ip_addresses=None)
    assert readiness.statuses(report) == readiness.verdicts(
        ipam_pool_user_on_pool="fail", cross_tenant_connection="skip", pool_capacity="skip"
    )
    check = report.check("ipam_pool_user_on_pool")
    assert "associateResourcesToPool/action" in check.observed
    assert "IPAM Pool User" in check.remedy and "7b3e853f-ad5d-4fb5-a7b8-56a3581c7037" in check.remedy


def test_capacity_is_skipped_when_the_pool_usage_cannot_be_read(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator, readiness: Readiness
) -> None:
    """Not being able to read the pool says nothing about its size: skip (with what was seen and how to let
    the check read it), not fail."""
    readiness.delete_pool_role(azure_emulator)
    report = readiness.check(client, azure_emulator)
    assert readiness.statuses(report) == readiness.cases["pool role missing"].verdicts
    check = report.check("pool_capacity")
    assert "could not read the pool's usage" in check.observed and "AuthorizationFailed" in check.observed
    assert "getPoolUsage/action" in check.remedy and "IPAM Pool User" in check.remedy


def test_pool_role_inherited_from_network_manager(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator, readiness: Readiness, info_of: InfoOf
) -> None:
    info = info_of(azure_emulator)
    sp = readiness.app_sp(azure_emulator, info.management_tenant_id)
    readiness.delete_assignments(azure_emulator, sp, info.pool_id)
    azure_emulator.assign_role(sp, "IPAM Pool User", info.network_manager_id)
    assert readiness.check(client, azure_emulator).check("ipam_pool_user_on_pool").status == "pass"


def test_network_contributor_missing(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator, readiness: Readiness, info_of: InfoOf
) -> None:
    info = info_of(azure_emulator)
    rg = f"/subscriptions/{info.managed_subscription_id}/resourceGroups/{info.resource_group}"
    assert readiness.delete_assignments(
        azure_emulator, readiness.app_sp(azure_emulator, info.managed_tenant_id), rg
    )
    report = readiness.check(client, azure_emulator)
    assert readiness.statuses(report) == readiness.verdicts(
        network_contributor_on_vnet="fail", cross_tenant_connection="skip"
    )
    check = report.check("network_contributor_on_vnet")
    assert "virtualNetworks/write" in check.observed
    assert "Network Contributor" in check.remedy and rg in check.remedy


@pytest.mark.parametrize("side", ["scope", "nmc"])
def test_connection_not_connected(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator, side: str, readiness: Readiness
) -> None:
    readiness.grant_connection_readers(azure_emulator)
    conns = azure_emulator.network.connections
    for key in [k for k, c in conns.items() if c.kind == side]:
        del conns[key]
    report = readiness.check(client, azure_emulator)
    assert readiness.statuses(report) == readiness.verdicts(cross_tenant_connection="fail")
    check = report.check("cross_tenant_connection")
    assert "Pending" in check.observed and "missing" in check.observed
    assert "scope connection" in check.remedy and "network manager connection" in check.remedy


def test_pool_too_small(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator, readiness: Readiness
) -> None:
    report = readiness.check(client, azure_emulator, number_of_ip_addresses=70_000)
    assert readiness.statuses(report) == readiness.cases["pool too small"].verdicts
    check = report.check("pool_capacity")
    assert "65,536 addresses free" in check.observed and "do not fit" in check.observed
    assert "fewer addresses" in check.remedy


def test_capacity_counts_an_existing_allocation(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator, readiness: Readiness, info_of: InfoOf
) -> None:
    info = info_of(azure_emulator)
    vnet = info.vnet_id("vnet-ready")
    client.begin_deploy_virtual_network(
        vnet, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=256
    ).result()
    assert "already holds 256" in readiness.check(client, azure_emulator).check("pool_capacity").observed
    grow = readiness.check(client, azure_emulator, number_of_ip_addresses=512).check("pool_capacity")
    assert grow.status == "pass" and "256 more addresses" in grow.observed
    shrink = readiness.check(client, azure_emulator, number_of_ip_addresses=128).check("pool_capacity")
    assert shrink.status == "fail" and "cannot shrink" in shrink.observed


def test_unsupported_region(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator, readiness: Readiness, info_of: InfoOf
) -> None:
    info = info_of(azure_emulator)
    pool = azure_emulator.add_ipam_pool(
        info.network_manager_id, "pool-westindia", ["10.9.0.0/16"], location="westindia"
    )
    azure_emulator.assign_role(
        readiness.app_sp(azure_emulator, info.management_tenant_id), "IPAM Pool User", pool
    )
    report = readiness.check(client, azure_emulator, pool_id=pool, location="westindia")
    assert readiness.statuses(report) == readiness.verdicts(
        cross_tenant_connection="skip", region_supports_ipam="fail"
    )
    check = report.check("region_supports_ipam")
    assert "not offered in westindia" in check.observed and "West India" in check.remedy


def test_vnet_in_another_region(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator, info_of: InfoOf
) -> None:
    report = client.check_readiness(
        info_of(azure_emulator).pool_id, vnet_id=info_of(azure_emulator).vnet_id("v1"), location="West US"
    )
    check = report.check("region_supports_ipam")
    assert check.status == "fail" and "same region" in check.observed


def test_skips_without_vnet_or_count(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator, readiness: Readiness, info_of: InfoOf
) -> None:
    report = client.check_readiness(info_of(azure_emulator).pool_id)
    assert report.ok
    assert readiness.statuses(report) == readiness.verdicts(
        network_contributor_on_vnet="skip", cross_tenant_connection="skip", pool_capacity="skip"
    )
    data = report.to_dict()
    assert list(data) == [
        "ok",
        "pool_id",
        "vnet_id",
        "number_of_ip_addresses",
        "client_id",
        "managed_tenant_id",
        "management_tenant_id",
        "checks",
    ]
    assert set(data["checks"][0]) == {"name", "status", "observed", "remedy", "tenant_id"}
    assert info_of(azure_emulator).app.client_secret not in str(data)


def test_capacity_verdicts_on_what_was_read() -> None:
    """The verdicts are pure functions of what was read: no Azure needed to decide them."""
    pool = IpamPoolId.parse(
        "/subscriptions/00000000-0000-4000-8000-000000000001"
        "/resourceGroups/rg/providers/Microsoft.Network/networkManagers/nm/ipamPools/p"
    )
    held = {
        "location": "eastus",
        "properties": {
            "addressSpace": {
                "ipamPoolPrefixAllocations": [{"pool": {"id": str(pool)}, "numberOfIpAddresses": "256"}]
            }
        },
    }

    def capacity(count: int, **read: Any) -> tuple[str, str]:
        seen = _Seen("b", "a", "app", pool, None, None, count, **read)
        check = _verdicts(seen)[CHECK_NAMES.index("pool_capacity")]
        return check.status, check.observed

    unreadable = _Unreadable("AuthorizationFailed: no getPoolUsage/action")
    assert capacity(256, vnet_body=held, usage=unreadable)[0] == "pass"  # nothing more is needed
    assert capacity(128, vnet_body=held, usage=unreadable)[0] == "fail"  # cannot shrink, whatever the pool
    status, observed = capacity(512, vnet_body=held, usage=unreadable)
    assert status == "skip" and "no getPoolUsage/action" in observed and "256 addresses" in observed
    small = PoolUsage(
        available_address_prefixes=[ipaddress.ip_network("10.0.0.0/25")], number_of_available_ip_addresses=128
    )
    assert capacity(200, usage=small)[0] == "fail"


def test_actions_allow_wildcards_and_not_actions() -> None:
    perms = [{"actions": ["Microsoft.Network/*"], "notActions": ["Microsoft.Network/virtualNetworks/write"]}]
    assert actions_allow(perms, "microsoft.network/virtualNetworks/read")
    assert not actions_allow(perms, "Microsoft.Network/virtualNetworks/write")
    more = [*perms, {"actions": ["Microsoft.Network/virtualNetworks/*"], "notActions": []}]
    assert actions_allow(more, "Microsoft.Network/virtualNetworks/write")  # another role grants it
    ipam = [{"actions": ["Microsoft.Network/networkManagers/ipamPools/*/action"]}]
    assert actions_allow(ipam, "Microsoft.Network/networkManagers/ipamPools/associateResourcesToPool/action")
    assert not actions_allow([], "anything")


def test_power_of_two_split_and_fit() -> None:
    assert power_of_two_split(100) == [64, 32, 4]
    assert power_of_two_split(256) == [256]
    free = [ipaddress.ip_network("10.0.0.0/25"), ipaddress.ip_network("10.0.1.0/25")]
    assert fits_free_space(free, 200)  # 128 + 64 + 8
    assert not fits_free_space(free, 256)  # 256 free, but no aligned /24
    assert normalize_region("South Africa West") == "southafricawest"


def test_the_entries_take_their_keywords_as_readiness_arguments() -> None:
    """Both entries take ``**options: Unpack[ReadinessArguments]`` (written once): every keyword they read is a key
    of it, the azure-core options the reads forward included, and a required one missing is a ``TypeError``
    before any request, as for a keyword-only parameter."""
    keys = ReadinessArguments.__required_keys__ | ReadinessArguments.__optional_keys__
    named = {"managed_tenant_id", "management_tenant_id", "pool_id", "vnet_id", "number_of_ip_addresses"}
    named |= {"location", "client_id", "cloud", "operation_timeout", "polling_interval", "logging_enable"}
    assert named | CREDENTIAL_PIPELINE_KWARGS <= keys
    no_credential: Any = None
    with pytest.raises(TypeError, match=r"missing required keyword argument.*pool_id"):
        check_readiness(no_credential, no_credential, managed_tenant_id="b", management_tenant_id="a")  # type: ignore[call-arg]
