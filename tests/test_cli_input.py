"""The files the CLI reads never end in a traceback (issue 16): bad input — not UTF-8, binary, Unicode digits
where a count belongs, wrong YAML types, duplicate keys, YAML anchors and aliases, files over the size cap,
missing or unusable certificate, token and CA files — ends with exit code 2 and one message naming the file, the
line (where there is one) and the field. A property-based test feeds random bytes and random YAML and CSV
documents to the readers in-process."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from azure.identity import CertificateCredential
from hypothesis import event, given, settings
from hypothesis import strategies as st

from crossipam import cli
from crossipam.cli import (
    EXIT_USAGE,
    MAX_INPUT_FILE_BYTES,
    exit_code_for,
    main,
    read_deployment_file,
    read_removal_file,
)
from crossipam.cli._auth import check_token_file
from crossipam.cli._input import MAX_YAML_DEPTH
from crossipam.cli._specs import DEPLOY_FIELDS
from crossipam.errors import CrossIpamError
from crossipam.models import DeploymentSpec, SubnetSpec

ROOT = Path(__file__).resolve().parent.parent
SUB = "bbbbbbbb-1111-4000-8000-000000000002"
VNET = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1"
POOL = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Network/networkManagers/nm/ipamPools/p1"
TENANT_B = "bbbbbbbb-0000-4000-8000-00000000000b"
TENANT_A = "aaaaaaaa-0000-4000-8000-00000000000a"
APP = [
    "--client-id",
    "11111111-2222-4333-8444-555555555555",
    "--tenant",
    TENANT_B,
    "--management-tenant",
    TENANT_A,
]
#: The keys of every error JSON (docs/cli.md, "errors").
ERROR_KEYS = [
    "type",
    "message",
    "hint",
    "tenant_id",
    "exit_code",
    "code",
    "status",
    "request_id",
    "correlation_id",
    "timestamp",
]
_ENV = (
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE",
    "REQUESTS_CA_BUNDLE",
    "CROSSIPAM_MANAGEMENT_TENANT_ID",
    "CROSSIPAM_MANAGED_ADMIN_CLIENT_SECRET",
    "CROSSIPAM_MANAGEMENT_ADMIN_CLIENT_SECRET",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)


def run(*argv: str) -> tuple[int, str, str]:
    """``main(argv)`` in-process, stdout and stderr captured (works inside hypothesis examples too)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def refused(*argv: str) -> str:
    """Run a command that must be refused as bad input: exit 2, one error line (+ a hint), no traceback, and
    the same error JSON keys as every other error. Returns the message."""
    code, out, err = run(*argv, "--output", "json")
    assert code == EXIT_USAGE, (code, out, err)
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.splitlines()
    assert lines and lines[0].startswith("crossipam "), err
    assert all(line.startswith("hint: ") for line in lines[1:]), err
    error = json.loads(out)["error"]
    assert list(error) == ERROR_KEYS and error["exit_code"] == EXIT_USAGE
    assert lines[0].endswith(error["message"])
    return str(error["message"])


def deploy_file(path: Path) -> str:
    """The message of ``deploy --from-file path`` (refused before any credential is needed)."""
    return refused("deploy", "--from-file", str(path), "--pool-id", POOL, "--location", "eastus", *APP)


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def yaml_vnet(**fields: str) -> str:
    """A one-VNet YAML file: ``vnet_id`` on line 2, ``number_of_ip_addresses`` on line 3, ``fields`` after."""
    base = {"vnet_id": VNET, "number_of_ip_addresses": "64", **fields}
    return "vnets:\n" + "".join(
        f"  {'- ' if i == 0 else '  '}{key}: {value}\n" for i, (key, value) in enumerate(base.items())
    )


# ---- encodings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
def test_non_utf8_file(tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path / f"latin1{suffix}", f"vnet_id\n{VNET}\nzürich\n".encode("latin-1"))
    message = deploy_file(path)
    assert message.startswith(f"{path} line 3: not UTF-8 text (byte 0xfc)")


@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
def test_binary_file(tmp_path: Path, suffix: str) -> None:
    path = write(tmp_path / f"blob{suffix}", b"vnet_id\n\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert deploy_file(path) == f"{path} line 4: binary data (a NUL byte), not UTF-8 text"
    assert refused("remove", "--from-file", str(path), *APP).startswith(f"{path} line 4: binary data")


def test_utf8_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bom.csv", b"\xef\xbb\xbfvnet_id,number_of_ip_addresses\n" + f"{VNET},64\n".encode()
    )
    assert read_deployment_file(str(path), default_location="eastus", default_pool_id=POOL)[0].vnet_id == VNET


# ---- Unicode digits ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "digit", ["²", "٣", "\uff11\uff12", "六"]
)  # superscript, Arabic-Indic, fullwidth, CJK
def test_unicode_digits_are_not_counts(tmp_path: Path, digit: str) -> None:
    assert int("٣") == 3  # what int() would have let through
    path = write(tmp_path / "vnets.yaml", yaml_vnet(number_of_ip_addresses=digit))
    assert deploy_file(path) == (
        f"{path} line 3: number_of_ip_addresses: {digit!r} is not a whole number (ASCII digits 0-9)"
    )
    path = write(tmp_path / "vnets.csv", f"vnet_id,number_of_ip_addresses,subnets\n{VNET},64,app:1{digit}\n")
    assert (
        deploy_file(path)
        == f"{path} line 2: subnets: subnet 'app:1{digit}': expected NAME:COUNT, e.g. \"app:64\""
    )
    path = write(tmp_path / "map.yaml", yaml_vnet(subnets=f"{{app: '{digit}'}}"))
    assert (
        deploy_file(path) == f"{path} line 4: subnets.app: {digit!r} is not a whole number (ASCII digits 0-9)"
    )


def test_unicode_digits_on_the_command_line() -> None:
    code, _, err = run("deploy", VNET, "--location", "eastus", "--pool-id", POOL, "--addresses", "٣", *APP)
    assert code == EXIT_USAGE and "argument --addresses: '٣' is not a whole number (ASCII digits 0-9)" in err
    assert "Traceback" not in err
    message = refused("deploy", VNET, "--location", "eastus", "--pool-id", POOL, "--addresses", "64",
                      "--subnets", "app:²", *APP)  # fmt: skip
    assert message == "--subnets: subnet 'app:²': expected NAME:COUNT, e.g. \"app:64\""


@pytest.mark.parametrize("text", ["0x40", "0o100", "1_000", "1:04", "+64", "64.0", "6e1"])
def test_other_integer_spellings_are_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "vnets.yaml", yaml_vnet(number_of_ip_addresses=text))
    message = deploy_file(path)
    assert message.startswith(f"{path} line 3: number_of_ip_addresses: ")
    assert "not a whole number" in message or "got a decimal number" in message


def test_decimal_counts_are_read(tmp_path: Path) -> None:
    path = write(tmp_path / "vnets.yaml", yaml_vnet(number_of_ip_addresses="0100", subnets="{app: 64}"))
    (spec,) = read_deployment_file(str(path), default_location="eastus", default_pool_id=POOL)
    assert spec.number_of_ip_addresses == 100  # not 64 (YAML 1.1 octal)
    assert spec.subnets == (SubnetSpec("app", 64),)


# ---- wrong YAML types ----------------------------------------------------------------------------------------

WRONG_TYPES = [
    # (extra fields, expected message after "<path> ")
    ({"tags": "5"}, 'line 4: tags: expected a mapping or "KEY=VALUE;KEY=VALUE" text, got a number'),
    ({"tags": "{env: null}"}, "line 4: tags.env: expected text, got null"),
    ({"tags": "{env: [a, b]}"}, "line 4: tags.env: expected text, got a list"),
    ({"tags": "[env=prod, env=dev]"}, "line 4: tags[2]: tag 'env' is given twice"),
    ({"subnets": "[{number_of_ip_addresses: 16}]"}, "line 4: subnets[1].name: missing (a subnet needs a name)"),
    ({"subnets": "[{name: null, number_of_ip_addresses: 16}]"}, "line 4: subnets[1].name: expected text, got null"),
    ({"subnets": "[{name: '', number_of_ip_addresses: 16}]"}, "line 4: subnets[1].name: a subnet needs a name"),
    ({"subnets": '":16"'}, "line 4: subnets: a subnet needs a name"),
    ({"subnets": "[{name: app}]"}, "line 4: subnets[1].number_of_ip_addresses: missing"),
    ({"subnets": "[{name: app, size: 16}]"}, "line 4: subnets[1].size: unknown key (the keys are name, number_of_ip_addresses)"),
    ({"subnets": "[[app, 16]]"}, 'line 4: subnets[1]: expected a mapping (name: …, number_of_ip_addresses: …) or "app:64", got a list'),
    ({"subnets": "{app: true}"}, "line 4: subnets.app: expected a whole number, got a boolean (true/false)"),
    ({"subnets": "{app: {size: 4}}"}, "line 4: subnets.app: expected a whole number, got a mapping"),
    ({"subnets": "5"}, 'line 4: subnets: expected "app:64;data:16", a mapping or a list, got a number'),
    ({"subnets": "null"}, 'line 4: subnets: expected "app:64;data:16", a mapping or a list, got null'),
    ({"location": "null"}, "line 4: location: expected text, got null"),
    ({"location": "{region: eastus}"}, "line 4: location: expected text, got a mapping"),
    ({"location": "[eastus]"}, "line 4: location: expected text, got a list"),
    ({"location": "no"}, "line 4: location: expected text, got a boolean (true/false) (put it in quotes)"),
    ({"pool_id": "42"}, "line 4: pool_id: expected text, got a number (put it in quotes)"),
    ({"vnet_id": "null"}, "line 2: vnet_id: expected text, got null"),
    ({"vnet_id": "[a, b]"}, "line 2: vnet_id: expected text, got a list"),
    ({"number_of_ip_addresses": "null"}, "line 3: number_of_ip_addresses: expected a whole number, got null"),
    ({"number_of_ip_addresses": "True"}, "line 3: number_of_ip_addresses: expected a whole number, got a boolean (true/false)"),
    ({"number_of_ip_addresses": "yes"}, "line 3: number_of_ip_addresses: expected a whole number, got a boolean (true/false)"),
    ({"number_of_ip_addresses": "[64]"}, "line 3: number_of_ip_addresses: expected a whole number, got a list"),
    ({"number_of_ip_addresses": "0"}, "line 3: number_of_ip_addresses: the number of addresses must be positive, got 0"),
    ({"number_of_ip_addresses": "2024-01-01"}, "line 3: number_of_ip_addresses: expected a whole number, got a date"),
    ({"subnet": "app:64"}, "line 4: subnet: unknown key (the keys are " + ", ".join(DEPLOY_FIELDS) + ")"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "expected"), WRONG_TYPES, ids=[e for _, e in WRONG_TYPES])
def test_wrong_yaml_types(tmp_path: Path, fields: dict[str, str], expected: str) -> None:
    path = write(tmp_path / "vnets.yaml", yaml_vnet(**fields))
    assert deploy_file(path) == f"{path} {expected}"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ("", "line 1: expected a list of VNets (mappings), or a mapping with a 'vnets' list, got null"),
        ("vnets: 5\n", "line 1: vnets: expected a list of VNets (mappings), or a mapping with a 'vnets' list, got a number"),
        ("vnets: []\nextra: 1\n", "line 2: unknown key 'extra': expected a list of VNets, or a mapping with only a 'vnets' list"),
        ("- just text\n", "line 1: VNet 1: expected a mapping (vnet_id: …), got text"),
        (f"- vnet_id: {VNET}\n  number_of_ip_addresses: 64\n- null\n", "line 3: VNet 2: expected a mapping (vnet_id: …), got null"),
        ("- {1: a}\n", "line 1: VNet 1: a key must be text, got a number"),
        ("? [a, b]\n: 1\n", "line 1: a key must be text, got a list"),
        ("- {}\n", "line 1: missing vnet_id, number_of_ip_addresses"),
        ("--- []\n--- []\n", "line 2: not valid YAML: expected a single document in the stream but found another document"),
        ("vnets: [\n", "line 2: not valid YAML: while parsing a flow node expected the node content, but found '<stream end>'"),
        ("- !!python/object/apply:os.system [ls]\n", "line 1: not valid YAML: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
        ("- !!seq text\n", "line 1: not valid YAML: expected a sequence"),
        ("vnets: [\x07]\n", "line 1: not valid YAML: the character U+0007 is not allowed"),
        ("vnets:\n- date: 2024-13-45\n", "line 2: a value that cannot be read, e.g. a date or number out of range (quote it)"),
        ("[" * 100 + "]" * 100, f"line 1: nested more than {MAX_YAML_DEPTH} levels deep"),
    ],
)  # fmt: skip
def test_malformed_yaml_documents(tmp_path: Path, document: str, expected: str) -> None:
    path = write(tmp_path / "vnets.yaml", document)
    assert deploy_file(path) == f"{path} {expected}"


def test_huge_yaml_integer(tmp_path: Path) -> None:
    path = write(tmp_path / "vnets.yaml", yaml_vnet(number_of_ip_addresses="9" * 5000))
    assert (
        deploy_file(path)
        == f"{path} line 3: a value that cannot be read, e.g. a date or number out of range (quote it)"
    )


# ---- CSV -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name\nx\n", "line 1: a CSV file needs a header row with at least a vnet_id column"),
        ("", "line 1: a CSV file needs a header row with at least a vnet_id column"),
        ("vnet_id,vnet_id\na,b\n", "line 1: vnet_id: the column is named twice"),
        ("vnet_id,subnet\na,b\n", "line 1: subnet: unknown column (the columns are " + ", ".join(DEPLOY_FIELDS) + ")"),
        (f"vnet_id,number_of_ip_addresses,tags\n{VNET},64,env=prod,owner=net\n", "line 2: 4 cells, but the header names 3 columns"),
        (f"vnet_id,number_of_ip_addresses\n{VNET},True\n", "line 2: number_of_ip_addresses: 'True' is not a whole number (ASCII digits 0-9)"),
        (f"vnet_id,number_of_ip_addresses\n{VNET}\n", "line 2: missing number_of_ip_addresses"),
        (f"vnet_id,number_of_ip_addresses,tags\n{VNET},64,env\n", "line 2: tags: tag 'env': expected KEY=VALUE"),
        (f"vnet_id,number_of_ip_addresses,tags\n{VNET},64,a=1;a=2\n", "line 2: tags: tag 'a' is given twice"),
        (f"vnet_id,number_of_ip_addresses,subnets\n{VNET},64,app:8;APP:8\n", "line 2: subnets: subnet 'APP' is listed twice"),
        (f'vnet_id,number_of_ip_addresses\n{VNET},"{"9" * 200_000}"\n', "line 2: not valid CSV: field larger than field limit (131072)"),
    ],
)  # fmt: skip
def test_malformed_csv(tmp_path: Path, content: str, expected: str) -> None:
    path = write(tmp_path / "vnets.csv", content)
    assert deploy_file(path) == f"{path} {expected}"


# ---- duplicate keys -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (yaml_vnet() + "    number_of_ip_addresses: 32\n", "line 4: duplicate key 'number_of_ip_addresses' (first on line 3)"),
        (yaml_vnet() + "vnets: []\n", "line 4: duplicate key 'vnets' (first on line 1)"),
        (yaml_vnet(subnets="{app: 16, data: 8, app: 32}"), "line 4: duplicate key 'app' (first on line 4)"),
        (yaml_vnet(tags="\n        env: prod\n        env: dev"), "line 6: duplicate key 'env' (first on line 5)"),
        ("vnets:\n  - {vnet_id: a, vnet_id: b}\n", "line 2: duplicate key 'vnet_id' (first on line 2)"),
    ],
)  # fmt: skip
def test_duplicate_yaml_keys(tmp_path: Path, document: str, expected: str) -> None:
    assert yaml.safe_load(document) is not None  # PyYAML alone keeps the last value
    path = write(tmp_path / "vnets.yaml", document)
    assert deploy_file(path) == f"{path} {expected}"
    assert refused("remove", "--from-file", str(path), *APP) == f"{path} {expected}"


# ---- anchors and aliases ------------------------------------------------------------------------------------

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
vnets: [*i,*i,*i,*i,*i,*i,*i,*i,*i]
"""


@contextlib.contextmanager
def allocated() -> Iterator[Callable[[], int]]:
    """The peak of Python allocations inside the block, in bytes (tracemalloc): what a check must stay under,
    counted rather than timed."""
    import tracemalloc

    tracemalloc.start()
    tracemalloc.reset_peak()
    peak = [0]
    try:
        yield lambda: peak[0]
    finally:
        peak[0] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def test_billion_laughs_is_refused_without_expanding(tmp_path: Path) -> None:
    path = write(tmp_path / "laughs.yaml", BILLION_LAUGHS)
    assert path.stat().st_size < 500
    with allocated() as peak:
        assert deploy_file(path) == f"{path} line 1: YAML anchors (&name) are not accepted"
    assert peak() < 4 * 1024**2  # bytes, not seconds: 9**9 aliases expanded would take gigabytes
    code, _, err = run("deploy", "--from-file", str(path), *APP)
    assert code == EXIT_USAGE
    assert (
        "hint: write the values out: crossipam does not accept YAML anchors (&name) or aliases (*name)" in err
    )


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (f"base: &base {{location: eastus}}\nvnets:\n  - vnet_id: {VNET}\n", "line 1: YAML anchors (&name) are not accepted"),
        ("vnets: *undefined\n", "line 1: YAML aliases (*name) are not accepted"),
        (yaml_vnet(extra="\n      <<: {location: eastus}"), "line 5: YAML merge keys (<<) are not accepted"),
    ],
)  # fmt: skip
def test_anchors_aliases_and_merge_keys_are_refused(tmp_path: Path, document: str, expected: str) -> None:
    path = write(tmp_path / "vnets.yaml", document)
    assert deploy_file(path) == f"{path} {expected}"


# ---- size cap -----------------------------------------------------------------------------------------------


def test_files_over_the_cap_are_refused_before_reading(tmp_path: Path) -> None:
    assert MAX_INPUT_FILE_BYTES == 1024 * 1024
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as f:  # sparse: 4 GiB that would take long to read
        f.truncate(4 * 1024**3)
    with allocated() as peak:
        assert (
            deploy_file(huge)
            == f"{huge}: the file is larger than the 1 MiB crossipam reads (4,294,967,296 bytes)"
        )
    assert peak() < 4 * 1024**2  # refused on its size: nothing near the 4 GiB was read into memory
    over = write(tmp_path / "over.yaml", b"#" * (MAX_INPUT_FILE_BYTES + 1))
    assert deploy_file(over).startswith(f"{over}: the file is larger than the 1 MiB crossipam reads")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_stream_is_cut_at_the_cap() -> None:
    assert deploy_file(Path("/dev/zero")) == "/dev/zero: the file is larger than the 1 MiB crossipam reads"


def test_a_file_at_the_cap_is_read(tmp_path: Path) -> None:
    row = f"{VNET},eastus,{POOL},64\n"
    header = "vnet_id,location,pool_id,number_of_ip_addresses\n"
    rows = (MAX_INPUT_FILE_BYTES - len(header)) // len(row) - 1
    body = header + row * rows
    path = write(tmp_path / "many.csv", body + "#" * (MAX_INPUT_FILE_BYTES - len(body) - 1) + "\n")
    assert path.stat().st_size == MAX_INPUT_FILE_BYTES
    with pytest.raises(CrossIpamError) as caught:  # the last line is read too
        read_deployment_file(str(path))
    assert (
        caught.value.message == f"{path} line {rows + 2}: missing location, pool_id, number_of_ip_addresses"
    )


# ---- missing and unreadable files ---------------------------------------------------------------------------


def test_missing_and_unreadable_spec_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert deploy_file(missing) == f"{missing}: cannot read it: No such file or directory"
    assert (
        refused("remove", "--from-file", str(tmp_path), *APP) == f"{tmp_path}: cannot read it: Is a directory"
    )


SHOW = ["show", VNET, *APP]


@pytest.mark.parametrize(
    ("argv", "env", "field"),
    [
        (["--certificate", "{path}"], {}, "--certificate"),
        (["--auth", "environment"], {"AZURE_CLIENT_CERTIFICATE_PATH": "{path}", "AZURE_CLIENT_ID": "app"}, "AZURE_CLIENT_CERTIFICATE_PATH"),
        (["--auth", "environment"], {"AZURE_FEDERATED_TOKEN_FILE": "{path}", "AZURE_CLIENT_ID": "app"}, "AZURE_FEDERATED_TOKEN_FILE"),
        (["--ca-bundle", "{path}"], {"AZURE_CLIENT_SECRET": "s3cret-value"}, "--ca-bundle"),
        ([], {"REQUESTS_CA_BUNDLE": "{path}", "AZURE_CLIENT_SECRET": "s3cret-value"}, "REQUESTS_CA_BUNDLE"),
    ],
    ids=["certificate", "env-certificate", "token-file", "ca-bundle", "env-ca-bundle"],
)  # fmt: skip
def test_missing_credential_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], env: dict[str, str], field: str
) -> None:
    path = str(tmp_path / "missing.pem")
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(path=path))
    if "AZURE_CLIENT_ID" in env:
        monkeypatch.setenv("AZURE_TENANT_ID", TENANT_B)
        monkeypatch.setenv("CROSSIPAM_MANAGEMENT_TENANT_ID", TENANT_A)
    message = refused(*SHOW, *(a.format(path=path) for a in argv))
    assert message == f"{field} {path}: cannot read it: No such file or directory"
    assert "s3cret-value" not in message


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads any file")
def test_unreadable_certificate(tmp_path: Path) -> None:
    pem = write(tmp_path / "app.pem", "-----BEGIN CERTIFICATE-----\n")
    pem.chmod(0)
    assert (
        refused(*SHOW, "--certificate", str(pem)) == f"--certificate {pem}: cannot read it: Permission denied"
    )


def test_admin_certificates(tmp_path: Path) -> None:
    garbage = write(tmp_path / "admin.pem", "not a certificate\n")
    argv = [
        "onboard",
        "--app-id",
        "app",
        "--pool-id",
        POOL,
        "--tenant",
        TENANT_B,
        "--management-tenant",
        TENANT_A,
    ]
    message = refused(
        *argv, "--management-admin-client-id", "a", "--management-admin-certificate", str(tmp_path / "x")
    )
    assert (
        message
        == f"--management-admin-certificate {tmp_path / 'x'}: cannot read it: No such file or directory"
    )
    message = refused(
        *argv, "--management-admin-client-id", "a", "--management-admin-certificate", str(garbage)
    )
    assert message.startswith(f"--management-admin-certificate {garbage}: not a usable certificate: ")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "the file is empty, not a PEM or PKCS12 certificate"),
        (b"\x00\x01binary", "not a usable certificate: Failed to deserialize certificate in PEM or PKCS12 format"),
        (b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", "not a usable certificate: Unable to load PEM file"),
        (b"x" * (MAX_INPUT_FILE_BYTES + 1), "the file is larger than the 1 MiB crossipam reads (1,048,577 bytes)"),
    ],
    ids=["empty", "binary", "bad-pem", "too-large"],
)  # fmt: skip
def test_unusable_certificates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, problem: str
) -> None:
    pem = write(tmp_path / "app.pem", content)
    monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PASSWORD", "pa55word-secret")
    message = refused(*SHOW, "--certificate", str(pem))
    assert message == f"--certificate {pem}: {problem}"
    assert "pa55word-secret" not in message


def test_a_certificate_that_azure_identity_cannot_use(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    pem = write(tmp_path / "ec.pem", trustme.CA().issue_cert("app").private_key_and_cert_chain_pem.bytes())
    message = refused(*SHOW, "--certificate", str(pem))
    assert message == (
        f"--certificate {pem}: not a usable certificate: The certificate must have an RSA private key because "
        "RS256 is used for signing"
    )


def test_token_and_ca_files_with_bad_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_CLIENT_ID", "app")
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT_B)
    monkeypatch.setenv("CROSSIPAM_MANAGEMENT_TENANT_ID", TENANT_A)
    token = write(tmp_path / "token", b"\xff\xfe")
    monkeypatch.setenv("AZURE_FEDERATED_TOKEN_FILE", str(token))
    message = refused(*SHOW, "--auth", "environment")
    assert message == f"AZURE_FEDERATED_TOKEN_FILE {token} line 1: not UTF-8 text (byte 0xff)"
    monkeypatch.delenv("AZURE_FEDERATED_TOKEN_FILE")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "s3cret-value")
    junk = write(tmp_path / "ca.pem", "junk\n")
    message = refused(*SHOW, "--ca-bundle", str(junk))
    assert message == f"--ca-bundle {junk}: no PEM certificates that can be trusted in it"


# ---- secrets ------------------------------------------------------------------------------------------------

KEY_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"


@pytest.mark.parametrize("suffix", [".csv", ".yaml"])
def test_a_private_key_given_as_a_spec_file_is_not_echoed(tmp_path: Path, suffix: str) -> None:
    path = write(
        tmp_path / f"key{suffix}", f"-----BEGIN PRIVATE KEY-----\n{KEY_BODY}\n-----END PRIVATE KEY-----\n"
    )
    code, out, err = run("deploy", "--from-file", str(path), *APP, "--output", "json")
    assert code == EXIT_USAGE and KEY_BODY not in out + err and "Traceback" not in err


# ---- docs ---------------------------------------------------------------------------------------------------


def test_docs_say_what_the_readers_refuse() -> None:
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert (
        MAX_INPUT_FILE_BYTES == 2**20
        and "at most **1 MiB** per file" in page
        and "MAX_INPUT_FILE_BYTES" in page
    )
    for refused_ in ("anchors, aliases and merge keys", "Duplicate keys", "UTF-8", "`²` or `٣`"):
        assert refused_ in page, refused_


# ---- the console script -----------------------------------------------------------------------------------


def test_console_script_prints_no_traceback(tmp_path: Path) -> None:
    """The real process (this worktree's code): exit 2 and one message for a few bad files."""
    env = {k: v for k, v in os.environ.items() if k not in _ENV}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    files = {
        "laughs.yaml": BILLION_LAUGHS.encode(),
        "blob.csv": b"\x00\xff" * 64,
        "dup.yaml": (yaml_vnet() + "    number_of_ip_addresses: 32\n").encode(),
        "sup.csv": f"vnet_id,number_of_ip_addresses\n{VNET},²\n".encode(),
    }
    for name, content in files.items():
        path = write(tmp_path / name, content)
        done = subprocess.run(
            [sys.executable, "-m", "crossipam", "deploy", "--from-file", str(path), *APP],
            capture_output=True, text=True, env=env, timeout=60, check=False, cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == EXIT_USAGE, done.stderr
        assert done.stderr.startswith(f"crossipam deploy: {path}") and "Traceback" not in done.stderr
    probe = "import crossipam.cli, sys; print(crossipam.cli.__file__, 'yaml' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    assert done.stdout.split() == [str(ROOT / "crossipam" / "cli" / "__init__.py"), "False"]


# ---- property: parsed, or exit 2 with a message ---------------------------------------------------------------

FIELD = st.sampled_from([*DEPLOY_FIELDS, "vnets", "name", "subnet", "", "<<"])
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["²", "٣", "64", "0x40", "1_000", "app:64;data:16", "env=prod", ":8", VNET, POOL, "eastus"]
    ),
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(FIELD, st.text(max_size=6)), inner, max_size=5)
    ),
    max_leaves=12,
)
GOOD_SUBNETS = st.sampled_from(
    ["app:64;data:16", {"app": 64, "data": 16}, [{"name": "app", "number_of_ip_addresses": 16}], ["web:8"]]
)
GOOD_TAGS = st.sampled_from([{"env": "prod"}, "env=prod;owner=net", ["env=dev"]])
VNET_ITEM = st.one_of(
    st.dictionaries(FIELD, VALUE, max_size=7),
    st.fixed_dictionaries(  # mostly right, with a wrong value here and there
        {
            "vnet_id": st.just(VNET) | st.just(VNET) | SCALAR,
            "number_of_ip_addresses": st.sampled_from([64, "64", 256]) | SCALAR,
        },
        optional={
            "subnets": GOOD_SUBNETS | GOOD_SUBNETS | VALUE,
            "tags": GOOD_TAGS | GOOD_TAGS | VALUE,
            "location": st.just("westeurope") | SCALAR,
            "pool_id": st.just(POOL) | SCALAR,
        },
    ),
)
DOCUMENT = st.one_of(
    VALUE,
    st.lists(VNET_ITEM, min_size=1, max_size=3),
    st.fixed_dictionaries({"vnets": st.lists(VNET_ITEM, min_size=1, max_size=3)}),
)


@st.composite
def yaml_ish(draw: st.DrawFn) -> bytes:
    """A YAML dump of random structures, sometimes with random bytes spliced in."""
    style = draw(st.sampled_from([None, False, True]))
    document = draw(DOCUMENT)
    text = yaml.safe_dump(
        document, sort_keys=False, default_flow_style=style, allow_unicode=draw(st.booleans())
    )
    data = text.encode("utf-8")
    if draw(st.integers(0, 3)) == 0:
        at = draw(st.integers(min_value=0, max_value=len(data)))
        splice = st.binary(max_size=6) | st.sampled_from(
            [b"&a ", b"*a", b"\n- ", b": ", b"'", b"\t", b"<<: "]
        )
        data = data[:at] + draw(splice) + data[at:]
    return data


@st.composite
def csv_ish(draw: st.DrawFn) -> bytes:
    """A CSV file: a header of known (mostly) and other columns, rows of random or plausible cells."""
    known = draw(st.lists(st.sampled_from(DEPLOY_FIELDS), min_size=1, max_size=6, unique=True))
    header = draw(st.sampled_from([["vnet_id", *known], known, [*known, draw(FIELD)]]))
    cells = st.sampled_from(["²", "64", VNET, POOL, "app:64", "env=prod", "eastus", ""]) | st.text(
        max_size=10
    )
    rows = draw(st.lists(st.lists(cells, min_size=len(header) - 1, max_size=len(header) + 1), max_size=4))
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode("utf-8", "surrogatepass")


CONTENT = st.one_of(yaml_ish(), yaml_ish(), csv_ish(), st.binary(max_size=300))


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def parsed_or_refused(path: Path, read: Callable[[], Any]) -> Any:
    try:
        result = read()
    except CrossIpamError as err:
        assert exit_code_for(err) == EXIT_USAGE, err
        assert err.message.startswith(str(path)) and "\n" not in err.message, err.message
        problem = re.sub(r"^( line \d+)?: ", "", err.message.removeprefix(str(path)))
        event("refused: " + re.sub(r"'.*?'|\(.*?\)|\d+", "…", problem)[:40])
        return None
    event("parsed")
    return result


@settings(deadline=None, max_examples=200)
@given(content=CONTENT, suffix=st.sampled_from([".yaml", ".csv"]))
def test_readers_parse_or_refuse_random_files(workdir: Path, content: bytes, suffix: str) -> None:
    path = workdir / f"input{suffix}"
    path.write_bytes(content)
    specs = parsed_or_refused(
        path, lambda: read_deployment_file(str(path), default_location="eastus", default_pool_id=POOL)
    )
    for spec in specs or ():
        assert isinstance(spec, DeploymentSpec)
        assert isinstance(spec.vnet_id, str) and spec.vnet_id and isinstance(spec.location, str)
        assert type(spec.number_of_ip_addresses) is int and spec.number_of_ip_addresses > 0
        assert all(isinstance(s, SubnetSpec) for s in spec.subnets)
        assert all(type(k) is str and type(v) is str for k, v in (spec.tags or {}).items())
    ids = parsed_or_refused(path, lambda: read_removal_file(str(path)))
    assert ids is None or all(isinstance(i, str) and i for i in ids)
    # the whole command, in-process: always exit 2 — the file is refused, or (parsed) no credential is given
    code, out, err = run(
        "deploy", "--from-file", str(path), "--yes", "--auth", "app", *APP, "--output", "json"
    )
    assert code == EXIT_USAGE and "Traceback" not in err, err
    assert list(json.loads(out)["error"]) == ERROR_KEYS


@settings(deadline=None, max_examples=60)
@given(content=st.binary(max_size=400) | yaml_ish())
def test_credential_file_readers_parse_or_refuse_random_files(workdir: Path, content: bytes) -> None:
    path = workdir / "random.pem"
    path.write_bytes(content)

    def certificate() -> Any:
        with cli._certificate_file(str(path), "--certificate"):
            return CertificateCredential(TENANT_B, "app", str(path))

    parsed_or_refused(Path(f"--certificate {path}"), certificate)
    token = parsed_or_refused(
        Path(f"AZURE_FEDERATED_TOKEN_FILE {path}"),
        lambda: check_token_file(str(path), "AZURE_FEDERATED_TOKEN_FILE"),
    )
    assert token is None
