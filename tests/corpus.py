"""Where the shared real captures and tshark are, and how tests that need them behave.

On a user's machine a missing corpus or tshark skips those tests with the reason shown;
with ATTSCOPE_REQUIRE_CORPUS=1 (CI) the same absence fails them.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ATTSCOPE_SHARED", REPO.parent / "shared"))
CAPTURES = SHARED / "captures"
MANIFEST = CAPTURES / "MANIFEST.tsv"
SAMPLES = REPO / "samples"
REQUIRED = os.environ.get("ATTSCOPE_REQUIRE_CORPUS") == "1"
HOW_TO_GET = (
    "to run these tests, put the project's shared corpus (captures/ with its MANIFEST.tsv, "
    "which names each file's public source) at ../shared beside the repository, or set "
    "ATTSCOPE_SHARED to the folder holding captures/"
)

# tshark needs these to dissect link types 147 (Ubertooth PPI) and 157 (legacy nRF Sniffer)
TSHARK_USER_DLTS = [
    "-o",
    'uat:user_dlts:"User 0 (DLT=147)","btle","0","","0",""',
    "-o",
    'uat:user_dlts:"User 10 (DLT=157)","nordic_ble","0","","0",""',
]


def _missing(reason: str) -> None:
    if REQUIRED:
        pytest.fail(f"{reason} (ATTSCOPE_REQUIRE_CORPUS=1 makes this a failure)")
    pytest.skip(reason)


def manifest() -> list[dict[str, str]]:
    """The manifest rows, or [] when the corpus is absent (tests then call need_corpus)."""
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def corpus_files() -> list[str]:
    """File names to parametrize over; a placeholder when the corpus is absent, so the
    tests still run once and report the absence (skip, or fail in CI)."""
    return [row["file"] for row in manifest()] or ["<corpus missing>"]


def need_corpus(name: str | None = None) -> Path:
    """The path of a shared capture (or of the folder), skipping or failing if absent."""
    if not CAPTURES.is_dir():
        _missing(f"real captures not found at {CAPTURES}; {HOW_TO_GET}")
    path = CAPTURES / name if name else CAPTURES
    if not path.exists():
        _missing(f"{path} not found")
    return path


def need_program(names: tuple[str, ...], package: str) -> str:
    """The path of the first of `names` installed, skipping or failing if none is."""
    for name in names:
        found = shutil.which(name)
        if found is not None:
            return found
    _missing(f"{names[0]} not installed (apt install {package})")
    raise AssertionError("unreachable")


def need_chromium() -> str:
    return need_program(("chromium", "chromium-browser", "google-chrome"), "chromium")


def need_tshark() -> str:
    found = shutil.which("tshark")
    if found is None:
        _missing("tshark not installed (apt install tshark)")
        raise AssertionError("unreachable")
    return found


def tshark_fields(path: Path, fields: list[str], *extra: str) -> list[list[str]]:
    """One row per frame with the values of `fields` (multiple values joined by ',')."""
    tshark = need_tshark()
    args = [tshark, "-r", str(path), *TSHARK_USER_DLTS, *extra, "-T", "fields"]
    for field in fields:
        args += ["-e", field]
    args += ["-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=600).stdout
    return [line.split("\t") for line in out.splitlines()]


def tshark_pdus(
    path: Path, protocol: str, fields: list[str]
) -> list[tuple[int, bytes, dict[str, str]]]:
    """Each frame's `protocol` PDU as tshark reassembled it, with tshark's `fields`."""
    tshark = need_tshark()
    args = [tshark, "-r", str(path), *TSHARK_USER_DLTS, "-Y", protocol, "-T", "json", "-x"]
    args += ["-j", f"frame {protocol}", "--no-duplicate-keys"]
    out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=600).stdout
    fields = ["frame.number", *fields]
    flat = {int(r[0]): r for r in tshark_fields(path, fields, "-Y", protocol)}
    found = []
    for packet in json.loads(out or "[]"):
        layers = packet["_source"]["layers"]
        number = int(layers["frame"]["frame.number"])
        raw = layers[f"{protocol}_raw"]
        hexes = [raw[0]] if isinstance(raw[0], str) else [r[0] for r in raw]
        row = dict(zip(fields, flat[number], strict=True))
        found += [(number, bytes.fromhex(text), row) for text in hexes]
    return found
