"""`attscope convert IN OUT`: rewrite a capture as pcap, pcapng or btsnoop."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from attscope.atomic import error_text, exit_on_signals, replaced_on_success
from attscope.capture import Frame, open_capture, write_capture
from attscope.capture import linktypes as lt
from attscope.capture.packetlogger_types import LINKTYPE as PACKETLOGGER
from attscope.capture.printable import printable
from attscope.capture.records import carries
from attscope.capture.write import (
    BTSNOOP_EQUIVALENT,
    EXTENSIONS,
    FORMATS,
    PCAP_EQUIVALENT,
    format_for_name,
)
from attscope.cli.key_args import add_key_arguments, keys_of
from attscope.cli.log_arg import add_log_argument
from attscope.cli.messages import say
from attscope.export.decrypted_capture import Decrypting

DEFAULT_FORMAT = "pcapng"  # for an output whose extension names no format

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
        help="rewrite a capture as pcap, pcapng, btsnoop or PacketLogger",
        description="Rewrite a capture. Air captures convert between nordic_ble (272) and "
        "the LE pseudo-header (256); HCI logs between btsnoop H4/monitor and pcap 201/254.",
    )
    p.add_argument("input")
    p.add_argument("output", help="the file to write; never the input itself")
    by_extension = "; ".join(
        f"{', '.join(e for e, f in EXTENSIONS.items() if f == fmt)}: {fmt}" for fmt in FORMATS
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        help=f"default: from OUTPUT's extension ({by_extension}), {DEFAULT_FORMAT} for any other",
    )
    p.add_argument(
        "--decrypt",
        action="store_true",
        help="write the encrypted PDUs attscope can decrypt (with --ltk, --keys, or a "
        "legacy pairing it cracks) as plaintext; default link type le-phdr where the "
        "input's has no flags to say so",
    )
    add_key_arguments(p)
    add_log_argument(p)
    p.add_argument(
        "--linktype",
        help="nordic (272), le-phdr (256), le-ll (251), h4 (201 / btsnoop 1002), "
        "monitor (254 / btsnoop 2001), or a number; default: the input's",
    )
    p.set_defaults(run=run)


def _linktype(text: str | None, fallback: int) -> int | None:
    """The link type asked for (a name or a number), the input's without one, or None."""
    if text is None:
        return fallback
    if text in LINKTYPE_CHOICES:
        return LINKTYPE_CHOICES[text]
    try:
        return int(text, 0)
    except ValueError:
        return None


def run(args: argparse.Namespace) -> int:
    reader = open_capture(args.input, args.log)
    if not reader.linktypes:
        say(f"attscope: {args.input}: no link type declared, nothing to convert")
        return 2
    default = reader.linktypes[0]
    if args.decrypt and default not in (lt.NORDIC_BLE, lt.BLUETOOTH_LE_LL_WITH_PHDR):
        default = lt.BLUETOOTH_LE_LL_WITH_PHDR  # the flags that say "decrypted"
    linktype = _linktype(args.linktype, default)
    if linktype is None:
        say(f"attscope convert: unknown link type {args.linktype!r}")
        return 2
    out = Path(args.output)
    fmt = args.format or format_for_name(out, DEFAULT_FORMAT)
    left_out = 0
    wanted: int = linktype

    decrypting = Decrypting(keys_of(args)) if args.decrypt else None
    source = decrypting.frames(reader) if decrypting is not None else reader

    def packets() -> Iterator[Frame]:
        nonlocal left_out
        for frame in source:
            if carries(frame, wanted):
                yield frame
            else:
                left_out += 1

    try:
        with exit_on_signals(), replaced_on_success(out, inputs=[args.input]) as tmp:
            count = write_capture(tmp, packets(), fmt, linktype)
    except (ValueError, OSError) as exc:
        say(f"attscope: {args.output}: {error_text(exc)}")
        return 2
    for w in reader.warnings:
        say(f"attscope: warning: {args.input}: {w}")
    table = BTSNOOP_EQUIVALENT if fmt == "btsnoop" else PCAP_EQUIVALENT
    linktype = PACKETLOGGER if fmt == "pklg" else table.get(linktype, linktype)
    note = f"; {left_out} records without a packet left out" if left_out else ""
    if decrypting is not None:
        note += f"; {decrypting.decrypted} PDUs decrypted"
    print(printable(f"{count} frames written to {out} ({fmt}, {lt.name(linktype)}){note}"))
    return 0
