"""The examples of docs/bulk-and-async.md run, as written, against the offline Azure."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from crossipam.testing import AzureEmulator

if TYPE_CHECKING:
    from .fixtures.clients import CloudOf, InfoOf


DOC = Path(__file__).resolve().parent.parent / "docs" / "bulk-and-async.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_page_has_examples() -> None:
    assert len(python_blocks()) == 3


@pytest.mark.parametrize("index", range(3))
def test_example_runs(
    azure_emulator: AzureEmulator,
    index: int,
    capsys: pytest.CaptureFixture[str],
    info_of: InfoOf,
    cloud_of: CloudOf,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    namespace: dict[str, Any] = {
        "info": info,
        "cloud": cloud_of(info),
        "transport": emu.transport(),
        "async_transport": emu.async_transport(),
        "__name__": "docs_example",
    }
    exec(compile(python_blocks()[index], f"{DOC.name}[{index}]", "exec"), namespace)
    out = capsys.readouterr().out
    assert out.strip()
    assert len(emu.journal.token_requests()) == 2
    if index == 1:
        assert "10 deployed;" in out and "too-big" in out and "11/11" in out
        assert emu.pool_usage(info.pool_id)["numberOfAllocatedIPAddresses"] == "0"
