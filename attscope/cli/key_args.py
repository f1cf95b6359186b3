"""The key options of every command that decrypts air captures: `--ltk`, `--irk`, the
pairing secrets (`--passkey`, `--oob`, `--sc-private-key`) and `--keys`."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from attscope.capture import CaptureError
from attscope.dissector.decoding.le_keys import (
    BadKey,
    Irk,
    Key,
    Keys,
    Ltk,
    PairingSecret,
    parse_bluez_info,
    parse_bt_config,
    parse_irk,
    parse_key_file,
    parse_ltk,
    parse_oob,
    parse_passkey,
    parse_private_key,
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
PASSKEY_HELP = (
    "the passkey of a legacy Passkey Entry pairing (attscope also finds it by itself, "
    "this is faster); @ADDR ties it to one device (repeatable)"
)
OOB_HELP = (
    "the 128-bit key of a legacy OOB pairing, 32 hex digits (either byte order); @ADDR "
    "ties it to one device (repeatable)"
)
PRIVATE_KEY_HELP = (
    "one side's LE Secure Connections private key, 64 hex digits: with the pairing's "
    "public keys and random values in the capture it gives the link's LTK (a device using "
    "the spec's debug key needs none); @ADDR ties it to one device (repeatable)"
)
KEYS_HELP = (
    "a file of keys, one per line as a word and the option's value ('ltk HEX', 'irk HEX', "
    "'passkey N', 'oob HEX', 'sc-private-key HEX'), Android's bt_config.conf or a BlueZ "
    "device 'info' file (repeatable)"
)
_ADDRESS = re.compile(r"^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$")
_K = TypeVar("_K")


def _option(parse: Callable[[str], _K]) -> Callable[[str], _K]:
    """An option's type: the parser, whose BadKey argparse shows as a usage error."""

    def option(text: str) -> _K:
        try:
            return parse(text)
        except BadKey as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    option.__name__ = parse.__name__.removeprefix("parse_")
    return option


def add_key_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ltk", metavar="HEX[,EDIV,RAND][@ADDR]", type=_option(parse_ltk),
                        action="append", help=LTK_HELP)  # fmt: skip
    parser.add_argument("--irk", metavar="HEX[@IDENTITY]", type=_option(parse_irk),
                        action="append", help=IRK_HELP)  # fmt: skip
    parser.add_argument("--passkey", metavar="N[@ADDR]", type=_option(parse_passkey),
                        action="append", help=PASSKEY_HELP)  # fmt: skip
    parser.add_argument("--oob", metavar="HEX[@ADDR]", type=_option(parse_oob),
                        action="append", help=OOB_HELP)  # fmt: skip
    parser.add_argument("--sc-private-key", metavar="HEX[@ADDR]",
                        type=_option(parse_private_key), action="append",
                        help=PRIVATE_KEY_HELP)  # fmt: skip
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
    """Every key the command line gives: the key and secret options' values, then each
    --keys file's."""
    found: list[Key] = []
    for option in ("ltk", "irk", "passkey", "oob", "sc_private_key"):
        found.extend(getattr(args, option, None) or [])
    for path in getattr(args, "keys", None) or []:
        found.extend(load_key_file(path))
    return Keys(
        [k for k in found if isinstance(k, Ltk)],
        [k for k in found if isinstance(k, Irk)],
        [k for k in found if isinstance(k, PairingSecret)],
    )
