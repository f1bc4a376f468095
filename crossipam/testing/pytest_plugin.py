"""pytest plugin (entry point ``pytest11``): fixtures for the offline Azure.

- ``azure_emulator``: an in-process [`AzureEmulator`][crossipam.testing.AzureEmulator] with the ``onboarded``
  scenario loaded (``azure_emulator.scenario``, typed [`ScenarioInfo`][crossipam.testing.ScenarioInfo], never
  ``None``); use ``azure_emulator.transport()`` as the azure-core transport, or
  ``azure_emulator.scenario.client_kwargs(transport=azure_emulator.transport())``.
- ``azure_emulator_fresh``: the same with the ``fresh`` scenario (onboarding not done).
- ``azure_emulator_https``: the ``onboarded`` scenario served over HTTPS on loopback; the scenario's
  endpoints are the real URLs and ``ca_bundle`` is set.
- ``azure_time``: a [`TimeTravel`][crossipam.testing.pytest_plugin.TimeTravel] that moves the clock of
  everything in the process at once — the offline Azure, MSAL's and azure-identity's token caches, azure-core's
  token policy and the client — so that a test can let tokens expire and see them renewed.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from ._core import Settings
from .emulator import AzureEmulator
from .scenarios import ScenarioInfo

__all__ = ["SeededEmulator", "TimeTravel"]


class SeededEmulator(AzureEmulator):
    """An [`AzureEmulator`][crossipam.testing.AzureEmulator] whose scenario is loaded: what the fixtures give,
    so that ``emulator.scenario`` is a ``ScenarioInfo`` for type checkers (no ``assert ... is not None``).

    Args:
        scenario: The scenario to seed (``onboarded`` or ``fresh``).
        settings: The knobs (see [`Settings`][crossipam.testing.Settings]); the defaults when omitted.

    ```python
    def test_deploy(azure_emulator: SeededEmulator) -> None:
        info = azure_emulator.scenario          # ScenarioInfo, not ScenarioInfo | None
    slow = SeededEmulator("fresh", Settings(replication_delay=15))
    ```
    """

    scenario: ScenarioInfo

    def __init__(self, scenario: str = "onboarded", settings: Settings | None = None) -> None:
        super().__init__(settings)
        self.load_scenario(scenario)


class TimeTravel:
    """Time that passes for everyone in the process without sleeping: ``time.time()`` itself is moved, which
    the offline Azure's clock, MSAL's token cache, azure-identity, azure-core's bearer-token policy and
    crossipam all read. ``emulator.clock.advance()`` alone moves only the offline Azure (clock skew: the
    clients still believe their tokens are fresh).

    Args:
        monkeypatch: pytest's ``monkeypatch``, which puts the real clock back after the test.

    ```python
    def test_token_renewal(azure_emulator: SeededEmulator, azure_time: TimeTravel) -> None:
        azure_time.advance(2 * 3600)   # every token has expired, for the clients and for the offline Azure
    ```
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._real = time.time
        self.offset = 0.0
        """Seconds added to the real time so far."""
        monkeypatch.setattr(time, "time", self.time)

    def time(self) -> float:
        """The moved time (what ``time.time()`` returns while the fixture is active).

        ```python
        azure_time.time() - real_now   # azure_time.offset
        ```
        """
        return self._real() + self.offset

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass for everyone.

        Args:
            seconds: How far to move the clock (non-negative).

        ```python
        azure_time.advance(azure_emulator.settings.token_lifetime)   # every token issued so far has expired
        ```
        """
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.offset += seconds


@pytest.fixture
def azure_emulator() -> SeededEmulator:
    """An in-process offline Azure, scenario ``onboarded``.

    ```python
    def test_deploy(azure_emulator: SeededEmulator) -> None:
        info = azure_emulator.scenario
        run_my_automation(info, transport=azure_emulator.transport())
        assert len(azure_emulator.journal.entries(service="arm", method="PUT")) == 1
    ```
    """
    return SeededEmulator("onboarded")


@pytest.fixture
def azure_emulator_fresh() -> SeededEmulator:
    """An in-process offline Azure, scenario ``fresh``.

    ```python
    def test_not_onboarded(azure_emulator_fresh: SeededEmulator) -> None:
        with pytest.raises(AppNotOnboardedError):
            run_my_automation(azure_emulator_fresh.scenario, transport=azure_emulator_fresh.transport())
    ```
    """
    return SeededEmulator("fresh")


@pytest.fixture
def azure_emulator_https() -> Iterator[SeededEmulator]:
    """The ``onboarded`` offline Azure served over HTTPS (``emulator.scenario.ca_bundle`` is the CA to trust).

    ```python
    def test_over_https(azure_emulator_https: SeededEmulator) -> None:
        info = azure_emulator_https.scenario
        run_my_automation(info, connection_verify=info.ca_bundle)
    ```
    """
    emu = SeededEmulator("onboarded")
    with emu.serve() as server:
        emu.scenario.ca_bundle = server.ca_bundle
        yield emu


@pytest.fixture
def azure_time(monkeypatch: pytest.MonkeyPatch) -> TimeTravel:
    """Time that passes for the offline Azure and every client in the process (see `TimeTravel`).

    Args:
        monkeypatch: pytest's, which puts the real clock back after the test.

    ```python
    def test_token_renewal(azure_emulator: SeededEmulator, azure_time: TimeTravel) -> None:
        azure_time.advance(2 * 3600)
    ```
    """
    return TimeTravel(monkeypatch)
