"""`attscope convert IN OUT`: rewrite a capture as pcap, pcapng or btsnoop."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from attscope.capture import linktypes as lt
from attscope.capture import open_capture, write_capture
from attscope.capture.write import FORMATS

LINKTYPE_CHOICES = {
    "nordic": lt.NORDIC_BLE,
    "le-phdr": lt.BLUETOOTH_LE_LL_WITH_PHDR,
    "le-ll": lt.BLUETOOTH_LE_LL,
    "h4": lt.BLUETOOTH_HCI_H4_WITH_PHDR,
    "monitor": lt.BLUETOOTH_LINUX_MONITOR,
}


def register(sub: Any) -> None:
    p = sub.add_parser(
        "convert",
        help="rewrite a capture as pcap, pcapng or btsnoop",
        description="Rewrite a capture. Air captures convert between nordic_ble (272) and "
        "the LE pseudo-header (256); HCI logs between btsnoop H4/monitor and pcap 201/254.",
    )
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--format", choices=FORMATS, default="pcapng", help="default: pcapng")
    p.add_argument(
        "--linktype",
        help="nordic (272), le-phdr (256), le-ll (251), h4 (201 / btsnoop 1002), "
        "monitor (254 / btsnoop 2001), or a number; default: the input's",
    )
    p.set_defaults(run=run)


def _linktype(text: str | None, fallback: int) -> int:
    if text is None:
        return fallback
    if text in LINKTYPE_CHOICES:
        return LINKTYPE_CHOICES[text]
    try:
        return int(text, 0)
    except ValueError:
        raise SystemExit(f"attscope convert: unknown link type {text!r}") from None


def run(args: argparse.Namespace) -> int:
    reader = open_capture(args.input)
    if not reader.linktypes:
        print(f"attscope: {args.input}: no link type declared, nothing to convert", file=sys.stderr)
        return 2
    linktype = _linktype(args.linktype, reader.linktypes[0])
    out = Path(args.output)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent or Path("."))
    os.close(fd)
    try:
        count = write_capture(tmp, reader, args.format, linktype)
        os.replace(tmp, out)
    except (ValueError, OSError) as exc:
        os.unlink(tmp)
        print(f"attscope: {args.output}: {exc}", file=sys.stderr)
        return 2
    for w in reader.warnings:
        print(f"attscope: warning: {args.input}: {w}", file=sys.stderr)
    print(f"{count} frames written to {out} ({args.format}, {lt.name(linktype)})")
    return 0
