"""The offline Azure's plumbing: fault injection, ARM-like throttling and the journal, driven by azure-core."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core import PipelineClient
from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError
from azure.core.pipeline.policies import BearerTokenCredentialPolicy, RetryPolicy
from azure.core.rest import HttpRequest
from azure.identity import ClientSecretCredential
from azure.mgmt.core.policies import AuxiliaryAuthenticationPolicy

from crossipam.testing import AzureEmulator, ScenarioInfo


class _NoSleepRetry(RetryPolicy):  # type: ignore[type-arg]
    """azure-core's RetryPolicy with the sleep taken out (no wall-clock waits in tests)."""

    slept: list[float]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.slept = []

    def sleep(self, settings: Any, transport: Any, response: Any = None) -> None:
        if response is not None:
            retry_after = self.get_retry_after(response)
            if retry_after:
                self.slept.append(retry_after)
                return
        self.slept.append(self.get_backoff_time(settings))


def _info(emu: AzureEmulator) -> ScenarioInfo:
    assert emu.scenario is not None
    return emu.scenario


def _credential(emu: AzureEmulator, tenant: str | None = None) -> ClientSecretCredential:
    info = _info(emu)
    return ClientSecretCredential(
        tenant or info.managed_tenant_id,
        info.app.client_id,
        info.app.client_secret,
        authority=info.authority,
        disable_instance_discovery=True,
        additionally_allowed_tenants=["*"],
        transport=emu.transport(),
    )


def _arm(emu: AzureEmulator, retry: _NoSleepRetry, *, aux: bool = False) -> PipelineClient[Any, Any]:
    info = _info(emu)
    policies: list[Any] = [retry, BearerTokenCredentialPolicy(_credential(emu), info.arm_scope)]
    if aux:
        policies.append(
            AuxiliaryAuthenticationPolicy([_credential(emu, info.management_tenant_id)], info.arm_scope)
        )
    return PipelineClient(info.arm_endpoint, policies=policies, transport=emu.transport())


def _get_rg(client: PipelineClient[Any, Any], emu: AzureEmulator) -> Any:
    info = _info(emu)
    url = f"{info.arm_endpoint}subscriptions/{info.managed_subscription_id}/resourcegroups/{info.resource_group}"
    return client.send_request(HttpRequest("GET", url, params={"api-version": "2022-09-01"}))


def test_injected_429_is_retried_after_its_retry_after(azure_emulator: AzureEmulator) -> None:
    retry = _NoSleepRetry(retry_total=3)
    client = _arm(azure_emulator, retry)
    fault = azure_emulator.faults.add(
        "GET", r"/resourcegroups/", status=429, code="TooManyRequests", retry_after=7, times=2
    )
    resp = _get_rg(client, azure_emulator)
    assert resp.status_code == 200
    assert fault.hits == 2
    assert retry.slept == [7, 7]
    statuses = [e.status for e in azure_emulator.journal.entries(service="arm", path="/resourcegroups/")]
    assert statuses == [429, 429, 200]
    assert [e.fault for e in azure_emulator.journal.entries(service="arm")] == [True, True, False]


def test_injected_error_carries_arm_code(azure_emulator: AzureEmulator) -> None:
    client = _arm(azure_emulator, _NoSleepRetry(retry_total=0))
    azure_emulator.faults.add("GET", r"/resourcegroups/", status=409, code="AnotherOperationInProgress")
    resp = _get_rg(client, azure_emulator)
    assert resp.status_code == 409
    with pytest.raises(HttpResponseError) as err:
        resp.raise_for_status()
    assert resp.json()["error"]["code"] == "AnotherOperationInProgress"
    assert err.value.status_code == 409


def test_dropped_connection_surfaces_as_azure_core_error_and_retries(azure_emulator: AzureEmulator) -> None:
    retry = _NoSleepRetry(retry_total=3)
    client = _arm(azure_emulator, retry)
    azure_emulator.faults.add("GET", r"/resourcegroups/", drop_connection=True, times=1)
    assert _get_rg(client, azure_emulator).status_code == 200
    no_retry = _arm(azure_emulator, _NoSleepRetry(retry_total=0))
    azure_emulator.faults.add("GET", r"/resourcegroups/", drop_connection=True, times=1)
    with pytest.raises((ServiceRequestError, ServiceResponseError)):
        _get_rg(no_retry, azure_emulator)


def test_fault_after_the_service_acted_loses_only_the_response(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    client = _arm(azure_emulator, _NoSleepRetry(retry_total=0))
    url = f"{info.arm_endpoint}subscriptions/{info.managed_subscription_id}/resourcegroups/{info.resource_group}"
    vnet_url = f"{url}/providers/Microsoft.Network/virtualNetworks/vnet-lost"
    azure_emulator.faults.add("PUT", r"/virtualNetworks/vnet-lost", status=500, when="after")
    body = {
        "location": info.location,
        "properties": {"addressSpace": {"addressPrefixes": ["192.168.0.0/24"]}},
    }
    resp = client.send_request(HttpRequest("PUT", vnet_url, params={"api-version": "2024-05-01"}, json=body))
    assert resp.status_code == 500
    # the write happened although the client never heard of it
    assert azure_emulator.virtual_network(info.vnet_id("vnet-lost")) is not None


def test_write_throttle_answers_429_with_retry_after(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    azure_emulator.settings.write_bucket_capacity = 2
    azure_emulator.settings.write_bucket_refill = 0.001
    client = _arm(azure_emulator, _NoSleepRetry(retry_total=0))
    base = (
        f"{info.arm_endpoint}subscriptions/{info.managed_subscription_id}/resourcegroups/{info.resource_group}"
        "/providers/Microsoft.Network/virtualNetworks/"
    )
    body = {
        "location": info.location,
        "properties": {"addressSpace": {"addressPrefixes": ["192.168.0.0/24"]}},
    }
    statuses = []
    for i in range(3):
        r = client.send_request(
            HttpRequest("PUT", f"{base}v{i}", params={"api-version": "2024-05-01"}, json=body)
        )
        statuses.append(r.status_code)
    assert statuses == [201, 201, 429]
    assert int(r.headers["Retry-After"]) >= 1
    assert r.json()["error"]["code"] == "SubscriptionRequestsThrottled"
    # reads are not throttled
    assert _get_rg(client, azure_emulator).status_code == 200


def test_journal_records_tenants_of_primary_and_aux_tokens(azure_emulator: AzureEmulator) -> None:
    info = _info(azure_emulator)
    client = _arm(azure_emulator, _NoSleepRetry(retry_total=0), aux=True)
    _get_rg(client, azure_emulator)
    _get_rg(client, azure_emulator)
    token_requests = azure_emulator.journal.token_requests()
    assert sorted(e.tenant_id or "" for e in token_requests) == sorted(
        [info.managed_tenant_id, info.management_tenant_id]
    )
    arm = azure_emulator.journal.entries(service="arm")
    assert [(e.tenant_id, e.aux_tenant_ids, e.app_id) for e in arm] == [
        (info.managed_tenant_id, (info.management_tenant_id,), info.app.client_id)
    ] * 2
    assert all(e.api_version == "2022-09-01" for e in arm)
    assert azure_emulator.journal.writes() == []


def test_journal_clear_and_filters(azure_emulator: AzureEmulator) -> None:
    client = _arm(azure_emulator, _NoSleepRetry(retry_total=0))
    _get_rg(client, azure_emulator)
    assert len(azure_emulator.journal) == 3  # discovery, token, GET
    assert len(azure_emulator.journal.entries(service="login")) == 2
    azure_emulator.journal.clear()
    assert len(azure_emulator.journal) == 0
