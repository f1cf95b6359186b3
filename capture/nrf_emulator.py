"""An emulated nRF Sniffer dongle on a pseudo-terminal: the I/O shell around `NrfDevice`.

The emulator owns the pty master; a host opens the slave (or `--link PATH`, a symlink to
it) like any serial port. One thread runs a select loop: commands from the host go to the
device model, its replies and the replayed packets go back, never blocking on a slow host
(output is buffered and the replay is only pulled while the buffer is short, so a host that
reads slowly slows the replay down instead of losing packets, as RTS/CTS would).

Rules that make the emulator behave like a dongle (nRF Sniffer reference, section 14):

* the replay advances only while a host has the port open and has started it with
  REQ_SCAN_CONT or REQ_FOLLOW; before that the device streams, as 4.x firmware scans
  from power-on, the capture's first advertisement every 20 ms (a PING_RESP when the
  capture does not start with one), so a host that finds its port by listening (section
  9.1) sees frames at once;
* `rate="realtime"` keeps the capture's timing (firmware clock anchored to the monotonic
  clock when the replay starts or resumes), `rate="max"` goes as fast as the host reads;
* the hang-up fault removes the link and closes the master (the host sees EIO), waits
  `hangup_seconds`, then makes a new pty, points the link at it and powers the device up
  afresh; the capture's packets of those seconds went by unheard, as they would on air.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import select
import struct
import termios
import threading
import time
import tty
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from attscope.capture import linktypes as lt
from attscope.capture.errors import CaptureError
from attscope.capture.frame import Frame
from attscope.capture.nrf_device import DeviceConfig, NrfDevice
from attscope.capture.nrf_serial import NrfSerial
from attscope.capture.open import open_capture
from attscope.capture.reader import CaptureReader

Rate = Literal["realtime", "max"]
RATES: tuple[Rate, ...] = ("realtime", "max")
BEACON_INTERVAL = 0.02  # s between the frames streamed before a host starts the replay
OUT_LOW_WATER = 16_384  # pull more of the replay only while less than this is unsent
IDLE_POLL = 0.02  # s between checks while no host has the port open
# The replay is far faster than a UART, so what was written just before a hang-up would
# still sit unread in the pty, and a hang-up discards it. Waiting this long after the last
# write lets a reading host have it, as it would have had it from a real line.
HANGUP_GRACE = 0.1
# At full speed the replay would run far ahead of a host's reaction to what it reads. After
# a connectable advertiser's first advert, the replay waits until the host has read it (the
# pty's peer tells) and then up to this long for a command (a follow on sight), ending at
# the first byte from the host. A real dongle has the air's pace: 20 ms or more between
# two advertising events of a device, time enough for any host.
FIRST_SIGHTING_GRACE = 0.1
# ioctl opening a pty's peer through its master (Linux 4.13); with it the emulator sees how
# much of its output the host has not read yet
TIOCGPTPEER = getattr(termios, "TIOCGPTPEER", 0x5441)
AIR_LINKTYPES = lt.LE_LL_LINKTYPES | {lt.PPI}


def air_capture(path: str | os.PathLike[str]) -> CaptureReader:
    """A reader for an air capture (LE link-layer packets), or CaptureError saying why not."""
    reader = open_capture(path)
    if reader.linktypes and not set(reader.linktypes) & AIR_LINKTYPES:
        names = ", ".join(f"{t} {lt.name(t)}" for t in reader.linktypes)
        raise CaptureError(
            f"{path}: not an air capture (link type {names}); the emulator replays LE "
            "link-layer captures such as nordic_ble (272) or LE with pseudo-header (256)"
        )
    return reader


class Emulator:
    """`start()` creates the pty and the thread, `stop()` ends both; `path` is what a host
    opens (the link when there is one). `error` holds what ended the thread, if anything."""

    def __init__(
        self,
        frames: Iterable[Frame],
        *,
        config: DeviceConfig | None = None,
        link: str | os.PathLike[str] | None = None,
        rate: Rate = "max",
        hangup_seconds: float = 1.0,
        first_sighting_grace: float = FIRST_SIGHTING_GRACE,
    ) -> None:
        if rate not in RATES:
            raise ValueError(f"rate {rate!r}: choose one of {', '.join(RATES)}")
        self.device = NrfDevice(frames, config)
        if self.device.finished:
            raise CaptureError("the capture has no LE link-layer packet to replay")
        self.link = Path(link) if link is not None else None
        self.rate = rate
        self.hangup_seconds = hangup_seconds
        self.first_sighting_grace = first_sighting_grace
        self.error: BaseException | None = None
        self.slave_name = ""
        self.host_opens = 0  # times a host opened the port
        self._master: int | None = None
        self._out = bytearray()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._anchor: tuple[float, int] | None = None  # (monotonic s, firmware us)
        self._present = False
        self._hangup_pending = False
        self._hangup_at: float | None = None
        self._reopen_at = 0.0
        self._last_sent = 0.0
        # waiting for the host's answer to a first sighting: None, or when the wait ends
        # (0 until the host has read the advert)
        self._hold: float | None = None

    @property
    def path(self) -> str:
        return str(self.link) if self.link is not None else self.slave_name

    @property
    def drained(self) -> bool:
        """The replay is over and all of it is in the pty: what the host has not read yet
        waits there, and nothing more will come (for a host, or a test, to know it has
        everything once its port is found quiet)."""
        return (
            self.device.finished
            and not self._out
            and not self._hangup_pending
            and self._master is not None
        )

    def start(self) -> None:
        self._make_pty()
        self._thread = threading.Thread(target=self._run, name="nrf-emulator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._unlink()
        self._close_master()

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the pty -------------------------------------------------------------------------

    def _make_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing: bytes pass as they are
        self.slave_name = os.ttyname(slave)
        # the slave is closed here: the master then reports POLLHUP until a host opens it,
        # which is how the loop knows whether anyone is listening
        os.close(slave)
        os.set_blocking(master, False)
        self._master = master
        if self.link is not None:
            tmp = self.link.with_name(self.link.name + ".tmp")
            try:
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                tmp.symlink_to(self.slave_name)
                tmp.replace(self.link)  # atomic: a host never sees the link missing
            except OSError as exc:
                self._close_master()
                with contextlib.suppress(OSError):
                    tmp.unlink()  # made, but not put in place
                # the OS names the pty (the symlink's target), which is not what is wrong:
                # the link's place is (a missing folder, no permission)
                raise OSError(exc.errno, exc.strerror, str(self.link)) from None

    def _unlink(self) -> None:
        """Take the link away before the pty goes: once the pty is closed and its host has
        let go, its number is free for any other program's pty, and a host reconnecting
        through a link still pointing there would open that one (as an unplugged dongle's
        device node vanishes, the link is gone until the port comes back)."""
        if self.link is not None and self.link.is_symlink():
            self.link.unlink(missing_ok=True)

    def _close_master(self) -> None:
        master, self._master = self._master, None
        if master is not None:
            os.close(master)

    def _host_present(self, master: int) -> bool:
        poller = select.poll()
        poller.register(master, select.POLLIN | select.POLLHUP)
        return not any(ev & select.POLLHUP for _, ev in poller.poll(0))

    # -- the loop ------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._step()
        except Exception as exc:
            # the thread's end, whatever the cause, is handed to its owner (`error`), who
            # reports it; a silent death would leave a host waiting on a mute port
            self.error = exc

    def _step(self) -> None:
        master = self._master
        if master is None:  # hung up: come back after a while as a fresh device
            if time.monotonic() >= self._reopen_at:
                self._make_pty()
                self.device.power_cycle()
                # the air did not stop while the dongle was away: what went by is gone
                self.device.pass_time(int(self.hangup_seconds * 1_000_000))
            else:
                self._stop.wait(IDLE_POLL)
            return
        present = self._host_present(master)
        if present != self._present:
            self._present = present
            self._out.clear()  # nobody will read it; a new host flushes anyway
            self._anchor = None
            self._hold = None
            if present:
                self.host_opens += 1
            else:
                self.device.pause()
        if not present:
            self._stop.wait(IDLE_POLL)
            return
        self._fill()
        timeout = self._timeout()
        readable, writable, _ = select.select([master], [master] if self._out else [], [], timeout)
        if readable:
            self._read(master)
        if writable and self._out:
            self._write(master)
        if self._hangup_pending and not self._out:
            if self._hangup_at is None:
                self._hangup_at = time.monotonic() + HANGUP_GRACE
            elif time.monotonic() >= self._hangup_at:
                self._hang_up()

    def _firmware_now(self) -> int | None:
        if self._anchor is None:
            return None
        t0, fw0 = self._anchor
        return fw0 + int((time.monotonic() - t0) * 1_000_000)

    def _fill(self) -> None:
        """Pull the replay while the output buffer is short and packets are due."""
        device = self.device
        while len(self._out) < OUT_LOW_WATER and not self._hangup_pending and not self._held():
            due = device.next_due()
            if due is None:
                self._anchor = None
                if not device.started and time.monotonic() - self._last_sent >= BEACON_INTERVAL:
                    self._send(device.beacon())
                return
            if self.rate == "realtime":
                now = self._firmware_now()
                if now is None:
                    self._anchor = (time.monotonic(), due)
                elif due > now:
                    return
            emission = device.emit_next()
            self._send(emission.data)
            self._hangup_pending = emission.hangup
            if emission.first_sighting and self.rate == "max":
                self._hold = 0.0

    def _held(self) -> bool:
        """Whether the replay waits for the host's answer to a first sighting."""
        if self._hold is None:
            return False
        if not self._hold:  # the advert must be written and read first
            queued = self._unread()
            if self._out or queued:
                return True
            self._hold = time.monotonic() + self.first_sighting_grace
        if time.monotonic() < self._hold:
            return True
        self._hold = None
        return False

    def _unread(self) -> int:
        """Bytes in the pty the host has not read; 0 when the pty cannot tell (no peer
        ioctl, or a port held exclusively by a host while the emulator is not root)."""
        master = self._master
        if master is None:
            return 0
        try:
            peer = fcntl.ioctl(master, TIOCGPTPEER, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError:
            return 0
        try:
            return int(struct.unpack("i", fcntl.ioctl(peer, termios.FIONREAD, b"\0" * 4))[0])
        finally:
            os.close(peer)

    def _send(self, data: bytes) -> None:
        if data:
            self._out += data
            self._last_sent = time.monotonic()

    def _timeout(self) -> float:
        """How long select may sleep: not past the next due packet or beacon."""
        if self._hold is not None:
            return 0.001
        if self._out or self._hangup_pending:
            return 0.02
        due = self.device.next_due()
        if due is None:
            return BEACON_INTERVAL if not self.device.started else 0.05
        if self.rate == "max":
            return 0
        now = self._firmware_now()
        return 0 if now is None else max(0.0, min(0.05, (due - now) / 1_000_000))

    def _read(self, master: int) -> None:
        try:
            data = os.read(master, 4096)
        except OSError as exc:
            if exc.errno in (errno.EIO, errno.EAGAIN):
                return  # the host just closed the port, or nothing after all
            raise
        if self._hold:  # the host answered the first sighting (or said anything at all)
            self._hold = None
        self._send(self.device.receive_data(data, self._firmware_now()))

    def _write(self, master: int) -> None:
        try:
            n = os.write(master, self._out)
        except OSError as exc:
            if exc.errno in (errno.EIO, errno.EAGAIN):
                return
            raise
        del self._out[:n]

    def _hang_up(self) -> None:
        self._hangup_pending = False
        self._hangup_at = None
        self._hold = None
        self._unlink()
        self._close_master()
        self._present = False
        self._anchor = None
        self._reopen_at = time.monotonic() + self.hangup_seconds


class PlayedOut:
    """Whether the host on `serial` has everything `emulator` replayed: the emulator had
    put the last of its replay into the pty, and since then a read of the port found it
    quiet, so nothing was left there. No silence is timed: a slow or loaded machine only
    makes it come later. Call it from any thread."""

    def __init__(self, emulator: Emulator, serial: NrfSerial) -> None:
        self.emulator = emulator
        self.serial = serial
        self._idle_at: int | None = None  # the host's quiet reads when the drain was seen

    def __call__(self) -> bool:
        if self._idle_at is None:
            if self.emulator.drained:
                self._idle_at = self.serial.idle_reads
            return False
        # the read in progress when the drain was seen may have begun before it: the
        # second quiet read after it began after it
        return self.serial.idle_reads >= self._idle_at + 2
