"""Shared fixtures.

The offline Azure itself (``azure_emulator``, ``azure_emulator_fresh``, ``azure_emulator_https``) comes from
crossipam's pytest plugin (entry point). What the tests share beyond it lives in fixture modules, registered
here — test modules never import each other (or these): they ask for fixtures by name.

* ``tests/fixtures/clients.py``: ``emu`` and its ``info``, the two clients (``client``/``async_client``,
  ``make_client``/``make_async_client``), ``driver`` (each client in turn), how a pipeline reaches an offline
  Azure, and ``spy_vnet_puts`` (pytest-mock spies on the official SDK's VNet PUT and on the wire).
* ``tests/fixtures/onboarding.py``: onboarding and offboarding, sync (``onboard``) and asyncio (``aonboard``),
  with the same defaults, and the fake sleeps (``fake_sleep``, ``fake_async_sleep``: ``Mock``s that advance the
  offline Azure's clock).
* ``tests/fixtures/readiness.py``: the readiness cases and verdicts both clients are held to, and the check
  through either client (``check_readiness``, by ``driver``).
* ``tests/fixtures/arm.py``: raw ARM requests as the spec examples write them, as an admin or the app
  (``arm_as``), over either front.
* ``tests/fixtures/network_sdk.py``: azure-mgmt-network's ``NetworkManagementClient`` for an offline Azure, as the
  automation app (with the auxiliary token) or an admin (``network_client``).
* ``tests/fixtures/faults.py`` and ``tests/fixtures/fault_world.py``: the fault matrix's tables (``fault_matrix``,
  and parameters drawn from them) and one cell on an offline Azure (``fault_world``), with the pool checks.
* ``tests/fixtures/planning.py``: plans, pools and static CIDRs through either client (``ipam_call``, by
  ``driver``), a fragmented pool, and the role that deletes static CIDRs.
* ``tests/fixtures/subnets.py``: one subnet at a time — a seeded VNet (``subnet_vnet``), ``begin_deploy_subnet`` /
  ``begin_remove_subnet_allocation`` through either client (``subnet_call``, by ``driver``), ``subnet_of``.
"""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.clients",
    "tests.fixtures.onboarding",
    "tests.fixtures.readiness",
    "tests.fixtures.faults",
    "tests.fixtures.fault_world",
    "tests.fixtures.arm",
    "tests.fixtures.network_sdk",
    "tests.fixtures.planning",
    "tests.fixtures.subnets",
]
