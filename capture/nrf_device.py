"""A model of an nRF Sniffer dongle, sans-I/O, for the emulator (nrf_emulator.py) and tests.

It replays the packets of an air capture as the firmware would stream them (nRF Sniffer
reference, section 14): one protocol version per run (the source's, 3 when the source has
none), one packet counter over every frame it sends, v3 absolute or v1/v2 delta times from
the capture's own timing, ids 0x02/0x06 as the version wants. It answers the host's
commands (ping, version, timestamp, baud rate) and honours its choices: scanning reports
every advertiser, following reports one advertiser and, after a CONNECT_IND aimed at it
(whose CRC held), that connection through its parameter updates (section 10). Counters
keep the gaps the source's firmware left. Faults can be injected to test a host: garbage between
frames, broken escapes, counter gaps and hang-ups (the last one is carried out by the shell).

Timing is the shell's business: `next_due` says when (on the firmware clock) the next
packet is due, `emit_next` produces its bytes, `receive_data` answers commands.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Iterable, Iterator
from enum import IntEnum, StrEnum

import msgspec

from attscope.capture.frame import LE_ADVERTISING_AA, Encap, Frame
from attscope.capture.nrf_slip import SLIP_ESC, SLIP_START, SlipDecoder, slip_encode
from attscope.capture.nrf_uart import (
    ADV_CHANNELS,
    COUNTER_MOD,
    FOLLOW_ADV_ONLY,
    FOLLOW_LEGACY_ONLY,
    SCAN_AUX,
    SCAN_RESPONSES,
    TIME_MOD,
    AdvHopSequence,
    BaudRateRequest,
    BaudRateResponse,
    ConnectEvent,
    DisconnectEvent,
    FollowEvent,
    FollowRequest,
    GoIdle,
    InvalidPacket,
    KeyMessage,
    Message,
    PingRequest,
    PingResponse,
    ScanRequest,
    TimestampRequest,
    TimestampResponse,
    VersionRequest,
    VersionResponse,
    air_time_us,
    build_message,
    encode_packet,
    packet_from_frame,
    parse_message,
    parse_packet,
)

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")

BAUD_RATES = (1_000_000, 460_800)
LOOP_PAUSE_US = 1_000_000  # silence between two passes over the capture
PREROLL_STEP_US = 20_000  # an advertiser's interval while nobody has started the replay

# advertising PDU types (Core Vol 6, Part B, 2.3) whose first payload field is the AdvA,
# and those whose AdvA follows the scanner's or initiator's address
_ADVA_FIRST = {0, 1, 2, 4, 6}  # ADV_IND, ADV_DIRECT_IND, ADV_NONCONN_IND, SCAN_RSP, ADV_SCAN_IND
_ADVA_SECOND = {3, 5}  # SCAN_REQ / AUX_SCAN_REQ, CONNECT_IND / AUX_CONNECT_REQ
_EXTENDED = {7, 8}  # ADV_EXT_IND and the AUX PDUs, AUX_CONNECT_RSP: extended header
_SCAN_PDUS = {3, 4}
_CONNECTABLE = {0, 1}  # ADV_IND, ADV_DIRECT_IND
_CONNECT_IND = 5
_LL_CONNECTION_UPDATE_IND = 0x00
_LL_TERMINATE_IND = 0x02


class Fault(StrEnum):
    GARBAGE = "garbage"  # random bytes (never AB) between two frames
    SLIP = "slip"  # a broken escape inside a frame: the host must drop that frame
    GAP = "gap"  # packets not forwarded: counter values skipped, the stream whole (no loss)
    LOSS = "loss"  # bytes lost on the line: a frame cut short and the next ones gone
    HANGUP = "hangup"  # the port goes away (the shell closes it) and comes back


class State(IntEnum):
    SCANNING = 0
    FOLLOWING = 1
    CONNECTION = 2


class DeviceConfig(msgspec.Struct, frozen=True, kw_only=True):
    protover: int | None = None  # None: the source's version, 3 when it has none
    start_counter: int | None = None  # None: the source's first counter, else 0
    build: int = 1116  # PING_RESP build number (3.1.0)
    version_text: str = "4.1.1"  # RESP_VERSION (v3)
    connect_event: bool | None = None  # None: sent before protocol 3 only (5.9)
    faults: frozenset[Fault] = frozenset()
    fault_every: int = 25  # packet events between two faults
    gap_size: int = 3  # packets left out per counter gap, or lost whole per line loss
    source_gaps: bool = True  # skip the counter values the source capture skips
    hangup_every: int = 400  # packet events between two hang-ups
    loop: bool = False  # start over at the end of the capture
    preroll: bool = True  # stream adverts from power-on, as 4.x firmware scans unasked
    seed: int = 7


class DeviceStats(msgspec.Struct):
    """What the device did, for tests and the emulator's summary."""

    sent: int = 0  # packet events written
    filtered: int = 0  # capture packets the current state did not report
    skipped: int = 0  # capture packets that cannot be expressed in this protocol version
    gap_dropped: int = 0  # left out by the gap fault, counter advanced
    source_skipped: int = 0  # counter values skipped where the source capture skips them
    cut_frames: int = 0  # frames cut short by the loss fault (the host sees them broken)
    line_lost: int = 0  # frames the loss fault took away whole after a cut
    garbage_bytes: int = 0
    broken_frames: int = 0  # sent with a broken escape
    hangups: int = 0
    unheard: int = 0  # capture packets that went by on air while the device was away
    bad_commands: int = 0  # host frames that were not valid commands
    passes: int = 0  # times the capture was started
    preroll: int = 0  # adverts streamed before a host started the replay


class Emission(msgspec.Struct, frozen=True):
    """What one step of the replay produced: bytes to write, then maybe a hang-up.
    `first_sighting`: a connectable advertiser heard for the first time while scanning,
    the moment a host following a device on sight reacts to."""

    data: bytes
    hangup: bool = False
    first_sighting: bool = False


class _Item(msgspec.Struct):
    frame: Frame
    start: int  # firmware clock at the packet's start, us, not wrapped
    skip: int = 0  # counter values the source's firmware skipped right before it


def source_version(frame: Frame | None) -> int:
    """The protocol version a capture's first packet was recorded with; 3 when none."""
    s = frame.sniffer if frame is not None else None
    return s.protover if s is not None and s.protover in (1, 2, 3) else 3


def advertiser_address(ll: bytes, ci: int) -> tuple[bytes, bool] | None:
    """The advertiser's address (display order) and type an advertising PDU names."""
    head = 4 + ci
    if len(ll) < head + 2:
        return None
    header = ll[head]
    pdu_type = header & 0x0F
    payload = ll[head + 2 : len(ll) - 3]
    if pdu_type in _ADVA_FIRST and len(payload) >= 6:
        return payload[5::-1], bool(header & 0x40)
    if pdu_type in _ADVA_SECOND and len(payload) >= 12:
        return payload[11:5:-1], bool(header & 0x80)
    if pdu_type in _EXTENDED and len(payload) >= 8 and payload[0] & 0x3F and payload[1] & 0x01:
        return payload[7:1:-1], bool(header & 0x40)
    return None


_NAME_TYPES = (0x09, 0x08)  # Complete Local Name, Shortened Local Name (CSS Part A 1.2)


def advertised_name(ll: bytes, ci: int) -> str | None:
    """The local name an advertising PDU's AD structures carry (complete before shortened),
    None when it carries none."""
    head = 4 + ci
    if len(ll) < head + 2:
        return None
    pdu_type = ll[head] & 0x0F
    payload = ll[head + 2 : len(ll) - 3]
    if pdu_type in (0, 2, 4, 6):  # AdvA, then AdvData / ScanRspData
        data = payload[6:]
    elif pdu_type == 7 and payload:  # extended: the data after the extended header
        data = payload[1 + (payload[0] & 0x3F) :]
    else:
        return None
    names: dict[int, bytes] = {}
    at = 0
    while at + 1 < len(data) and data[at]:
        end = at + 1 + data[at]
        if data[at + 1] in _NAME_TYPES and end <= len(data):
            names.setdefault(data[at + 1], data[at + 2 : end])
        at = end
    raw = next((names[t] for t in _NAME_TYPES if t in names), None)
    return raw.decode("utf-8", "replace") if raw is not None else None


class NrfDevice:
    """The dongle. Feed it host bytes with `receive_data`; pull the replay with
    `next_due`/`emit_next`; call `power_cycle` when the port came back after a hang-up."""

    def __init__(self, frames: Iterable[Frame], config: DeviceConfig | None = None) -> None:
        self.config = config or DeviceConfig()
        self._source = frames
        self._iter: Iterator[Frame] = iter(())
        self._pass_offset = 0
        self._pass_end = 0
        self._next: _Item | None = None
        self._src_last: tuple[int, int] | None = None  # (raw TIME, start) of the source
        self._src_counter: int | None = None  # the source's last packet counter
        self._shift = 0  # us the replay's clock moved on for pre-rolls
        self._base: int | None = None
        self._pass_items = 0
        self.stats = DeviceStats()
        self._start_pass()
        first = self._next.frame if self._next is not None else None
        self.protover = self.config.protover or source_version(first)
        start = self.config.start_counter
        if start is None:
            s = first.sniffer if first is not None else None
            start = s.packet_counter if s is not None and s.packet_counter is not None else 0
        self._start_counter = start % COUNTER_MOD
        self._slip = SlipDecoder()
        self._rng = random.Random(self.config.seed)
        self._fault_cycle = [f for f in Fault if f in self.config.faults and f != Fault.HANGUP]
        self._faults_done = 0
        self.keys: dict[int, bytes] = {}  # key commands received, by packet id
        self._heard: set[tuple[bytes, bool]] = set()  # connectable advertisers reported
        # the pre-roll's advert: the capture's first packet, when it is one with a good CRC
        self._advert = first if first is not None and _is_advert(first) else None
        self._power_on()

    # -- state ---------------------------------------------------------------------------

    def _power_on(self) -> None:
        self.counter = self._start_counter
        self.state = State.SCANNING
        self.streaming = False  # until the host's first REQ_SCAN_CONT or REQ_FOLLOW
        self.started = False  # a host has started the replay since power-on or `pause`
        self.scan_flags = SCAN_RESPONSES | SCAN_AUX
        self.target: tuple[bytes, bool] | None = None
        self.follow_flags = 0
        self.hop: tuple[int, ...] = ADV_CHANNELS
        self.baud = BAUD_RATES[0]
        self.keys = {}
        self._conn_aa: int | None = None
        self._conn_timeout = 0
        self._conn_update: tuple[int, int] | None = None  # (instant, timeout us) pending
        self._conn_last = 0
        self._terminating = False
        self._last_end: int | None = None  # end of the last reported packet (v1/v2 deltas)
        self._preroll_at: int | None = None  # the next pre-roll advert's start
        self._since_fault = 0
        self._since_hangup = 0
        self._gap_left = 0
        self._lose_left = 0
        self._now = self._next.start if self._next is not None else 0

    def power_cycle(self) -> None:
        """What re-plugging does: the device starts afresh (scanning, counter from its start
        value, no keys) and waits for the host; the capture goes on where it was."""
        self._slip = SlipDecoder()
        self._power_on()

    def pass_time(self, us: int) -> None:
        """`us` of air time go by with nobody listening (a hang-up, the dongle unplugged):
        the capture's packets of that stretch are never reported."""
        until = self._now + us
        while (item := self._peek()) is not None and item.start < until:
            self._next = self._load()
            self.stats.unheard += 1
        self._now = until

    def pause(self) -> None:
        """The host closed the port: stream nothing until a host starts the replay again
        (the replay stands still meanwhile, it does not run on into the void)."""
        self.streaming = self.started = False
        self._preroll_at = None

    @property
    def finished(self) -> bool:
        """The capture is played out (never, when looping over a non-empty capture)."""
        return self._peek() is None

    def now(self) -> int:
        """The firmware clock: the last packet's start, or what the shell set."""
        return self._now

    # -- the replay ----------------------------------------------------------------------

    def _start_pass(self) -> None:
        self.stats.passes += 1
        if self.stats.passes > 1:
            # the next pass starts after the last one on the same, ever-growing clock
            self._pass_offset = self._pass_end + LOOP_PAUSE_US
        self._iter = iter(self._source)
        self._src_last = None
        self._src_counter = None
        self._shift_at_pass = self._shift  # the pass offset holds the shifts until now
        self._base = None
        self._pass_items = 0
        self._next = self._load()

    def _load(self) -> _Item | None:
        for frame in self._iter:
            if frame.encap != Encap.LE_LL or frame.problem is not None or len(frame.payload) < 9:
                self.stats.skipped += 1
                continue
            start = self._source_start(frame)
            if self._base is None:
                self._base = start
            start += self._pass_offset - (self._base if self.stats.passes > 1 else 0)
            start += self._shift - self._shift_at_pass
            self._pass_end = max(self._pass_end, start)
            self._pass_items += 1
            return _Item(frame, start, self._source_skip(frame))
        return None

    def _source_start(self, frame: Frame) -> int:
        """The packet's start on the source's firmware clock: v3 absolute times unwrapped,
        v1/v2 deltas chained with the previous packet's air time (7.1), else the capture's
        timestamps."""
        s = frame.sniffer
        last = self._src_last
        if s is None or s.fw_time is None or s.protover is None:
            start = frame.ts_us
        elif s.protover == 3:
            if last is None:
                start = s.fw_time
            else:
                step = (s.fw_time - last[0]) % TIME_MOD
                start = last[1] + (step - TIME_MOD if step >= TIME_MOD // 2 else step)
        else:
            start = s.fw_time if last is None else last[1] + s.fw_time
        if s is not None and s.protover in (0, 1, 2):
            # the next delta counts from this packet's end
            self._src_last = (0, start + air_time_us(frame.payload, s.phy))
        else:
            self._src_last = (s.fw_time if s is not None and s.fw_time is not None else 0, start)
        return start

    def _source_skip(self, frame: Frame) -> int:
        """Counter values the source's firmware skipped before this packet: real 4.x firmware
        leaves single gaps (section 15), which a faithful replay keeps. A step backwards or
        by half the range is a reset of the source's device, not a skip."""
        s = frame.sniffer
        counter = s.packet_counter if s is not None else None
        last, self._src_counter = self._src_counter, counter
        if not self.config.source_gaps or counter is None or last is None:
            return 0
        gap = (counter - last - 1) % COUNTER_MOD
        return gap if gap < COUNTER_MOD // 2 else 0

    def _peek(self) -> _Item | None:
        # a capture without a single usable packet is not looped over forever
        if self._next is None and self.config.loop and self._pass_items:
            self._start_pass()
        return self._next

    def next_due(self) -> int | None:
        """The firmware time the next capture packet is due at; None when nothing is to be
        streamed now (not started, idle, or the capture played out)."""
        if not self.streaming:
            return None
        item = self._peek()
        return None if item is None else item.start

    def emit_next(self) -> Emission:
        """Consume the next capture packet: its bytes if the current state reports it
        (with the control events it causes, in counter order), b"" if not."""
        item = self._peek()
        if item is None or not self.streaming:
            return Emission(b"")
        self._next = self._load()
        self._now = item.start
        before: list[Message] = []
        after: list[Message] = []
        if not self._route(item, before, after):
            self.stats.filtered += 1
            return Emission(b"".join(self._message(m) for m in before))
        sent = self.stats.sent
        first = self.state == State.SCANNING and self._first_sighting(item.frame)
        out = [self._message(m) for m in before]
        out.append(self._packet_event(item))
        out += [self._message(m) for m in after]
        hangup = False
        if Fault.HANGUP in self.config.faults and self.stats.sent > sent:
            self._since_hangup += 1
            if self._since_hangup >= self.config.hangup_every:
                self._since_hangup = 0
                self.stats.hangups += 1
                hangup = True
        return Emission(b"".join(out), hangup, first and self.stats.sent > sent)

    def _first_sighting(self, frame: Frame) -> bool:
        ci = _ci_len(frame)
        if frame.payload[4 + ci] & 0x0F not in _CONNECTABLE:
            return False
        found = advertiser_address(frame.payload, ci)
        if found is None or found in self._heard:
            return False
        self._heard.add(found)
        return True

    def _route(self, item: _Item, before: list[Message], after: list[Message]) -> bool:
        """Whether the state reports this packet; control events it causes are put in
        `before` or `after` it."""
        frame, start = item.frame, item.start
        if self.state == State.CONNECTION and start - self._conn_last > self._conn_timeout:
            self._leave_connection(before)  # supervision timeout: the packets stopped
        s = frame.sniffer
        advertising = _on_advertising_channel(frame)
        ci = _ci_len(frame)
        channel = s.channel if s is not None else None
        if self.state == State.CONNECTION:
            return self._in_connection(frame, start, advertising, after)
        if not advertising:
            return False
        secondary = channel is not None and channel < 37
        pdu_type = frame.payload[4 + ci] & 0x0F
        if self.state == State.SCANNING:
            if self.protover == 3 and secondary and not self.scan_flags & SCAN_AUX:
                return False
            return not (pdu_type in _SCAN_PDUS and not self.scan_flags & SCAN_RESPONSES)
        # following: the target's packets on the hop-sequence channels
        if not secondary and channel is not None and channel not in self.hop:
            return False
        if (secondary or pdu_type in _EXTENDED) and self.follow_flags & FOLLOW_LEGACY_ONLY:
            return False
        if advertiser_address(frame.payload, ci) != self.target:
            return False
        # a CONNECT_IND whose CRC failed may name anything: reported, never followed
        crc_failed = s is not None and s.crc_ok is False
        if pdu_type == _CONNECT_IND and not self.follow_flags & FOLLOW_ADV_ONLY and not crc_failed:
            self._enter_connection(frame.payload, ci, start, after)
        return True

    def _enter_connection(self, ll: bytes, ci: int, start: int, after: list[Message]) -> None:
        lldata = 4 + ci + 2 + 12  # AA, [CI,] header, length, InitA, AdvA
        if len(ll) < lldata + 22 + 3:
            return
        self.state = State.CONNECTION
        self._conn_aa = _U32.unpack_from(ll, lldata)[0]
        self._conn_timeout = _U16.unpack_from(ll, lldata + 14)[0] * 10_000
        self._conn_update = None
        self._conn_last = start
        self._terminating = False
        connect_event = self.config.connect_event
        if connect_event is None:
            connect_event = self.protover < 3
        if connect_event:
            after.append(ConnectEvent())

    def _in_connection(
        self, frame: Frame, start: int, advertising: bool, after: list[Message]
    ) -> bool:
        ll = frame.payload
        if advertising or _U32.unpack_from(ll)[0] != self._conn_aa:
            return False  # the radio is busy with the connection
        self._conn_last = start
        if self._terminating:
            self._leave_connection(after)  # the other side's reply to LL_TERMINATE_IND
            return True
        s = frame.sniffer
        if self._conn_update is not None:
            self._apply_update(s.event_counter if s is not None else None)
        head = 4 + _ci_len(frame)  # the header, after the access address and CI
        if len(ll) < head + 6 or ll[head] & 0x03 != 3:  # not a control PDU (LLID 3)
            return True
        if s is not None and ((s.encrypted and not s.decrypted) or s.crc_ok is False):
            return True  # nothing in it can be read
        opcode = ll[head + 2]
        if opcode == _LL_TERMINATE_IND:
            self._terminating = True
        elif opcode == _LL_CONNECTION_UPDATE_IND and len(ll) >= head + 3 + 11 + 3:
            # WinSize, WinOffset, Interval, Latency, Timeout, Instant (Vol 6 Part B 2.4.2.1):
            # the firmware follows the link to its new parameters, or it would time out
            timeout, instant = struct.unpack_from("<HH", ll, head + 3 + 7)
            self._conn_update = (instant, timeout * 10_000)
            # until the instant the old timeout holds, but the transmit window may be long:
            # the larger one, so that no gap the update allows ends the connection here
            self._conn_timeout = max(self._conn_timeout, timeout * 10_000)
        return True

    def _apply_update(self, event_counter: int | None) -> None:
        update = self._conn_update
        # the instant has come (counters wrap at 65536)
        if update and event_counter is not None and (event_counter - update[0]) % 65536 < 32768:
            self._conn_timeout, self._conn_update = update[1], None

    def _leave_connection(self, into: list[Message]) -> None:
        self.state = State.FOLLOWING
        self._conn_aa = None
        into.append(DisconnectEvent())

    def _packet_event(self, item: _Item, preroll: bool = False) -> bytes:
        """The packet event for a reported packet, with any fault the schedule asks for
        (none in the pre-roll)."""
        frame, start = item.frame, item.start
        if self.protover == 3:
            time = start % TIME_MOD  # absolute, wrapping
        elif self._last_end is None:
            s = frame.sniffer
            time = s.fw_time if s is not None and s.protover in (1, 2) and s.fw_time else 0
        else:
            time = min(max(0, start - self._last_end), TIME_MOD - 1)  # a delta saturates
        if item.skip:  # the counter values the source's firmware skipped here
            self.counter = (self.counter + item.skip) % COUNTER_MOD
            self.stats.source_skipped += item.skip
        try:
            packet = packet_from_frame(
                frame, protover=self.protover, counter=self.counter, time=time
            )
        except (ValueError, InvalidPacket):
            self.stats.skipped += 1
            return b""
        phy = frame.sniffer.phy if frame.sniffer is not None else 0
        self._last_end = start + air_time_us(frame.payload, phy)
        self.counter = (self.counter + 1) % COUNTER_MOD
        if preroll:
            return slip_encode(encode_packet(packet))
        if self._gap_left:
            self._gap_left -= 1
            self.stats.gap_dropped += 1
            return b""
        if self._lose_left:
            self._lose_left -= 1
            self.stats.line_lost += 1
            return b""
        wire = slip_encode(encode_packet(packet))
        self.stats.sent += 1
        self._since_fault += 1
        if self._fault_cycle and self._since_fault >= self.config.fault_every:
            self._since_fault = 0
            fault = self._fault_cycle[self._faults_done % len(self._fault_cycle)]
            self._faults_done += 1
            wire = self._inject(fault, wire)
        return wire

    def _inject(self, fault: Fault, wire: bytes) -> bytes:
        if fault == Fault.GARBAGE:
            junk = bytes(self._rng.choice(_GARBAGE_BYTES) for _ in range(self._rng.randint(1, 32)))
            self.stats.garbage_bytes += len(junk)
            return junk + wire
        if fault == Fault.SLIP:
            self.stats.broken_frames += 1
            esc = wire.find(SLIP_ESC, 1, len(wire) - 1)
            if esc >= 0 and esc + 1 < len(wire) - 1:
                return wire[: esc + 1] + b"\x00" + wire[esc + 2 :]  # CD 00 is no escape
            return wire[:7] + b"\xcd\x00" + wire[7:]
        if fault == Fault.LOSS:
            # a run of bytes lost on the line: this frame's end and the next frames whole,
            # as when a receive buffer overflows; the host sees one broken frame and a gap
            self.stats.cut_frames += 1
            self._lose_left = self.config.gap_size
            return wire[: len(wire) // 2]
        # a gap: this packet went out, the next ones are counted but never sent
        self._gap_left = self.config.gap_size
        return wire

    # -- commands ------------------------------------------------------------------------

    def _message(self, message: Message) -> bytes:
        data = slip_encode(build_message(message, self.counter, self.protover))
        self.counter = (self.counter + 1) % COUNTER_MOD
        return data

    def beacon(self) -> bytes:
        """What the dongle streams before a host has started the replay, for a host that
        finds its port by listening (9.1): 4.x firmware scans from power-on and streams what
        it hears, so the capture's first advertisement, heard again every 20 ms. Without
        one, or with `preroll` off, an unasked PING_RESP, as the 0.9.6 firmware sent while
        scanning (5.5)."""
        advert, start = self._advert, self._next.start if self._next else None
        if self.config.preroll and advert is not None and start is not None:
            if self._preroll_at is None:
                self._preroll_at = self._now if self._last_end is None else self._last_end
            at = self._preroll_at
            self._preroll_at = at + PREROLL_STEP_US
            self.stats.preroll += 1
            return self._packet_event(_Item(advert, at), preroll=True)
        return self._message(PingResponse(self.config.build))

    def _start(self) -> None:
        """A host starts the replay: after a pre-roll, the capture's clock moves on past
        it, so that firmware time never goes backwards."""
        if not self.started and self._preroll_at is not None and self._next is not None:
            shift = max(0, self._preroll_at - self._next.start)
            self._shift += shift
            self._next.start += shift
        self._preroll_at = None
        self.streaming = self.started = True

    def receive_data(self, data: bytes, now_us: int | None = None) -> bytes:
        """Handle the host's bytes; returns the replies to write. `now_us` sets the firmware
        clock (the shell's realtime clock); without it the last packet's time is used."""
        if now_us is not None:
            self._now = now_us
        out: list[bytes] = []
        for frame in self._slip.feed(data):
            try:
                message = parse_message(parse_packet(frame))
            except InvalidPacket:
                message = None
            if message is None:
                self.stats.bad_commands += 1
                continue
            reply = self._command(message)
            if reply is not None:
                out.append(self._message(reply))
        return b"".join(out)

    def _command(self, m: Message) -> Message | None:
        if m.V3_ONLY and self.protover < 3:
            return None  # an older firmware does not know the id
        if isinstance(m, PingRequest):
            return PingResponse(self.config.build)
        if isinstance(m, VersionRequest):
            return VersionResponse(self.config.version_text)
        if isinstance(m, TimestampRequest):
            return TimestampResponse(self._now % TIME_MOD)
        if isinstance(m, BaudRateRequest):
            self.baud = m.rate if m.rate in BAUD_RATES else BAUD_RATES[0]
            return BaudRateResponse(self.baud)
        if isinstance(m, ScanRequest):
            self.state, self.target = State.SCANNING, None
            self._start()
            if m.flags is not None:
                self.scan_flags = m.flags
        elif isinstance(m, FollowRequest):
            self.state = State.FOLLOWING
            self._start()
            self.target, self.follow_flags = (m.address, m.random), m.flags
            self._conn_aa = None
            return FollowEvent()
        elif isinstance(m, AdvHopSequence):
            self.hop = m.channels
        elif isinstance(m, GoIdle):
            self.streaming = False
        elif isinstance(m, KeyMessage):
            self.keys[m.ID] = m.key
        return None


def _ci_len(frame: Frame) -> int:
    """Octets of the coding indicator after the access address: 1 on LE Coded, else 0."""
    return 1 if frame.sniffer is not None and frame.sniffer.phy == 2 else 0


def _on_advertising_channel(frame: Frame) -> bool:
    """The sniffer's word when it gives one, else the advertising access address."""
    s = frame.sniffer
    if s is not None and s.advertising is not None:
        return s.advertising
    return bool(_U32.unpack_from(frame.payload)[0] == LE_ADVERTISING_AA)


def _is_advert(frame: Frame) -> bool:
    """A usable advertising packet whose CRC held (one to stream in the pre-roll)."""
    if frame.encap != Encap.LE_LL or frame.problem is not None or len(frame.payload) < 9:
        return False
    crc_held = frame.sniffer is None or frame.sniffer.crc_ok is not False
    return crc_held and _on_advertising_channel(frame)


# garbage never holds a frame start, so the frame after it survives whole
_GARBAGE_BYTES = bytes(b for b in range(256) if b != SLIP_START)
