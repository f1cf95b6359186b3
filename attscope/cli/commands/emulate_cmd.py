"""`attscope emulate --replay CAPTURE`: an emulated nRF Sniffer dongle on a pseudo-terminal
that replays an air capture, for demos and for testing a host (`attscope live` among them)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from attscope.capture.errors import CaptureError
from attscope.capture.nrf_device import DeviceConfig, Fault
from attscope.capture.nrf_emulator import RATES, Emulator, air_capture
from attscope.cli.messages import say
from attscope.cli.stop_signals import stop_on_signals


def register(sub: Any) -> None:
    p = sub.add_parser(
        "emulate",
        help="emulate an nRF Sniffer dongle on a pseudo-terminal, replaying a capture",
        description="Create a pseudo-terminal that behaves like an nRF Sniffer for "
        "Bluetooth LE dongle and replay an air capture (nordic_ble 272, LE pseudo-header "
        "256 ...) through it. Prints the port to open, runs until Ctrl-C.",
    )
    p.add_argument("--replay", required=True, metavar="CAPTURE", help="air capture to replay")
    p.add_argument("--link", metavar="PATH", help="also make PATH a symlink to the port")
    p.add_argument(
        "--rate",
        choices=RATES,
        default="realtime",
        help="realtime: the capture's own timing (default); max: as fast as the host reads",
    )
    p.add_argument(
        "--fault",
        action="append",
        choices=[f.value for f in Fault],
        default=[],
        help="inject a fault (repeatable): garbage between frames, broken SLIP escapes, "
        "counter values skipped (gap: the firmware not forwarding, no loss), bytes lost on "
        "the line (loss: a frame cut short, the next ones gone), port hang-ups (needs --link)",
    )
    p.add_argument("--fault-every", type=int, default=25, metavar="N", help="packets per fault")
    p.add_argument(
        "--version",
        type=int,
        choices=(1, 2, 3),
        help="protocol version to speak (default: the capture's, 3 when it has none)",
    )
    p.add_argument("--loop", action="store_true", help="start over when the capture ends")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    faults = frozenset(Fault(f) for f in args.fault)
    if Fault.HANGUP in faults and args.link is None:
        say(
            "attscope emulate: --fault hangup needs --link PATH, so that a host finds the "
            "port again when it comes back under another name",
        )
        return 2
    if args.fault_every < 1:
        say("attscope emulate: --fault-every must be at least 1")
        return 2
    config = DeviceConfig(
        protover=args.version,
        faults=faults,
        fault_every=args.fault_every,
        hangup_every=args.fault_every * 10,
        loop=args.loop,
    )
    link = Path(args.link) if args.link else None
    if link is not None and link.exists() and not link.is_symlink():
        raise CaptureError(f"{link}: exists and is not a symlink; not replacing it")
    emulator = Emulator(air_capture(args.replay), config=config, link=link, rate=args.rate)
    with stop_on_signals() as stop:  # from before the pty exists: no window without them
        try:
            emulator.start()
        except OSError as exc:  # no pty to be had, or the link's folder is missing
            where = f"{exc.filename}: " if exc.filename else ""
            say(f"attscope emulate: {where}{exc.strerror or exc}")
            return 2
        try:
            device = emulator.device
            print(f"nRF Sniffer emulator (protocol version {device.protover}) on {emulator.path}")
            if link is not None:
                print(f"  pty {emulator.slave_name}")
            print("  Ctrl-C to stop", flush=True)
            while emulator.error is None:  # the emulator runs in its thread
                if stop.wait(0.2):
                    break
        finally:
            emulator.stop()  # the pty closed and the --link removed, however it ends
    if emulator.error is not None:
        say(f"attscope emulate: {emulator.error}")
        return 2
    s = device.stats
    print(f"sent {s.sent} packets ({s.filtered} not reported in the host's chosen mode)")
    return 0
