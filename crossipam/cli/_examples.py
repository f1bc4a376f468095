"""The Examples section at the end of every command's ``--help``, as ``az`` has one.

```python
add_examples(parser)   # sets each (sub)command's epilog from EXAMPLES
```
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

VNET = "/subscriptions/$SUB/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks/vnet-a"

EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "": (
        ("Try everything against the offline Azure", "crossipam demo"),
        ("Is everything in place for a deployment?", 'crossipam check --pool-id "$POOL" --vnet-id "$VNET"'),
    ),
    "demo": (
        ("The walk-through, in-process", "crossipam demo"),
        ("The same over HTTPS on loopback, 256 addresses", "crossipam demo --https --addresses 256"),
    ),
    "deploy": (
        (
            "A VNet with 256 addresses and two subnets from the pool",
            'crossipam deploy -g rg-spoke -n vnet-a --location eastus --pool-id "$POOL" --addresses 256 '
            '--subnets "app:64;data:16"',
        ),
        ("Many VNets from a file, as JSON", "crossipam deploy --from-file vnets.csv -o json"),
    ),
    "remove": (
        ("Detach a VNet from the pool (its prefixes stay, static)", f"crossipam remove {VNET}"),
        ("The same by name", "crossipam remove -g rg-spoke -n vnet-a --subscription $SUB"),
    ),
    "show": (
        ("A VNet's prefixes, allocations and subnets", "crossipam show -g rg-spoke -n vnet-a"),
        ("Only its prefixes, one a line", f'crossipam show {VNET} --query "address_prefixes" -o tsv'),
    ),
    "pool": (("The pool's usage", 'crossipam pool usage "$POOL"'),),
    "pool usage": (
        ("The pool's usage: a bar and a table per VNet", 'crossipam pool usage "$POOL"'),
        ("Only the free addresses", 'crossipam pool usage "$POOL" --query number_of_available_ip_addresses -o tsv'),
        (
            "A pool by name, as az names it (subscription: CROSSIPAM_MANAGEMENT_SUBSCRIPTION_ID)",
            "crossipam pool usage -g rg-ipam --network-manager-name nm-platform -n pool-eastus",
        ),
    ),
    "pool allocations": (
        ("Everything that holds space in the pool", 'crossipam pool allocations "$POOL"'),
        ("The VNets' names and prefixes", 'crossipam pool allocations "$POOL" --query "[].[resource_id, address_prefixes[0]]" -o tsv'),
    ),
    "plan": (
        ("What a file of VNets would take from the pools, before deploying", "crossipam plan --from-file vnets.csv"),
        ("The same as YAML", "crossipam plan --from-file vnets.csv -o yaml"),
    ),
    "pool show": (("A pool: its prefixes, parent and usage", 'crossipam pool show "$POOL"'),),
    "pool list": (("The pools of a network manager", 'crossipam pool list "$NETWORK_MANAGER" -o table'),),
    "pool reserve": (
        ("Reserve 256 addresses for on-premises", 'crossipam pool reserve "$POOL" on-premises --addresses 256'),
        ("Reserve given prefixes", 'crossipam pool reserve "$POOL" branch --prefix 10.0.200.0/24'),
    ),
    "pool unreserve": (("Release a static CIDR", 'crossipam pool unreserve "$POOL" on-premises'),),
    "pool reservations": (("The pool's static CIDRs, one a line", 'crossipam pool reservations "$POOL" -o tsv'),),
    "subnet": (("A subnet of 64 addresses from the VNet's pool", f"crossipam subnet deploy {VNET} app --addresses 64"),),
    "subnet deploy": (
        ("Create or grow one subnet from the VNet's pool", f"crossipam subnet deploy {VNET} app --addresses 64"),
        ("As JSON", f"crossipam subnet deploy {VNET} app --addresses 128 -o json"),
    ),
    "subnet remove": (
        ("Turn a subnet's allocation into static prefixes", f"crossipam subnet remove {VNET} app"),
    ),
    "pool map": (
        ("A picture of the pool's address space", 'crossipam pool map "$POOL" --svg pool.svg'),
        ("The same as a web page", 'crossipam pool map "$POOL" --html pool.html'),
    ),
    "check": (
        ("Every prerequisite of a deployment", 'crossipam check --pool-id "$POOL" --vnet-id "$VNET" --addresses 256'),
        ("Only the failed checks' names", "crossipam check --pool-id \"$POOL\" --query \"checks[?status=='fail'].name\" -o tsv"),
    ),
    "onboard": (
        ("Onboard the app as the admins (your az login)", 'crossipam onboard --app-id "$APP" --pool-id "$POOL"'),
        ("Only say what would change", 'crossipam onboard --app-id "$APP" --pool-id "$POOL" --dry-run'),
    ),
    "offboard": (
        ("Remove the app's role on the pool", 'crossipam offboard --app-id "$APP" --pool-id "$POOL"'),
        ("And its service principal in tenant A", 'crossipam offboard --app-id "$APP" --pool-id "$POOL" --delete-service-principal'),
    ),
    "emulator": (
        ("Serve the offline Azure; one JSON line", "crossipam emulator --scenario fresh"),
        ("Point this shell at it", "crossipam emulator --print-env > offline.env & sleep 3; . ./offline.env"),
    ),
}  # fmt: skip
"""Each command's examples (``""``: the top level), as (what it does, the command line)."""


def commands(
    parser: argparse.ArgumentParser, path: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every (sub)command of ``parser`` with its path (``"pool usage"``), the top level first as ``""``.

    Args:
        parser: The top-level parser.
        path: The path of ``parser`` itself.

    ```python
    dict(commands(build_parser()))["pool usage"].prog   # 'crossipam pool usage'
    ```
    """
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, f"{path} {name}".strip())


def add_examples(parser: argparse.ArgumentParser) -> None:
    """Set each command's epilog to its Examples section (commands without examples keep theirs).

    Args:
        parser: The top-level parser.

    ```python
    add_examples(parser)
    ```
    """
    for path, command in commands(parser):
        examples = EXAMPLES.get(path)
        if examples:
            command.epilog = "Examples:\n" + "\n".join(f"  {what}\n    {line}\n" for what, line in examples)
