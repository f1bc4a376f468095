"""The offline Azure throttles like ARM: token buckets for reads, writes and deletes per principal and
subscription (or tenant), a global per-subscription bucket, ``x-ms-ratelimit-remaining-*`` on every answer and 429
``SubscriptionRequestsThrottled`` with ``Retry-After`` — driven by azure-mgmt-network, counted with the journal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.identity import ClientSecretCredential
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.network.models import AddressSpace, VirtualNetwork, VirtualNetworkPropertiesFormat

from crossipam.testing import (
    ARM_LRO_RETRY_AFTER,
    ARM_THROTTLE_LIMITS,
    AzureEmulator,
    BucketSize,
    ScenarioInfo,
    Settings,
    ThrottleLimits,
    real_world_lro_timing,
)
from crossipam.testing.__main__ import build_parser, settings_from_args

SLOW = 0.001  # refill per second: nothing refills while a test runs unless the offline Azure's clock moves


def _info(emu: AzureEmulator) -> ScenarioInfo:
    assert emu.scenario is not None
    return emu.scenario


class Recorder:
    """The headers of every answer the SDK client received."""

    def __init__(self) -> None:
        self.headers: list[dict[str, str]] = []

    def __call__(self, response: Any) -> None:
        self.headers.append({k.lower(): v for k, v in response.http_response.headers.items()})


def _network(emu: AzureEmulator, admin: str | None = None) -> tuple[NetworkManagementClient, Recorder]:
    """azure-mgmt-network as the scenario's app (or an admin), no retries: every 429 reaches the test."""
    info = _info(emu)
    who = info.admins[admin] if admin else info.app
    credential = ClientSecretCredential(
        info.managed_tenant_id,
        who.client_id,
        who.client_secret,
        authority=info.authority,
        disable_instance_discovery=True,
        transport=emu.transport(),
    )
    recorder = Recorder()
    client = NetworkManagementClient(
        credential,
        info.managed_subscription_id,
        base_url=info.arm_endpoint,
        credential_scopes=[info.arm_scope],
        transport=emu.transport(),
        retry_total=0,
        raw_response_hook=recorder,
    )
    return client, recorder


def _body(info: ScenarioInfo) -> VirtualNetwork:
    prefixes = AddressSpace(address_prefixes=["192.168.0.0/24"])
    properties = VirtualNetworkPropertiesFormat(address_space=prefixes)
    return VirtualNetwork(location=info.location, properties=properties)


@pytest.fixture
def small() -> Iterator[AzureEmulator]:
    """An offline Azure with buckets of 3 reads, 2 writes and 2 deletes per principal that hardly refill."""
    limits = ThrottleLimits(BucketSize(3, SLOW), BucketSize(2, SLOW), BucketSize(2, SLOW), global_factor=None)
    emu = AzureEmulator(Settings(throttle=limits))
    emu.load_scenario("onboarded")
    yield emu


def _read(client: NetworkManagementClient, info: ScenarioInfo, name: str = "absent") -> int:
    try:
        client.virtual_networks.get(info.resource_group, name)
    except ResourceNotFoundError:
        return 404
    except HttpResponseError as err:
        return int(err.status_code or 0)
    return 200


def test_reads_count_down_and_the_empty_bucket_answers_429_with_retry_after(small: AzureEmulator) -> None:
    info = _info(small)
    client, seen = _network(small)
    small.journal.clear()
    statuses = [_read(client, info) for _ in range(4)]
    assert statuses == [404, 404, 404, 429]  # a 404 is a read too
    remaining = [h.get("x-ms-ratelimit-remaining-subscription-reads") for h in seen.headers]
    assert remaining == ["2", "1", "0", "0"]
    assert "x-ms-ratelimit-remaining-subscription-global-reads" not in seen.headers[0]  # no global bucket
    throttled = small.journal.entries(service="arm", status=429)
    assert [e.error_code for e in throttled] == ["SubscriptionRequestsThrottled"]
    assert int(seen.headers[-1]["retry-after"]) >= 1
    # the offline Azure's clock refills the bucket: no wall-clock wait
    small.clock.advance(int(seen.headers[-1]["retry-after"]))
    assert _read(client, info) == 404


def _remaining(seen: Recorder, kind: str) -> list[str]:
    name = f"x-ms-ratelimit-remaining-subscription-{kind}"
    return [h[name] for h in seen.headers if name in h]


def test_writes_and_deletes_have_buckets_of_their_own() -> None:
    emu = AzureEmulator(
        Settings(throttle=ThrottleLimits(writes=BucketSize(2, SLOW), deletes=BucketSize(2, SLOW)))
    )
    info = emu.load_scenario("onboarded")
    client, seen = _network(emu)
    for name in ("t1", "t2"):
        client.virtual_networks.begin_create_or_update(info.resource_group, name, _body(info)).result()
    with pytest.raises(HttpResponseError) as caught:
        client.virtual_networks.begin_create_or_update(info.resource_group, "t3", _body(info))
    assert caught.value.status_code == 429 and caught.value.error is not None
    assert caught.value.error.code == "SubscriptionRequestsThrottled"
    assert [e.status for e in emu.journal.entries(method="PUT")] == [201, 201, 429]
    assert _remaining(seen, "writes") == ["1", "0", "0"]
    assert emu.virtual_network(info.vnet_id("t3")) is None
    # deletes draw from their own bucket, untouched by the writes
    for name in ("t1", "t2"):
        client.virtual_networks.begin_delete(info.resource_group, name).result()
    with pytest.raises(HttpResponseError) as again:
        client.virtual_networks.begin_delete(info.resource_group, "t1")
    assert again.value.status_code == 429
    deletes = emu.journal.entries(method="DELETE")
    assert [e.status for e in deletes][-1] == 429 and len(deletes) == 3
    assert _remaining(seen, "deletes") == ["1", "0", "0"]
    # reads are not limited here: no header of theirs, and the polls all passed
    assert not _remaining(seen, "reads")
    assert len(emu.journal.entries(service="arm", status=429)) == 2


def test_each_principal_has_its_buckets_and_the_global_bucket_holds_them_all() -> None:
    # a principal's bucket of 4 reads, the global one 1.5 times that: 6 reads for all principals together
    emu = AzureEmulator(Settings(throttle=ThrottleLimits(reads=BucketSize(4, SLOW), global_factor=1.5)))
    info = emu.load_scenario("onboarded")
    app, app_seen = _network(emu)
    admin, admin_seen = _network(emu, "managed")
    assert [_read(app, info) for _ in range(5)] == [404, 404, 404, 404, 429]  # the app's own bucket
    assert [h["x-ms-ratelimit-remaining-subscription-global-reads"] for h in app_seen.headers[:4]] == [
        "5",
        "4",
        "3",
        "2",
    ]
    assert [_read(admin, info) for _ in range(3)] == [404, 404, 429]  # the global bucket ran dry
    assert admin_seen.headers[0]["x-ms-ratelimit-remaining-subscription-reads"] == "3"  # its own is full
    assert admin_seen.headers[-1]["x-ms-ratelimit-remaining-subscription-global-reads"] == "0"
    assert len(emu.journal.entries(service="arm", status=429)) == 2


def test_a_request_outside_a_subscription_draws_from_the_tenant_bucket(small: AzureEmulator) -> None:
    from azure.mgmt.core import ARMPipelineClient

    info = _info(small)
    client, _ = _network(small)
    pipeline: ARMPipelineClient[Any, Any] = client._client  # the SDK client's own pipeline
    from azure.core.rest import HttpRequest

    response = pipeline.send_request(
        HttpRequest("GET", f"{info.arm_endpoint}subscriptions?api-version=2022-12-01")
    )
    assert response.headers["x-ms-ratelimit-remaining-tenant-reads"] == "2"
    assert "x-ms-ratelimit-remaining-subscription-reads" not in response.headers


def test_throttling_is_off_by_default_and_unauthenticated_requests_are_not_counted(
    azure_emulator: AzureEmulator,
) -> None:
    info = _info(azure_emulator)
    client, seen = _network(azure_emulator)
    assert [_read(client, info) for _ in range(3)] == [404] * 3
    assert not any(k.startswith("x-ms-ratelimit") for h in seen.headers for k in h)


def test_the_arm_preset_and_the_scaled_buckets() -> None:
    assert ARM_THROTTLE_LIMITS.size("reads") == BucketSize(250, 25)
    assert ARM_THROTTLE_LIMITS.size("writes") == ARM_THROTTLE_LIMITS.size("deletes") == BucketSize(200, 10)
    assert ARM_THROTTLE_LIMITS.global_factor == 15
    assert ARM_THROTTLE_LIMITS.scaled(0.1).reads == BucketSize(25, 2.5)
    assert ARM_THROTTLE_LIMITS.scaled(time_factor=0.1).writes == BucketSize(200, 100)
    legacy = Settings(write_bucket_capacity=4, write_bucket_refill=2).throttle_limits()
    assert legacy == ThrottleLimits(writes=BucketSize(4, 2), global_factor=None, report=False)


def test_real_world_lro_timing_answers_azures_retry_after_scaled() -> None:
    emu = AzureEmulator(real_world_lro_timing(Settings(), time_factor=0.05))
    info = emu.load_scenario("onboarded")
    client, seen = _network(emu)
    poller = client.virtual_networks.begin_create_or_update(info.resource_group, "timed", _body(info))
    # a fraction is sent in milliseconds (azure-mgmt-network reads Retry-After with int())
    assert seen.headers[0]["retry-after-ms"] == str(int(ARM_LRO_RETRY_AFTER * 0.05 * 1000))  # "500"
    assert "retry-after" not in seen.headers[0]
    poller.result()
    assert emu.settings.lro_duration == pytest.approx(0.2)
    whole = real_world_lro_timing(Settings())
    assert (whole.lro_retry_after, whole.lro_duration) == (10, 4.0)
    emu.settings = whole
    client.virtual_networks.begin_create_or_update(info.resource_group, "timed2", _body(info))
    assert seen.headers[-1]["retry-after"] == "10"


def test_serve_flags_select_the_presets() -> None:
    args = build_parser().parse_args(
        [
            "serve",
            "--throttle",
            "arm",
            "--throttle-scale",
            "0.1",
            "--lro-timing",
            "azure",
            "--time-factor",
            "0.5",
        ]
    )
    settings = settings_from_args(args)
    assert settings.throttle == ARM_THROTTLE_LIMITS.scaled(0.1, time_factor=0.5)
    assert (settings.lro_retry_after, settings.lro_duration) == (5.0, 2.0)
    default = settings_from_args(build_parser().parse_args(["serve"]))
    assert default.throttle is None and default.throttle_limits() is None and default.lro_retry_after == 0
