"""A live nRF Sniffer on a serial port: the thin pyserial shell around `NrfHost`.

Everything protocol-shaped is in nrf_host.py; this module only finds the port, opens it,
moves bytes, and survives the port going away (nRF Sniffer reference, sections 1, 9, 15):

* discovery: ports with Nordic's USB id 1915:522A first, then every other port; a port is
  a sniffer when it answers PING_REQ with PING_RESP, at 1 000 000 baud, else 460 800;
* handshake of section 9.3, then `read_events` / `events()` deliver what the host decodes;
* when the port vanishes (`SerialException`, EIO, empty reads), a `PortLost` event, then
  retries with back-off; when it answers again, the handshake is redone (with the scan or
  follow and the keys chosen before) and a `PortBack` event follows.

A port that does not answer like a sniffer raises `CaptureError` with one line.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator

import msgspec
import serial
from serial.tools import list_ports

from attscope.capture.errors import CaptureError
from attscope.capture.nrf_host import FrameDropped, Garbage, HostEvent, Lost, NrfHost
from attscope.capture.nrf_uart import PingResponse, VersionResponse

NORDIC_VID = 0x1915
SNIFFER_PID = 0x522A  # nRF Sniffer for Bluetooth LE 4.x, nRF52840 Dongle
BAUD_RATES = (1_000_000, 460_800)  # what a 4.x host tries, in this order (section 1)
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
    """The sniffer answers again; the handshake has been redone."""

    port: str
    baud: int


SerialEvent = HostEvent | PortLost | PortBack


def sniffer_ports() -> list[str]:
    """Serial ports whose USB id is the nRF Sniffer dongle's."""
    return [p.device for p in list_ports.comports() if p.vid == NORDIC_VID and p.pid == SNIFFER_PID]


def other_ports() -> list[str]:
    """Every other serial port pyserial lists (pseudo-terminals are never listed)."""
    found = set(sniffer_ports())
    return [p.device for p in list_ports.comports() if p.device not in found]


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
            return
        candidates = sniffer_ports()
        if self._connect(candidates) is None:
            return
        others = other_ports()
        if self._connect(others) is None:
            return
        raise CaptureError(
            f"no nRF Sniffer found: {len(candidates)} port(s) with USB id 1915:522A and "
            f"{len(others)} other port(s) did not answer a ping"
        )

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
        """Open `port` and ping at each baud rate; keeps it open on the first PING_RESP."""
        for baud in self.baud_rates:
            try:
                link = _open(port, baud)
            except (serial.SerialException, OSError) as exc:
                return f"{port}: cannot open: {_why(exc)}"
            try:
                if self._ping(port, link):
                    self._serial, self.port, self.baud = link, port, baud
                    return None
            except (serial.SerialException, OSError) as exc:
                link.close()
                return f"{port}: {_why(exc)}"
            link.close()
        rates = " or ".join(str(b) for b in self.baud_rates)
        return f"{port}: not an nRF Sniffer (no answer to a ping at {rates} baud)"

    def _ping(self, port: str, link: serial.Serial) -> bool:
        link.reset_input_buffer()  # whatever the device said before we listened is stale
        self.host.reset()
        with self._lock:
            link.write(self.host.ping())
        deadline = time.monotonic() + self.probe_timeout
        seen: list[SerialEvent] = []
        while time.monotonic() < deadline:
            seen += self.host.receive_data(link.read(max(1, link.in_waiting)))
            if any(isinstance(e, PingResponse) for e in seen):
                # only frames are worth keeping from a probe; the noise of a wrong baud
                # rate before the answer is not the device's doing
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
        if self.requested:
            ports = [self.requested]
        else:  # a re-plugged dongle may get another name
            ports = list(dict.fromkeys([*sniffer_ports(), *([self.port] if self.port else [])]))
        if self._connect(ports) is not None:
            self._backoff = min(self._backoff * 2, BACKOFF_MAX)
            self._retry_at = time.monotonic() + self._backoff
            return []
        out: list[SerialEvent] = [PortBack(self.port or "?", self.baud or 0)]
        out += self._queue
        self._queue = []
        return out

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

    def follow(self, address: str | bytes, random: bool, adv_only: bool = False) -> None:
        self.command(lambda h: h.follow(address, random, adv_only))

    def scan(self) -> None:
        self.command(lambda h: h.scan())

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
    return isinstance(event, FrameDropped | Garbage | Lost)


def _why(exc: BaseException) -> str:
    """One line for an I/O error: the OS's words when there are some."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
