"""Issue 16, part 5: ids, names, tags and counts are checked as Azure checks them, before any request.

Table-driven over each naming rule (boundary lengths, every forbidden character, trailing periods, ``.``/``..``
segments, NUL, ``%2F``, Unicode), GUID subscription ids, tag limits and readiness counts; representative cases
drive the real clients against the offline Azure and prove that no request reached it (the journal stays
empty). Property tests check the rules against the regular expressions they implement and that every accepted
name round-trips through the id parsers."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossipam import (
    DeploymentRefusedError,
    DeploymentSpec,
    InvalidInputError,
    InvalidResourceIdError,
    IpamPoolId,
    ResourceId,
    SubnetSpec,
    VirtualNetworkId,
)
from crossipam._resource_ids import (
    IPAM_POOL_NAME,
    NETWORK_MANAGER_NAME,
    RESOURCE_GROUP_NAME,
    SUBNET_NAME,
    VIRTUAL_NETWORK_NAME,
    NameRule,
    check_subscription_id,
    path_problem,
    utf16_length,
)
from crossipam._validation import check_count, check_tags, merge_tags
from crossipam.deployment import deployment_request
from crossipam.testing import AzureEmulator

if TYPE_CHECKING:
    from .fixtures.clients import InfoOf, MakeAsyncClient, MakeClient


SUB = "bbbbbbbb-1111-4000-8000-000000000002"
NET = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network"
VNET = f"{NET}/virtualNetworks/vnet1"
POOL = f"{NET}/networkManagers/nm/ipamPools/pool1"


def vnet_id(*, sub: str = SUB, rg: str = "rg", name: str = "vnet1") -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/{name}"


def pool_id(*, sub: str = SUB, rg: str = "rg", nm: str = "nm", name: str = "pool1") -> str:
    return (
        f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/networkManagers/{nm}"
        f"/ipamPools/{name}"
    )


# ---- what no name of any kind may contain: it would change the request URL --------------------------------

#: (text inside a name, what the message must say about it)
PATH_CHANGERS = [
    ("a/b", "'/'"),
    ("a\\b", "'\\' (read as '/'"),
    ("a?b", "'?'"),
    ("a#b", "'#'"),
    ("a%2Fb", "'%'"),
    ("a%2e%2eb", "'%'"),
    ("a\x00b", "NUL"),
    ("a b", "whitespace"),
    ("a\tb", "whitespace"),
    ("a\nb", "whitespace"),
    ("a\u00a0b", "whitespace"),  # no-break space
    ("a\u2028b", "whitespace"),  # line separator
    ("a\x1bb", "control character"),
    ("a\x7fb", "control character"),
    ("a\u200bb", "invisible"),  # zero-width space
    ("a\u202eb", "invisible"),  # right-to-left override
    ("a\ufeffb", "invisible"),  # byte order mark
]


@pytest.mark.parametrize(("text", "said"), PATH_CHANGERS)
def test_path_problem_names_the_character(text: str, said: str) -> None:
    problem = path_problem(text)
    assert problem is not None and said in problem and "position 1" in problem


@pytest.mark.parametrize("segment", [".", ".."])
def test_dot_segments_are_path_problems(segment: str) -> None:
    assert path_problem(segment) == f"is a {segment!r} path segment"


@pytest.mark.parametrize(
    "rule", [RESOURCE_GROUP_NAME, VIRTUAL_NETWORK_NAME, SUBNET_NAME, NETWORK_MANAGER_NAME]
)
@pytest.mark.parametrize(("text", "said"), PATH_CHANGERS)
def test_no_rule_accepts_a_path_changer(rule: NameRule, text: str, said: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        rule.check(text)
    assert said in caught.value.message and "would change the request URL" in caught.value.message


# ---- each naming rule: good and bad names --------------------------------------------------------------------

RULES: dict[str, tuple[NameRule, list[str], list[tuple[str, str]]]] = {
    # rule: (accepted names, [(refused name, what the message says)])
    "resource group": (
        RESOURCE_GROUP_NAME,
        [
            "r",
            "a" * 90,
            "rg-spoke_network",
            "rg.prod",
            "(rg)",
            "_rg",
            "-rg",
            ".rg",
            "rg..x",
            "RG-1(2).3_",
            "rg-münchen",  # letters of any script, as ARM (.NET \w) accepts
            "資源グループ",
            "группа",
            "cafe\u0301",  # combining acute accent (non-spacing mark, in .NET's \w)
            "rg\u203fx",  # connector punctuation (in .NET's \w)
            "\N{MATHEMATICAL BOLD CAPITAL A}" * 45,  # 90 UTF-16 code units
            "٣rg",  # Arabic-Indic digit
        ],
        [
            ("", "is empty"),
            ("a" * 91, "is 91 characters long"),
            ("\N{MATHEMATICAL BOLD CAPITAL A}" * 46, "is 92 characters long"),
            ("rg.", "ends with '.'"),
            ("rg-prod.", "ends with '.'"),
            (".", "path segment"),
            ("..", "path segment"),
            ("rg+1", "contains '+'"),
            ("rg,1", "contains ','"),
            ("rg!", "contains '!'"),
            ("rg&x", "contains '&'"),
            ("rg'x", 'contains "\'"'),
            ("rg:x", "contains ':'"),
            ("rg*", "contains '*'"),
            ("rg½", "contains '½'"),  # a number, not a decimal digit
            ("rg€", "contains '€'"),
        ],
    ),
    "virtual network": (
        VIRTUAL_NETWORK_NAME,
        ["ab", "a" * 64, "v1", "0v", "vnet_", "vnet-team.blue_2", "a..b", "a-.-_b", "VNET"],
        [
            ("", "is empty"),
            ("v", "is 1 character long"),
            ("a" * 65, "is 65 characters long"),
            ("-vnet", "starts with '-'"),
            (".vnet", "starts with '.'"),
            ("_vnet", "starts with '_'"),
            ("vnet.", "ends with '.'"),
            ("vnet-", "ends with '-'"),
            ("..", "path segment"),
            ("vnet(1)", "contains '('"),
            ("vnét", "contains 'é'"),  # ASCII letters only
            ("vnet\u0661", "contains"),  # a non-ASCII digit
            ("v&n", "contains '&'"),
            ("v+n", "contains '+'"),
            ("v@n", "contains '@'"),
        ],
    ),
    "subnet": (
        SUBNET_NAME,
        ["a", "0", "a" * 80, "GatewaySubnet", "AzureFirewallSubnet", "app_", "a.b-c_d"],
        [
            ("", "is empty"),
            ("a" * 81, "is 81 characters long"),
            ("_", "starts with '_'"),
            ("-app", "starts with '-'"),
            ("app.", "ends with '.'"),
            ("app-", "ends with '-'"),
            ("ap(p)", "contains '('"),
            ("äpp", "contains 'ä'"),
        ],
    ),
    "network manager": (
        NETWORK_MANAGER_NAME,
        ["n", "a" * 64, "nm-platform", "nm_", "nm.v2"],
        [
            ("", "is empty"),
            ("a" * 65, "is 65 characters long"),
            ("-nm", "starts with '-'"),
            ("nm.", "ends with '.'"),
            ("nm-", "ends with '-'"),
            ("n(m)", "contains '('"),
        ],
    ),
    "IPAM pool": (
        IPAM_POOL_NAME,
        ["p", "a" * 64, "pool-eastus-v6", "pool_"],
        [
            ("", "is empty"),
            ("a" * 65, "is 65 characters long"),
            (".pool", "starts with '.'"),
            ("pool.", "ends with '.'"),
            ("pool-", "ends with '-'"),
            ("pool ü", "whitespace"),
        ],
    ),
}
GOOD = [
    pytest.param(rule, name, id=f"{kind}-{name[:20]!r}")
    for kind, (rule, good, _) in RULES.items()
    for name in good
]
BAD = [
    pytest.param(rule, name, said, id=f"{kind}-{name[:20]!r}")
    for kind, (rule, _, bad) in RULES.items()
    for name, said in bad
]


@pytest.mark.parametrize(("rule", "name"), GOOD)
def test_rule_accepts(rule: NameRule, name: str) -> None:
    assert rule.accepts(name) and rule.problem(name) is None
    assert rule.check(name) is name


@pytest.mark.parametrize(("rule", "name", "said"), BAD)
def test_rule_refuses_naming_the_part_and_the_rule(rule: NameRule, name: str, said: str) -> None:
    assert not rule.accepts(name)
    with pytest.raises(InvalidInputError) as caught:
        rule.check(name)
    err = caught.value
    assert f"{rule.kind} {name!r} " in err.message, "the message names the part"
    assert said in err.message
    assert err.message.endswith(rule.summary), "the message states the rule"
    assert err.hint and rule.summary in err.hint


@pytest.mark.parametrize("rule", [rule for rule, _, _ in RULES.values()])
@pytest.mark.parametrize("value", [None, 7, b"vnet", ["vnet"]])
def test_rules_refuse_non_strings(rule: NameRule, value: Any) -> None:
    assert not rule.accepts(value)
    with pytest.raises(InvalidInputError, match="must be a string"):
        rule.check(value)


def test_lengths_count_utf16_code_units_as_azure_does() -> None:
    assert utf16_length("rg-münchen") == 10
    assert utf16_length("\N{MATHEMATICAL BOLD CAPITAL A}") == 2


# ---- the rules inside ids: each part of each id -----------------------------------------------------------


def _embedded(kind: str, name: str) -> list[tuple[str, Any]]:
    """(id, parser) pairs that carry ``name`` in the part of that kind."""
    if kind == "resource group":
        return [
            (vnet_id(rg=name), VirtualNetworkId.parse),
            (pool_id(rg=name), IpamPoolId.parse),
            (vnet_id(rg=name), ResourceId.parse),
        ]
    if kind == "virtual network":
        return [(vnet_id(name=name), VirtualNetworkId.parse), (vnet_id(name=name), ResourceId.parse)]
    if kind == "subnet":
        return [(f"{VNET}/subnets/{name}", ResourceId.parse)]
    if kind == "network manager":
        return [(pool_id(nm=name), IpamPoolId.parse), (pool_id(nm=name), ResourceId.parse)]
    return [(pool_id(name=name), IpamPoolId.parse), (pool_id(name=name), ResourceId.parse)]


EMBEDDED_GOOD = [
    pytest.param(text, parser, id=f"{kind}-{parser.__qualname__}-{name[:20]!r}")
    for kind, (_, good, _) in RULES.items()
    for name in good
    for text, parser in _embedded(kind, name)
]
EMBEDDED_BAD = [
    pytest.param(text, parser, rule, name, id=f"{kind}-{parser.__qualname__}-{name[:20]!r}")
    for kind, (rule, _, bad) in RULES.items()
    for name, _ in bad
    if name  # an empty part is not an id of that shape at all (tested below)
    for text, parser in _embedded(kind, name)
]


@pytest.mark.parametrize(("text", "parser"), EMBEDDED_GOOD)
def test_ids_with_good_names_parse_and_round_trip(text: str, parser: Any) -> None:
    parsed = parser(text)
    assert str(parsed) == text and parser(str(parsed)) == parsed


@pytest.mark.parametrize(("text", "parser", "rule", "name"), EMBEDDED_BAD)
def test_ids_with_bad_names_are_refused_naming_the_part(
    text: str, parser: Any, rule: NameRule, name: str
) -> None:
    with pytest.raises(InvalidResourceIdError) as caught:
        parser(text)
    err = caught.value
    assert f"{rule.kind} {name!r} " in err.message and rule.summary in err.message
    assert repr(text) in err.message, "the message quotes the id"
    assert err.hint


@pytest.mark.parametrize(
    "text",
    [
        vnet_id(rg=".."),
        vnet_id(rg="."),
        vnet_id(name=".."),
        pool_id(nm=".."),
        pool_id(name=".."),
        f"/subscriptions/{SUB}/resourceGroups/../providers/Microsoft.Network/virtualNetworks/vnet1",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/../virtualNetworks/vnet1",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/../vnet1",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/..",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm%2F..%2Fx",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm?api-version=1",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm#x",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v\x00m",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/v m",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Micro soft.Compute/virtualMachines/vm",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtual%4Dachines/vm",
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm\\..\\x",
        f"{VNET}/subnets/..",
        f"{VNET}/subnets/a%2Fb",
        f"/subscriptions/{SUB}//resourceGroups/rg",
        f"/subscriptions/{SUB}/resourceGroups//providers/Microsoft.Network/virtualNetworks/vnet1",
    ],
)
def test_nothing_that_changes_the_url_path_parses(text: str) -> None:
    for parser in (ResourceId.parse, VirtualNetworkId.parse, IpamPoolId.parse):
        with pytest.raises(InvalidResourceIdError):
            parser(text)


def test_generic_ids_of_other_types_keep_their_own_names() -> None:
    """Types without a rule here only get the URL-path check: Azure's rules for them are not crossipam's."""
    rid = ResourceId.parse(
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/VM~1"
    )
    assert rid.name == "VM~1"
    static = ResourceId.parse(f"{POOL}/staticCidrs/cidr_1")
    assert static.resource_type == "Microsoft.Network/networkManagers/ipamPools/staticCidrs"


def test_pasted_whitespace_and_trailing_slashes_are_ignored() -> None:
    assert VirtualNetworkId.parse(f"  {VNET}/\n") == VirtualNetworkId.parse(VNET)
    assert str(VirtualNetworkId.parse(f"\t{VNET}\r\n")) == VNET
    with pytest.raises(InvalidResourceIdError, match="whitespace"):  # but not other whitespace
        VirtualNetworkId.parse(VNET + "\u00a0")
    with pytest.raises(InvalidResourceIdError, match="control character"):
        VirtualNetworkId.parse(VNET + "\x1c")


def test_typed_ids_validate_when_built_directly() -> None:
    assert str(VirtualNetworkId(SUB, "rg", "vnet1")) == VNET
    with pytest.raises(InvalidResourceIdError, match=re.escape("virtual network name 'v.' ends with '.'")):
        VirtualNetworkId(SUB, "rg", "v.")
    with pytest.raises(InvalidResourceIdError, match="subscription id 's' is not a GUID"):
        IpamPoolId("s", "rg", "nm", "pool1")
    with pytest.raises(InvalidResourceIdError, match="IPAM pool name"):
        IpamPoolId(SUB, "rg", "nm", "pool/../x")
    with pytest.raises(InvalidResourceIdError, match="resource group name"):
        ResourceId(SUB, "rg.")
    with pytest.raises(InvalidResourceIdError, match="one name per type"):
        ResourceId(SUB, "rg", "Microsoft.Network", ("virtualNetworks",), ())


def test_subnet_ids_follow_the_subnet_rule() -> None:
    vnet = VirtualNetworkId.parse(VNET)
    assert vnet.subnet_id("app") == f"{VNET}/subnets/app"
    for bad in ("", "app.", "a/b", "..", "a" * 81):
        with pytest.raises(InvalidResourceIdError, match="subnet name"):
            vnet.subnet_id(bad)


# ---- subscription ids are GUIDs --------------------------------------------------------------------------

GOOD_SUBSCRIPTIONS = [
    SUB,
    SUB.upper(),
    "00000000-0000-0000-0000-000000000000",
    "0A1b2C3d-4E5f-6789-aBcD-EF0123456789",
]
BAD_SUBSCRIPTIONS = [
    "s",
    "prod",
    "bbbbbbbb-1111-4000-8000-00000000000",  # 11 hex digits at the end
    "bbbbbbbb-1111-4000-8000-0000000000002",  # 13
    "bbbbbbbb111140008000000000000002",  # no hyphens
    "{bbbbbbbb-1111-4000-8000-000000000002}",
    "urn:uuid:bbbbbbbb-1111-4000-8000-000000000002",
    "gggggggg-1111-4000-8000-000000000002",
    "bbbbbbbb-1111-4000-8000-00000000000\uff12",  # fullwidth digit
    "bbbbbbbb_1111_4000_8000_000000000002",
    f"{SUB}x",
    f"{SUB}\x00",
    f"{SUB}%2F..",
    "..",
]


@pytest.mark.parametrize("sub", GOOD_SUBSCRIPTIONS)
def test_guid_subscriptions_are_accepted_as_given(sub: str) -> None:
    assert check_subscription_id(sub) is sub
    for text, parser in ((vnet_id(sub=sub), VirtualNetworkId.parse), (pool_id(sub=sub), IpamPoolId.parse)):
        parsed = parser(text)
        assert parsed.subscription_id == sub and str(parsed) == text
    assert ResourceId.parse(f"/subscriptions/{sub}").subscription_id == sub


@pytest.mark.parametrize("sub", BAD_SUBSCRIPTIONS)
def test_non_guid_subscriptions_are_refused_in_every_id(sub: str) -> None:
    for text in (
        vnet_id(sub=sub),
        pool_id(sub=sub),
        f"/subscriptions/{sub}",
        f"/subscriptions/{sub}/resourceGroups/rg",
        f"{vnet_id(sub=sub)}/subnets/app",
    ):
        for parser in (ResourceId.parse, VirtualNetworkId.parse, IpamPoolId.parse):
            with pytest.raises(InvalidResourceIdError):
                parser(text)
    with pytest.raises(InvalidResourceIdError) as caught:
        VirtualNetworkId.parse(vnet_id(sub=sub))
    err = caught.value
    assert f"subscription id {sub!r} is not a GUID" in err.message and "8-4-4-4-12" in err.message
    assert err.hint and "az account list" in err.hint


# ---- SubnetSpec and DeploymentSpec ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", RULES["subnet"][1])
def test_subnet_specs_take_good_names(name: str) -> None:
    assert SubnetSpec(name, 8).name == name


@pytest.mark.parametrize(("name", "said"), [*RULES["subnet"][2], *PATH_CHANGERS])
def test_subnet_specs_refuse_bad_names(name: str, said: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        SubnetSpec(name, 8)
    assert f"subnet name {name!r}" in caught.value.message and said in caught.value.message
    assert caught.value.hint and "1 to 80" in caught.value.hint


def test_subnet_specs_refuse_non_string_names() -> None:
    with pytest.raises(InvalidInputError, match="subnet name must be a string"):
        SubnetSpec(None, 8)  # type: ignore[arg-type]


# ---- tags ------------------------------------------------------------------------------------------------


def _request(**overrides: Any) -> Any:
    kwargs: dict[str, Any] = {"location": "eastus", "pool_id": POOL, "number_of_ip_addresses": 16}
    kwargs.update(overrides)
    return deployment_request(VNET, **kwargs)


@pytest.mark.parametrize(
    "tags",
    [
        {},
        {"env": "prod"},
        {f"t{i}": str(i) for i in range(50)},
        {"n" * 512: "v" * 256},
        {"empty value": ""},
        {"spaces and: punctuation=ok!": "any <value> & 100% /?\\"},
        {"Kostenstelle": "München", "部署": "ネットワーク"},
    ],
    ids=["none", "one", "fifty", "longest", "empty-value", "punctuation", "unicode"],
)
def test_good_tags(tags: dict[str, str]) -> None:
    assert check_tags(tags) == tags
    assert _request(tags=tags).tags == tags


BAD_TAGS: list[tuple[Any, str]] = [
    ({f"t{i}": "x" for i in range(51)}, "51 tags, more than the 50"),
    ({"n" * 513: "v"}, "is 513 characters long, more than 512"),
    ({"\N{MATHEMATICAL BOLD CAPITAL A}" * 257: "v"}, "is 514 characters long"),
    ({"env": "v" * 257}, "is 257 characters long, more than 256"),
    ({"": "v"}, "a tag name is empty"),
    ({"a<b": "v"}, "contains '<'"),
    ({"a>b": "v"}, "contains '>'"),
    ({"a%b": "v"}, "contains '%'"),
    ({"a&b": "v"}, "contains '&'"),
    ({"a\\b": "v"}, "contains '\\\\'"),
    ({"a?b": "v"}, "contains '?'"),
    ({"a/b": "v"}, "contains '/'"),
    ({"Env": "a", "env": "b"}, "differ only in case"),
    ({"env": 1}, "the value of tag 'env' must be a string, got int"),
    ({"env": None}, "must be a string, got NoneType"),
    ({1: "v"}, "tag name 1 must be a string, got int"),
    ([("env", "prod")], "must map strings to strings"),
    ("env=prod", "must map strings to strings"),
]


@pytest.mark.parametrize(("tags", "said"), BAD_TAGS)
def test_bad_tags_are_refused_naming_the_tag_and_the_rule(tags: Any, said: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        _request(tags=tags)
    err = caught.value
    assert said in err.message
    assert err.hint and "at most 50 tags" in err.hint and "< > % & \\ ? /" in err.hint


def test_merged_tags_replace_case_insensitively_and_keep_the_existing_spelling() -> None:
    assert merge_tags({"Env": "dev", "cost": "1"}, {"env": "prod", "owner": "net"}) == {
        "Env": "prod",
        "cost": "1",
        "owner": "net",
    }
    assert merge_tags(None, {"env": "prod"}) == {"env": "prod"}
    existing = {f"old{i}": "x" for i in range(45)}
    assert len(merge_tags(existing, {f"new{i}": "y" for i in range(5)})) == 50
    assert len(merge_tags(existing, {f"OLD{i}": "y" for i in range(45)})) == 45  # all replaced


def test_merged_tags_over_fifty_are_refused_before_any_write() -> None:
    existing = {f"old{i}": "x" for i in range(45)}
    with pytest.raises(DeploymentRefusedError) as caught:
        merge_tags(existing, {f"new{i}": "y" for i in range(6)}, resource_id=VNET)
    err = caught.value
    assert err.resource_id == VNET
    assert "51 tags after the merge (45 kept + 6 given), more than the 50" in err.message
    assert err.hint and "merged" in err.hint


# ---- counts ------------------------------------------------------------------------------------------------

BAD_COUNTS: list[Any] = [0, -1, -256, True, False, 1.5, 16.0, "16", None, [16]]


@pytest.mark.parametrize("count", BAD_COUNTS)
def test_check_count_refuses(count: Any) -> None:
    with pytest.raises(
        InvalidInputError, match="number_of_ip_addresses must be a positive integer"
    ) as caught:
        check_count(count, "number_of_ip_addresses")
    assert caught.value.hint


def test_check_count_bounds() -> None:
    assert check_count(1, "n") == 1 and check_count(2**32, "n", 2**32) == 2**32
    with pytest.raises(InvalidInputError, match="more than a pool"):
        check_count(2**32 + 1, "n", 2**32)


# ---- the real clients refuse before any request -------------------------------------------------------------


def _bad_ids(info: Any) -> list[tuple[str, str]]:
    """(bad VNet id, bad pool id) pairs built from the scenario's good ids."""
    good_vnet, good_pool = info.vnet_id("vnet-names"), info.pool_id
    sub = info.managed_subscription_id
    return [
        (good_vnet.replace(sub, "spoke-prod"), good_pool),
        (good_vnet.replace("vnet-names", "vnet-names."), good_pool),
        (good_vnet.replace("vnet-names", "v"), good_pool),
        (good_vnet.replace("vnet-names", "vnet%2F..%2Fx"), good_pool),
        (good_vnet.replace("vnet-names", ".."), good_pool),
        (good_vnet.replace("vnet-names", "vnet\x00"), good_pool),
        (good_vnet.replace(info.resource_group, info.resource_group + "."), good_pool),
        (good_vnet.replace(info.resource_group, ".."), good_pool),
        (good_vnet, good_pool.replace(info.management_subscription_id, "platform")),
        (good_vnet, good_pool.replace("pool-eastus", "pool-eastus-")),
        (good_vnet, good_pool.replace("nm-platform", "nm platform")),
    ]


def test_client_refuses_bad_ids_names_tags_and_counts_before_any_request(
    azure_emulator: AzureEmulator,
    info_of: InfoOf,
    make_client: MakeClient,
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    good_vnet = info.vnet_id("vnet-names")
    ok: dict[str, Any] = {"location": info.location, "pool_id": info.pool_id, "number_of_ip_addresses": 16}
    with make_client(emu) as client:
        emu.journal.clear()
        for bad_vnet, bad_pool in _bad_ids(info):
            with pytest.raises(InvalidResourceIdError) as caught:
                client.begin_deploy_virtual_network(bad_vnet, **{**ok, "pool_id": bad_pool})
            assert caught.value.hint
            with pytest.raises(InvalidResourceIdError):
                client.check_readiness(bad_pool, vnet_id=bad_vnet, number_of_ip_addresses=16)
            if bad_vnet != good_vnet:
                for call in (client.begin_remove_allocation, client.get_virtual_network_allocation):
                    with pytest.raises(InvalidResourceIdError):
                        call(bad_vnet)
            else:
                for read in (client.get_pool_usage, client.list_pool_allocations):
                    with pytest.raises(InvalidResourceIdError):
                        read(bad_pool)
        for tags, _ in BAD_TAGS:
            with pytest.raises(InvalidInputError):
                client.begin_deploy_virtual_network(good_vnet, **ok, tags=tags)
        with pytest.raises(InvalidInputError, match=re.escape("subnet name 'app.'")):
            client.begin_deploy_virtual_network(good_vnet, **ok, subnets=[SubnetSpec("app.", 8)])
        for count in BAD_COUNTS:
            if count is None:  # readiness without a count skips pool_capacity
                continue
            with pytest.raises(InvalidInputError, match="number_of_ip_addresses must be a positive integer"):
                client.check_readiness(info.pool_id, vnet_id=good_vnet, number_of_ip_addresses=count)
            with pytest.raises(InvalidInputError):
                client.begin_deploy_virtual_network(good_vnet, **{**ok, "number_of_ip_addresses": count})
        with pytest.raises(InvalidInputError, match="more than a pool"):
            client.check_readiness(info.pool_id, number_of_ip_addresses=2**128 + 1)
        assert list(emu.journal) == []
        client.get_pool_usage(info.pool_id)  # the journal is live: a valid call is recorded
        assert any(e.service != "login" for e in emu.journal)


async def test_async_client_refuses_before_any_request(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_async_client: MakeAsyncClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    async with make_async_client(emu) as client:
        emu.journal.clear()
        for bad_vnet, bad_pool in _bad_ids(info):
            with pytest.raises(InvalidResourceIdError):
                await client.begin_deploy_virtual_network(
                    bad_vnet, location=info.location, pool_id=bad_pool, number_of_ip_addresses=16
                )
            with pytest.raises(InvalidResourceIdError):
                await client.check_readiness(bad_pool, vnet_id=bad_vnet, number_of_ip_addresses=16)
        counts: list[Any] = [0, -1, True, False, "16", 2.0]
        for count in counts:
            with pytest.raises(InvalidInputError, match="number_of_ip_addresses"):
                await client.check_readiness(info.pool_id, number_of_ip_addresses=count)
        with pytest.raises(InvalidInputError, match="more than the 50"):
            await client.begin_deploy_virtual_network(
                info.vnet_id("vnet-names"),
                location=info.location,
                pool_id=info.pool_id,
                number_of_ip_addresses=16,
                tags={f"t{i}": "x" for i in range(51)},
            )
    assert list(emu.journal) == []


def test_a_bad_deployment_spec_fails_alone_without_a_request(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient
) -> None:
    emu = azure_emulator
    info = info_of(emu)
    specs = [
        DeploymentSpec(info.vnet_id("vnet-."), info.location, info.pool_id, 16),
        DeploymentSpec(info.vnet_id("vnet-ok"), info.location, info.pool_id, 16, tags={"a/b": "x"}),
        DeploymentSpec(
            info.vnet_id("vnet-ok"), info.location, info.pool_id.replace("nm-platform", "nm."), 16
        ),
    ]
    with make_client(emu) as client:
        emu.journal.clear()
        results = client.deploy_many(specs)
    assert [type(r.error) for r in results] == [
        InvalidResourceIdError,
        InvalidInputError,
        InvalidResourceIdError,
    ]
    assert [e for e in emu.journal if e.service != "login"] == []


def test_a_resource_group_named_in_another_script_deploys(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient
) -> None:
    """Azure accepts letters and digits of any script in resource group names; so does crossipam, end to end."""
    emu = azure_emulator
    info = info_of(emu)
    rg = emu.add_resource_group(info.managed_subscription_id, "rg-münchen_(テスト).v2", info.location)
    app_b = emu.service_principal(info.app.client_id, info.managed_tenant_id)
    assert app_b is not None
    emu.assign_role(app_b.object_id, "Network Contributor", rg.id)
    vnet = info.vnet_id("vnet-unicode").replace(info.resource_group, rg.name)
    with make_client(emu) as client:
        deployment = client.begin_deploy_virtual_network(
            vnet, location=info.location, pool_id=info.pool_id, number_of_ip_addresses=16
        ).result()
        assert deployment.action == "created" and str(deployment.vnet_id) == vnet
        assert client.get_virtual_network_allocation(vnet).vnet_id == deployment.vnet_id


# ---- properties ------------------------------------------------------------------------------------------

#: The rules as the regular expressions they implement (ASCII classes: ``re`` on ``str`` with explicit ranges).
ORACLES = {
    "virtual network": (VIRTUAL_NETWORK_NAME, re.compile(r"[0-9a-zA-Z][0-9a-zA-Z_.-]{0,62}[0-9a-zA-Z_]")),
    "subnet": (SUBNET_NAME, re.compile(r"[0-9a-zA-Z]([0-9a-zA-Z_.-]{0,78}[0-9a-zA-Z_])?")),
    "network manager": (NETWORK_MANAGER_NAME, re.compile(r"[0-9a-zA-Z]([0-9a-zA-Z_.-]{0,62}[0-9a-zA-Z_])?")),
    "IPAM pool": (IPAM_POOL_NAME, re.compile(r"[0-9a-zA-Z]([0-9a-zA-Z_.-]{0,62}[0-9a-zA-Z_])?")),
}
_near_names = st.one_of(
    st.text(max_size=90),
    st.text(alphabet="aZ09_.-/ %?#\\\x00é(", max_size=90),
    st.from_regex(r"\A[0-9a-zA-Z_.\-]{0,85}\Z", fullmatch=True),
)


@settings(max_examples=400, deadline=None)
@given(text=_near_names)
def test_strict_rules_are_their_regular_expressions(text: str) -> None:
    for rule, oracle in ORACLES.values():
        assert rule.accepts(text) == bool(oracle.fullmatch(text)), (rule.kind, text)


@settings(max_examples=300, deadline=None)
@given(
    sub=st.uuids().map(str),
    name=st.from_regex(r"\A[0-9a-zA-Z][0-9a-zA-Z_.\-]{0,62}[0-9a-zA-Z_]\Z", fullmatch=True),
)
def test_every_accepted_vnet_name_round_trips(sub: str, name: str) -> None:
    assert VIRTUAL_NETWORK_NAME.accepts(name)
    vid = VirtualNetworkId.parse(vnet_id(sub=sub, name=name))
    assert (
        vid.name == name
        and VirtualNetworkId.parse(str(vid)) == vid
        and str(VirtualNetworkId.parse(str(vid))) == str(vid)
    )


_rg_chars = st.characters(categories=["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Nd", "Pc"]) | st.sampled_from(
    "_()-."
)


@settings(max_examples=300, deadline=None)
@given(rg=st.text(alphabet=_rg_chars, min_size=1, max_size=40), text=st.text(max_size=40))
def test_resource_group_names_round_trip_and_never_change_the_path(rg: str, text: str) -> None:
    if RESOURCE_GROUP_NAME.accepts(rg):
        parsed = VirtualNetworkId.parse(vnet_id(rg=rg))
        assert parsed.resource_group == rg and VirtualNetworkId.parse(str(parsed)) == parsed
        assert not rg.endswith(".") and utf16_length(rg) <= 90
    else:
        assert rg.endswith(".") or utf16_length(rg) > 90
    if RESOURCE_GROUP_NAME.accepts(text):
        assert path_problem(text) is None and not text.endswith(".")
        assert not any(c in text for c in "/\\?#% \t\r\n\x00")


def test_a_merge_past_fifty_tags_is_refused_before_any_write(
    azure_emulator: AzureEmulator, info_of: InfoOf, make_client: MakeClient
) -> None:
    """The planner merges the given tags into the VNet's own (case-insensitively) and refuses more than 50."""
    from crossipam import DeploymentRefusedError

    emu = azure_emulator
    info = info_of(emu)
    with make_client(emu) as client:
        vnet_id = info.vnet_id("vnet-tags")
        client.begin_deploy_virtual_network(
            vnet_id,
            location=info.location,
            pool_id=info.pool_id,
            number_of_ip_addresses=16,
            tags={f"t{i}": "x" for i in range(40)} | {"Env": "dev"},
        ).result()
        emu.journal.clear()
        with pytest.raises(DeploymentRefusedError, match="51 tags"):
            client.begin_deploy_virtual_network(
                vnet_id,
                location=info.location,
                pool_id=info.pool_id,
                number_of_ip_addresses=16,
                tags={f"n{i}": "y" for i in range(10)},
            )
        assert not emu.journal.writes()
        updated = client.begin_deploy_virtual_network(
            vnet_id,
            location=info.location,
            pool_id=info.pool_id,
            number_of_ip_addresses=16,
            tags={"env": "prod"},
        ).result()
    assert updated.tags["Env"] == "prod" and "env" not in updated.tags and len(updated.tags) == 41
