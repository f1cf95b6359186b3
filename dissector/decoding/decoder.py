"""Frames in, `Packet`s out: every layer of a frame decoded into typed records.

`Decoder` keeps the little state decoding needs (fragments waiting for the rest of
their L2CAP PDU, dynamic channels, the last data PDU per direction of an air connection
for retransmissions). It never raises: what cannot be decoded becomes a `Malformed`
record in the layer where decoding stopped.
"""

from __future__ import annotations

import struct
from typing import Any, NamedTuple

import msgspec

from attscope.capture.frame import Direction, Encap, Frame, HciType, SnifferInfo
from attscope.capture.linktypes import WTAP_ENCAP_BASE
from attscope.dissector.decoding import l2cap_signalling as sig
from attscope.dissector.decoding.att_pdus import RESPONSES, AttCut, AttOpcode, decode_att
from attscope.dissector.decoding.channels import (
    Channel,
    ChannelChange,
    ChannelTable,
    SduReassembler,
)
from attscope.dissector.decoding.hci_acl import AclHeader, decode_iso, decode_sco
from attscope.dissector.decoding.hci_commands import (
    HciCommandRaw,
    ReadLocalVersionReturn,
    TiAttCommand,
    decode_hci_command,
)
from attscope.dissector.decoding.hci_events import (
    CommandComplete,
    ConnectionComplete,
    DisconnectionComplete,
    HciEventRaw,
    LeConnectionComplete,
    LeEnhancedConnectionComplete,
    LeEnhancedConnectionCompleteV2,
    TiAttEvent,
    decode_hci_event,
)
from attscope.dissector.decoding.hci_names import is_vendor
from attscope.dissector.decoding.hci_vendor import (
    DEBUG_ACL_HANDLE,
    vendor_command_name,
    vendor_event_name,
)
from attscope.dissector.decoding.l2cap import (
    CID_ATT,
    CID_BREDR_SIGNALLING,
    CID_BREDR_SMP,
    CID_LE_SIGNALLING,
    CID_SMP,
    L2capHeader,
)
from attscope.dissector.decoding.le_keys import Keys
from attscope.dissector.decoding.ll_adv import AuxConnectReq, ConnectInd
from attscope.dissector.decoding.ll_control import EncReq, EncRsp, StartEncReq, TerminateInd
from attscope.dissector.decoding.ll_data import (
    DataHeader,
    L2capFragment,
    LlPacket,
    decode_ll_frame,
)
from attscope.dissector.decoding.ll_encryption import Encryption
from attscope.dissector.decoding.pdu import Malformed
from attscope.dissector.decoding.reassembly import Reassembled, Reassembler
from attscope.dissector.decoding.smp_pdus import decode_smp
from attscope.dissector.decoding.ti_att import TiAtt, ti_to_att

PB_CONTINUATION = 0b01
PACKETLOGGER = WTAP_ENCAP_BASE + 118  # Apple PacketLogger records (capture.packetlogger)
SAME_EVENT_US = 5000  # see Decoder._side_by_link_layer: longer than a packet and its answer
C2P = Direction.CENTRAL_TO_PERIPHERAL
P2C = Direction.PERIPHERAL_TO_CENTRAL
_ACL = int(HciType.ACL)  # a plain int compares faster than the enum member
_ACL_HEADER = struct.Struct("<HH")
_L2CAP_HEADER = struct.Struct("<HH")
_U16 = struct.Struct("<H")


class L2capPayload(msgspec.Struct, frozen=True, gc=False, tag="l2cap_payload"):
    """The payload of a channel attscope does not decode further."""

    cid: int
    data: bytes

    def summary(self) -> str:
        return f"L2CAP CID 0x{self.cid:04x} {len(self.data)} bytes"


class LoggerNote(msgspec.Struct, frozen=True, gc=False, tag="packetlogger_note"):
    """A PacketLogger record that is no HCI packet: LMP, a syslog or kernel line, an error,
    a power event, a note, the configuration, a new controller."""

    kind: int  # the record type
    data: bytes

    def summary(self) -> str:
        from attscope.capture.packetlogger_types import LMP_TYPES, NOTE_TYPES

        name = NOTE_TYPES.get(self.kind, f"record type 0x{self.kind:02x}")
        if self.kind in LMP_TYPES or self.kind not in NOTE_TYPES:
            return f"PacketLogger {name}: {self.data.hex()}"
        text = self.data.split(b"\x00", 1)[0].decode("utf-8", "replace")
        return f"PacketLogger {name}: {text!r}"


class VendorDebugData(msgspec.Struct, frozen=True, gc=False, tag="hci_vendor_debug"):
    """ACL data on a handle no connection was given that controllers use for their own logs
    (hci_vendor.DEBUG_ACL_HANDLE): the controller's debug output, not a link's traffic."""

    handle: int
    data: bytes

    @property
    def name(self) -> str:
        return "Controller debug data"

    def summary(self) -> str:
        return (
            f"controller debug data on ACL handle 0x{self.handle:04x} (no connection has this "
            f"handle; Qualcomm controllers send their logs on it), {len(self.data)} bytes"
        )


class CutRest(msgspec.Struct, frozen=True, gc=False, tag="l2cap_cut_rest"):
    """A continuation of an ATT answer whose start the log's writer cut (see AttCut)."""

    first: int  # the frame of the answer's start
    length: int  # the bytes it carried, as its ACL header says

    def summary(self) -> str:
        return f"the rest of frame {self.first}'s ATT answer, {self.length} bytes (cut by the log)"


class L2capPending(msgspec.Struct, frozen=True, gc=False, tag="l2cap_pending"):
    """A fragment of an L2CAP PDU or SDU whose other fragments are still to come."""

    size: int

    def summary(self) -> str:
        return f"L2CAP fragment, {self.size} bytes (reassembled in a later frame)"


class MonitorRecord(msgspec.Struct, frozen=True, gc=False, tag="monitor_record"):
    """A Linux monitor record that is no HCI packet (an index event, a note, a log line)."""

    opcode: int
    data: bytes

    def summary(self) -> str:
        from attscope.capture.hci_records import MONITOR_OPCODE_NAMES

        name = MONITOR_OPCODE_NAMES.get(self.opcode, f"monitor opcode {self.opcode}")
        if self.opcode in (12, 13):  # system note, user logging: text
            text = self.data.split(b"\x00", 1)[0].decode("utf-8", "replace")
            return f"{name}: {text!r}"
        return f"{name}, {len(self.data)} bytes"


class KFrame(NamedTuple):
    """A K-frame on a credit-based channel (Core 5.4 Vol 3 Part A 3.4.3): its frame, its
    payload length (the L2CAP Length field: SDU Length field included) and, when it
    begins an SDU, the SDU length it announces (else None)."""

    frame: int
    length: int
    sdu_length: int | None


class Packet(msgspec.Struct, gc=False, omit_defaults=True):
    """One frame decoded: its layers from the outermost in. `connection` names the link
    (HCI: adapter and handle; air: access address); `cid` is the L2CAP channel of the
    innermost PDU; `fragments` lists the frames a reassembled PDU was joined from.

    Everything the analysis needs of the L2CAP layer is here too, so nobody asks the
    decoder afterwards: `pdu_length` (the innermost PDU's bytes: the B-frame's L2CAP
    length, or the SDU joined from K-frames), the dynamic `channel` the PDU travelled
    on, the `kframe` it carried on a credit-based channel, and the channels its
    signalling opened or closed (`channel_changes`)."""

    frame: int
    ts_us: int
    direction: Direction
    connection: Link | None
    layers: list[Any]
    cid: int | None = None
    fragments: tuple[int, ...] = ()
    lost: bool = False  # fragments of an L2CAP PDU or SDU were lost before this frame
    pdu_length: int = 0
    channel: Channel | None = None
    kframe: KFrame | None = None
    channel_changes: tuple[ChannelChange, ...] = ()
    side_guessed: bool = False  # an air packet whose sender nothing in the capture shows
    # an air packet after which the acknowledgement bits show that the other side sent
    # a packet the sniffer did not capture (see Decoder._missed_before)
    missed_before: bool = False
    # an air data PDU sent again: the same SN and bytes as its sender's last one
    retransmitted: bool = False

    @property
    def pdu(self) -> Any:
        """The innermost record."""
        return self.layers[-1] if self.layers else None


MAX_AIR_LINKS = 256  # access addresses the decoder keeps state for (see _remember_air)
MAX_AIR_NAMES = MAX_AIR_LINKS  # access addresses whose Link is kept for their next frame


class Link(str):
    """A link as the decoder names it: an HCI connection handle (on an adapter, in a
    monitor log) or an air capture's access address. It is its own text ("0x0040",
    "hci0/0x0040", "aa:0x50656517"), so it stays the cheap dict key and display name it
    always was, and carries its parts, so nobody parses the text back."""

    adapter: int | None
    handle: int | None
    access_address: int | None

    @property
    def air(self) -> bool:
        return self.access_address is not None


def _sniffer_says(sniffer: SnifferInfo | None) -> bool | None:
    """Whether the sniffer says a data PDU is ciphertext (True) or plaintext decrypted by
    the sniffer (False), or does not say (None). A PDU it did not flag may still be
    ciphertext: a sniffer flags only the links whose encryption start it followed."""
    if sniffer is None or not sniffer.encrypted:
        return None
    return not (sniffer.decrypted or sniffer.mic_ok)


def _data_body(frame: Frame, ll: LlPacket) -> bytes:
    """A data PDU's payload as captured (ciphertext and MIC, when encrypted): between the
    header (and CTEInfo) and the CRC."""
    header = ll.header
    assert isinstance(header, DataHeader)
    start = (5 if frame.sniffer is not None and frame.sniffer.phy == 2 else 4) + header.size
    return frame.payload[start : start + header.length]


def hci_connection(adapter: int | None, handle: int) -> Link:
    link = Link(f"hci{adapter}/0x{handle:04x}" if adapter is not None else f"0x{handle:04x}")
    link.adapter, link.handle, link.access_address = adapter, handle, None
    return link


def air_connection(access_address: int) -> Link:
    link = Link(f"aa:0x{access_address:08x}")
    link.adapter, link.handle, link.access_address = None, None, access_address
    return link


# control PDUs only one side sends (Vol 6 Part B 5.1.3.1): they name their sender
_FIXED_SENDER: dict[type, Direction] = {
    EncReq: Direction.CENTRAL_TO_PERIPHERAL,
    EncRsp: Direction.PERIPHERAL_TO_CENTRAL,
    StartEncReq: Direction.PERIPHERAL_TO_CENTRAL,
}


class _AirTiming:
    """The last packet of a connection whose sniffer says nothing of direction."""

    __slots__ = ("last_bits", "last_guessed", "last_side", "last_ts")

    def __init__(self) -> None:
        self.last_ts: int | None = None
        self.last_side = C2P
        self.last_guessed = False  # its side a guess (see _side_by_link_layer)
        self.last_bits: tuple[int, int] | None = None  # its SN and NESN, when a reference


_CUT_ANSWERS = RESPONSES - {AttOpcode.ERROR_RSP}  # see Decoder._cut_answer

# the events the decoder follows, by exact type (see Decoder._track_event)
_TRACKED: dict[type, str] = {
    DisconnectionComplete: "closed",
    ConnectionComplete: "opened",
    LeConnectionComplete: "opened",
    LeEnhancedConnectionComplete: "opened",
    LeEnhancedConnectionCompleteV2: "opened",
    CommandComplete: "complete",
    HciEventRaw: "vendor",
}


class Decoder:
    """Decodes the frames of one capture, in order."""

    def __init__(self, keys: Keys | None = None) -> None:
        self.encryption = Encryption(keys)  # what each air link's encryption is
        self._acl = Reassembler()  # keyed by (connection, direction)
        self._channels = ChannelTable()
        self._sdus = SduReassembler()
        self._last_data: dict[tuple[int, Direction], tuple[int, Any]] = {}
        self._conn_names: dict[tuple[int | None, int], Link] = {}
        self._air_names: dict[int, Link] = {}  # made once per access address, as above
        self._air_timing: dict[int, _AirTiming] = {}  # sides of a sniffer that says none
        self._air_acks: dict[int, tuple[Direction, int, int]] = {}  # AA -> last side, SN, NESN
        self._air_links: dict[int, None] = {}  # access addresses with state, oldest first
        self._makers: dict[int | None, int] = {}  # adapter -> its controller's company id
        self._vendor_sent: dict[tuple[int | None, int], str] = {}  # named vendor commands
        self._opened: set[tuple[int | None, int]] = set()  # handles a connection was given
        # the bytes still to come of a cut ATT answer, and its frame
        self._cut_rest: dict[tuple[Link, Direction], tuple[int, int]] = {}

    def decode(self, frame: Frame) -> Packet:
        if frame.hci_type == _ACL and frame.problem is None:
            return self._acl_packet(frame)  # most frames of an HCI log: straight there
        if frame.problem is not None:
            layers: list[Any] = [Malformed("capture", frame.problem, frame.payload)]
            return Packet(frame.index, frame.ts_us, frame.direction, None, layers)
        if frame.encap == Encap.HCI:
            return self._hci(frame)
        if frame.encap == Encap.LE_LL:
            return self._air(frame)
        other: list[Any] = []
        if frame.monitor_opcode is not None:
            other.append(MonitorRecord(frame.monitor_opcode, frame.payload))
        elif frame.linktype == PACKETLOGGER and frame.payload:
            other.append(LoggerNote(frame.payload[0], frame.payload[1:]))
        return Packet(frame.index, frame.ts_us, frame.direction, None, other)

    # -- HCI ----------------------------------------------------------------------------

    def _hci(self, frame: Frame) -> Packet:
        kind = frame.hci_type
        data = frame.payload
        if kind == HciType.ACL:
            return self._acl_packet(frame)
        layers: list[Any]
        if kind == HciType.COMMAND:
            command = decode_hci_command(data)
            if isinstance(command, TiAttCommand):  # TI's vendor ATT: the same ATT records
                return self._ti(frame, command)
            if isinstance(command, HciCommandRaw) and is_vendor(command.opcode):
                command = self._vendor_command(frame.adapter, command)
            layers = [command]
        elif kind == HciType.EVENT:
            event = decode_hci_event(data)
            if isinstance(event, TiAttEvent):
                return self._ti(frame, event)
            event = self._track_event(frame.adapter, event)
            layers = [event]
        elif kind in (HciType.SCO, HciType.ISO):
            decoded = decode_sco(data) if kind == HciType.SCO else decode_iso(data)
            layers = [decoded if isinstance(decoded, Malformed) else decoded[0]]
        else:
            layers = [Malformed("hci", f"unknown HCI packet type 0x{kind or 0:02x}", data)]
        # a command or event about one connection (Disconnect, Encryption Change ...)
        handle = getattr(layers[0], "handle", None)
        conn = self._hci_conn(frame.adapter, handle & 0x0FFF) if isinstance(handle, int) else None
        return Packet(frame.index, frame.ts_us, frame.direction, conn, layers)

    def _ti(self, frame: Frame, record: TiAttCommand | TiAttEvent) -> Packet:
        converted = ti_to_att(record)
        conn = self._hci_conn(frame.adapter, record.handle & 0x0FFF)
        layers: list[Any] = [record, converted]
        if isinstance(converted, TiAtt) and converted.pdu is not None:
            layers.append(converted.pdu)
        return Packet(frame.index, frame.ts_us, frame.direction, conn, layers)

    def _track_event(self, adapter: int | None, event: Any) -> Any:
        """Follow what an event changes; the event again, a vendor one named. One lookup
        by type for the events it ignores (Number Of Completed Packets: a third of a log)."""
        kind = _TRACKED.get(type(event))
        if kind is None:
            return event
        if kind == "closed":
            if event.status == 0:  # some controllers set the flag bits of the handle field
                self._close(hci_connection(adapter, event.handle & 0x0FFF))
        elif kind == "opened":
            if event.status == 0:
                self._opened.add((adapter, event.handle & 0x0FFF))
        elif kind == "complete":
            if isinstance(event.ret, ReadLocalVersionReturn) and event.ret.status == 0:
                self._makers[adapter] = event.ret.company_id  # whose vendor commands these are
            elif is_vendor(event.opcode):
                name = self._vendor_sent.get((adapter, event.opcode)) or vendor_command_name(
                    event.opcode, b"", self._makers.get(adapter)
                )
                if name is not None:
                    return msgspec.structs.replace(event, vendor_name=name)
        else:
            name = vendor_event_name(event.code, event.params, self._makers.get(adapter))
            if name is not None:
                return msgspec.structs.replace(event, vendor_name=name)
        return event

    def _vendor_command(self, adapter: int | None, command: HciCommandRaw) -> HciCommandRaw:
        name = vendor_command_name(command.opcode, command.params, self._makers.get(adapter))
        if name is None:
            return command
        self._vendor_sent[adapter, command.opcode] = name  # names its Command Complete
        return msgspec.structs.replace(command, vendor_name=name)

    def _acl_packet(self, frame: Frame) -> Packet:
        # the hottest path of an HCI log: attributes read once, the common case first
        data = frame.payload
        if len(data) < 4:
            short = Malformed("hci", f"ACL header needs 4 bytes, has {len(data)}", data)
            return Packet(frame.index, frame.ts_us, frame.direction, None, [short])
        word, length = _ACL_HEADER.unpack_from(data)
        handle, pb = word & 0x0FFF, (word >> 12) & 0b11
        header = AclHeader(handle, pb, word >> 14, length)
        payload = data[4:]
        direction = frame.direction
        conn = self._conn_names.get((frame.adapter, handle)) or self._hci_conn(
            frame.adapter, handle
        )
        layers: list[Any] = [header]
        size = len(payload)
        if handle == DEBUG_ACL_HANDLE and (frame.adapter, handle) not in self._opened:
            layers.append(VendorDebugData(handle, payload))
            return Packet(frame.index, frame.ts_us, direction, None, layers)
        if self._cut_rest and pb == PB_CONTINUATION and (conn, direction) in self._cut_rest:
            layers.append(self._rest_of_cut((conn, direction), length))
            return Packet(frame.index, frame.ts_us, direction, conn, layers, lost=False)
        if size != length:
            reason = f"ACL length says {length} bytes, packet has {size}"
            layers.append(Malformed("hci", reason, payload))
            # cut by the log's writer (a phone's btsnooz buffer, a snap length): what it
            # carried is lost to the streams, as a packet the capture missed is
            cut = frame.orig_len is not None and size < length
            if (
                cut
                and pb != PB_CONTINUATION
                and (answer := self._cut_answer(payload, length))
                and (conn, direction) not in self._acl.partials
            ):  # but a whole ATT answer's start says which answer came
                layers[1:] = answer
                if answer[0].length + 4 > length:  # its continuations are part of the cut
                    self._cut_rest[conn, direction] = (answer[0].length + 4 - length, frame.index)
                return Packet(frame.index, frame.ts_us, direction, conn, layers, CID_ATT,
                              (), False, answer[1].length)  # fmt: skip
            return Packet(frame.index, frame.ts_us, direction, conn, layers, lost=cut)
        partials = self._acl.partials
        if pb != PB_CONTINUATION:
            if size >= 4:
                l2len, cid = _L2CAP_HEADER.unpack_from(payload)
                if l2len + 4 == size and (not partials or (conn, direction) not in partials):
                    # the usual case: a whole PDU in one packet, nothing to join
                    if cid == CID_ATT:  # and most often ATT: no detour through the dispatch
                        layers += (L2capHeader(l2len, cid), decode_att(payload[4:]))
                        return Packet(
                            frame.index, frame.ts_us, direction, conn, layers, cid, (), False, l2len
                        )
                    return self._l2cap(frame, conn, layers, Reassembled(payload, ()), None, b"")
            whole, damage = self._acl.start((conn, direction), payload, frame.index)
        else:
            whole, damage = self._acl.cont((conn, direction), payload, frame.index)
        return self._l2cap(frame, conn, layers, whole, damage, payload)

    def _rest_of_cut(self, key: tuple[Link, Direction], length: int) -> CutRest:
        """A continuation of a cut ATT answer (`length`: the ACL packet's own)."""
        left, first = self._cut_rest[key]
        if left <= length:
            del self._cut_rest[key]
        else:
            self._cut_rest[key] = (left - length, first)
        return CutRest(first, length)

    @staticmethod
    def _cut_answer(payload: bytes, length: int) -> tuple[L2capHeader, AttCut] | None:
        """The L2CAP header and what is left of an ATT response the log's writer cut, when
        its opcode survived (`length`: the ACL packet's; continuations may follow); an Error
        Response is short enough to keep whole, so a cut one is damage, not a cut answer."""
        if len(payload) < 5:
            return None
        l2len, cid = _L2CAP_HEADER.unpack_from(payload)
        opcode = payload[4]
        if cid != CID_ATT or l2len + 4 < length or opcode not in _CUT_ANSWERS:
            return None
        return L2capHeader(l2len, cid), AttCut(opcode, payload[5:], l2len)

    def _hci_conn(self, adapter: int | None, handle: int) -> Link:
        """The connection's name, made once per handle (this runs for every ACL packet)."""
        key = (adapter, handle)
        name = self._conn_names.get(key)
        if name is None:
            name = self._conn_names[key] = hci_connection(adapter, handle)
        return name

    # -- air ----------------------------------------------------------------------------

    def _air(self, frame: Frame) -> Packet:
        ll = decode_ll_frame(frame)
        assert ll is not None  # Encap.LE_LL frames always give a packet
        layers: list[Any] = [ll]
        if ll.advertising:
            if isinstance(ll.pdu, ConnectInd | AuxConnectReq):
                aa = ll.pdu.ll_data.aa
                self._forget_air(aa)
                self._remember_air(aa)
                crc_init = ll.pdu.ll_data.crc_init
                self.encryption.connect(aa, ll.pdu.init_a, ll.pdu.adv_a, crc_init)
            return Packet(frame.index, frame.ts_us, frame.direction, None, layers)
        conn = self._air_names.get(ll.access_address)
        if conn is None:
            if len(self._air_names) >= MAX_AIR_NAMES:  # noise makes an access address a frame
                self._air_names.clear()
            conn = self._air_names[ll.access_address] = air_connection(ll.access_address)
        if ll.access_address not in self._air_links:
            self._remember_air(ll.access_address)
        guessed = frame.direction == Direction.UNKNOWN
        unsure = False
        if guessed:  # a sniffer that does not say (Ubertooth)
            side, unsure = self._side_by_link_layer(ll, frame)
            frame = msgspec.structs.replace(frame, direction=side)
        sniffer = frame.sniffer
        header = ll.header
        undamaged = sniffer is None or sniffer.crc_ok is not False
        # Empty PDUs, most of a link's packets, are never encrypted (Vol 6 Part E 1)
        if type(header) is DataHeader and header.length and ll.problem is None and undamaged:
            says = _sniffer_says(sniffer)
            if self.encryption.concerns(ll, says):
                body = _data_body(frame, ll)
                ll, side = self.encryption.data_pdu(ll, body, frame.direction, guessed, says)
                if guessed and ll.decrypted:  # the MIC proved who sent it
                    if side != frame.direction:
                        frame = msgspec.structs.replace(frame, direction=side)
                    self._air_timing_side(ll, side)
                    unsure = False
                layers[0] = ll
        missed = self._missed_before(ll, frame)
        packet = self._air_data(frame, conn, ll, layers)
        if unsure:
            packet.side_guessed = True
        if missed:
            packet.missed_before = True
        return packet

    def _missed_before(self, ll: LlPacket, frame: Frame) -> bool:
        """Whether the other side sent a packet the sniffer missed, from the link's
        acknowledgement bits (Core 5.4 Vol 6 Part B 4.5.9): a side's NESN flips only on a
        new packet from its peer, its SN only when the peer acknowledges, so two packets
        of one side in a row whose bits differ had a packet of the peer between them.
        (A side that got no answer repeats its bits: nothing was sent, nothing missed.)"""
        header = ll.header
        sniffer = frame.sniffer
        if type(header) is not DataHeader or (sniffer is not None and sniffer.crc_ok is False):
            return False  # a damaged header's bits say nothing
        aa, side = ll.access_address, frame.direction
        last = self._air_acks.get(aa)
        self._air_acks[aa] = (side, header.sn, header.nesn)
        return last is not None and last[0] == side and last[1:] != (header.sn, header.nesn)

    def _air_data(self, frame: Frame, conn: Link, ll: LlPacket, layers: list[Any]) -> Packet:
        """A data channel PDU, sided: into the link's L2CAP reassembly when it carries
        new L2CAP data."""
        sniffer = frame.sniffer
        fragment = ll.pdu
        if isinstance(fragment, TerminateInd):
            self._forget_air(ll.access_address)
        damaged = (sniffer is not None and sniffer.crc_ok is False) or ll.problem is not None
        # every PDU a side sends moves its SN on once acknowledged, Empty PDUs and control
        # PDUs included: so every undamaged one is remembered, not only L2CAP data
        repeated = not damaged and self._retransmitted(ll, frame.direction)
        if not isinstance(fragment, L2capFragment) or not fragment.data or damaged or repeated:
            packet = Packet(frame.index, frame.ts_us, frame.direction, conn, layers)
            if repeated:
                packet.retransmitted = True
            return packet
        key = (conn, frame.direction)
        data = fragment.data
        if fragment.start:
            whole, damage = self._acl.start(key, data, frame.index)
        else:
            whole, damage = self._acl.cont(key, data, frame.index)
        return self._l2cap(frame, conn, layers, whole, damage, data)

    def _side_by_link_layer(self, ll: LlPacket, frame: Frame) -> tuple[Direction, bool]:
        """Who sent a data PDU, when the sniffer does not say, from the link layer itself
        (Core 5.4 Vol 6 Part B 4.5.1, 4.5.9), not from clock readings:

        * a control PDU only one side sends (LL_ENC_REQ ...) on a link still in the clear
          names its sender;
        * within a connection event the sides alternate, a packet and its answer at most
          SAME_EVENT_US apart;
        * a packet opening an event is the central's unless the acknowledgement bits say
          otherwise. Every clean answer carries SN = the NESN it answers and NESN = that
          SN + 1, so each packet flips the parity SN xor NESN of the one before: a packet
          whose parity differs from the last packet's follows an even number of packets
          the sniffer missed (it is the other side's), one whose parity is the same an
          odd number (the same side's: the central's packet of the event, or a whole
          answer, was missed). A side that gets no answer repeats its bits, which keeps
          it on its side too.

        An answer whose bits are not a clean answer (a packet lost between the devices, a
        damaged header) is no reference for the next event, which then opens with the
        central: that event's sides, and the first event's of a link, are guesses, and
        said to be (the second value returned). On the nRF Sniffer captures in the corpus, whose flags give the truth,
        this agrees with the sniffer on all but 2 of 3,996 data PDUs."""
        aa = ll.access_address
        ts = frame.ts_us
        state = self._air_timing.get(aa)
        if state is None:
            state = self._air_timing[aa] = _AirTiming()
        header = ll.header
        bits = (header.sn, header.nesn) if type(header) is DataHeader else None
        last = state.last_bits
        fixed = _FIXED_SENDER.get(type(ll.pdu))
        guessed = False
        if fixed is not None and not self.encryption.link(aa).expecting:
            side = fixed
        elif state.last_ts is not None and 0 <= ts - state.last_ts <= SAME_EVENT_US:
            side = P2C if state.last_side == C2P else C2P  # the answer within the event
            guessed = state.last_guessed
            if bits is not None and last is not None and (bits[0] != last[1] or bits[1] == last[0]):
                bits = None  # not a clean answer: its bits are no reference
        elif bits is not None and last is not None:
            same = bits[0] ^ bits[1] == last[0] ^ last[1]
            side = state.last_side if same else (P2C if state.last_side == C2P else C2P)
        else:
            side, guessed = C2P, True
        state.last_ts, state.last_side, state.last_bits = ts, side, bits
        state.last_guessed = guessed
        return side, guessed

    def _retransmitted(self, ll: LlPacket, direction: Direction) -> bool:
        """The same SN and bytes again from the same side: the peer did not acknowledge
        the first copy (Core 5.4 Vol 6 Part B 4.5.9), so it is not new data."""
        header = ll.header
        sn = getattr(header, "sn", None)
        if sn is None:
            return False
        key = (ll.access_address, direction)
        sent = (sn, ll.pdu)  # the record: Empty PDU, control PDU, L2CAP fragment ...
        previous = self._last_data.get(key)
        self._last_data[key] = sent
        return previous == sent

    def _remember_air(self, access_address: int) -> None:
        """Keep state for at most MAX_AIR_LINKS access addresses: past that the one heard
        of first is forgotten (a capture of random access addresses would otherwise keep
        state for each)."""
        links = self._air_links
        links[access_address] = None
        if len(links) > MAX_AIR_LINKS:
            oldest = next(iter(links))
            del links[oldest]
            self._forget_air(oldest)
            self.encryption.forget(oldest)

    def _air_timing_side(self, ll: LlPacket, side: Direction) -> None:
        """A side the MIC proved: the inference goes on from the truth."""
        state = self._air_timing.get(ll.access_address)
        if state is not None:
            state.last_side, state.last_guessed = side, False

    def _forget_air(self, access_address: int) -> None:
        self._close(air_connection(access_address))
        for direction in (Direction.CENTRAL_TO_PERIPHERAL, Direction.PERIPHERAL_TO_CENTRAL):
            self._last_data.pop((access_address, direction), None)
        self._air_timing.pop(access_address, None)
        self._air_acks.pop(access_address, None)

    def _close(self, conn: Link) -> None:
        """The link ended: unfinished PDUs are lost and its channels are gone."""
        for direction in Direction:
            self._acl.close((conn, direction))
        self._channels.close(conn)
        self._sdus.close(conn)

    # -- L2CAP and above ----------------------------------------------------------------

    def _l2cap(
        self,
        frame: Frame,
        conn: Link,
        layers: list[Any],
        whole: Reassembled | None,
        damage: Malformed | None,
        fragment: bytes,
    ) -> Packet:
        if damage is not None:
            layers.append(damage)
        lost = damage is not None
        if whole is None:
            if not lost:
                layers.append(L2capPending(len(fragment)))
            return Packet(frame.index, frame.ts_us, frame.direction, conn, layers, lost=lost)
        fragments = whole.frames if len(whole.frames) > 1 else ()
        pdu = whole.pdu
        length, cid = _L2CAP_HEADER.unpack_from(pdu)  # reassembly guarantees 4 bytes
        header = L2capHeader(length, cid)
        payload = pdu[4:]
        layers.append(header)
        if cid == CID_ATT:  # most L2CAP PDUs: the fixed ATT channel
            layers.append(decode_att(payload))
            return Packet(frame.index, frame.ts_us, frame.direction, conn, layers, cid,
                          fragments, lost, length)  # fmt: skip
        if cid in (CID_SMP, CID_BREDR_SMP):
            record = decode_smp(payload)
            layers.append(record)
            if conn.access_address is not None:  # an air link: pairing breaks its keys
                self.encryption.smp(conn.access_address, record, frame.direction, frame.index)
            return Packet(frame.index, frame.ts_us, frame.direction, conn, layers, cid,
                          fragments, lost, length)  # fmt: skip
        if cid in (CID_LE_SIGNALLING, CID_BREDR_SIGNALLING):
            commands = sig.decode_signalling(payload, le=cid == CID_LE_SIGNALLING)
            layers.extend(commands)
            changes: tuple[ChannelChange, ...] = ()
            for command in commands:
                found = self._channels.signalling(conn, frame.direction, command)
                if found:
                    changes += found
            return Packet(frame.index, frame.ts_us, frame.direction, conn, layers, cid,
                          fragments, lost, length, channel_changes=changes)  # fmt: skip
        channel = self._channels.lookup(conn, frame.direction, cid)
        if channel is None:
            layers.append(L2capPayload(cid, payload))
        elif channel.credit_based:
            return self._kframe(frame, conn, layers, channel, payload, fragments, lost)
        else:
            layers.append(
                decode_att(payload) if channel.carries_att else L2capPayload(cid, payload)
            )
        return Packet(frame.index, frame.ts_us, frame.direction, conn, layers, cid, fragments,
                      lost, length, channel)  # fmt: skip

    def _kframe(
        self,
        frame: Frame,
        conn: Link,
        layers: list[Any],
        channel: Channel,
        payload: bytes,
        fragments: tuple[int, ...],
        lost: bool,
    ) -> Packet:
        """A K-frame: a part of an SDU, or its last part, which decodes the SDU."""
        cid = channel.cid
        key = (conn, frame.direction, cid)
        starts = len(payload) >= 2 and not self._sdus.pending(key)
        sdu_length = int.from_bytes(payload[:2], "little") if starts else None
        kframe = KFrame(frame.index, len(payload), sdu_length)
        sdu, frames, damage = self._sdus.feed(key, payload, frame.index)
        length = 0
        joined: tuple[int, ...] = ()
        if damage is not None:
            layers.append(damage)
            joined, lost = frames, True  # K-frames of the SDU went missing
        elif sdu is None:
            layers.append(L2capPending(len(payload)))
        else:
            layers.append(decode_att(sdu) if channel.carries_att else L2capPayload(cid, sdu))
            length = len(sdu)
            if len(frames) > 1:
                joined = frames
        return Packet(frame.index, frame.ts_us, frame.direction, conn, layers, cid,
                      joined or fragments, lost, length, channel, kframe)  # fmt: skip
