"""Error mapping end-to-end: every failure surfaces as a typed CrossIpamError with code, status, ids, tenant
and a remediation hint — over both fronts of the offline Azure (in-process transport and HTTPS on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from azure.identity import ClientSecretCredential, ManagedIdentityCredential

from crossipam import (
    AppNotOnboardedError,
    AuthorizationError,
    AzureServiceError,
    ConflictError,
    CrossIpamError,
    CrossTenantIpamClient,
    InvalidAllocationError,
    LinkedAuthorizationError,
    ManagedIdentityNotSupportedError,
    NotFoundError,
    PoolExhaustedError,
    TenantNotAllowedError,
)
from crossipam.testing import AzureEmulator, ScenarioInfo

if TYPE_CHECKING:
    from .fixtures.clients import CloudOf, InfoOf, MakeClient, NetKwargs


@pytest.fixture(params=["in-process", "https"])
def emu_fresh(request: pytest.FixtureRequest) -> Iterator[AzureEmulator]:
    """The ``fresh`` scenario (app not onboarded in the management tenant) over each front."""
    if request.param == "in-process":
        value = request.getfixturevalue("azure_emulator_fresh")
        assert isinstance(value, AzureEmulator)
        yield value
        return
    emulator = AzureEmulator()
    info = emulator.load_scenario("fresh")
    with emulator.serve() as server:
        info.ca_bundle = server.ca_bundle
        yield emulator


def _deploy(
    client: CrossTenantIpamClient, info: ScenarioInfo, name: str = "vnet-err", **overrides: Any
) -> Any:
    kwargs: dict[str, Any] = {
        "location": info.location,
        "pool_id": info.pool_id,
        "number_of_ip_addresses": 100,
    }
    kwargs.update(overrides)
    return client.begin_deploy_virtual_network(info.vnet_id(name), **kwargs).result()


def _assert_ids(err: AzureServiceError) -> None:
    assert err.request_id and err.correlation_id
    assert err.hint


def test_missing_pool_role_is_linked_authorization_failed(
    emu: AzureEmulator, info: ScenarioInfo, make_client: MakeClient
) -> None:
    sp_a = emu.service_principal(info.app.client_id, info.management_tenant_id)
    assert sp_a is not None
    with emu.lock:
        for name, ra in list(emu.state.role_assignments.items()):
            if ra.principal_id == sp_a.object_id:
                del emu.state.role_assignments[name]
    with make_client(emu) as client, pytest.raises(LinkedAuthorizationError) as caught:
        _deploy(client, info)
    err = caught.value
    assert err.code == "LinkedAuthorizationFailed" and err.status == 403
    assert err.tenant_id == info.management_tenant_id
    assert err.linked_scope is not None and err.linked_scope.lower() == info.pool_id.lower()
    assert "IPAM Pool User" in str(err) and info.app.client_id in str(err)
    _assert_ids(err)
    assert isinstance(err, CrossIpamError)


def test_missing_aux_token_is_linked_authorization_failed(
    emu: AzureEmulator, info: ScenarioInfo, make_client: MakeClient
) -> None:
    """Without the management tenant's token (here: a client that thinks both tenants are B)."""
    with (
        make_client(emu, management_tenant_id=info.managed_tenant_id) as client,
        pytest.raises(LinkedAuthorizationError) as caught,
    ):
        _deploy(client, info)
    err = caught.value
    assert "linked subscription" in str(err) and info.management_subscription_id in str(err)
    assert "management_tenant_id" in (err.hint or "")
    assert {e.aux_tenant_ids for e in emu.journal.entries(service="arm")} == {()}
    _assert_ids(err)


def test_app_not_onboarded_is_aadsts700016(
    emu_fresh: AzureEmulator, info_of: InfoOf, make_client: MakeClient
) -> None:
    emu = emu_fresh
    info = info_of(emu)
    with make_client(emu) as client, pytest.raises(AppNotOnboardedError) as caught:
        _deploy(client, info)
    err = caught.value
    assert err.tenant_id == info.management_tenant_id and err.client_id == info.app.client_id
    assert "AADSTS700016" in str(err) and "onboard" in str(err)
    assert emu.journal.entries(service="arm") == []  # nothing reached ARM without the auxiliary token
    assert info.app.client_secret not in str(err)


def test_pool_exhausted(emu: AzureEmulator, info: ScenarioInfo, make_client: MakeClient) -> None:
    with make_client(emu) as client, pytest.raises(PoolExhaustedError) as caught:
        _deploy(client, info, number_of_ip_addresses=70_000)
    err = caught.value
    assert err.code == "IpamPoolInsufficientAddressSpace" and err.status == 400
    assert "get_pool_usage" in str(err)
    assert err.tenant_id == info.managed_tenant_id
    _assert_ids(err)


def test_two_pools_of_one_family_is_a_validation_error(
    emu: AzureEmulator, info: ScenarioInfo, make_client: MakeClient
) -> None:
    second = emu.add_ipam_pool(info.network_manager_id, "pool-b", ["10.1.0.0/16"], location=info.location)
    sp_a = emu.service_principal(info.app.client_id, info.management_tenant_id)
    assert sp_a is not None
    emu.assign_role(sp_a.object_id, "IPAM Pool User", second)
    with make_client(emu) as client, pytest.raises(InvalidAllocationError) as caught:
        _deploy(client, info, ipv6_pool_id=second, ipv6_number_of_ip_addresses=16)
    assert caught.value.code == "OnlyOneIpamPoolPerIpTypeAllowed"
    _assert_ids(caught.value)


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("CannotMixAddressPrefixAndPoolInPayload", "not both"),
        ("CannotHaveDuplicatePoolIds", "once"),
        ("SubnetPoolsMustBeSubsetOfVnetPools", "subnet can only allocate"),
    ],
)
def test_validation_codes_map_to_invalid_allocation(
    emu: AzureEmulator, code: str, hint: str, info: ScenarioInfo, make_client: MakeClient
) -> None:
    emu.faults.add("PUT", r"/virtualNetworks/", status=400, code=code, message=f"{code} (field)")
    with make_client(emu) as client, pytest.raises(InvalidAllocationError) as caught:
        _deploy(client, info)
    assert caught.value.code == code and caught.value.status == 400
    assert hint in (caught.value.hint or "")
    _assert_ids(caught.value)


def test_failed_operation_surfaces_from_result(
    emu: AzureEmulator, info: ScenarioInfo, make_client: MakeClient
) -> None:
    emu.network.fail_next_operation("IpamPoolInsufficientAddressSpace", "The pool ran out while allocating.")
    with make_client(emu) as client:
        poller = client.begin_deploy_virtual_network(
            info.vnet_id("vnet-lro"),
            location=info.location,
            pool_id=info.pool_id,
            number_of_ip_addresses=100,
        )
        with pytest.raises(PoolExhaustedError) as caught:
            poller.result()
    assert caught.value.code == "IpamPoolInsufficientAddressSpace"
    assert emu.virtual_network(info.vnet_id("vnet-lro")) is None  # rolled back


def test_stale_etag_and_busy_vnet_are_conflicts(
    emu: AzureEmulator, info: ScenarioInfo, make_client: MakeClient
) -> None:
    """With conflict retries off, a conflict surfaces as it is (tests/test_fault_matrix.py covers the default,
    where crossipam reads the VNet again and converges)."""
    with make_client(emu, conflict_retries=0) as client:
        _deploy(client, info, name="vnet-conflict")
        emu.faults.add("PUT", r"/virtualNetworks/", status=412, code="PreconditionFailed")
        with pytest.raises(ConflictError) as caught:
            _deploy(client, info, name="vnet-conflict", number_of_ip_addresses=200)
        assert caught.value.status == 412 and "again" in str(caught.value)
        emu.faults.add("PUT", r"/virtualNetworks/", status=409, code="AnotherOperationInProgress")
        with pytest.raises(ConflictError, match="AnotherOperationInProgress"):
            _deploy(client, info, name="vnet-conflict", number_of_ip_addresses=200)


def test_a_busy_vnets_429_is_read_again_like_a_conflict(
    emu: AzureEmulator, info: ScenarioInfo, make_client: MakeClient
) -> None:
    """429 ``RetryableErrorDueToAnotherOperation`` (the VNet is busy; azure-core's own retries spent) is a 409 by
    another name: the flow reads the VNet again and writes again, within ``conflict_retries``."""

    def busy_once() -> None:
        emu.faults.add(
            "PUT", r"/virtualNetworks/vnet-busy-429$", status=429, code="RetryableErrorDueToAnotherOperation"
        )

    busy_once()
    with make_client(emu, retry_total=0) as client:
        assert _deploy(client, info, name="vnet-busy-429").action == "created"
    puts = emu.journal.entries(method="PUT", path=r"/virtualNetworks/vnet-busy-429$")
    assert [e.status for e in puts] == [429, 201]
    busy_once()
    with (
        make_client(emu, retry_total=0, conflict_retries=0) as client,
        pytest.raises(AzureServiceError) as caught,
    ):
        _deploy(client, info, name="vnet-busy-429", number_of_ip_addresses=200)
    assert (caught.value.status, caught.value.code) == (429, "RetryableErrorDueToAnotherOperation")


def test_missing_resource_group_and_vnet(
    emu: AzureEmulator, info: ScenarioInfo, make_client: MakeClient
) -> None:
    missing_rg = info.vnet_id("v1").replace(info.resource_group, "rg-missing")
    with make_client(emu) as client:
        # the app's role is on its resource group only: elsewhere ARM answers AuthorizationFailed
        with pytest.raises(AuthorizationError) as denied:
            client.get_virtual_network_allocation(missing_rg)
        assert denied.value.code == "AuthorizationFailed" and denied.value.status == 403
        assert "Network Contributor" in str(denied.value)
        app_b = emu.service_principal(info.app.client_id, info.managed_tenant_id)
        assert app_b is not None
        emu.assign_role(
            app_b.object_id, "Network Contributor", f"/subscriptions/{info.managed_subscription_id}"
        )
        with pytest.raises(NotFoundError) as caught:
            client.begin_deploy_virtual_network(
                missing_rg, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=8
            )
        assert caught.value.code == "ResourceGroupNotFound"
        with pytest.raises(NotFoundError):
            client.get_virtual_network_allocation(info.vnet_id("nope"))
        with pytest.raises(NotFoundError):
            client.begin_remove_allocation(info.vnet_id("nope"))
    assert emu.journal.writes() == []


def test_managed_identity_is_refused() -> None:
    with pytest.raises(ManagedIdentityNotSupportedError, match="managed identit"):
        CrossTenantIpamClient(
            ManagedIdentityCredential(),
            managed_tenant_id="bbbbbbbb-0000-4000-8000-000000000001",
            management_tenant_id="aaaaaaaa-0000-4000-8000-000000000001",
        )


def test_credential_without_the_management_tenant_is_refused(
    emu: AzureEmulator, info: ScenarioInfo, cloud_of: CloudOf, net_kwargs: NetKwargs
) -> None:
    credential = ClientSecretCredential(
        info.managed_tenant_id,
        info.app.client_id,
        info.app.client_secret,
        authority=info.authority,
        disable_instance_discovery=True,
        **net_kwargs(emu),
    )
    with pytest.raises(TenantNotAllowedError) as caught:
        CrossTenantIpamClient(
            credential,
            managed_tenant_id=info.managed_tenant_id,
            management_tenant_id=info.management_tenant_id,
            cloud=cloud_of(info),
        )
    assert caught.value.tenant_id == info.management_tenant_id
    assert "additionally_allowed_tenants" in str(caught.value)
    assert info.app.client_secret not in str(caught.value) + repr(credential)
    assert len(emu.journal) == 0


def test_lock_is_released_after_a_failed_operation(
    emu: AzureEmulator, info: ScenarioInfo, make_client: MakeClient
) -> None:
    emu.network.fail_next_operation("InternalServerError", "boom")
    with make_client(emu) as client:
        with pytest.raises(AzureServiceError, match="InternalServerError"):
            _deploy(client, info, name="vnet-retry")
        deployment = _deploy(client, info, name="vnet-retry")  # would hang if the VNet lock leaked
    assert deployment.action == "created"


def test_azure_core_retry_options_pass_through(
    emu: AzureEmulator, info: ScenarioInfo, make_client: MakeClient
) -> None:
    emu.faults.add("GET", r"/virtualNetworks/", status=503, code="ServerBusy", times=1)
    with make_client(emu, retry_backoff_factor=0) as client:
        assert _deploy(client, info, name="vnet-busy").action == "created"
    emu.faults.add("GET", r"/virtualNetworks/", status=503, code="ServerBusy", times=1)
    with make_client(emu, retry_total=0) as client, pytest.raises(AzureServiceError) as caught:
        _deploy(client, info, name="vnet-busy2")
    assert caught.value.status == 503 and caught.value.code == "ServerBusy"
