"""A live nRF Sniffer on a serial port: the thin pyserial shell around `NrfHost`.

Everything protocol-shaped is in nrf_host.py; this module only finds the port, opens it,
moves bytes, and survives the port going away (nRF Sniffer reference, sections 1, 9, 15):

* discovery: only ports whose USB id is that of a board the sniffer runs on (nrf_ports.py);
  a port is a sniffer when it streams valid frames unasked (listening first, as Nordic's
  4.x host does) or else answers PING_REQ, at 1 000 000 baud, else 460 800;
* handshake of section 9.3, then `read_events` / `events()` deliver what the host decodes;
* when the port vanishes (`SerialException`, EIO, empty reads), a `PortLost` event, then
  retries with back-off, on the port's name and on whatever port the same USB serial
  number comes back as; the device answering must be the same sniffer (serial number,
  protocol and firmware version), else `NotTheSniffer` and the search goes on; once it is,
  the handshake is redone (with the scan or follow and the keys chosen before) and a
  `PortBack` event says how long the outage lasted.

A port that does not answer like a sniffer raises `CaptureError` with one line.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

import msgspec
import serial

from attscope.capture import nrf_ports
from attscope.capture.errors import CaptureError
from attscope.capture.nrf_host import (
    FrameDropped,
    Garbage,
    HostEvent,
    Lost,
    NrfHost,
    ProtocolVersion,
    Skipped,
)
from attscope.capture.nrf_uart import PingResponse, VersionResponse

BAUD_RATES = (1_000_000, 460_800)  # what a 4.x host tries, in this order (section 1)
LISTEN_TIMEOUT = 0.3  # s to listen for frames a scanning sniffer streams unasked (9.1)
PROBE_TIMEOUT = 0.5  # s to wait for PING_RESP at one baud rate
HANDSHAKE_TIMEOUT = 1.0  # s to wait for the handshake's replies (section 9.3)
READ_TIMEOUT = 0.05
BACKOFF_FIRST = 0.1
BACKOFF_MAX = 2.0


class PortLost(msgspec.Struct, frozen=True, tag=True):
    """The port went away (unplugged, closed under us); reconnection is being tried."""

    port: str
    reason: str


class PortBack(msgspec.Struct, frozen=True, tag=True):
    """The same sniffer answers again (perhaps on another port); the handshake has been
    redone. `outage` is how long it was away, in seconds."""

    port: str
    baud: int
    outage: float


class NotTheSniffer(msgspec.Struct, frozen=True, tag=True):
    """A device answered where the sniffer was, but it is another one; not used."""

    port: str
    reason: str


SerialEvent = HostEvent | PortLost | PortBack | NotTheSniffer


class Identity(msgspec.Struct, frozen=True):
    """What tells one sniffer from another: its USB serial number where the port has one,
    its protocol version and its firmware."""

    usb_serial: str | None
    protover: int | None
    firmware: str | None

    def differs(self, other: Identity) -> str | None:
        """Why `other` is not this sniffer, comparing what both sides know; None if it is."""
        for name, mine, theirs in (
            ("USB serial number", self.usb_serial, other.usb_serial),
            ("protocol version", self.protover, other.protover),
            ("firmware", self.firmware, other.firmware),
        ):
            if mine is not None and theirs is not None and mine != theirs:
                return f"{name} {theirs}, the sniffer's is {mine}"
        return None


def _open(port: str, baud: int) -> serial.Serial:
    # RTS/CTS as Nordic's hosts open it; exclusive so two programs never share a sniffer
    return serial.Serial(
        port, baud, rtscts=True, exclusive=True, timeout=READ_TIMEOUT, write_timeout=1.0
    )


class NrfSerial:
    """A sniffer session. `open()` finds and greets the device; iterate `events()` (or call
    `read_events`) in one thread; commands (`follow`, `scan`, `command`) may come from
    another: writes are serialised by a lock.

    With `port` None the port is discovered (section 9.1); after a loss the ports with the
    dongle's USB id are tried again, since a re-plugged dongle may get another name, and so
    is the port it was found on.
    """

    def __init__(
        self,
        port: str | None = None,
        *,
        baud_rates: tuple[int, ...] = BAUD_RATES,
        board_id: int = 0,
        reconnect: bool = True,
        probe_timeout: float = PROBE_TIMEOUT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.requested = port
        self.baud_rates = baud_rates
        self.reconnect = reconnect
        self.probe_timeout = probe_timeout
        self.port: str | None = None  # the port in use
        self.baud: int | None = None
        # the board id each 272 record carries (section 11.2). Nordic's host takes the N of
        # /dev/ttyACMN, but a port's name is no property of the dongle: it changes with the
        # order of plugging (and a pty's with whatever else runs), so a recording would
        # not match its own replay. One sniffer per session: a fixed id.
        self.host = NrfHost(board_id=board_id, clock=clock)
        self._serial: serial.Serial | None = None
        self._lock = threading.RLock()
        self._queue: list[SerialEvent] = []
        self._closed = False
        self._broken: str | None = None  # a write failed; the reading thread acts on it
        self._retry_at = 0.0
        self._backoff = BACKOFF_FIRST
        self.identity: Identity | None = None  # the sniffer's, from the first greeting
        self._usb: nrf_ports.PortInfo | None = None  # its port's USB listing
        self._lost_at: float | None = None  # monotonic time the port went away
        # reads of the port that found it quiet (not a byte within the timeout): once the
        # other end has sent its last byte, the next such read means all of it was read
        self.idle_reads = 0

    # -- opening -------------------------------------------------------------------------

    def open(self) -> None:
        """Find the sniffer, greet it (section 9.3). Raises CaptureError if none answers."""
        if self.requested is not None:
            reason = self._connect([self.requested])
            if reason is not None:
                raise CaptureError(reason)
        else:
            candidates = nrf_ports.candidate_ports()
            if not candidates:
                ids = ", ".join(b.usb_id for b in nrf_ports.SNIFFER_BOARDS)
                raise CaptureError(
                    f"no nRF Sniffer found: no serial port with the USB id of a sniffer board "
                    f"({ids}); name its port with --port"
                )
            reason = self._connect(_devices(candidates))
            if reason is not None:
                raise CaptureError(
                    f"no nRF Sniffer found: {len(candidates)} port(s) with a sniffer board's "
                    f"USB id, none streamed sniffer frames or answered a ping (last: {reason})"
                )
        self._usb = nrf_ports.info_of(self.port or "")
        self.identity = self._identity()

    def _identity(self) -> Identity:
        usb = self._usb.serial_number if self._usb is not None else None
        return Identity(usb, self.host.protover, self.host.firmware)

    def _connect(self, ports: list[str]) -> str | None:
        """Probe `ports` in order, greet the first sniffer; None on success, else why not."""
        reason: str | None = "no serial port to try"
        for port in ports:
            reason = self._probe(port)
            if reason is None:
                self._handshake()
                return None
        return reason

    def _probe(self, port: str) -> str | None:
        """Open `port` at each baud rate in turn; keeps it open at the first that brings
        valid sniffer frames, unasked or as the answer to a ping."""
        for baud in self.baud_rates:
            try:
                link = _open(port, baud)
            except (serial.SerialException, OSError) as exc:
                return f"{port}: cannot open: {_why(exc)}"
            try:
                if self._greets(link):
                    self._serial, self.port, self.baud = link, port, baud
                    return None
            except (serial.SerialException, OSError) as exc:
                link.close()
                return f"{port}: {_why(exc)}"
            link.close()
        rates = " or ".join(str(b) for b in self.baud_rates)
        return f"{port}: not an nRF Sniffer (no sniffer frame, no answer to a ping at {rates} baud)"

    def _greets(self, link: serial.Serial) -> bool:
        """Listen first: a scanning sniffer streams frames unasked (9.1), and a port that
        brings a valid one is a sniffer. A quiet one is pinged, as 1.x hosts did."""
        link.reset_input_buffer()  # whatever the device said before we listened is stale
        self.host.reset()
        seen: list[SerialEvent] = []
        if self._gather(link, LISTEN_TIMEOUT, seen, ProtocolVersion):
            return True
        with self._lock:
            link.write(self.host.ping())
        return self._gather(link, self.probe_timeout, seen, PingResponse)

    def _gather(
        self, link: serial.Serial, timeout: float, seen: list[SerialEvent], sign: type
    ) -> bool:
        """Read for up to `timeout` s until an event of type `sign` comes; keep the frames."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen += self.host.receive_data(link.read(max(1, link.in_waiting)))
            if any(isinstance(e, sign) for e in seen):
                # only frames are worth keeping from a probe; the noise of a wrong baud
                # rate before them is not the device's doing
                self._queue += [e for e in seen if not _is_noise(e)]
                return True
        return False

    def _handshake(self) -> None:
        """Send the handshake and wait briefly for its replies, keeping every event."""
        link = self._serial
        assert link is not None
        want_version = self.host.protover is not None and self.host.protover >= 3
        deadline = time.monotonic() + HANDSHAKE_TIMEOUT
        pinged = versioned = False
        try:
            with self._lock:
                link.write(self.host.handshake())
            while time.monotonic() < deadline and not (pinged and (versioned or not want_version)):
                events = self.host.receive_data(link.read(max(1, link.in_waiting)))
                pinged |= any(isinstance(e, PingResponse) for e in events)
                versioned |= any(isinstance(e, VersionResponse) for e in events)
                self._queue += events
        except (serial.SerialException, OSError) as exc:
            # it answered the ping, so it is a sniffer: losing it now is a PortLost like any
            # other, reported by the next read, and reconnection is tried
            self._broken = _why(exc)

    # -- reading -------------------------------------------------------------------------

    def read_events(self, timeout: float = READ_TIMEOUT) -> list[SerialEvent]:
        """What arrived within about `timeout` seconds; [] if nothing. Never raises for a
        lost port: that is a `PortLost` event, and later a `PortBack`."""
        if self._queue:
            out, self._queue = self._queue, []
            return out
        if self._broken is not None:
            return self._lost(self._broken)
        link = self._serial
        if link is None:
            return self._reconnect(timeout)
        try:
            if link.timeout != timeout:  # pyserial reconfigures the port on every change
                link.timeout = timeout
            data = link.read(max(1, link.in_waiting))
        except (serial.SerialException, OSError) as exc:
            if self._closed:  # `close()` from another thread pulled the port away
                return []
            return self._lost(_why(exc))
        if not data:
            self.idle_reads += 1
            return []
        return list(self.host.receive_data(data))

    def events(self) -> Iterator[SerialEvent]:
        """Every event until `close()`; blocks while nothing arrives."""
        while not self._closed:
            yield from self.read_events()

    def _lost(self, reason: str) -> list[SerialEvent]:
        port = self.port or "?"
        self._lost_at = time.monotonic()
        self._broken = None
        self._drop_port()
        out: list[SerialEvent] = list(self.host.reset())
        out.append(PortLost(port, reason))
        self._backoff = BACKOFF_FIRST
        self._retry_at = time.monotonic() + self._backoff
        if not self.reconnect:
            self._closed = True
        return out

    def _reconnect(self, timeout: float) -> list[SerialEvent]:
        if self._closed or not self.reconnect:
            time.sleep(timeout)
            return []
        wait = self._retry_at - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, timeout))
            return []
        if self._connect(self._ports_to_retry()) is not None:
            self._retry_later()
            return []
        self._usb = nrf_ports.info_of(self.port or "") or self._usb
        found = self._identity()
        why = self.identity.differs(found) if self.identity is not None else None
        if why is not None:
            port = self.port or "?"
            self._drop_port()
            self._queue = []
            self._retry_later()
            return [NotTheSniffer(port, why)]
        outage = time.monotonic() - self._lost_at if self._lost_at is not None else 0.0
        out: list[SerialEvent] = [PortBack(self.port or "?", self.baud or 0, outage)]
        out += self._queue
        self._queue = []
        return out

    def _retry_later(self) -> None:
        self._backoff = min(self._backoff * 2, BACKOFF_MAX)
        self._retry_at = time.monotonic() + self._backoff

    def _ports_to_retry(self) -> list[str]:
        """The port's name, then wherever its USB serial number is now (a re-plugged
        dongle may come back as ttyACM1), then, when it was discovered, the other
        candidates."""
        ports: list[str] = []
        if self.requested:
            ports.append(self.requested)
        usb = self._usb
        if usb is not None and usb.serial_number:
            ports += nrf_ports.by_serial_number(usb.serial_number, usb.vid, usb.pid)
        if not self.requested:
            ports += [*([self.port] if self.port else []), *_devices(nrf_ports.candidate_ports())]
        return list(dict.fromkeys(ports))

    # -- commands ------------------------------------------------------------------------

    def command(self, build: Callable[[NrfHost], bytes]) -> None:
        """Build a command with the host (e.g. `lambda h: h.set_passkey(123456)`) and write
        it. While the port is away the choice is only remembered: the handshake after the
        reconnection replays scan/follow and keys. A failed write is left to the reading
        thread to report, so that only one thread ever closes and reopens the port."""
        with self._lock:
            data = build(self.host)
            link = self._serial
            if link is None or self._broken is not None:
                return
            try:
                link.write(data)
            except serial.SerialTimeoutException:
                try:  # commands are tiny: retry once, then call the port lost
                    link.write(data)
                except (serial.SerialException, OSError) as exc:
                    self._broken = f"write failed twice: {_why(exc)}"
            except (serial.SerialException, OSError) as exc:
                self._broken = _why(exc)

    def follow(
        self,
        address: str | bytes,
        random: bool,
        adv_only: bool = False,
        legacy_only: bool = False,
        coded: bool = False,
    ) -> None:
        self.command(lambda h: h.follow(address, random, adv_only, legacy_only, coded))

    def scan(self, *, scan_responses: bool = True, aux: bool = True, coded: bool = False) -> None:
        self.command(lambda h: h.scan(scan_responses=scan_responses, aux=aux, coded=coded))

    def close(self) -> None:
        self._closed = True
        self._drop_port()

    def _drop_port(self) -> None:
        link, self._serial = self._serial, None
        if link is not None:
            # closing a port that is already gone: there is nothing left to release
            with contextlib.suppress(serial.SerialException, OSError):
                link.close()

    def __enter__(self) -> NrfSerial:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_noise(event: SerialEvent) -> bool:
    return isinstance(event, FrameDropped | Garbage | Lost | Skipped)


def _devices(ports: list[nrf_ports.PortInfo]) -> list[str]:
    return [p.device for p in ports]


def _why(exc: BaseException) -> str:
    """One line for an I/O error: the OS's words when there are some."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
