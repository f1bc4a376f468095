"""pytest plugin (entry point ``pytest11``): fixtures for the offline Azure.

- ``azure_emulator``: an in-process [`AzureEmulator`][crossipam.testing.AzureEmulator] with the ``onboarded``
  scenario loaded (``azure_emulator.scenario``); use ``azure_emulator.transport()`` as the azure-core
  transport.
- ``azure_emulator_fresh``: the same with the ``fresh`` scenario (onboarding not done).
- ``azure_emulator_https``: the ``onboarded`` scenario served over HTTPS on loopback; the scenario's
  endpoints are the real URLs and ``ca_bundle`` is set.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .emulator import AzureEmulator


@pytest.fixture
def azure_emulator() -> AzureEmulator:
    """An in-process offline Azure, scenario ``onboarded``.

    ```python
    def test_deploy(azure_emulator: AzureEmulator) -> None:
        info = azure_emulator.scenario
        run_my_automation(info, transport=azure_emulator.transport())
        assert len(azure_emulator.journal.entries(service="arm", method="PUT")) == 1
    ```
    """
    emu = AzureEmulator()
    emu.load_scenario("onboarded")
    return emu


@pytest.fixture
def azure_emulator_fresh() -> AzureEmulator:
    """An in-process offline Azure, scenario ``fresh``.

    ```python
    def test_not_onboarded(azure_emulator_fresh: AzureEmulator) -> None:
        with pytest.raises(AppNotOnboardedError):
            run_my_automation(azure_emulator_fresh.scenario, transport=azure_emulator_fresh.transport())
    ```
    """
    emu = AzureEmulator()
    emu.load_scenario("fresh")
    return emu


@pytest.fixture
def azure_emulator_https() -> Iterator[AzureEmulator]:
    """The ``onboarded`` offline Azure served over HTTPS (``emulator.scenario.ca_bundle`` is the CA to trust).

    ```python
    def test_over_https(azure_emulator_https: AzureEmulator) -> None:
        info = azure_emulator_https.scenario
        run_my_automation(info, connection_verify=info.ca_bundle)
    ```
    """
    emu = AzureEmulator()
    info = emu.load_scenario("onboarded")
    with emu.serve() as server:
        info.ca_bundle = server.ca_bundle
        yield emu
