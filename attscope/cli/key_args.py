"""The key options of every command that decrypts air captures."""

from __future__ import annotations

import argparse

from attscope.dissector.decoding.le_keys import BadKey, Keys, Ltk, parse_ltk

LTK_HELP = (
    "a long-term key to decrypt encrypted links with, 32 hex digits (either byte order: "
    "the one that verifies is used); HEX,EDIV,RAND for a legacy pairing's key; @ADDR ties "
    "it to one device (repeatable)"
)


def _ltk(text: str) -> Ltk:
    try:
        return parse_ltk(text)
    except BadKey as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_key_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ltk", metavar="HEX[,EDIV,RAND][@ADDR]", type=_ltk, action="append", help=LTK_HELP
    )


def keys_of(args: argparse.Namespace) -> Keys:
    return Keys(list(getattr(args, "ltk", None) or []))
