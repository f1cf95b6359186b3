"""A live session with an nRF Sniffer: frames from the port, each recorded as it arrives,
and what happened to the link (lost packets, the port going away) said in plain words.

`LiveCapture` sits between `NrfSerial` and whoever analyses: `poll()` returns the frames
of one read, already written to the recording; `frames()` yields them for as long as the
session runs, with a `None` after each read so that a consumer batching frames knows when
to show what it has. `notes` collects one line per thing a user should hear about.

Following a device needs its address type. When only the address is given, the sniffer
scans until that address advertises and the session then follows it with the type its
advertisement carried (TxAdd), which is what a user means by "follow this device".
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator

import msgspec

from attscope.capture.errors import CaptureError
from attscope.capture.frame import Frame
from attscope.capture.nrf_device import advertised_name, advertiser_address
from attscope.capture.nrf_host import (
    FrameDropped,
    Garbage,
    Lost,
    ProtocolVersion,
    Skipped,
    parse_address,
)
from attscope.capture.nrf_serial import NotTheSniffer, NrfSerial, PortBack, PortLost
from attscope.capture.nrf_uart import ADV_CHANNELS, DisconnectEvent, VersionResponse
from attscope.capture.recorder import Recorder

POLL = 0.05  # s: the longest a read waits, so a quiet line still lets the UI refresh
_CODED = 2  # SnifferInfo.phy: LE Coded, whose packets carry a CI byte (Vol 6 Part B 2.2)


class SnifferOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How the sniffer scans and follows (nRF Sniffer reference, sections 5.1, 5.2, 5.4):
    the flags exist in protocol version 3; before it only `adv_only` does."""

    hop: tuple[int, ...] = ADV_CHANNELS  # advertising channels visited while following
    scan_responses: bool = True  # report SCAN_REQ/SCAN_RSP while scanning
    aux: bool = True  # follow AUX pointers (extended advertising) while scanning
    coded: bool = False  # scan and follow on LE Coded PHY
    adv_only: bool = False  # follow advertisements only, never into a connection
    legacy_only: bool = False  # follow legacy advertising only


class LiveStats:
    """Counts over the whole session, across reconnections."""

    def __init__(self) -> None:
        self.frames = 0
        self.lost = 0  # packets lost on the way, besides the broken ones
        self.skipped = 0  # counter values the sniffer never sent (no loss)
        self.garbage_bytes = 0  # bytes outside any SLIP frame
        self.dropped = 0  # frames that arrived broken (SLIP escape, bad header)
        self.port_lost = 0  # times the port went away
        self.offline = 0.0  # seconds without the sniffer, over every outage that ended
        self.connections_cut = 0  # followed connections an outage took from the capture
        self.started = time.monotonic()


class LiveCapture:
    """Frames from `serial`, recorded to `record` (pcap, or pcapng by its suffix) when given,
    until `close()` or `max_frames` frames.

    `follow` is an address in display order; with `follow_random` None its type is learnt
    from its first advertisement (scanning until then), else it is followed at once."""

    def __init__(
        self,
        serial: NrfSerial,
        *,
        record: str | None = None,
        follow: str | None = None,
        follow_random: bool | None = None,
        on_note: Callable[[str], None] | None = None,
        max_frames: int | None = None,
        ltk: bytes | None = None,
        irk: bytes | None = None,
        tk: bytes | None = None,
        private_key: bytes | None = None,
        follow_name: str | None = None,
        options: SnifferOptions | None = None,
    ) -> None:
        self.serial = serial
        self.record_path = record
        self.recorder: Recorder | None = None
        self.stats = LiveStats()
        self.notes: deque[str] = deque(maxlen=1000)  # newest last; old ones fall off
        self.on_note = on_note
        self.state = "starting"
        self.max_frames = max_frames  # the session ends after this many frames
        self.ltk = ltk  # given to the sniffer, most significant octet first (5.3)
        self.irk = irk  # likewise: the sniffer follows a device across its addresses
        self.tk = tk  # a legacy pairing's passkey or OOB key, as the sniffer's 16-octet TK
        self.private_key = private_key  # one side's Secure Connections key, 32 octets
        self.options = options or SnifferOptions()
        self._wanted: bytes | None = None  # an address to follow once it advertises
        self._wanted_name = follow_name  # or a name to follow once a device advertises it
        self._following: str | None = None
        self._link_aa: int | None = None  # the followed connection in progress, if any
        self._cut_aa: int | None = None  # the one in progress when the port went away
        opts = self.options
        if opts != SnifferOptions():  # remembered by the host, sent by the handshake
            serial.command(
                lambda h: (
                    h.set_adv_hop_sequence(opts.hop)
                    + h.scan(scan_responses=opts.scan_responses, aux=opts.aux, coded=opts.coded)
                )
            )
        if follow is not None:
            try:
                raw = parse_address(follow)
            except ValueError as exc:
                raise CaptureError(f"--follow {follow}: {exc}") from None
            if follow_random is None:
                self._wanted = raw
            else:
                self._follow(raw, follow_random, announce=False)
        self._closed = threading.Event()
        self._recording = threading.Lock()  # the reading thread writes, any thread closes

    # -- starting and stopping ----------------------------------------------------------

    def open(self) -> None:
        """Create the recording, then find and greet the sniffer (CaptureError if either
        fails: the file first, so that a bad path costs no wait on the port)."""
        if self.record_path is not None:
            self.recorder = Recorder(self.record_path)
        try:
            self.serial.open()
        except CaptureError:
            self.close()
            if self.recorder is not None:  # no sniffer, no recording: leave no empty file
                self.recorder.path.unlink(missing_ok=True)
            raise
        port = self.serial.port or "?"
        if self.ltk is not None:  # legacy or LE Secure Connections: the sniffer is told both
            key = self.ltk
            self.serial.command(lambda h: h.set_legacy_ltk(key) + h.set_sc_ltk(key))
            self._note(f"{port}: the sniffer has the LTK {key.hex()} to decrypt with")
        if self.irk is not None:
            irk = self.irk
            self.serial.command(lambda h: h.set_irk(irk))
            self._note(f"{port}: the sniffer has the IRK {irk.hex()} to resolve addresses with")
        if self.private_key is not None:
            private_key = self.private_key
            self.serial.command(lambda h: h.set_private_key(private_key))
            self._note(f"{port}: the sniffer has an LE Secure Connections private key")
        if self.tk is not None:
            self._give_tk()
            self._note(f"{port}: the sniffer has the TK {self.tk.hex()} (passkey or OOB key)")
        if self._following is not None:
            self.state = f"following {self._following}"
        else:
            self.state = self._mode()
        self._note(f"{port}: nRF Sniffer at {self.serial.baud} baud; {self.state}")

    def close(self) -> None:
        """End the session from any thread: the port is released, the recording closed
        (after the read in progress, if any, has been written)."""
        self._closed.set()
        self.serial.close()
        with self._recording:
            if self.recorder is not None:
                self.recorder.close()

    @property
    def follow_requested(self) -> bool:
        """Whether a device is (or is to be) followed rather than everything scanned."""
        return (
            self._wanted is not None or self._wanted_name is not None or self._following is not None
        )

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    # -- reading ------------------------------------------------------------------------

    def poll(self, timeout: float = POLL) -> list[Frame]:
        """The frames of one read (recorded and flushed), or [] after `timeout` seconds."""
        frames: list[Frame] = []
        wanted = None if self.max_frames is None else self.max_frames - self.stats.frames
        for event in self.serial.read_events(timeout):
            if wanted is not None and len(frames) >= wanted:
                break  # what came after the last wanted frame is not kept, nor counted
            if isinstance(event, Frame):
                frames.append(event)
                if self._wanted is not None or self._wanted_name is not None:
                    self._check_advertiser(event)
                elif self._following is not None and _on_data_channel(event):
                    self._link_aa = int.from_bytes(event.payload[:4], "little")
            else:
                self._event(event)
        if wanted is not None and len(frames) >= wanted:
            self._closed.set()
        if frames:
            self.stats.frames += len(frames)
            self._record(frames)
        if self.closed:
            self.serial.close()  # done (max_frames): the port is free for others at once
        return frames

    def _record(self, frames: list[Frame]) -> None:
        with self._recording:
            recorder = self.recorder
            if recorder is None or recorder.closed:
                return
            had_error = recorder.error is not None
            for frame in frames:
                recorder.write(frame)
            recorder.flush()
        if recorder.error is not None and not had_error:
            self._note(recorder.error)

    def frames(self, stop: threading.Event | None = None) -> Iterator[Frame | None]:
        """Frames until `close()` (or `stop`, or `max_frames`); a None after each read."""
        while not self.closed and (stop is None or not stop.is_set()):
            yield from self.poll()
            yield None

    def _event(self, event: object) -> None:
        stats = self.stats
        port = self.serial.port or "?"
        if isinstance(event, Lost):
            stats.lost += event.count
            self._note(
                f"{port}: {event.count} packet(s) lost (counter {event.expected}, got {event.got})"
            )
        elif isinstance(event, Skipped):
            if not stats.skipped:  # what the firmware does, said once, never as a loss
                self._tell_skips(port, event)
            stats.skipped += event.count
        elif isinstance(event, Garbage):
            stats.garbage_bytes += event.count
            self._note(f"{port}: skipped {event.count} byte(s) outside any frame")
        elif isinstance(event, FrameDropped):
            stats.dropped += 1
            self._note(f"{port}: dropped a broken frame ({event.reason}, {event.discarded} bytes)")
        elif isinstance(event, PortLost):
            stats.port_lost += 1
            self._cut_aa, self._link_aa = self._link_aa, None
            self.state = f"port lost ({event.reason}), reconnecting"
            self._note(f"{event.port}: port lost ({event.reason}); reconnecting")
        elif isinstance(event, PortBack):
            self._back(event)
        elif isinstance(event, NotTheSniffer):
            self._note(
                f"{event.port}: another device answers there ({event.reason}); not using "
                "it, still looking for the sniffer"
            )
        elif isinstance(event, VersionResponse):
            self._note(f"{port}: firmware {event.text}")
        elif isinstance(event, ProtocolVersion) and event.version != 3:
            self._note(f"{port}: protocol version {event.version}")
        elif isinstance(event, DisconnectEvent) and self._following is not None:
            self._link_aa = None
            self._note(f"{port}: {self._following} disconnected; following it again")

    def _back(self, event: PortBack) -> None:
        """The same sniffer is back: how long it was away, and what that cost. It starts
        afresh and cannot join a connection already running (it needs the CONNECT_IND),
        so a followed connection in progress is lost to the capture from the outage on."""
        self.stats.offline += event.outage
        self.state = self._mode()
        text = f"{event.port}: port back after {event.outage:.1f} s at {event.baud} baud"
        cut, self._cut_aa = self._cut_aa, None
        if cut is not None:
            self.stats.connections_cut += 1
            text += (
                f"; the followed connection (access address 0x{cut:08X}) was lost to the "
                "capture in the outage: the sniffer cannot rejoin a running connection"
            )
        self._note(f"{text}; {self.state}")

    def _tell_skips(self, port: str, event: Skipped) -> None:
        last = (event.got - 1) % 65536
        values = f"{event.expected}" if event.count == 1 else f"{event.expected}-{last}"
        self._note(
            f"{port}: packet counter {values} unused while the stream stayed whole: the "
            "sniffer numbers packets it does not forward; such gaps are counted apart, "
            "never as losses"
        )

    # -- following ----------------------------------------------------------------------

    def follow(self, address: str, random: bool) -> None:
        """Follow `address` now (a choice from the TUI's device list)."""
        self._wanted = self._wanted_name = None
        self._follow(parse_address(address), random)

    def _give_tk(self) -> None:
        tk = self.tk
        if tk is not None:
            self.serial.command(lambda h: h.set_temporary_key(tk))

    def _follow(self, raw: bytes, random: bool, announce: bool = True) -> None:
        o = self.options
        self.serial.follow(raw, random, o.adv_only, o.legacy_only, o.coded)
        self._give_tk()  # a scan since it was given set the sniffer's TK to zero (5.3)
        self._following = f"{_display(raw)} ({'random' if random else 'public'})"
        self.state = f"following {self._following}"
        if announce:
            self._note(f"{self.serial.port or '?'}: {self.state}")

    def _check_advertiser(self, frame: Frame) -> None:
        sniffer = frame.sniffer
        if sniffer is None or sniffer.advertising is False:
            return
        ci = 1 if sniffer.phy == _CODED else 0
        found = advertiser_address(frame.payload, ci)
        if found is None:
            return
        if found[0] == self._wanted or (
            self._wanted_name is not None
            and advertised_name(frame.payload, ci) == self._wanted_name
        ):
            self._wanted = self._wanted_name = None
            self._follow(found[0], found[1])

    def _mode(self) -> str:
        if self._following is not None:
            return f"following {self._following}"
        if self._wanted is not None:
            return f"scanning for {_display(self._wanted)}"
        if self._wanted_name is not None:
            return f"scanning for a device named {self._wanted_name!r}"
        return "scanning"

    # -- telling ------------------------------------------------------------------------

    def status(self) -> str:
        """One short line: what the sniffer does, losses, the recording."""
        s = self.stats
        parts = [self.state]
        if s.lost:
            parts.append(f"{s.lost} lost")
        if s.dropped:
            parts.append(f"{s.dropped} broken")
        if s.connections_cut:
            parts.append(f"{s.connections_cut} connection(s) lost in outages")
        if self.recorder is not None:
            parts.append(self.recorder.error or f"saving to {self.recorder.path.name}")
        return ", ".join(parts)

    def _note(self, text: str) -> None:
        self.notes.append(text)
        if self.on_note is not None:
            self.on_note(text)


def _on_data_channel(frame: Frame) -> bool:
    return (
        frame.sniffer is not None and frame.sniffer.advertising is False and len(frame.payload) >= 4
    )


def _display(raw: bytes) -> str:
    return raw.hex(":").upper()
