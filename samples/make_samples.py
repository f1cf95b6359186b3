#!/usr/bin/env python3
"""Regenerate the sample captures in samples/ from the scenarios written in code.

    python samples/make_samples.py [--out DIR] [NAME ...]

Each sample is a scenario (a function returning frames) and the file format it is written
in. The output is deterministic: a fixed start time and seeded randomness, so running this
twice writes byte-identical files, and tests/test_samples.py checks the committed files
against a fresh run.

To add a sample, write a scenario module next to this one (see heart_rate.py: a
`Timeline`, a `GattServer` for the peripheral, a `Connection`, and the Android client
procedures in android_client.py) and add it to SAMPLES.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import heart_rate
import smart_lock

from attscope.capture import Frame, write_capture
from attscope.capture.btsnooz import btsnooz_section
from attscope.capture.linktypes import BTSNOOP_H4
from attscope.capture.packetlogger_types import LINKTYPE as PACKETLOGGER

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Sample:
    file: str
    fmt: str  # "btsnoop", "pcap", "pcapng" or "pklg" (attscope.capture.write_capture)
    linktype: int
    scenario: Callable[[], list[Frame]]
    about: str
    writer: Callable[[Path, list[Frame]], int] | None = None  # for formats of no capture writer


def bugreport_zip(path: Path, frames: list[Frame]) -> int:
    """An `adb bugreport` zip as a phone writes it without the snoop log turned on: the
    main text holds the btsnooz buffer, version 2, its ACL packets cut to 16 bytes as a
    phone cuts them. Fixed member times, so the bytes are the same on every run."""
    text = (
        b"========================================================\n"
        b"== dumpstate: 2026-03-14 09:27:30\n"
        b"========================================================\n"
        b"DUMP OF SERVICE bluetooth_manager:\n"
        b"Bluetooth Status\n  enabled: true\n  state: ON\n\n"
        + btsnooz_section(frames, version=2, acl_bytes=16)
    )
    member = zipfile.ZipInfo("bugreport-sample-2026-03-14-09-27-30.txt", (2026, 3, 14, 9, 27, 30))
    member.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(member, text)
    return len(frames)


SAMPLES = [
    Sample(
        "heart_rate.btsnoop",
        "btsnoop",
        BTSNOOP_H4,
        heart_rate.heart_rate,
        "Android phone and BLE heart-rate sensor: discovery, reads, 30 notifications",
    ),
    Sample(
        "smart_lock.btsnoop",
        "btsnoop",
        BTSNOOP_H4,
        smart_lock.smart_lock,
        "Android phone and a smart lock whose firmware breaks four ATT rules",
    ),
    Sample(
        "heart_rate.pklg",
        "pklg",
        PACKETLOGGER,
        heart_rate.heart_rate,
        "the heart-rate session as Apple's PacketLogger writes it (big-endian records)",
    ),
    Sample(
        "heart_rate_bugreport.zip",
        "bugreport",
        BTSNOOP_H4,
        heart_rate.heart_rate,
        "the heart-rate session in an Android bug report's btsnooz buffer (ACL cut to 16 bytes)",
        bugreport_zip,
    ),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (samples/)")
    parser.add_argument("names", nargs="*", help="samples to write (default: all)")
    args = parser.parse_args(argv)
    chosen = [s for s in SAMPLES if not args.names or s.file in args.names]
    unknown = set(args.names) - {s.file for s in SAMPLES}
    if unknown:
        parser.error(f"unknown sample(s): {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    for sample in chosen:
        path = args.out / sample.file
        if sample.writer is not None:
            count = sample.writer(path, sample.scenario())
        else:
            count = write_capture(path, sample.scenario(), sample.fmt, sample.linktype)
        print(f"{path}: {count} frames ({sample.about})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
