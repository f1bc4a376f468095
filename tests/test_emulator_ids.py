"""The offline Azure's one resource-id grammar (``crossipam.testing._ids``).

It replaced regular expressions written by each service; these tests hold it to exactly what they accepted and
refused (the old expressions are kept here, verbatim, as the oracle) and to the router patterns it now writes.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crossipam.testing._ids import (
    IPAM_POOL_ID,
    NETWORK_MANAGER_CONNECTION_ID,
    NETWORK_MANAGER_ID,
    RESOURCE_GROUP_ID,
    SCOPE_CONNECTION_ID,
    STATIC_CIDR_ID,
    SUBSCRIPTION_ID,
    VIRTUAL_NETWORK_ID,
    IdTemplate,
)

# ---- the expressions the grammar replaced (network.py, authorization.py, state.py) -------------------------
OLD_POOL_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Network/"
    r"networkManagers/(?P<nm>[^/]+)/ipamPools/(?P<pool>[^/]+)$",
    re.IGNORECASE,
)
OLD_RG_ID = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)$", re.IGNORECASE)
OLD_SUB_PREFIX = r"^/subscriptions/([^/]+)"
OLD_RG_PREFIX = r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)"
OLD_SUB_EXACT_LOWER = r"^/subscriptions/([^/]+)$"  # on the lower-cased resourceId of a scope connection

SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"
POOL = f"{SUB}/resourceGroups/rg-ipam/providers/Microsoft.Network/networkManagers/nm/ipamPools/pool-a"

# ids built from pieces that stress the grammar: keywords in other cases (and Unicode look-alikes that match
# case-insensitively), empty and slashed segments, newlines, trailing slashes
_pieces = st.sampled_from(
    [
        "/",
        "//",
        "/subscriptions/",
        "/SUBSCRIPTIONS/",
        "/\u017fubscriptions/",  # long s
        "/subscr\u0131ptions/",  # dotless i
        "sub-1",
        "/resourceGroups/",
        "/resourcegroups/",
        "rg-a",
        "/providers/Microsoft.Network/networkManagers/",
        "/providers/microsoft.network/NETWORKMANAGERS/",
        "/providers/MicrosoftXNetwork/networkManagers/",
        "nm",
        "/ipamPools/",
        "/IPAMPOOLS/",
        "pool",
        "\n",
        " ",
        "x",
        "é",
    ]
)
ids = st.lists(_pieces, max_size=12).map("".join)


def _old(rx: re.Pattern[str] | str, text: str, flags: int = 0) -> tuple[str, ...] | None:
    m = re.match(rx, text, flags) if isinstance(rx, str) else rx.match(text)
    return m.groups() if m else None


def _new(parsed: dict[str, str] | None) -> tuple[str, ...] | None:
    return tuple(parsed.values()) if parsed is not None else None


@settings(max_examples=400, deadline=None)
@given(ids)
@example(POOL)
@example(POOL + "\n")
@example(POOL + "/")
@example(POOL.upper())
@example(f"{SUB}/resourceGroups/rg/providers/Microsoft.Network/networkManagers//ipamPools/p")
def test_pool_ids_are_read_exactly_as_before(text: str) -> None:
    assert _new(IPAM_POOL_ID.parse(text)) == _old(OLD_POOL_ID, text)


@settings(max_examples=400, deadline=None)
@given(ids)
@example(f"{SUB}/resourceGroups/rg-a")
@example(f"{SUB}/resourceGroups/rg-a/")
@example(f"{SUB}/resourceGroups/")
def test_resource_group_ids_are_read_exactly_as_before(text: str) -> None:
    assert _new(RESOURCE_GROUP_ID.parse(text)) == _old(OLD_RG_ID, text)


@settings(max_examples=400, deadline=None)
@given(ids)
@example(f"{SUB}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/v")
@example("/subscriptions/")
def test_scopes_are_read_exactly_as_before(text: str) -> None:
    assert _new(SUBSCRIPTION_ID.parse_prefix(text)) == _old(OLD_SUB_PREFIX, text, re.IGNORECASE)
    assert _new(RESOURCE_GROUP_ID.parse_prefix(text)) == _old(OLD_RG_PREFIX, text, re.IGNORECASE)


@settings(max_examples=400, deadline=None)
@given(ids)
@example("/\u017fubscriptions/x")
@example(SUB.upper())
def test_a_scope_connection_names_a_subscription_exactly_as_before(text: str) -> None:
    rid = text.lower().rstrip("/")
    parsed = SUBSCRIPTION_ID.parse(rid)
    named = parsed if parsed is not None and SUBSCRIPTION_ID.build(parsed) == rid else None
    assert _new(named) == _old(OLD_SUB_EXACT_LOWER, rid)


@pytest.mark.parametrize(
    ("template", "old_route"),
    [
        (SUBSCRIPTION_ID, r"/subscriptions/(?P<sub>[^/]+)"),
        (RESOURCE_GROUP_ID, r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"),
        (
            VIRTUAL_NETWORK_ID,
            r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Network"
            r"/virtualNetworks/(?P<name>[^/]+)",
        ),
        (
            STATIC_CIDR_ID,
            r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Network"
            r"/networkManagers/(?P<nm>[^/]+)/ipamPools/(?P<pool>[^/]+)/staticCidrs/(?P<cidr>[^/]+)",
        ),
        (
            SCOPE_CONNECTION_ID,
            r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.Network"
            r"/networkManagers/(?P<nm>[^/]+)/scopeConnections/(?P<conn>[^/]+)",
        ),
        (
            NETWORK_MANAGER_CONNECTION_ID,
            r"/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.Network/networkManagerConnections/(?P<conn>[^/]+)",
        ),
        (
            SUBSCRIPTION_ID.child("/providers/Microsoft.Network/locations/{loc}/operations/{op}"),
            r"/subscriptions/(?P<sub>[^/]+)/providers/Microsoft\.Network/locations/(?P<loc>[^/]+)"
            r"/operations/(?P<op>[^/]+)",
        ),
    ],
)
def test_routes_are_the_patterns_the_services_wrote_by_hand(template: IdTemplate, old_route: str) -> None:
    assert template.route == old_route


def test_an_id_built_from_route_parameters_parses_back() -> None:
    params = {"sub": "s1", "rg": "rg-a", "nm": "nm", "pool": "p", "cidr": "c"}
    built = STATIC_CIDR_ID.build(params)
    assert built == (
        "/subscriptions/s1/resourceGroups/rg-a/providers/Microsoft.Network/networkManagers/nm/ipamPools/p"
        "/staticCidrs/c"
    )
    assert STATIC_CIDR_ID.parse(built) == params
    assert NETWORK_MANAGER_ID.parse_prefix(built) == {"sub": "s1", "rg": "rg-a", "nm": "nm"}
    assert IPAM_POOL_ID.parse(built) is None  # a static CIDR is not a pool
