"""`attscope live`: attach to an nRF Sniffer (or an emulated one), follow a device, record
the session, and analyse it as packets arrive, in the TUI or headless."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from attscope.capture.errors import CaptureError
from attscope.capture.live import LiveCapture, SnifferOptions
from attscope.capture.nrf_emulator import RATES, Emulator, PlayedOut, air_capture
from attscope.capture.nrf_serial import NrfSerial
from attscope.capture.nrf_uart import ADV_CHANNELS, passkey_tk
from attscope.cli.commands.dump_cmd import add_print_options, printer
from attscope.cli.key_args import keys_of
from attscope.cli.messages import say
from attscope.cli.stop_signals import stop_on_signals
from attscope.cli.uuid_file import load_uuid_names
from attscope.dissector.decoding.le_keys import (
    OOB_KEY,
    PASSKEY,
    PRIVATE_KEY,
    Keys,
    PairingSecret,
)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "live",
        help="capture live from an nRF Sniffer dongle, analysing as packets arrive",
        description="Attach to an nRF Sniffer for Bluetooth LE (found among the serial ports "
        "with a sniffer board's USB id), scan or follow a device, record every packet to a "
        "pcap/pcapng as it arrives and show the analysis in the TUI (or print it with "
        "--no-tui). --emulate replays a capture through an emulated dongle instead.",
    )
    p.add_argument(
        "--port",
        metavar="PORT",
        help="serial port of the sniffer (default: the port with a sniffer board's USB id "
        "that streams sniffer frames or answers a ping)",
    )
    p.add_argument(
        "--follow",
        metavar="ADDR",
        help="follow this device (AA:BB:CC:DD:EE:FF): scan until it advertises, then follow "
        "it and its connection",
    )
    p.add_argument(
        "--address-type",
        choices=("public", "random"),
        help="the --follow address's type; given, the device is followed at once instead of "
        "waiting for its advertisement to tell",
    )
    p.add_argument(
        "--follow-name",
        metavar="NAME",
        help="scan until a device advertises this local name (complete or shortened), then "
        "follow it",
    )
    sniffer = p.add_argument_group(
        "sniffer options",
        "how the sniffer scans and follows; all but --adv-only need 4.x firmware (protocol "
        "version 3) and are left out for older firmware",
    )
    sniffer.add_argument(
        "--hop",
        metavar="CHANNELS",
        default="37,38,39",
        help="advertising channels visited while following, in order (default 37,38,39)",
    )
    sniffer.add_argument(
        "--adv-only",
        action="store_true",
        help="follow the device's advertisements only, never into a connection",
    )
    sniffer.add_argument(
        "--legacy-only", action="store_true", help="follow legacy advertising only"
    )
    sniffer.add_argument(
        "--coded", action="store_true", help="scan and follow on LE Coded PHY (long range)"
    )
    sniffer.add_argument(
        "--no-scan-responses",
        action="store_true",
        help="while scanning, leave out scan requests and responses",
    )
    sniffer.add_argument(
        "--no-aux",
        action="store_true",
        help="while scanning, do not follow AUX pointers (extended advertising)",
    )
    p.add_argument(
        "--save",
        metavar="FILE",
        help="record every packet to FILE as it arrives (pcapng if it ends in .pcapng, else "
        "pcap; link type 272, nordic_ble)",
    )
    p.add_argument("--no-tui", action="store_true", help="print lines as `dump` does, no TUI")
    p.add_argument(
        "--emulate",
        metavar="CAPTURE",
        help="replay an air capture through an emulated dongle on a pseudo-terminal and "
        "attach to that (no hardware needed); --no-tui ends when the replay does",
    )
    p.add_argument(
        "--rate",
        choices=RATES,
        default="realtime",
        help="with --emulate: the capture's own timing (default) or as fast as possible",
    )
    p.add_argument("--count", type=int, metavar="N", help="stop after N packets (the TUI stays)")
    p.add_argument("--duration", type=float, metavar="SECONDS", help="stop after SECONDS")
    add_print_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.emulate and args.port:
        say("attscope live: --emulate makes its own port; leave out --port")
        return 2
    if args.address_type and not args.follow:
        say("attscope live: --address-type goes with --follow")
        return 2
    if args.follow and args.follow_name is not None:
        say("attscope live: --follow and --follow-name exclude each other")
        return 2
    if args.follow_name is not None and not args.follow_name:
        say("attscope live: --follow-name needs a name")
        return 2
    hop = _hop_sequence(args.hop)
    if isinstance(hop, str):
        say(f"attscope live: --hop {hop}")
        return 2
    if not args.no_tui and args.duration is not None:
        say("attscope live: --duration goes with --no-tui")
        return 2
    if args.count is not None and args.count < 1:
        say("attscope live: --count must be at least 1")
        return 2
    if args.duration is not None and not args.duration > 0:  # NaN too
        say("attscope live: --duration must be a positive number of seconds")
        return 2
    names = load_uuid_names(args.uuid_names)  # before any port is opened
    keys = keys_of(args)  # a bad key file too
    given = [k for k in keys.ltks if not k.learnt]
    # the sniffer holds one LTK: the one tied to the followed device, else the first
    tied = [k for k in given if args.follow and k.address == args.follow.upper()]
    chosen = tied or given
    ltk = chosen[0] if chosen else None
    # and one IRK: the one whose identity is the followed device, else the first given
    irks = [k for k in keys.irks if not k.learnt]
    own = [k for k in irks if args.follow and k.identity == args.follow.upper()]
    irk = (own or irks)[0] if irks else None
    emulator = None
    if args.emulate:
        emulator = Emulator(air_capture(args.emulate), rate=args.rate)
        try:
            emulator.start()
        except OSError as exc:  # no pseudo-terminal to be had
            raise CaptureError(f"cannot emulate a sniffer: {exc.strerror or exc}") from None
    try:
        port = emulator.path if emulator is not None else args.port
        random = None if args.address_type is None else args.address_type == "random"
        headless = args.no_tui
        session = LiveCapture(
            NrfSerial(port),
            record=args.save,
            follow=args.follow,
            follow_random=random,
            on_note=_tell if headless else None,
            max_frames=args.count,
            ltk=ltk.value if ltk is not None else None,
            irk=irk.value if irk is not None else None,
            follow_name=args.follow_name,
            options=SnifferOptions(
                hop=hop,
                scan_responses=not args.no_scan_responses,
                aux=not args.no_aux,
                coded=args.coded,
                adv_only=args.adv_only,
                legacy_only=args.legacy_only,
            ),
            **live_keys(args, keys),
        )
        session.open()
        if headless:
            return _headless(args, session, emulator, names)
        name = f"{Path(args.emulate).name} (emulated)" if args.emulate else session.serial.port
        return _tui(session, name or "nRF Sniffer", names, keys)
    finally:
        if emulator is not None:
            emulator.stop()


def live_keys(args: argparse.Namespace, keys: Keys | None = None) -> dict[str, bytes | None]:
    """The pairing secrets the sniffer is given, as LiveCapture takes them: one TK (a
    passkey or an OOB key) and one private key, each the one tied to the followed device,
    else the first given."""
    keys = keys if keys is not None else keys_of(args)
    tk = _chosen([s for s in keys.secrets if s.kind in (PASSKEY, OOB_KEY)], args.follow)
    private_key = _chosen([s for s in keys.secrets if s.kind == PRIVATE_KEY], args.follow)
    return {
        "tk": _tk_bytes(tk) if tk is not None else None,
        "private_key": private_key.value.to_bytes(32, "big") if private_key else None,
    }


def _chosen(secrets: list[PairingSecret], follow: str | None) -> PairingSecret | None:
    """The secret tied to the followed device, else the first."""
    tied = [s for s in secrets if follow and s.address == follow.upper()]
    found = tied or secrets
    return found[0] if found else None


def _tk_bytes(secret: PairingSecret) -> bytes:
    """A passkey or OOB key as the sniffer's TK (5.3)."""
    return passkey_tk(secret.value) if secret.kind == PASSKEY else secret.value.to_bytes(16, "big")


def _hop_sequence(text: str) -> tuple[int, ...] | str:
    """`37,38,39`: one to three advertising channels, none twice (5.4); else what is wrong."""
    try:
        channels = tuple(int(part) for part in text.split(","))
    except ValueError:
        channels = ()
    if not 1 <= len(channels) <= 3 or len(set(channels)) != len(channels):
        return f"{text!r}: give 1 to 3 of 37, 38, 39, e.g. 37,38,39"
    if not set(channels) <= set(ADV_CHANNELS):
        return f"{text!r}: advertising channels are 37, 38 and 39"
    return channels


def _tell(note: str) -> None:
    say(f"attscope: {note}")


def _headless(
    args: argparse.Namespace,
    session: LiveCapture,
    emulator: Emulator | None,
    uuid_names: dict[str, str] | None,
) -> int:
    lines = printer(args, sys.stdout, uuid_names)
    started = time.monotonic()
    # with --emulate the session ends when the replay is over and all of it has come
    played_out = PlayedOut(emulator, session.serial) if emulator is not None else None
    try:
        with stop_on_signals() as stop:  # Ctrl-C or kill: the normal end, with the summary
            while not session.closed and not stop.is_set():
                frames = session.poll()
                for frame in frames:
                    lines.feed(frame)
                if frames:
                    sys.stdout.flush()
                if args.duration is not None and time.monotonic() - started >= args.duration:
                    break
                if played_out is not None and played_out():
                    break
    except KeyboardInterrupt:
        pass  # Ctrl-C before the handlers were in place ends the session just the same
    finally:
        session.close()
        lines.finish()
    _summary(session, time.monotonic() - started)
    return 0


def _summary(session: LiveCapture, elapsed: float) -> None:
    s = session.stats
    rate = s.frames / elapsed if elapsed > 0 else 0.0
    text = (
        f"{s.frames} packets in {elapsed:.1f} s ({rate:.0f}/s), {s.lost} lost, "
        f"{s.dropped} broken, {s.port_lost} port loss(es)"
    )
    if s.port_lost:
        text += f" ({s.offline:.1f} s offline"
        if s.connections_cut:
            text += f", {s.connections_cut} followed connection(s) lost in them"
        text += ")"
    if s.skipped:
        text += f", {s.skipped} counter value(s) the sniffer left unused"
    if session.recorder is not None:
        text += f"; {session.recorder.written} recorded to {session.recorder.path}"
        if session.recorder.error:
            text += f" ({session.recorder.error})"
    _tell(text)


def _tui(session: LiveCapture, name: str, uuid_names: dict[str, str] | None, keys: Keys) -> int:
    from attscope.tui.app import Source, make_app  # Textual loads only for the TUI
    from attscope.tui.crash import run_app

    source = Source(name, session.frames, None, lambda: {"live": session.status()}, session)
    app = make_app(source, uuid_names, keys)
    try:
        status = run_app(app)  # 70 if the UI crashed, its traceback in a file it names
    finally:
        session.close()
    _summary(session, time.monotonic() - session.stats.started)
    return status
