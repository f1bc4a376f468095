"""The async client's readiness check: the same checks, verdicts and report as the sync client's (the verdicts are
one set of pure functions in crossipam.readiness; only the I/O differs).

The verdicts themselves are asserted once for both clients: tests/test_readiness.py runs its cases through either
client (the ``driver`` fixture); what is asyncio's own is here."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING

import crossipam
import crossipam.aio
from crossipam.testing import AzureEmulator

if TYPE_CHECKING:
    from .fixtures.clients import MakeAsyncClient, MakeClient
    from .fixtures.readiness import Case, Readiness


async def test_everything_passes_over_https(
    azure_emulator_https: AzureEmulator, make_async_client: MakeAsyncClient, readiness: Readiness
) -> None:
    """The default async transport (aiohttp) against the offline Azure over real HTTPS."""
    pool, args = readiness.check_args(azure_emulator_https)
    async with make_async_client(azure_emulator_https) as client:
        report = await client.check_readiness(pool, **args)
    assert readiness.statuses(report) == readiness.verdicts(cross_tenant_connection="skip")


async def test_same_report_as_the_sync_client(
    readiness_case: Case,
    readiness: Readiness,
    make_client: MakeClient,
    make_async_client: MakeAsyncClient,
) -> None:
    """On the same offline Azure, the two clients report the same checks, word for word, and read the same."""
    emu = readiness_case.emulator()
    pool, args = readiness.check_args(emu, **readiness_case.kwargs)
    with make_client(emu) as client:
        sync_report = client.check_readiness(pool, **args)
    sync_reads = [(e.method, e.path, e.status) for e in emu.journal.entries() if e.service != "login"]
    emu.journal.clear()
    async with make_async_client(emu) as aclient:
        async_report = await aclient.check_readiness(pool, **args)
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
