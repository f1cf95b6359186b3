"""The key options of every command that decrypts air captures: `--ltk` and `--keys`."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from attscope.capture import CaptureError
from attscope.dissector.decoding.le_keys import (
    BadKey,
    Irk,
    Key,
    Keys,
    Ltk,
    parse_bluez_info,
    parse_bt_config,
    parse_irk,
    parse_key_file,
    parse_ltk,
)

LTK_HELP = (
    "a long-term key to decrypt encrypted links with, 32 hex digits (either byte order: "
    "the one that verifies is used); HEX,EDIV,RAND for a legacy pairing's key; @ADDR ties "
    "it to one device (repeatable)"
)
IRK_HELP = (
    "an identity resolving key, 32 hex digits: resolvable private addresses it resolves "
    "are shown with the device's identity (@IDENTITY, its identity address) (repeatable)"
)
KEYS_HELP = (
    "a file of keys: attscope's ('ltk HEX[,EDIV,RAND][@ADDR]' or 'irk HEX[@ADDR]' per "
    "line), Android's "
    "bt_config.conf or a BlueZ device 'info' file (repeatable)"
)
_ADDRESS = re.compile(r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$")


def _ltk(text: str) -> Ltk:
    try:
        return parse_ltk(text)
    except BadKey as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _irk(text: str) -> Irk:
    try:
        return parse_irk(text)
    except BadKey as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_key_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ltk", metavar="HEX[,EDIV,RAND][@ADDR]", type=_ltk, action="append", help=LTK_HELP
    )
    parser.add_argument("--irk", metavar="HEX[@IDENTITY]", type=_irk, action="append",
                        help=IRK_HELP)  # fmt: skip
    parser.add_argument("--keys", metavar="FILE", action="append", help=KEYS_HELP)


def load_key_file(path: str) -> list[Key]:
    """The keys of one file, whatever its format; an unreadable or malformed file is a
    `CaptureError` with one line for the user."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise CaptureError(f"{path}: {exc.strerror or exc}") from None
    try:
        if "[LongTermKey]" in text or "LongTermKey]" in text:
            folder = Path(path).resolve().parent.name
            address = folder.upper() if _ADDRESS.match(folder) else None
            return parse_bluez_info(text, path, address)
        if "LE_KEY_PENC" in text or "LE_KEY_LENC" in text:
            return parse_bt_config(text, path)
        return parse_key_file(text, path)
    except BadKey as exc:
        raise CaptureError(f"{path}: {exc}") from None


def keys_of(args: argparse.Namespace) -> Keys:
    """Every key the command line gives: the --ltk and --irk values, then each --keys
    file's."""
    found: list[Key] = [*(getattr(args, "ltk", None) or []), *(getattr(args, "irk", None) or [])]
    for path in getattr(args, "keys", None) or []:
        found.extend(load_key_file(path))
    return Keys([k for k in found if isinstance(k, Ltk)], [k for k in found if isinstance(k, Irk)])
