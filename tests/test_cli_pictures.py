"""Pictures of a pool: ``pool usage`` draws a bar and a table of what holds the space; ``pool map --svg/--html``
writes a picture in which every allocation's prefix and holder can be found; ``check`` colours its table on a
terminal."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from crossipam import CrossTenantIpamClient
from crossipam.cli import EXIT_OK, EXIT_USAGE, main
from crossipam.cli._render import print_report
from crossipam.testing.pytest_plugin import SeededEmulator

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def pool(azure_emulator_https: SeededEmulator, monkeypatch: pytest.MonkeyPatch) -> SeededEmulator:
    """A pool with two VNets (one with a subnet from the pool), a static CIDR and a child pool."""
    emu = azure_emulator_https
    info = emu.scenario
    for name, value in info.environment().items():
        monkeypatch.setenv(name, value)
    with CrossTenantIpamClient.from_client_secret(**info.client_kwargs()) as client:
        client.begin_deploy_virtual_network(info.vnet_id("vnet-a"), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=256).result()  # fmt: skip
        client.begin_deploy_virtual_network(info.vnet_id("vnet-b"), location=info.location, pool_id=info.pool_id, number_of_ip_addresses=64).result()  # fmt: skip
    emu.add_static_cidr(info.pool_id, "on-premises", ["10.0.128.0/24"])
    emu.add_ipam_pool(info.network_manager_id, "pool-child", ["10.0.64.0/20"], parent_pool_name="pool-eastus")
    return emu


def held(emu: SeededEmulator) -> list[tuple[str, str]]:
    info = emu.scenario
    with CrossTenantIpamClient.from_client_secret(**info.client_kwargs()) as client:
        items = client.list_pool_allocations(info.pool_id)
    pairs = [(a.resource_id.name, str(p)) for a in items for p in [*a.address_prefixes, *a.reserved_prefixes]]
    assert {name for name, _ in pairs} >= {"vnet-a", "vnet-b", "on-premises"}, pairs
    return pairs


def test_pool_usage_draws_a_bar_and_a_table(pool: SeededEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pool", "usage", pool.scenario.pool_id]) == EXIT_OK
    out = capsys.readouterr().out
    bar = next(line for line in out.splitlines() if line.startswith("["))
    assert len(bar) == 62 and "█" in bar and "▓" in bar and "░" in bar
    assert "█ allocated 320" in out and "▓ reserved 256" in out
    rows = {
        line.split()[0]: line.split() for line in out.splitlines()[1:] if line.startswith(("vnet-", "on-"))
    }
    assert rows["vnet-a"][1] == "VNet" and rows["vnet-a"][-1] == "10.0.0.0/24"
    assert rows["on-premises"][1:3] == ["static", "CIDR"]
    # JSON stays the model's to_dict(): no picture in it
    assert main(["pool", "usage", pool.scenario.pool_id, "-o", "json"]) == EXIT_OK
    assert "█" not in capsys.readouterr().out


def test_pool_map_svg_shows_every_allocation(pool: SeededEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    picture = tmp_path / "pool.svg"
    assert main(["pool", "map", pool.scenario.pool_id, "--svg", str(picture)]) == EXIT_OK
    assert f"wrote {picture}" in capsys.readouterr().out
    root = ET.parse(picture).getroot()  # well-formed XML, an SVG
    assert root.tag == f"{SVG}svg"
    shown = {
        (g.get("data-label"), g.get("data-prefix")) for g in root.iter(f"{SVG}g") if g.get("class") == "block"
    }
    texts = {t.text for t in root.iter(f"{SVG}text")}
    for name, prefix in held(pool):
        assert (name, prefix) in shown, (name, prefix)
        assert prefix in texts and any(t and t.startswith(name) for t in texts)
    assert ("pool-child", "10.0.64.0/20") in shown and any(label == "free" for label, _ in shown)


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.svg = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.svg = self.svg or tag == "svg"

    def handle_data(self, data: str) -> None:
        self.cells.append(data.strip())


def test_pool_map_html_shows_every_allocation(pool: SeededEmulator, tmp_path: Path) -> None:
    page = tmp_path / "pool.html"
    assert main(["pool", "map", pool.scenario.pool_id, "--html", str(page), "-o", "none"]) == EXIT_OK
    parsed = _Cells()
    parsed.feed(page.read_text(encoding="utf-8"))
    assert parsed.svg
    for name, prefix in held(pool):
        assert prefix in parsed.cells and name in parsed.cells


def test_pool_map_needs_a_file(pool: SeededEmulator, tmp_path: Path) -> None:
    assert main(["pool", "map", pool.scenario.pool_id]) == EXIT_USAGE
    assert (
        main(["pool", "map", pool.scenario.pool_id, "--svg", str(tmp_path / "no" / "such" / "dir.svg")])
        == EXIT_USAGE
    )


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_check_colours_its_table_on_a_terminal(
    pool: SeededEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    info = pool.scenario
    with CrossTenantIpamClient.from_client_secret(**info.client_kwargs()) as client:
        report = client.check_readiness(info.pool_id, number_of_ip_addresses=1_000_000)
    terminal, pipe = _Terminal(), io.StringIO()
    print_report(report, terminal)
    print_report(report, pipe)
    coloured, plain = terminal.getvalue(), pipe.getvalue()
    assert "\x1b[" in coloured and "\x1b[" not in plain
    assert "pool_capacity" in coloured and "FAIL" in coloured and "PASS" in coloured
    assert "FAIL  pool_capacity" in plain  # unchanged without a terminal
    assert json.loads(json.dumps(report.to_dict()))["ok"] is False
