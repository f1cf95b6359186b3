"""A stand-in for an nRF Sniffer dongle that shares no code with attscope: written from the
byte layouts and worked examples of the nRF Sniffer reference (sections 2, 3, 6, 11 and
examples A-E), so that the host and the emulator are each checked against something that
does not assume what they assume.

* `Codec` pieces: the SLIP variant, the UART header of versions 1-3, the 272 record <-> UART
  packet-event conversion (board id out, padding byte in), a strict parser of a byte stream.
* `DongleSim`: a pseudo-terminal that streams the records of a real capture with their real
  packet counters, gaps included. From the moment a host opens the port it streams the
  capture's first advertisement over and over (scanning firmware streams unasked); once
  the host asks for a scan or a follow it replays every record, as fast as the port takes
  them, counters shifted to continue its own numbering but every real gap kept; it answers
  PING_REQ, REQ_VERSION and REQ_TIMESTAMP (each reply spends a counter value, as firmware
  does).

Only dpkt (to read pcap/pcapng) and the standard library are used.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import select
import struct
import threading
import tty
from dataclasses import dataclass, field
from pathlib import Path

import dpkt

# -- section 2: SLIP --------------------------------------------------------------------

START, END, ESC = 0xAB, 0xBC, 0xCD
_ESCAPED = {START: 0xAC, END: 0xBD, ESC: 0xCE}
_UNESCAPED = {v: k for k, v in _ESCAPED.items()}


def slip(data: bytes) -> bytes:
    out = bytearray([START])
    for b in data:
        if b in _ESCAPED:
            out += bytes((ESC, _ESCAPED[b]))
        else:
            out.append(b)
    out.append(END)
    return bytes(out)


def unslip_stream(stream: bytes) -> tuple[list[bytes], int]:
    """Every frame of `stream` (strict: a bad escape or an AB inside a frame is an error),
    and how many bytes were outside any frame."""
    frames: list[bytes] = []
    outside = 0
    i = 0
    while i < len(stream):
        if stream[i] != START:
            outside += 1
            i += 1
            continue
        end = stream.index(END, i + 1)
        body = stream[i + 1 : end]
        if START in body:
            raise ValueError(f"frame start inside the frame at byte {i}")
        data = bytearray()
        j = 0
        while j < len(body):
            if body[j] == ESC:
                data.append(_UNESCAPED[body[j + 1]])  # KeyError: a bad escape
                j += 2
            else:
                data.append(body[j])
                j += 1
        frames.append(bytes(data))
        i = end + 1
    return frames, outside


# -- section 3: the UART header ---------------------------------------------------------


@dataclass(frozen=True)
class Uart:
    version: int
    counter: int
    packet_id: int
    payload: bytes


def build(p: Uart) -> bytes:
    """A packet in its version's layout: v1 `06 PLEN 01 PC ID`, v2/v3 `PLEN16 VER PC ID`."""
    if p.version == 1:
        head = bytes((6, len(p.payload), 1))
    else:
        head = struct.pack("<HB", len(p.payload), p.version)
    return head + struct.pack("<HB", p.counter, p.packet_id) + p.payload


def parse(data: bytes) -> Uart:
    """A decoded frame, by the validity rules of section 15."""
    if len(data) < 6:
        raise ValueError(f"{len(data)} bytes, no header")
    version = data[2]
    if version == 1:
        if data[0] != 6:
            raise ValueError(f"v1 header length {data[0]}")
        plen = data[1]
    elif version in (2, 3):
        plen = data[0] | data[1] << 8
    else:
        raise ValueError(f"protocol version {version}")
    if plen + 6 != len(data):
        raise ValueError(f"PLEN {plen} for {len(data)} bytes")
    counter, packet_id = struct.unpack_from("<HB", data, 3)
    return Uart(version, counter, packet_id, data[6:])


def command(counter: int, packet_id: int, payload: bytes = b"") -> bytes:
    """A host command on the wire: always the version-1 layout (section 3.3)."""
    return slip(build(Uart(1, counter, packet_id, payload)))


# packet ids of section 4
REQ_FOLLOW, EVENT_FOLLOW, ADV_PDU, EVENT_PACKET, REQ_SCAN_CONT = 0x00, 0x01, 0x02, 0x06, 0x07
SET_TK, PING_REQ, PING_RESP, HOP_SEQ = 0x0C, 0x0D, 0x0E, 0x17
REQ_VERSION, RESP_VERSION, REQ_TIMESTAMP, RESP_TIMESTAMP = 0x1B, 0x1C, 0x1D, 0x1E
ADV_AA = 0x8E89BED6


def is_packet_event(version: int, packet_id: int) -> bool:
    return packet_id == EVENT_PACKET or (version == 3 and packet_id == ADV_PDU)


# -- section 11.2: 272 records <-> packet events ----------------------------------------


def record_to_packet(record: bytes) -> Uart:
    """The UART packet a firmware sent for a 272 record: board id dropped, for a packet
    event the padding byte put back after the LL length byte (after the CI byte on Coded
    PHY) and PLEN one more (section 11.2, example D)."""
    data = record[1:]
    p = parse(data)
    if not is_packet_event(p.version, p.packet_id):
        return p
    event, radio = p.payload[:10], p.payload[10:]
    at = _padding_at(event)
    return Uart(p.version, p.counter, p.packet_id, event + radio[:at] + b"\x00" + radio[at:])


def packet_to_record(p: Uart, board: int) -> bytes:
    """The 272 record a host writes for a packet event (the inverse of the above)."""
    event, radio = p.payload[:10], p.payload[10:]
    at = _padding_at(event)
    if radio[at] != 0:
        raise ValueError(f"padding byte {radio[at]:#04x}, not 00")
    return bytes((board,)) + build(
        Uart(p.version, p.counter, p.packet_id, event + radio[:at] + radio[at + 1 :])
    )


def _padding_at(event: bytes) -> int:
    """Where the padding byte sits in the radio packet: after AA, CI (Coded PHY only),
    header and length (section 6.3); `event` is the 10-byte event header."""
    coded = (event[1] >> 4) & 7 == 2
    return 4 + (1 if coded else 0) + 2


def read_records(path: str | os.PathLike[str]) -> list[bytes]:
    """The records of a nordic_ble capture (272, or 157 as the Adafruit 1.x host wrote)."""
    with open(path, "rb") as f:
        reader = dpkt.pcap.UniversalReader(f)
        if reader.datalink() not in (272, 157):
            raise ValueError(f"{path}: link type {reader.datalink()}, not nordic_ble")
        return [bytes(buf) for _, buf in reader]


def counter_of(record: bytes) -> int:
    return int(struct.unpack_from("<H", record, 4)[0])


def gaps(counters: list[int]) -> int:
    """Counter values a sequence leaves out: the firmware's skips (section 15: steps of
    more than half the range are resets, not gaps)."""
    total = 0
    for a, b in itertools.pairwise(counters):
        gap = (b - a - 1) % 65536
        total += gap if gap < 32768 else 0
    return total


def advertiser(record: bytes) -> bytes | None:
    """The AdvA (display order) of a legacy advertising PDU in a 272 record."""
    p = parse(record[1:])
    radio = p.payload[10:]
    if len(radio) < 6 or struct.unpack_from("<I", radio)[0] != ADV_AA:
        return None
    ci = 1 if (p.payload[1] >> 4) & 7 == 2 else 0
    pdu_type = radio[4 + ci] & 0x0F
    body = radio[6 + ci : -3]
    if pdu_type in (0, 1, 2, 4, 6) and len(body) >= 6:
        return body[5::-1]
    if pdu_type in (3, 5) and len(body) >= 12:
        return body[11:5:-1]
    return None


# -- the stand-in on a pseudo-terminal --------------------------------------------------


@dataclass
class SimStats:
    beacons: int = 0  # first-advert repeats sent before the replay
    replayed: int = 0  # capture records sent
    replies: int = 0
    counters: list[int] = field(default_factory=list)  # every frame sent, in order


class DongleSim:
    """A real capture's session, streamed as its dongle sent it. `done` is set once every
    record is in the pty; `stop()` ends the thread and removes `link`."""

    def __init__(
        self,
        records: list[bytes],
        link: Path,
        *,
        answer_ping: bool = True,
        version_text: str = "4.1.1",
        beacon_every: float = 0.03,
    ) -> None:
        packets = [record_to_packet(r) for r in records]
        self.packets = [p for p in packets if is_packet_event(p.version, p.packet_id)]
        if not self.packets:
            raise ValueError("no packet event to replay")
        self.version = self.packets[0].version
        self.link = link
        self.answer_ping = answer_ping
        self.version_text = version_text
        self.beacon_every = beacon_every
        first_adv = [
            p for p in self.packets if struct.unpack_from("<I", p.payload, 10)[0] == ADV_AA
        ]
        self.beacon = first_adv[0] if first_adv else self.packets[0]
        self.stats = SimStats()
        self.done = threading.Event()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._counter = self.packets[0].counter - 1000  # its own numbering before the replay
        self._replaying = False
        self._next = 0
        self._shift = 0  # replay counter = real counter + shift
        self._commands = bytearray()
        master, slave = os.openpty()
        tty.setraw(slave)
        name = os.ttyname(slave)
        os.close(slave)  # POLLHUP on the master until a host opens the slave
        os.set_blocking(master, False)
        self._master = master
        link.unlink(missing_ok=True)
        link.symlink_to(name)
        self._thread = threading.Thread(target=self._run, name="dongle-sim", daemon=True)

    @property
    def expected_skips(self) -> int:
        """The counter values the replay leaves out: exactly the capture's own gaps."""
        return gaps([p.counter for p in self.packets])

    def __enter__(self) -> DongleSim:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.link.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            os.close(self._master)

    # -- the loop ---------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._step()
        except Exception as exc:
            self.error = exc  # the test reports it

    def _host_there(self) -> bool:
        poller = select.poll()
        poller.register(self._master, select.POLLIN | select.POLLHUP)
        return not any(ev & select.POLLHUP for _, ev in poller.poll(0))

    def _step(self) -> None:
        if not self._host_there():
            self._stop.wait(0.01)
            return
        self._answer(
            timeout=0 if self._replaying and self._next < len(self.packets) else self.beacon_every
        )
        if not self._replaying:
            self._send(Uart(self.version, self._take(), self.beacon.packet_id, self.beacon.payload))
            self.stats.beacons += 1
        elif self._next < len(self.packets):
            real = self.packets[self._next]
            self._next += 1
            counter = (real.counter + self._shift) % 65536
            self._counter = counter
            self._send(Uart(real.version, counter, real.packet_id, real.payload))
            self.stats.replayed += 1
            if self._next == len(self.packets):
                self.done.set()

    def _take(self) -> int:
        self._counter = (self._counter + 1) % 65536
        return self._counter

    def _answer(self, timeout: float) -> None:
        readable, _, _ = select.select([self._master], [], [], timeout)
        if not readable:
            return
        try:
            self._commands += os.read(self._master, 4096)
        except OSError as exc:
            if exc.errno in (errno.EIO, errno.EAGAIN):
                return
            raise
        while START in self._commands and END in self._commands[self._commands.index(START) :]:
            start = self._commands.index(START)
            end = self._commands.index(END, start)
            frame, self._commands = (
                bytes(self._commands[start : end + 1]),
                self._commands[end + 1 :],
            )
            (data,), _ = unslip_stream(frame)
            self._command(parse(data))

    def _command(self, c: Uart) -> None:
        reply: bytes | None = None
        if c.packet_id == PING_REQ and self.answer_ping:
            reply = struct.pack("<H", 1116)
            rid = PING_RESP
        elif c.packet_id == REQ_VERSION and self.version == 3:
            reply, rid = self.version_text.encode(), RESP_VERSION
        elif c.packet_id == REQ_TIMESTAMP and self.version == 3:
            last = self.packets[max(0, self._next - 1)] if self._replaying else self.beacon
            reply, rid = last.payload[6:10], RESP_TIMESTAMP  # the firmware clock, about now
        elif c.packet_id in (REQ_SCAN_CONT, REQ_FOLLOW) and not self._replaying:
            self._replaying = True
            # the replay continues this numbering: every later real gap is kept as it was
            self._shift = (self._counter + 1 - self.packets[0].counter) % 65536
        if reply is not None:
            self._send(Uart(self.version, self._take(), rid, reply))
            self.stats.replies += 1
            if self._replaying:  # the reply spent a value: the replay's numbers move on one
                self._shift = (self._shift + 1) % 65536

    def _send(self, p: Uart) -> None:
        self.stats.counters.append(p.counter)
        data = slip(build(p))
        while data and not self._stop.is_set():
            _, writable, _ = select.select([], [self._master], [], 0.05)
            if not writable:
                continue
            try:
                n = os.write(self._master, data)
            except OSError as exc:
                if exc.errno == errno.EAGAIN:
                    continue
                if exc.errno == errno.EIO:  # the host let go: what it did not read is gone
                    return
                raise
            data = data[n:]


def air_time(record: bytes) -> int:
    """A 272 record's packet duration on air, us (section 7.1)."""
    flags, radio = record[8], record[17:]
    n = len(radio)
    phy = (flags >> 4) & 7
    if phy == 1:
        return 4 * (2 + n)
    if phy == 2:
        s2 = radio[4] & 3 == 1
        return 376 + (16 * (n - 5) + 6 if s2 else 64 * (n - 5) + 24)
    return 8 * (1 + n)


def firmware_starts(records: list[bytes]) -> list[int]:
    """Each record's start on the firmware clock, relative to the first: v3 absolute times
    unwrapped, v1/v2 deltas chained with the previous packet's air time (section 7)."""
    starts = [0]
    for a, b in itertools.pairwise(records):
        time_b = struct.unpack_from("<I", b, 13)[0]
        if b[3] == 3:
            step = (time_b - struct.unpack_from("<I", a, 13)[0]) % 2**32
            starts.append(starts[-1] + (step - 2**32 if step >= 2**31 else step))
        else:
            starts.append(starts[-1] + air_time(a) + time_b)
    return starts
