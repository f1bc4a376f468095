"""Readiness checks against the offline Azure: each prerequisite missing in turn is named with its remedy."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from crossipam import CloudEndpoints, CrossTenantIpamClient, IpamPoolId, PoolUsage
from crossipam.readiness import (
    CHECK_NAMES,
    ReadinessReport,
    _Seen,
    _Unreadable,
    _verdicts,
    actions_allow,
    fits_free_space,
    normalize_region,
    power_of_two_split,
)
from crossipam.testing import AzureEmulator, ScenarioInfo


def info_of(emu: AzureEmulator) -> ScenarioInfo:
    assert emu.scenario is not None
    return emu.scenario


@pytest.fixture
def client(azure_emulator: AzureEmulator) -> Iterator[CrossTenantIpamClient]:
    with _client(azure_emulator) as c:
        yield c


def _client(emu: AzureEmulator) -> CrossTenantIpamClient:
    info = info_of(emu)
    return CrossTenantIpamClient.from_client_secret(
        info.app.client_id,
        info.app.client_secret,
        managed_tenant_id=info.managed_tenant_id,
        management_tenant_id=info.management_tenant_id,
        cloud=CloudEndpoints(
            authority_host=info.authority,
            resource_manager=info.arm_endpoint,
            graph=info.graph_endpoint,
            resource_manager_scope=info.arm_scope,
        ),
        transport=emu.transport(),
        polling_interval=0,
    )


def check_args(emu: AzureEmulator, **kwargs: object) -> tuple[str, dict[str, Any]]:
    """The pool id and the keyword arguments of a readiness check (a new VNet, 256 addresses) with overrides."""
    info = info_of(emu)
    args: dict[str, Any] = {
        "vnet_id": info.vnet_id("vnet-ready"),
        "number_of_ip_addresses": 256,
        "location": info.location,
    }
    args.update(kwargs)
    return str(args.pop("pool_id", info.pool_id)), args


def _check(client: CrossTenantIpamClient, emu: AzureEmulator, **kwargs: object) -> ReadinessReport:
    pool, args = check_args(emu, **kwargs)
    return client.check_readiness(pool, **args)


def _app_sp(emu: AzureEmulator, tenant: str) -> str:
    info = info_of(emu)
    return emu.state.service_principals[(tenant, info.app.client_id)].object_id


def _delete_assignments(emu: AzureEmulator, principal: str, scope: str) -> int:
    doomed = [
        k
        for k, a in emu.state.role_assignments.items()
        if a.principal_id == principal and a.scope.lower() == scope.lower()
    ]
    for k in doomed:
        del emu.state.role_assignments[k]
    return len(doomed)


def _grant_connection_readers(emu: AzureEmulator) -> None:
    info = info_of(emu)
    emu.assign_role(
        _app_sp(emu, info.managed_tenant_id), "Reader", f"/subscriptions/{info.managed_subscription_id}"
    )
    emu.assign_role(_app_sp(emu, info.management_tenant_id), "Reader", info.network_manager_id)


def statuses(report: ReadinessReport) -> dict[str, str]:
    """Every check's status, in the reported order (which must be CHECK_NAMES)."""
    assert [c.name for c in report.checks] == list(CHECK_NAMES)
    return {c.name: c.status for c in report.checks}


def verdicts(**others: str) -> dict[str, str]:
    """The full verdict list: ``pass`` for every check but those named."""
    assert set(others) <= set(CHECK_NAMES), set(others) - set(CHECK_NAMES)
    return {name: others.get(name, "pass") for name in CHECK_NAMES}


def grant_graph_read(emu: AzureEmulator) -> None:
    """Let the automation app read app registrations in its home tenant (Application.Read.All)."""
    info = info_of(emu)
    emu.grant_graph_permission(info.app.client_id, info.managed_tenant_id, "Application.Read.All")


def delete_app_service_principal(emu: AzureEmulator, tenant_id: str) -> None:
    """An admin deleted the automation app's service principal in ``tenant_id``."""
    with emu.lock:
        del emu.state.service_principals[(tenant_id, info_of(emu).app.client_id)]


def delete_sp_in_a(emu: AzureEmulator) -> None:
    delete_app_service_principal(emu, info_of(emu).management_tenant_id)


def delete_sp_in_b(emu: AzureEmulator) -> None:
    delete_app_service_principal(emu, info_of(emu).managed_tenant_id)


def graph_readable_without_sp_in_a(emu: AzureEmulator) -> None:
    grant_graph_read(emu)
    delete_sp_in_a(emu)


def delete_pool_role(emu: AzureEmulator) -> None:
    info = info_of(emu)
    assert _delete_assignments(emu, _app_sp(emu, info.management_tenant_id), info.pool_id)


@dataclass(frozen=True)
class Case:
    """A scenario, what is changed in it, the check's arguments (beyond ``_check``'s) and the full verdict list."""

    scenario: str
    verdicts: Mapping[str, str]
    prepare: Callable[[AzureEmulator], object] = lambda emu: None
    kwargs: Mapping[str, object] = field(default_factory=dict)

    def emulator(self) -> AzureEmulator:
        emu = AzureEmulator()
        emu.load_scenario(self.scenario)
        self.prepare(emu)
        return emu


NOT_ONBOARDED = verdicts(
    token_management_tenant="fail",
    app_multitenant="skip",  # AADSTS700016 cannot tell a single-tenant app from a missing service principal
    service_principal_in_management_tenant="fail",
    ipam_pool_user_on_pool="skip",
    cross_tenant_connection="skip",
    pool_capacity="skip",
)

#: Shared with tests/test_aio_readiness.py: the async client must reach the same verdicts.
CASES = {
    "onboarded": Case("onboarded", verdicts(cross_tenant_connection="skip")),
    "connection readable": Case("onboarded", verdicts(), _grant_connection_readers),
    "fresh": Case("fresh", NOT_ONBOARDED),
    "fresh, Graph readable": Case(
        "fresh",
        {**NOT_ONBOARDED, "app_multitenant": "fail", "service_principal_in_management_tenant": "skip"},
        grant_graph_read,
    ),
    "no service principal in A": Case("onboarded", NOT_ONBOARDED, delete_sp_in_a),
    "no service principal in A, Graph readable": Case(
        "onboarded", {**NOT_ONBOARDED, "app_multitenant": "pass"}, graph_readable_without_sp_in_a
    ),
    "no token for B": Case(
        "onboarded",
        verdicts(
            token_managed_tenant="fail", network_contributor_on_vnet="skip", cross_tenant_connection="skip"
        ),
        delete_sp_in_b,
    ),
    "pool role missing": Case(
        "onboarded",
        verdicts(ipam_pool_user_on_pool="fail", cross_tenant_connection="skip", pool_capacity="skip"),
        delete_pool_role,
    ),
    "pool too small": Case(
        "onboarded",
        verdicts(cross_tenant_connection="skip", pool_capacity="fail"),
        kwargs={"number_of_ip_addresses": 70_000},
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_verdicts(case: Case) -> None:
    emu = case.emulator()
    with _client(emu) as c:
        report = _check(c, emu, **case.kwargs)
    assert statuses(report) == case.verdicts
    assert report.ok == ("fail" not in case.verdicts.values())
    for check in report.checks:
        assert check.observed
        if check.status != "skip":  # a skip says how to let the check decide, where there is a way
            assert bool(check.remedy) == (check.status == "fail"), check
    assert not emu.journal.writes()


def test_everything_passes_when_onboarded(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator
) -> None:
    report = _check(client, azure_emulator)
    assert report.ok
    # the automation app may not read the connection objects: skipped, with how to let the check see them
    assert statuses(report) == verdicts(cross_tenant_connection="skip")
    assert "scopeConnections/read" in report.check("cross_tenant_connection").remedy
    # nor its own app registration (no Graph permission): inferred from the tenant-A token
    multitenant = report.check("app_multitenant").observed
    assert "Authorization_RequestDenied" in multitenant and "inferred from the tenant-A token" in multitenant
    assert not azure_emulator.journal.writes()


def test_connection_passes_when_readable(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator
) -> None:
    _grant_connection_readers(azure_emulator)
    report = _check(client, azure_emulator)
    conn = report.check("cross_tenant_connection")
    assert conn.observed.count("Connected") == 2
    assert statuses(report) == verdicts()


def test_app_not_onboarded(azure_emulator_fresh: AzureEmulator) -> None:
    with _client(azure_emulator_fresh) as c:
        report = _check(c, azure_emulator_fresh)
    assert statuses(report) == NOT_ONBOARDED
    for check in report.failed:
        assert "crossipam onboard" in check.remedy
    assert "AADSTS700016" in report.check("token_management_tenant").observed
    # single-tenant or no service principal in A? The token error cannot tell, and the app may not read itself
    multitenant = report.check("app_multitenant")
    assert "cannot tell" in multitenant.observed and "Authorization_RequestDenied" in multitenant.observed
    assert "Application.Read.All" in multitenant.remedy and "crossipam onboard" in multitenant.remedy


def test_single_tenant_app_read_in_graph(azure_emulator_fresh: AzureEmulator) -> None:
    grant_graph_read(azure_emulator_fresh)
    with _client(azure_emulator_fresh) as c:
        report = _check(c, azure_emulator_fresh)
    assert statuses(report) == CASES["fresh, Graph readable"].verdicts
    multitenant = report.check("app_multitenant")
    assert multitenant.observed == "Graph: signInAudience is AzureADMyOrg (single tenant)"
    assert "crossipam onboard" in multitenant.remedy
    # a single-tenant app gets no token in A whether or not its service principal is there: not decided
    sp = report.check("service_principal_in_management_tenant")
    assert "single-tenant" in sp.observed and "app_multitenant" in sp.remedy


def test_only_the_service_principal_is_missing(azure_emulator: AzureEmulator) -> None:
    """The app is multitenant (onboarded) but its service principal in tenant A was deleted."""
    info = info_of(azure_emulator)
    delete_sp_in_a(azure_emulator)
    with _client(azure_emulator) as c:
        report = _check(c, azure_emulator)
    assert statuses(report) == NOT_ONBOARDED
    sp = report.check("service_principal_in_management_tenant")
    assert sp.tenant_id == info.management_tenant_id
    assert "AADSTS700016" in sp.observed and "no service principal" in sp.observed
    assert f"crossipam onboard --app-id {info.app.client_id}" in sp.remedy
    # not reported as single-tenant: it is not, and the check cannot see that it is not
    assert report.check("app_multitenant").status == "skip"


def test_only_the_service_principal_is_missing_graph_readable(azure_emulator: AzureEmulator) -> None:
    graph_readable_without_sp_in_a(azure_emulator)
    with _client(azure_emulator) as c:
        report = _check(c, azure_emulator)
    assert statuses(report) == CASES["no service principal in A, Graph readable"].verdicts
    assert report.check("app_multitenant").observed == "Graph: signInAudience is AzureADMultipleOrgs"
    sp = report.check("service_principal_in_management_tenant")
    assert "the app is multitenant" in sp.observed and "crossipam onboard" in sp.remedy


def test_only_the_managed_tenant_token_fails(azure_emulator: AzureEmulator) -> None:
    """Tenant B (the app's home) refuses the app a token (its service principal there is gone); tenant A does
    not: the token check names tenant B, the tenant-B checks are skipped, the tenant-A checks still decide."""
    info = info_of(azure_emulator)
    delete_sp_in_b(azure_emulator)
    with _client(azure_emulator) as c:
        report = _check(c, azure_emulator)
    assert statuses(report) == CASES["no token for B"].verdicts
    token = report.check("token_managed_tenant")
    assert token.tenant_id == info.managed_tenant_id
    assert f"could not get a token for tenant {info.managed_tenant_id}" in token.observed
    assert "AADSTS7000112" in token.observed and token.remedy
    assert report.check("network_contributor_on_vnet").remedy == "fix token_managed_tenant first"
    assert "no tenant-B token" in report.check("cross_tenant_connection").observed


def test_pool_role_missing(client: CrossTenantIpamClient, azure_emulator: AzureEmulator) -> None:
    info = info_of(azure_emulator)
    assert _delete_assignments(
        azure_emulator, _app_sp(azure_emulator, info.management_tenant_id), info.pool_id
    )
    report = _check(client, azure_emulator, number_of_ip_addresses=None)
    assert statuses(report) == verdicts(
        ipam_pool_user_on_pool="fail", cross_tenant_connection="skip", pool_capacity="skip"
    )
    check = report.check("ipam_pool_user_on_pool")
    assert "associateResourcesToPool/action" in check.observed
    assert "IPAM Pool User" in check.remedy and "7b3e853f-ad5d-4fb5-a7b8-56a3581c7037" in check.remedy


def test_capacity_is_skipped_when_the_pool_usage_cannot_be_read(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator
) -> None:
    """Not being able to read the pool says nothing about its size: skip (with what was seen and how to let
    the check read it), not fail."""
    delete_pool_role(azure_emulator)
    report = _check(client, azure_emulator)
    assert statuses(report) == CASES["pool role missing"].verdicts
    check = report.check("pool_capacity")
    assert "could not read the pool's usage" in check.observed and "AuthorizationFailed" in check.observed
    assert "getPoolUsage/action" in check.remedy and "IPAM Pool User" in check.remedy


def test_pool_role_inherited_from_network_manager(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator
) -> None:
    info = info_of(azure_emulator)
    sp = _app_sp(azure_emulator, info.management_tenant_id)
    _delete_assignments(azure_emulator, sp, info.pool_id)
    azure_emulator.assign_role(sp, "IPAM Pool User", info.network_manager_id)
    assert _check(client, azure_emulator).check("ipam_pool_user_on_pool").status == "pass"


def test_network_contributor_missing(client: CrossTenantIpamClient, azure_emulator: AzureEmulator) -> None:
    info = info_of(azure_emulator)
    rg = f"/subscriptions/{info.managed_subscription_id}/resourceGroups/{info.resource_group}"
    assert _delete_assignments(azure_emulator, _app_sp(azure_emulator, info.managed_tenant_id), rg)
    report = _check(client, azure_emulator)
    assert statuses(report) == verdicts(network_contributor_on_vnet="fail", cross_tenant_connection="skip")
    check = report.check("network_contributor_on_vnet")
    assert "virtualNetworks/write" in check.observed
    assert "Network Contributor" in check.remedy and rg in check.remedy


@pytest.mark.parametrize("side", ["scope", "nmc"])
def test_connection_not_connected(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator, side: str
) -> None:
    _grant_connection_readers(azure_emulator)
    conns = azure_emulator.network.connections
    for key in [k for k, c in conns.items() if c.kind == side]:
        del conns[key]
    report = _check(client, azure_emulator)
    assert statuses(report) == verdicts(cross_tenant_connection="fail")
    check = report.check("cross_tenant_connection")
    assert "Pending" in check.observed and "missing" in check.observed
    assert "scope connection" in check.remedy and "network manager connection" in check.remedy


def test_pool_too_small(client: CrossTenantIpamClient, azure_emulator: AzureEmulator) -> None:
    report = _check(client, azure_emulator, number_of_ip_addresses=70_000)
    assert statuses(report) == CASES["pool too small"].verdicts
    check = report.check("pool_capacity")
    assert "65,536 addresses free" in check.observed and "do not fit" in check.observed
    assert "fewer addresses" in check.remedy


def test_capacity_counts_an_existing_allocation(
    client: CrossTenantIpamClient, azure_emulator: AzureEmulator
) -> None:
    info = info_of(azure_emulator)
    vnet = info.vnet_id("vnet-ready")
    client.begin_deploy_virtual_network(
        vnet, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=256
    ).result()
    assert "already holds 256" in _check(client, azure_emulator).check("pool_capacity").observed
    grow = _check(client, azure_emulator, number_of_ip_addresses=512).check("pool_capacity")
    assert grow.status == "pass" and "256 more addresses" in grow.observed
    shrink = _check(client, azure_emulator, number_of_ip_addresses=128).check("pool_capacity")
    assert shrink.status == "fail" and "cannot shrink" in shrink.observed


def test_unsupported_region(client: CrossTenantIpamClient, azure_emulator: AzureEmulator) -> None:
    info = info_of(azure_emulator)
    pool = azure_emulator.add_ipam_pool(
        info.network_manager_id, "pool-westindia", ["10.9.0.0/16"], location="westindia"
    )
    azure_emulator.assign_role(_app_sp(azure_emulator, info.management_tenant_id), "IPAM Pool User", pool)
    report = _check(client, azure_emulator, pool_id=pool, location="westindia")
    assert statuses(report) == verdicts(cross_tenant_connection="skip", region_supports_ipam="fail")
    check = report.check("region_supports_ipam")
    assert "not offered in westindia" in check.observed and "West India" in check.remedy


def test_vnet_in_another_region(client: CrossTenantIpamClient, azure_emulator: AzureEmulator) -> None:
    report = client.check_readiness(
        info_of(azure_emulator).pool_id, vnet_id=info_of(azure_emulator).vnet_id("v1"), location="West US"
    )
    check = report.check("region_supports_ipam")
    assert check.status == "fail" and "same region" in check.observed


def test_skips_without_vnet_or_count(client: CrossTenantIpamClient, azure_emulator: AzureEmulator) -> None:
    report = client.check_readiness(info_of(azure_emulator).pool_id)
    assert report.ok
    assert statuses(report) == verdicts(
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
