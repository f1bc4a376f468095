"""The examples of docs/planning.md run, as written, against the offline Azure, and print what they say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from crossipam.testing import AzureEmulator

if TYPE_CHECKING:
    from .fixtures.clients import CloudOf, InfoOf

DOC = Path(__file__).resolve().parent.parent / "docs" / "planning.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_the_page_has_examples_and_is_in_the_nav() -> None:
    assert len(python_blocks()) == 3
    assert "planning.md" in (DOC.parent.parent / "mkdocs.yml").read_text(encoding="utf-8")


@pytest.mark.parametrize("index", range(3))
def test_example_runs_and_prints_what_its_comments_say(
    azure_emulator: AzureEmulator,
    index: int,
    capsys: pytest.CaptureFixture[str],
    info_of: InfoOf,
    cloud_of: CloudOf,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    if index == 2:  # the static CIDR example's app may write static CIDRs on the pool
        sp = emu.service_principal(info.app.client_id, info.management_tenant_id)
        assert sp is not None
        emu.assign_role(sp.object_id, "Network Contributor", info.pool_id)
    namespace: dict[str, Any] = {"info": info, "cloud": cloud_of(info), "transport": emu.transport()}
    block = python_blocks()[index]
    exec(compile(block, f"{DOC.name}[{index}]", "exec"), namespace)
    printed = capsys.readouterr().out.splitlines()
    # every "# value" comment after a print(...) is the line it printed
    said = [c.strip() for line in block.splitlines() if line.lstrip().startswith("print(") and "#" in line for c in [line.rsplit("#", 1)[1]]]  # fmt: skip
    for comment in said:
        assert comment in printed, (comment, printed)
    if index == 0:
        assert printed[-1] == "['created', 'PoolExhaustedError']"
