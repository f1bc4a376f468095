"""Pictures of a pool's address space: the bar and per-VNet table of ``pool usage``, and the SVG/HTML map of
``pool map`` (each block labelled with what holds it: a VNet, a subnet, a static CIDR, a child pool — or free).

```python
print_usage_picture(usage, client.list_pool_allocations(pool_id), sys.stdout)
Path("pool.svg").write_text(pool_svg(pool_id, usage, allocations))
```
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import TextIO

from ..models import IPNetwork, PoolAllocation, PoolUsage

_KINDS = {
    "microsoft.network/virtualnetworks": "VNet",
    "microsoft.network/virtualnetworks/subnets": "subnet",
    "microsoft.network/networkmanagers/ipampools/staticcidrs": "static CIDR",
    "microsoft.network/networkmanagers/ipampools": "child pool",
}
_MARKS = {"allocated": "█", "reserved": "▓", "child pools": "▒", "free": "░"}
_COLOURS = {
    "VNet": "#2f6fdf",
    "subnet": "#7fa7ef",
    "static CIDR": "#e0a030",
    "child pool": "#8a5fd0",
    "free": "#d8dde3",
    "allocation": "#2f6fdf",
}


@dataclass(frozen=True)
class Block:
    """One block of the pool's address space and what holds it.

    Args:
        label: The holder's name (a VNet, subnet, static CIDR or child pool), or ``free``.
        kind: ``VNet``, ``subnet``, ``static CIDR``, ``child pool``, ``allocation`` (another type) or ``free``.
        prefix: The block.

    ```python
    Block("vnet-a", "VNet", ipaddress.ip_network("10.0.0.0/26"))
    ```
    """

    label: str
    kind: str
    prefix: IPNetwork


def kind_of(allocation: PoolAllocation) -> str:
    """What holds an allocation, in words (``VNet``, ``subnet``, ``static CIDR``, ``child pool``).

    Args:
        allocation: One item of ``list_pool_allocations``.

    ```python
    kind_of(allocation)   # 'VNet'
    ```
    """
    return _KINDS.get(allocation.resource_id.resource_type.lower(), "allocation")


def blocks(usage: PoolUsage, allocations: Sequence[PoolAllocation]) -> list[Block]:
    """Every block of the pool: each allocation's prefixes (reserved ones too), the child pools, the free space;
    in address order.

    Args:
        usage: The pool's usage (child pools, free prefixes).
        allocations: What holds space in the pool.

    ```python
    [b.label for b in blocks(usage, allocations)]   # ['vnet-a', 'free', 'free']
    ```
    """
    found = [
        Block(a.resource_id.name, kind_of(a), p)
        for a in allocations
        for p in [*a.address_prefixes, *a.reserved_prefixes]
    ]
    held = {b.prefix for b in found}
    for child in usage.child_pools:
        found += [
            Block(child.resource_id.name, "child pool", p) for p in child.address_prefixes if p not in held
        ]
    found += [Block("free", "free", p) for p in usage.available_address_prefixes]
    return sorted(
        found, key=lambda b: (b.prefix.version, int(b.prefix.network_address), -b.prefix.num_addresses)
    )


def _share(part: int, total: int, width: int) -> int:
    return 0 if total <= 0 else round(width * part / total)


def print_usage_picture(
    usage: PoolUsage, allocations: Sequence[PoolAllocation], out: TextIO, width: int = 60
) -> None:
    """The pool's space as a bar (allocated, reserved, child pools, free) with a legend, then one row per
    allocation (``pool usage``).

    Args:
        usage: The pool's usage.
        allocations: What holds space in the pool.
        out: Where to write.
        width: Characters of the bar.

    ```python
    print_usage_picture(client.get_pool_usage(pool_id), client.list_pool_allocations(pool_id), sys.stdout)
    ```
    """
    total = usage.total_number_of_ip_addresses
    child = sum(p.num_addresses for c in usage.child_pools for p in c.address_prefixes)
    parts = {  # getPoolUsage counts child pools as allocated: they are shown apart
        "allocated": max(0, usage.number_of_allocated_ip_addresses - child),
        "reserved": usage.number_of_reserved_ip_addresses,
        "child pools": child,
        "free": usage.number_of_available_ip_addresses,
    }
    cells = {name: _share(n, total, width) for name, n in parts.items()}
    for name in ("allocated", "reserved", "child pools"):  # what is held never disappears from the bar
        if parts[name] and not cells[name]:
            cells[name] = 1
    cells["free"] = max(0, width - sum(v for k, v in cells.items() if k != "free"))
    print("", file=out)
    print("[" + "".join(_MARKS[name] * cells[name] for name in parts) + "]", file=out)
    print(
        "  ".join(
            f"{_MARKS[name]} {name} {n:,} ({100 * n / total if total else 0:.1f}%)"
            for name, n in parts.items()
        ),
        file=out,
    )
    if not allocations and not usage.child_pools:
        return
    print("", file=out)
    rows = [["HELD BY", "KIND", "SUBSCRIPTION", "ADDRESSES", "PREFIXES"]]
    for a in allocations:
        prefixes = [*a.address_prefixes, *a.reserved_prefixes]
        rows.append(
            [
                a.resource_id.name,
                kind_of(a),
                a.resource_id.subscription_id or "",
                f"{a.total_number_of_ip_addresses:,}",
                ", ".join(str(p) for p in prefixes),
            ]
        )
    for c in usage.child_pools:
        size = sum(p.num_addresses for p in c.address_prefixes)
        rows.append(
            [c.resource_id.name, "child pool", c.resource_id.subscription_id or "", f"{size:,}",
             ", ".join(str(p) for p in c.address_prefixes)]
        )  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip(), file=out)


def pool_svg(pool_id: str, usage: PoolUsage, allocations: Sequence[PoolAllocation]) -> str:
    """An SVG picture of the pool's address space: for each of the pool's prefixes a strip to scale, then one
    row per block (in address order) with its bar, prefix, size and holder; each block also carries a
    ``<title>`` (its tooltip) and ``data-prefix``/``data-label`` attributes.

    Args:
        pool_id: The pool's resource id (the title).
        usage: The pool's usage.
        allocations: What holds space in the pool.

    ```python
    Path("pool.svg").write_text(pool_svg(pool_id, usage, allocations), encoding="utf-8")
    ```
    """
    shown = blocks(usage, allocations)
    width, row, left = 960, 22, 10
    strips = list(usage.address_prefixes)
    height = 60 + 40 * len(strips) + row * (len(shown) + 1)
    name = pool_id.rstrip("/").rsplit("/", 1)[-1]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(pool_id)}</title>",
        f'<text x="{left}" y="22" font-size="16" font-weight="bold">IPAM pool {escape(name)}: '
        f"{usage.number_of_allocated_ip_addresses:,} of {usage.total_number_of_ip_addresses:,} addresses "
        "allocated</text>",
    ]
    y = 40
    for strip in strips:
        parts.append(f'<text x="{left}" y="{y + 12}">{escape(str(strip))}</text>')
        span = width - 2 * left - 140
        for b in shown:
            if b.prefix.version != strip.version or not b.prefix.subnet_of(strip) or b.kind == "subnet":  # type: ignore[arg-type]
                continue
            offset = int(b.prefix.network_address) - int(strip.network_address)
            x = left + 140 + span * offset / strip.num_addresses
            w = max(1.0, span * b.prefix.num_addresses / strip.num_addresses)
            parts.append(
                f'<rect class="strip" x="{x:.2f}" y="{y}" width="{w:.2f}" height="24" '
                f'fill="{_COLOURS.get(b.kind, "#2f6fdf")}" stroke="#fff" stroke-width="0.5">'
                f"<title>{escape(b.label)} {escape(str(b.prefix))}</title></rect>"
            )
        y += 40
    largest = max((b.prefix.num_addresses for b in shown), default=1)
    y += 10
    for b in shown:
        w = max(2.0, 300 * b.prefix.num_addresses / largest)
        label = f"{b.label} ({b.kind})" if b.kind != "free" else "free"
        parts.append(
            f'<g class="block" data-prefix="{escape(str(b.prefix))}" data-label="{escape(b.label)}" '
            f'data-kind="{escape(b.kind)}"><title>{escape(label)}: {escape(str(b.prefix))}</title>'
            f'<rect x="{left}" y="{y}" width="{w:.2f}" height="{row - 6}" fill="{_COLOURS.get(b.kind, "#2f6fdf")}"/>'
            f'<text x="{left + 310}" y="{y + 12}">{escape(str(b.prefix))}</text>'
            f'<text x="{left + 470}" y="{y + 12}">{b.prefix.num_addresses:,}</text>'
            f'<text x="{left + 580}" y="{y + 12}">{escape(label)}</text></g>'
        )
        y += row
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def pool_html(pool_id: str, usage: PoolUsage, allocations: Sequence[PoolAllocation]) -> str:
    """A web page with the pool's SVG map and a table of its blocks (prefix, addresses, holder, kind).

    Args:
        pool_id: The pool's resource id.
        usage: The pool's usage.
        allocations: What holds space in the pool.

    ```python
    Path("pool.html").write_text(pool_html(pool_id, usage, allocations), encoding="utf-8")
    ```
    """
    rows = "\n".join(
        f"<tr><td>{escape(str(b.prefix))}</td><td>{b.prefix.num_addresses:,}</td><td>{escape(b.label)}</td>"
        f"<td>{escape(b.kind)}</td></tr>"
        for b in blocks(usage, allocations)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>IPAM pool {escape(pool_id.rsplit('/', 1)[-1])}</title>"
        "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:left}</style></head><body>\n"
        f"<h1>{escape(pool_id)}</h1>\n{pool_svg(pool_id, usage, allocations)}"
        "<table><thead><tr><th>prefix</th><th>addresses</th><th>held by</th><th>kind</th></tr></thead><tbody>\n"
        f"{rows}\n</tbody></table>\n</body></html>\n"
    )
