"""The host side of the nRF Sniffer UART protocol as a sans-I/O object: bytes in, events
out; commands out as bytes for whoever owns the port (nrf_serial.py, or a test).

Like h11, `NrfHost` never reads or writes anything itself. Unlike h11 it never stops on bad
input: a broken frame, an unknown id or a counter gap becomes an event and decoding goes on
(DESIGN.md, section 2; nRF Sniffer reference, section 15).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import msgspec

from attscope.capture import linktypes as lt
from attscope.capture.frame import Frame
from attscope.capture.le_records import decode_nordic
from attscope.capture.nrf_slip import DEFAULT_MAX_FRAME, SlipDecoder, SlipFault, slip_encode
from attscope.capture.nrf_uart import (
    ADV_CHANNELS,
    COUNTER_MOD,
    DEFAULT_SCAN_FLAGS,
    FLAG_PHY_MASK,
    FLAG_PHY_SHIFT,
    FOLLOW_ADV_ONLY,
    FOLLOW_CODED,
    FOLLOW_LEGACY_ONLY,
    SCAN_AUX,
    SCAN_CODED,
    SCAN_RESPONSES,
    TIME_MOD,
    AdvHopSequence,
    BaudRateRequest,
    FollowRequest,
    GoIdle,
    IdentityResolvingKey,
    InvalidPacket,
    LegacyLongTermKey,
    Message,
    PingRequest,
    PingResponse,
    PrivateKey,
    ScanRequest,
    ScLongTermKey,
    TemporaryKey,
    TimestampRequest,
    TimestampResponse,
    UartPacket,
    VersionRequest,
    VersionResponse,
    air_time_us,
    build_message,
    is_packet_event,
    key_bytes,
    packet_to_record,
    parse_message,
    parse_packet,
    passkey_tk,
)

_HALF_TIME = TIME_MOD // 2
_HALF_COUNTER = COUNTER_MOD // 2


# -- events besides Frame and the response messages of nrf_uart --------------------------


class ProtocolVersion(msgspec.Struct, frozen=True, tag=True):
    """The device's protocol version, reported when first seen and when it changes."""

    version: int


class Lost(msgspec.Struct, frozen=True, tag=True):
    """Packets lost on the way: counter values missing where the byte stream broke (bytes
    outside any frame, or a SLIP fault, since the last good frame), beyond the broken frames
    themselves, which are counted as `FrameDropped` and never here as well."""

    count: int
    expected: int
    got: int


class Skipped(msgspec.Struct, frozen=True, tag=True):
    """Counter values the device never sent: a gap while the byte stream stayed whole. The
    firmware leaves such gaps for packets it does not forward (4.x: a single value every
    few hundred ms, nRF Sniffer reference section 15), so they are no loss."""

    count: int
    expected: int
    got: int


class Garbage(msgspec.Struct, frozen=True, tag=True):
    """Bytes outside any SLIP frame were skipped (the reader re-synchronised)."""

    count: int


class FrameDropped(msgspec.Struct, frozen=True, tag=True):
    """A frame was thrown away: `reason` says why, `discarded` how many bytes (wire bytes
    for a SLIP fault, packet bytes for a packet that broke a rule)."""

    reason: str
    discarded: int


class Unhandled(msgspec.Struct, frozen=True, tag=True):
    """A valid packet whose id has no defined meaning here (test ids, unused, unknown)."""

    packet: UartPacket


HostEvent = Frame | Message | ProtocolVersion | Lost | Skipped | Garbage | FrameDropped | Unhandled


class UnsupportedCommand(ValueError):
    """The command does not exist in the device's protocol version."""


def parse_address(text: str | bytes) -> bytes:
    """A device address in display order (`C0:FF:EE:12:34:56`, as REQ_FOLLOW wants it)."""
    if isinstance(text, bytes):
        raw = text
    else:
        try:
            raw = bytes.fromhex(text.replace(":", "").replace("-", ""))
        except ValueError:
            raw = b""
    if len(raw) != 6:
        raise ValueError(f"{text!r} is not a 6-byte device address")
    return raw


class NrfHost:
    """One conversation with a sniffer. `receive_data` turns what the port delivered into
    events; the command methods return the bytes to write (each a SLIP frame, version-1
    layout, the host's own counter).

    Frames are numbered from 1 over the whole session, as a file reader numbers them. Their
    timestamps are the firmware's clock (section 7): v3 absolute times chained from the
    first packet or RESP_TIMESTAMP (32-bit wrap handled), v1/v2 deltas chained from packet
    to packet with each one's air time; the host clock only anchors the chain, and anchors
    it again after a v1/v2 packet went missing (its delta and length are unknown).
    """

    def __init__(
        self,
        *,
        board_id: int = 0,
        clock: Callable[[], float] = time.time,
        max_frame: int = DEFAULT_MAX_FRAME,
    ) -> None:
        self.board_id = board_id
        self._clock = clock
        self._max_frame = max_frame
        self._slip = SlipDecoder(max_frame)
        self.protover: int | None = None
        self.firmware: str | None = None  # RESP_VERSION text, or "build N" from PING_RESP
        self.frames = 0  # frames delivered; the last one's index
        self.lost = 0  # packets lost on the way (never counted in `dropped` as well)
        self.skipped = 0  # counter values the device did not send
        self.garbage = 0
        self.dropped = 0  # broken frames
        self._last_counter: int | None = None
        # since the last valid frame: broken frames (each spent a counter value) and whether
        # the byte stream itself broke (bytes outside frames, a SLIP fault), the only sign
        # that whole frames may have gone missing too
        self._broken_since = 0
        self._stream_broke = False
        self._counting = False
        self._time_ref: tuple[int, int] | None = None  # v3: (firmware time, host us) chained
        self._last_end: int | None = None  # v1/v2: the last packet's end, host us
        # the last frame's time: a new reference (after a reconnection) never starts before
        # it, so a session's times (and its recording's) never go backwards
        self._last_ts = 0
        self._command_counter = 0
        # what the user chose, replayed by `handshake` after a reconnect
        self._mode: Callable[[], bytes] = lambda: self._scan(DEFAULT_SCAN_FLAGS)
        self._scanning = True  # the mode is a scan (it sends the zero TK itself)
        self._hop: tuple[int, ...] = ADV_CHANNELS
        self._keys: dict[int, Message] = {}

    # -- receiving -----------------------------------------------------------------------

    def receive_data(self, data: bytes) -> list[HostEvent]:
        """Events for `data`, in stream order. Never raises on any input."""
        out: list[HostEvent] = []
        for item in self._slip.feed_events(data):
            if isinstance(item, bytes):
                self._packet(item, out)
            elif item.fault == SlipFault.GARBAGE:
                self.garbage += item.discarded
                self._stream_broke = True
                out.append(Garbage(item.discarded))
            else:
                self._stream_broke = True
                self._drop(f"SLIP {item.fault.value}", item.discarded, out)
        return out

    def reset(self) -> list[HostEvent]:
        """The port was closed or reopened: report a cut-off frame, forget the counter
        baseline, the time reference and the device's versions (it may be another board)."""
        out: list[HostEvent] = []
        for problem in self._slip.close():
            self._drop(f"SLIP {problem.fault.value}", problem.discarded, out)
        self._slip = SlipDecoder(self._max_frame)
        self._last_counter = None
        self._broken_since, self._stream_broke = 0, False
        self._counting = False
        self._time_ref = None
        self._last_end = None
        self.protover = None
        self.firmware = None
        return out

    def _packet(self, data: bytes, out: list[HostEvent]) -> None:
        try:
            packet = parse_packet(data)
            if is_packet_event(packet.protover, packet.packet_id):
                record = packet_to_record(packet, self.board_id)
                message = None
            else:
                record = b""
                message = parse_message(packet)
        except InvalidPacket as exc:
            self._drop(str(exc), len(data), out)
            return
        if packet.protover != self.protover:
            self.protover = packet.protover
            out.append(ProtocolVersion(packet.protover))
        self._count(packet.counter, out)
        if record:
            self.frames += 1
            ts = self._timestamp(packet.protover, record)
            self._last_ts = ts
            out.append(decode_nordic(lt.NORDIC_BLE, self.frames, ts, record, 0, 0, None))
        elif message is None:
            out.append(Unhandled(packet))
        else:
            self._note(message)
            out.append(message)

    def _drop(self, reason: str, discarded: int, out: list[HostEvent]) -> None:
        self._last_end = None  # a v1/v2 delta counts from a packet that never came whole
        self.dropped += 1
        self._broken_since += 1
        out.append(FrameDropped(reason, discarded))

    def _count(self, counter: int, out: list[HostEvent]) -> None:
        """Counter values missing before `counter`: the broken frames since the last good
        one account for as many (each was sent with one); the rest are lost if the byte
        stream broke there, else the device skipped them (section 15). A frame that came
        whole but broke a packet rule is no sign of lost bytes."""
        last = self._last_counter
        broken, stream_broke = self._broken_since, self._stream_broke
        self._last_counter = counter
        self._broken_since, self._stream_broke = 0, False
        if last is None or not self._counting:
            return
        gap = (counter - last - 1) % COUNTER_MOD
        # a step backwards (a repeated frame, a device reset) is a new baseline, not a loss
        if not 0 < gap < _HALF_COUNTER:
            return
        rest = gap - min(gap, broken)
        if not rest:
            return
        expected = (last + 1) % COUNTER_MOD
        if stream_broke:
            self._last_end = None  # the lost packets' deltas and air times are unknown
            self.lost += rest
            out.append(Lost(rest, expected, counter))
        else:
            self.skipped += rest
            out.append(Skipped(rest, expected, counter))

    def _timestamp(self, protover: int, record: bytes) -> int:
        """The packet's start on the firmware's clock, placed on the host's by the first
        packet (or an earlier RESP_TIMESTAMP), so that times between packets are the
        radio's and not those of the USB reads (section 7)."""
        fw_time = int.from_bytes(record[13:17], "little")  # board id + header + 6: TIME
        if protover != 3:
            # v1/v2: TIME is the delta from the end of the packet reported before
            end = self._last_end
            ts = self._now() if end is None else end + fw_time
            phy = (record[8] & FLAG_PHY_MASK) >> FLAG_PHY_SHIFT  # board id + header + 1
            self._last_end = ts + air_time_us(record[17:], phy)
            return ts
        ref = self._time_ref
        if ref is None:
            ts = self._now()
        else:
            step = (fw_time - ref[0]) % TIME_MOD
            if step >= _HALF_TIME:
                step -= TIME_MOD  # a packet from before the reference, not 71 minutes later
            ts = ref[1] + step
        self._time_ref = (fw_time, ts)
        return ts

    def _now(self) -> int:
        """The host clock in us, or the last frame's time if the clock is behind it."""
        return max(int(self._clock() * 1_000_000), self._last_ts)

    def _note(self, message: Message) -> None:
        if isinstance(message, TimestampResponse) and self._time_ref is None:
            # before any packet: the reference; after, packets already chain the clock
            self._time_ref = (message.fw_time, self._now())
        elif isinstance(message, VersionResponse):
            self.firmware = message.text
        elif (
            isinstance(message, PingResponse)
            and message.build is not None
            and (self.firmware is None or self.firmware.startswith("build "))
        ):
            # v1/v2 name the firmware by build number; a v3 version text is not overwritten
            self.firmware = f"build {message.build}"

    # -- commands ------------------------------------------------------------------------

    def send(self, message: Message) -> bytes:
        """The wire bytes of one command. Raises UnsupportedCommand for a version-3 command
        when the device is known to speak an older version."""
        if message.V3_ONLY and self.protover is not None and self.protover < 3:
            raise UnsupportedCommand(
                f"{message.ID.name} needs protocol version 3; the device speaks {self.protover}"
            )
        data = slip_encode(build_message(message, self._command_counter))
        self._command_counter = (self._command_counter + 1) % COUNTER_MOD
        return data

    def ping(self) -> bytes:
        return self.send(PingRequest())

    def request_version(self) -> bytes:
        return self.send(VersionRequest())

    def request_timestamp(self) -> bytes:
        return self.send(TimestampRequest())

    def handshake(self) -> bytes:
        """Section 9.3, steps 3-5: ping (and, for v3, version and timestamp), hop sequence,
        then the scan or follow the user chose last (with the keys given since), and from
        now on counter gaps are losses."""
        parts = [self.ping()]
        if self.protover is not None and self.protover >= 3:
            parts += [self.request_version(), self.request_timestamp()]
        parts.append(self.set_adv_hop_sequence(self._hop))
        parts.append(self._mode())
        if not self._scanning and TemporaryKey.ID not in self._keys:
            # a scan clears the TK (5.3); a follow does not, and the dongle keeps the one an
            # earlier session gave until it is powered off: cleared here whatever the options
            parts.append(self.send(TemporaryKey(bytes(16))))
        parts += [self.send(key) for key in self._keys.values() if self._supported(key)]
        self._counting = True
        return b"".join(parts)

    def _supported(self, message: Message) -> bool:
        return not message.V3_ONLY or self.protover is None or self.protover >= 3

    def scan(self, *, scan_responses: bool = True, aux: bool = True, coded: bool = False) -> bytes:
        """REQ_SCAN_CONT and the all-zero TK every host sends after it (5.2, 5.3). The flags
        exist in protocol version 3 only; before, the payload is empty."""
        flags = (
            (SCAN_RESPONSES if scan_responses else 0)
            | (SCAN_AUX if aux else 0)
            | (SCAN_CODED if coded else 0)
        )
        self._mode = lambda: self._scan(flags)
        self._scanning = True
        return self._scan(flags)

    def _scan(self, flags: int) -> bytes:
        v3 = self.protover is None or self.protover >= 3
        self._keys.pop(TemporaryKey.ID, None)
        return self.send(ScanRequest(flags if v3 else None)) + self.send(TemporaryKey(bytes(16)))

    def follow(
        self,
        address: str | bytes,
        random: bool,
        adv_only: bool = False,
        legacy_only: bool = False,
        coded: bool = False,
    ) -> bytes:
        """REQ_FOLLOW (5.1): `address` in display order. Only `adv_only` exists before
        protocol version 3."""
        raw = parse_address(address)
        flags = FOLLOW_ADV_ONLY if adv_only else 0
        if self.protover is None or self.protover >= 3:
            flags |= (FOLLOW_LEGACY_ONLY if legacy_only else 0) | (FOLLOW_CODED if coded else 0)
        self._mode = lambda: self.follow(raw, random, adv_only, legacy_only, coded)
        self._scanning = False
        return self.send(FollowRequest(raw, random, flags))

    def set_adv_hop_sequence(self, channels: tuple[int, ...] = ADV_CHANNELS) -> bytes:
        message = AdvHopSequence(tuple(channels))
        message.from_payload(message.to_payload(1), 1)  # the device's rules, checked here
        self._hop = message.channels
        return self.send(message)

    def _key(self, message: Message) -> bytes:
        data = self.send(message)
        self._keys[message.ID] = message
        return data

    def set_temporary_key(self, tk: bytes) -> bytes:
        """Legacy pairing TK, big-endian, left-padded to 16 bytes."""
        return self._key(TemporaryKey(key_bytes(tk)))

    def set_passkey(self, passkey: int) -> bytes:
        """A 6-digit passkey as the TK (5.3)."""
        return self._key(TemporaryKey(passkey_tk(passkey)))

    def set_oob_key(self, oob: bytes) -> bytes:
        """Legacy out-of-band data: the 16-byte TK itself."""
        return self._key(TemporaryKey(key_bytes(oob)))

    def set_private_key(self, key: bytes) -> bytes:
        """LE Secure Connections private key (32 bytes); protocol version 3."""
        return self._key(PrivateKey(key_bytes(key, 32)))

    def set_legacy_ltk(self, ltk: bytes) -> bytes:
        return self._key(LegacyLongTermKey(key_bytes(ltk)))

    def set_sc_ltk(self, ltk: bytes) -> bytes:
        return self._key(ScLongTermKey(key_bytes(ltk)))

    def set_irk(self, irk: bytes) -> bytes:
        return self._key(IdentityResolvingKey(key_bytes(irk)))

    def switch_baud_rate(self, rate: int) -> bytes:
        """Optional in every firmware (5.8); the answer comes as a BaudRateResponse."""
        return self.send(BaudRateRequest(rate))

    def go_idle(self) -> bytes:
        return self.send(GoIdle())
