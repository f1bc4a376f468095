"""The async client's readiness check: the same checks, verdicts and report as the sync client's (the verdicts are
one set of pure functions in crossipam.readiness; only the I/O differs)."""

from __future__ import annotations

import inspect

import pytest

import crossipam
import crossipam.aio
from crossipam.readiness import ReadinessReport
from crossipam.testing import AzureEmulator

from .test_aio_client import make_client
from .test_readiness import (
    CASES,
    NOT_ONBOARDED,
    Case,
    _client,
    check_args,
    delete_sp_in_a,
    delete_sp_in_b,
    info_of,
    statuses,
    verdicts,
)


async def acheck(emu: AzureEmulator, **kwargs: object) -> ReadinessReport:
    pool, args = check_args(emu, **kwargs)
    async with make_client(emu) as client:
        return await client.check_readiness(pool, **args)


def check(emu: AzureEmulator, **kwargs: object) -> ReadinessReport:
    pool, args = check_args(emu, **kwargs)
    with _client(emu) as client:
        return client.check_readiness(pool, **args)


async def test_everything_passes_when_onboarded(azure_emulator: AzureEmulator) -> None:
    report = await acheck(azure_emulator)
    assert report.ok
    assert statuses(report) == verdicts(cross_tenant_connection="skip")
    assert "inferred from the tenant-A token" in report.check("app_multitenant").observed
    assert not azure_emulator.journal.writes()


async def test_everything_passes_over_https(azure_emulator_https: AzureEmulator) -> None:
    """The default async transport (aiohttp) against the offline Azure over real HTTPS."""
    report = await acheck(azure_emulator_https)
    assert statuses(report) == verdicts(cross_tenant_connection="skip")


async def test_app_not_onboarded(azure_emulator_fresh: AzureEmulator) -> None:
    report = await acheck(azure_emulator_fresh)
    assert statuses(report) == NOT_ONBOARDED
    assert [c.name for c in report.failed] == [
        "token_management_tenant",
        "service_principal_in_management_tenant",
    ]
    for failed in report.failed:
        assert "crossipam onboard" in failed.remedy
    assert "AADSTS700016" in report.check("token_management_tenant").observed
    assert "cannot tell" in report.check("app_multitenant").observed


async def test_only_the_service_principal_is_missing(azure_emulator: AzureEmulator) -> None:
    delete_sp_in_a(azure_emulator)
    report = await acheck(azure_emulator)
    assert statuses(report) == NOT_ONBOARDED
    assert "crossipam onboard" in report.check("service_principal_in_management_tenant").remedy


async def test_only_the_managed_tenant_token_fails(azure_emulator: AzureEmulator) -> None:
    info = info_of(azure_emulator)
    delete_sp_in_b(azure_emulator)
    report = await acheck(azure_emulator)
    assert statuses(report) == CASES["no token for B"].verdicts
    token = report.check("token_managed_tenant")
    assert token.tenant_id == info.managed_tenant_id
    assert f"could not get a token for tenant {info.managed_tenant_id}" in token.observed


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
async def test_verdicts(case: Case) -> None:
    emu = case.emulator()
    report = await acheck(emu, **case.kwargs)
    assert statuses(report) == case.verdicts
    assert not emu.journal.writes()


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
async def test_same_report_as_the_sync_client(case: Case) -> None:
    """On the same offline Azure, the two clients report the same checks, word for word, and read the same."""
    emu = case.emulator()
    sync_report = check(emu, **case.kwargs)
    sync_reads = [(e.method, e.path, e.status) for e in emu.journal.entries() if e.service != "login"]
    emu.journal.clear()
    async_report = await acheck(emu, **case.kwargs)
    async_reads = [(e.method, e.path, e.status) for e in emu.journal.entries() if e.service != "login"]
    assert async_report.to_dict() == sync_report.to_dict()
    assert async_reads == sync_reads


def test_the_clients_have_the_same_public_names() -> None:
    def public(cls: type) -> set[str]:
        return {name for name in dir(cls) if not name.startswith("_")}

    assert public(crossipam.aio.CrossTenantIpamClient) == public(crossipam.CrossTenantIpamClient)


def test_check_readiness_has_the_sync_signature() -> None:
    ours = inspect.signature(crossipam.aio.CrossTenantIpamClient.check_readiness)
    theirs = inspect.signature(crossipam.CrossTenantIpamClient.check_readiness)
    assert inspect.iscoroutinefunction(crossipam.aio.CrossTenantIpamClient.check_readiness)
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
        (p.name, p.kind, p.default) for p in theirs.parameters.values()
    ]
