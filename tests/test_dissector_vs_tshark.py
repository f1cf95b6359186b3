"""The whole decode pipeline against Wireshark: every corpus capture, frame by frame.

tshark, through pyshark, and `Decoder` decode every capture in ../shared/captures, and
each frame is compared on:

* ATT, wherever tshark decodes btatt: opcode, handles (handle, starting, ending and group
  end handle), value bytes, error code and request opcode in error, client and server Rx
  MTU, 16- and 128-bit UUIDs (and length, offset, format, flags). A field is matched by
  name and by its offset in the ATT PDU. When tshark reads fields out of a value we keep
  as bytes (a characteristic declaration, a device name, a CCCD, a Service Changed
  range), their bytes must equal our value's bytes at that offset. Fields tshark makes up
  from its request tracking or its GATT database (the [UUID] of a handle, the handle of
  a response) cover no bytes, and they are not compared.
* the L2CAP CID, the SMP command code and the LL control opcode, in the same way.
* reassembly: which frames a PDU was joined from, on the frame that completes it (its
  last fragment, where both tshark and `Decoder` put the PDU). For tshark that is
  btle.l2cap.fragment on an LE frame, and for HCI ACL the frames whose
  bthci_acl.continuation_to names the first one. We compare it with `Packet.fragments`.

All of this goes through pyshark. We read PDML, because it is the only tshark output
that gives each field's bytes (pos, size, value) and shows which fields have none.
`tshark -T fields` cannot tell a UUID read from the PDU from one tshark remembered from
the request. pyshark runs once per file with a display filter that keeps every frame
with any compared field, and the result is cached for the module. The 29k-frame
android_blefun capture takes about 7 s, and the whole module about 17 s.

`pytest -s` prints one line per file ("ATT frames: tshark N, attscope M, agree K; L2CAP
CID ...; SMP ...; LL control ...; reassembled ..."). The target is 100%. Every frame
where the two differ is listed either in TSHARK_ERRORS, where a named test below shows
that tshark is in error, or in OUR_BUGS, named after a bug of ours (none at present).

The manifest's att_frames are tshark's counts, and they include LL retransmissions:
bsniffhub_lesc_jw_fragments_ltk 3, crackle_lesc_pairing 38 and nrf3_hid_mouse 185,
where attscope finds 2, 37 and 179 ATT PDUs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

import pytest
from corpus import TSHARK_USER_DLTS, corpus_files, need_corpus, need_tshark

from attscope.capture import Direction, Frame, open_capture
from attscope.capture.tshark_reader import ensure_event_loop
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding.decoder import Decoder, Packet
from attscope.dissector.decoding.l2cap import L2capHeader
from attscope.dissector.decoding.le_keys import Keys, parse_ltk
from attscope.dissector.decoding.ll_control import (
    LlControlPdu,
    LlControlUnknown,
    PauseEncRsp,
    StartEncReq,
)
from attscope.dissector.decoding.ll_data import DataHeader, LlEncrypted, LlPacket
from attscope.dissector.decoding.pdu import Malformed, uuid_bytes
from attscope.dissector.decoding.smp_pdus import PairingPublicKey, SmpPdu

pytestmark = [pytest.mark.corpus, pytest.mark.tshark]

# every frame that has a compared field; the others show tshark nothing to compare
DISPLAY_FILTER = (
    "btatt || btl2cap || btsmp || btle.control_opcode"
    " || bthci_acl.continuation_to || btle.l2cap.fragment"
)
C2P, P2C = Direction.CENTRAL_TO_PERIPHERAL, Direction.PERIPHERAL_TO_CENTRAL


# -- tshark's side -------------------------------------------------------------------------


class Field(NamedTuple):
    """A field tshark read from the bytes of an ATT PDU."""

    name: str
    offset: int  # from the ATT opcode
    size: int
    raw: bytes | None  # the bytes it covers; None when PDML's value is not those bytes
    show: str


@dataclass
class SharkFrame:
    """What tshark shows in one frame, for the fields compared here."""

    number: int
    att: list[list[Field]] = field(default_factory=list)  # one list per btatt layer
    cids: list[int] = field(default_factory=list)
    smp: list[int] = field(default_factory=list)
    ll_control: list[int] = field(default_factory=list)
    fragments: tuple[int, ...] = ()  # the frames a PDU was joined from, on the last one
    continuation_to: int | None = None  # HCI ACL: the first frame of the PDU
    retransmit: bool = False  # btle.retransmit: tshark's own LL retransmission flag


def _occurrences(layer: Any) -> list[tuple[str, Any]]:
    """(name, pyshark LayerField) for every field of a layer, nested ones included.
    pyshark keeps them by name in `_all_fields`; its public lookup needs the name first."""
    return [(name, f) for name, c in layer._all_fields.items() for f in c.all_fields]


def _raw(f: Any, size: int) -> bytes | None:
    text = f.unmaskedvalue or f.raw_value  # bit fields: the masked value is not the bytes
    try:
        raw = bytes.fromhex(text)
    except (TypeError, ValueError):
        return None
    return raw if len(raw) == size else None


def _has_bytes(f: Any) -> bool:
    """Generated fields (from tshark's state, not from the packet) have no value."""
    return f.raw_value is not None and int(f.size or 0) > 0


def att_fields(layer: Any) -> list[Field]:
    found = [(name, f) for name, f in _occurrences(layer) if name.startswith("btatt.")]
    found = [(name, f) for name, f in found if _has_bytes(f)]
    starts = [int(f.pos) for name, f in found if name == "btatt.opcode"]
    base = min(starts, default=0)
    return [
        Field(name, int(f.pos) - base, int(f.size), _raw(f, int(f.size)), f.show)
        for name, f in found
        if not name.startswith("btatt.opcode.")  # the bits of an opcode byte
    ]


def _ints(layer: Any, name: str, generated: bool = False) -> list[int]:
    container = layer.get_field(name)
    if container is None:
        return []
    return [int(f.show, 0) for f in container.all_fields if generated or _has_bytes(f)]


def shark_frame(pkt: Any) -> SharkFrame:
    frame = SharkFrame(int(pkt.number))
    for layer in pkt.layers:
        name = layer.layer_name
        if name == "btatt":
            frame.att.append(att_fields(layer))
        elif name == "btl2cap":
            frame.cids += _ints(layer, "btl2cap.cid")
        elif name == "btsmp":
            frame.smp += _ints(layer, "btsmp.opcode")
        elif name == "btle":
            frame.ll_control += _ints(layer, "btle.control_opcode")
            frame.fragments = tuple(_ints(layer, "btle.l2cap.fragment", generated=True))
            frame.retransmit = layer.get_field("btle.retransmit") is not None
        elif name == "bthci_acl":
            first = _ints(layer, "bthci_acl.continuation_to", generated=True)
            frame.continuation_to = first[0] if first else None
    return frame


@cache
def shark_frames(name: str) -> dict[int, SharkFrame]:
    """tshark's view of a corpus file, by frame number: one pyshark run per file."""
    import pyshark  # slow to import; only this module needs it

    need_tshark()
    ensure_event_loop()  # pyshark needs one; an asyncio.run() in an earlier test left none
    capture = pyshark.FileCapture(
        str(need_corpus(name)),
        display_filter=DISPLAY_FILTER,
        keep_packets=False,
        custom_parameters=TSHARK_USER_DLTS,
    )
    try:
        frames = {f.number: f for f in map(shark_frame, capture)}
    finally:
        capture.close()
    # HCI ACL: the frames of a PDU are the first one and those that continue it
    joined: dict[int, list[int]] = defaultdict(list)
    for f in frames.values():
        if f.continuation_to is not None:
            joined[f.continuation_to].append(f.number)
    for f in frames.values():
        if f.continuation_to is not None and f.cids:
            f.fragments = (f.continuation_to, *joined[f.continuation_to])
    return frames


# -- our side ------------------------------------------------------------------------------


@dataclass
class OurFrame:
    att: Any = None  # an AttPdu, or a Malformed record of layer "att"
    cid: int | None = None
    smp: int | None = None
    ll_control: int | None = None
    fragments: tuple[int, ...] = ()


def _first_byte(m: Malformed) -> int | None:
    return m.raw[0] if m.raw else None


def our_frame(packet: Packet) -> OurFrame:
    """What attscope shows in one frame. ATT and SMP count only above L2CAP, as in tshark
    (TI's vendor-specific HCI ATT commands and events are ATT records too, but not btatt)."""
    ours = OurFrame(fragments=packet.fragments)
    for layer in packet.layers:
        if ours.cid is None and not isinstance(layer, LlPacket | L2capHeader):
            continue
        if isinstance(layer, LlPacket):
            pdu = layer.pdu
            if isinstance(pdu, LlControlUnknown):
                ours.ll_control = pdu.code
            elif isinstance(pdu, LlControlPdu):
                ours.ll_control = pdu.opcode
            elif isinstance(pdu, Malformed) and pdu.layer == "ll_control":
                ours.ll_control = _first_byte(pdu)
        elif isinstance(layer, L2capHeader):
            ours.cid = layer.cid
        elif isinstance(layer, att.AttPdu) or (
            isinstance(layer, Malformed) and layer.layer == "att"
        ):
            ours.att = layer
        elif isinstance(layer, SmpPdu):
            ours.smp = layer.code
        elif isinstance(layer, Malformed) and layer.layer == "smp":
            ours.smp = _first_byte(layer)
    return ours


@cache
def read_frames(name: str) -> tuple[Frame, ...]:
    return tuple(open_capture(need_corpus(name)))


@cache
def decoded(name: str) -> tuple[Packet, ...]:
    decoder = Decoder()
    return tuple(decoder.decode(frame) for frame in read_frames(name))


# -- where each ATT field is in our record -------------------------------------------------


class Item(NamedTuple):
    """A field of our ATT record at its offset in the PDU, named as tshark names it.
    `span`: a value we keep as bytes and tshark may read further."""

    name: str
    offset: int
    value: int | bytes
    span: bool = False


def _uuid(offset: int, text: str) -> Item:
    if len(text) == 4:
        return Item("btatt.uuid16", offset, int(text, 16))
    return Item("btatt.uuid128", offset, uuid_bytes(text))


def _range(start: int, end: int) -> list[Item]:
    return [Item("btatt.starting_handle", 1, start), Item("btatt.ending_handle", 3, end)]


def att_items(pdu: Any) -> list[Item]:
    """Every field of an ATT record where its PDU has it (Core 5.4 Vol 3 Part F 3.4)."""
    if isinstance(pdu, Malformed):
        return [Item("btatt.opcode", 0, pdu.raw[0])] if pdu.raw else []
    items = [Item("btatt.opcode", 0, pdu.opcode)]
    p = pdu
    if isinstance(p, att.ErrorResponse):
        items += [
            Item("btatt.req_opcode_in_error", 1, p.request_opcode),
            Item("btatt.handle", 2, p.handle),
            Item("btatt.error_code", 4, p.error_code),
        ]
    elif isinstance(p, att.ExchangeMtuRequest):
        items.append(Item("btatt.client_rx_mtu", 1, p.client_rx_mtu))
    elif isinstance(p, att.ExchangeMtuResponse):
        items.append(Item("btatt.server_rx_mtu", 1, p.server_rx_mtu))
    elif isinstance(p, att.FindInformationRequest):
        items += _range(p.start_handle, p.end_handle)
    elif isinstance(p, att.FindInformationResponse):
        items.append(Item("btatt.uuid_format", 1, p.format))
        width = 4 if p.format == 1 else 18
        for i, entry in enumerate(p.entries):
            at = 2 + i * width
            items += [Item("btatt.handle", at, entry.handle), _uuid(at + 2, entry.uuid)]
    elif isinstance(p, att.FindByTypeValueRequest):
        items += _range(p.start_handle, p.end_handle)
        items += [Item("btatt.uuid16", 5, p.attribute_type), Item("btatt.value", 7, p.value, True)]
    elif isinstance(p, att.FindByTypeValueResponse):
        for i, r in enumerate(p.entries):
            at = 1 + 4 * i
            items += [
                Item("btatt.handle", at, r.handle),
                Item("btatt.group_end_handle", at + 2, r.end_group_handle),
            ]
    elif isinstance(p, att.ReadByTypeRequest | att.ReadByGroupTypeRequest):
        kind = p.attribute_type if isinstance(p, att.ReadByTypeRequest) else p.group_type
        items += [*_range(p.start_handle, p.end_handle), _uuid(5, kind)]
    elif isinstance(p, att.ReadByTypeResponse):
        items.append(Item("btatt.length", 1, p.length))
        for i, e in enumerate(p.entries):
            at = 2 + i * p.length
            items += [
                Item("btatt.handle", at, e.handle),
                Item("btatt.value", at + 2, e.value, True),
            ]
    elif isinstance(p, att.ReadByGroupTypeResponse):
        items.append(Item("btatt.length", 1, p.length))
        for i, g in enumerate(p.entries):
            at = 2 + i * p.length
            items += [
                Item("btatt.handle", at, g.handle),
                Item("btatt.group_end_handle", at + 2, g.end_group_handle),
                Item("btatt.value", at + 4, g.value, True),
            ]
    elif isinstance(p, att.ReadRequest):
        items.append(Item("btatt.handle", 1, p.handle))
    elif isinstance(p, att.ReadBlobRequest):
        items += [Item("btatt.handle", 1, p.handle), Item("btatt.offset", 3, p.offset)]
    elif isinstance(p, att.ReadResponse | att.ReadBlobResponse):
        items.append(Item("btatt.value", 1, p.value, True))
    elif isinstance(p, att.ReadMultipleRequest | att.ReadMultipleVariableRequest):
        items += [Item("btatt.handle", 1 + 2 * i, h) for i, h in enumerate(p.handles)]
    elif isinstance(p, att.ReadMultipleResponse):
        items.append(Item("btatt.value", 1, p.values, True))
    elif isinstance(p, att.ReadMultipleVariableResponse):
        at = 1
        for e in p.entries:
            items += [
                Item("btatt.length", at, e.length),
                Item("btatt.value", at + 2, e.value, True),
            ]
            at += 2 + len(e.value)
    elif isinstance(
        p,
        att.WriteRequest
        | att.WriteCommand
        | att.HandleValueNotification
        | att.HandleValueIndication,
    ):
        items += [Item("btatt.handle", 1, p.handle), Item("btatt.value", 3, p.value, True)]
    elif isinstance(p, att.SignedWriteCommand):
        items += [Item("btatt.handle", 1, p.handle), Item("btatt.value", 3, p.value, True)]
        items.append(Item("btatt.signature", 3 + len(p.value), p.signature, True))
    elif isinstance(p, att.PrepareWriteRequest | att.PrepareWriteResponse):
        items += [Item("btatt.handle", 1, p.handle), Item("btatt.offset", 3, p.offset)]
        items.append(Item("btatt.value", 5, p.value, True))
    elif isinstance(p, att.ExecuteWriteRequest):
        items.append(Item("btatt.flags", 1, p.flags))
    elif isinstance(p, att.MultipleHandleValueNotification):
        at = 1
        for e in p.entries:
            items += [
                Item("btatt.handle", at, e.handle),
                Item("btatt.length", at + 2, len(e.value)),
            ]
            items.append(Item("btatt.value", at + 4, e.value, True))
            at += 4 + len(e.value)
    elif isinstance(p, att.AttUnknown):
        items.append(Item("btatt.value", 1, p.params, True))
    return items


# what each compared field counts as in the summary
KIND = {
    "btatt.opcode": "opcode",
    "btatt.handle": "handle",
    "btatt.starting_handle": "handle",
    "btatt.ending_handle": "handle",
    "btatt.group_end_handle": "handle",
    "btatt.value": "value",
    "btatt.error_code": "error",
    "btatt.req_opcode_in_error": "error",
    "btatt.client_rx_mtu": "mtu",
    "btatt.server_rx_mtu": "mtu",
    "btatt.uuid16": "uuid",
    "btatt.uuid128": "uuid",
}


def _theirs(f: Field, ours: int | bytes) -> int | bytes | None:
    if isinstance(ours, bytes):
        return f.raw
    try:
        return int(f.show, 0)
    except ValueError:
        return None


def compare_att(pdu: Any, fields: list[Field], counts: Counter[str]) -> list[str]:
    """The differences between our ATT record and tshark's btatt fields (empty: agree)."""
    items = att_items(pdu)
    at = {(i.name, i.offset): i for i in items}
    spans = [i for i in items if i.span and isinstance(i.value, bytes)]
    problems: list[str] = []
    seen: set[tuple[str, int]] = set()
    for f in fields:
        item = at.get((f.name, f.offset))
        if item is not None:
            seen.add((f.name, f.offset))
            theirs = _theirs(f, item.value)
            counts[KIND.get(f.name, f.name.removeprefix("btatt."))] += 1
            if theirs != item.value:
                problems.append(f"{f.name}@{f.offset}: ours {item.value!r}, tshark {theirs!r}")
            continue
        span = next((s for s in spans if s.offset <= f.offset < s.offset + len(s.value)), None)
        if span is not None:
            assert isinstance(span.value, bytes)
            if f.raw is None:  # a field whose PDML value is not its bytes (a string, say)
                continue
            counts["value (read further by tshark)"] += 1
            ours = span.value[f.offset - span.offset : f.offset - span.offset + f.size]
            if ours != f.raw:
                problems.append(
                    f"{f.name}@{f.offset} in our value: ours {ours!r}, tshark {f.raw!r}"
                )
        elif f.raw not in (None, b""):  # containers (attribute data ...) have no value
            problems.append(f"tshark {f.name}@{f.offset} = {f.show}: we have no such field")
    for item in items:
        if not item.span and (item.name, item.offset) not in seen:
            problems.append(f"{item.name}@{item.offset} = {item.value!r}: tshark shows none")
    return problems


# -- agreement per file --------------------------------------------------------------------


@dataclass
class Tally:
    shark: int = 0
    ours: int = 0
    agree: int = 0

    def add(self, theirs: object, ours: object, same: bool | None = None) -> bool:
        """Count one frame (None: that side shows nothing); True when the two agree."""
        if theirs is None and ours is None:
            return True
        same = theirs == ours if same is None else same
        self.shark += theirs is not None
        self.ours += ours is not None
        self.agree += same
        return same

    def __str__(self) -> str:
        return f"tshark {self.shark}, attscope {self.ours}, agree {self.agree}"


@dataclass
class Agreement:
    name: str
    att: Tally = field(default_factory=Tally)
    cid: Tally = field(default_factory=Tally)
    smp: Tally = field(default_factory=Tally)
    ll_control: Tally = field(default_factory=Tally)
    reassembled: Tally = field(default_factory=Tally)
    att_fields: Counter[str] = field(default_factory=Counter)
    differences: dict[int, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        fields = ", ".join(f"{k} {n}" for k, n in sorted(self.att_fields.items()))
        line = (
            f"{self.name}: ATT frames: {self.att}; L2CAP CID: {self.cid}; SMP: {self.smp};"
            f" LL control: {self.ll_control}; reassembled: {self.reassembled}"
        )
        if fields:
            line += f"\n    ATT fields compared: {fields}"
        if self.differences:
            theirs = sum(n in TSHARK_ERRORS.get(self.name, {}) for n in self.differences)
            ours = sum(n in OUR_BUGS.get(self.name, {}) for n in self.differences)
            line += (
                f"\n    {len(self.differences)} frames differ: {theirs} known tshark errors,"
                f" {ours} known attscope bugs"
            )
        return line

    def details(self) -> str:
        theirs, ours = TSHARK_ERRORS.get(self.name, {}), OUR_BUGS.get(self.name, {})
        lines = []
        for n, why in sorted(self.differences.items()):
            known = f" [tshark error: {theirs[n]}]" if n in theirs else ""
            known += f" [attscope bug: {ours[n]}]" if n in ours else ""
            lines.append(f"frame {n}: {'; '.join(why)}{known}")
        return "\n".join(lines[:40])


def _single(values: list[int]) -> int | list[int] | None:
    return None if not values else values[0] if len(values) == 1 else values


def compare_frame(packet: Packet, shark: SharkFrame | None, agree: Agreement) -> None:
    ours = our_frame(packet)
    s = shark or SharkFrame(packet.frame)
    why: list[str] = []
    # ATT
    if s.att or ours.att is not None:
        if not s.att:
            problems = ["attscope decodes ATT, tshark no btatt"]
        elif ours.att is None:
            problems = ["tshark decodes btatt, attscope no ATT"]
        elif len(s.att) > 1:
            problems = [f"tshark shows {len(s.att)} btatt PDUs"]
        else:
            problems = compare_att(ours.att, s.att[0], agree.att_fields)
        agree.att.add(s.att or None, ours.att, not problems)
        why += problems
    for key, tally, theirs, mine in (
        ("L2CAP CID", agree.cid, _single(s.cids), ours.cid),
        ("SMP", agree.smp, _single(s.smp), ours.smp),
        ("LL control", agree.ll_control, _single(s.ll_control), ours.ll_control),
        ("reassembled from", agree.reassembled, s.fragments or None, ours.fragments or None),
    ):
        if not tally.add(theirs, mine):
            why.append(f"{key}: ours {mine!r}, tshark {theirs!r}")
    if why:
        agree.differences[packet.frame] = why


@cache
def agreement(name: str) -> Agreement:
    sharks = shark_frames(name)
    agree = Agreement(name)
    for packet in decoded(name):
        compare_frame(packet, sharks.get(packet.frame), agree)
    return agree


# -- the differences we know: tshark's errors, and attscope bugs ---------------------------

RETRANSMISSION = "test_tshark_decodes_an_ll_retransmission_as_a_second_l2cap_pdu"
CIPHERTEXT = "test_tshark_decodes_ciphertext_as_an_ll_control_pdu"
RETRANSMISSIONS = [
    ("bsniffhub_lesc_jw_fragments_ltk.pcap", 49, 50),
    ("nrf3_hid_mouse.pcapng", 1014, 1016),
    *(("nrf3_hid_mouse.pcapng", 1309, n) for n in range(1310, 1315)),
    ("nrf3_pairing_session.pcap", 985, 986),
    ("crackle_lesc_pairing.pcapng", 59, 60),
]
CIPHERTEXTS = [
    ("bsniffhub_lesc_jw_fragments_ltk.pcap", 150),
    ("bsniffhub_lesc_jw_fragments_ltk.pcap", 153),
    ("bsniffhub_lesc_jw_fragments_ltk.pcap", 346),
    ("bsniffhub_nrf2_encrypted_missing.pcap", 1522),
    ("nrf3_pairing_session.pcap", 1102),
    ("nrf3_pairing_session.pcap", 1105),
]
UNFLAGGED = "test_tshark_decodes_ciphertext_no_sniffer_flag_marks"
UNFLAGGED_CIPHERTEXTS = [  # Ubertooth captures: the sniffer records nothing of encryption
    ("crackle_legacy_jw_pairing.pcap", 585),
    ("crackle_legacy_jw_pairing.pcap", 589),
    ("crackle_legacy_jw_pairing.pcap", 713),
    ("crackle_known_ltk_encrypted.pcap", 91),
    ("crackle_known_ltk_encrypted.pcap", 303),
    ("crackle_lesc_pairing.pcapng", 167),
    ("crackle_lesc_pairing.pcapng", 170),
]
TSHARK_ERRORS: dict[str, dict[int, str]] = defaultdict(dict)
for _name, _first, _again in RETRANSMISSIONS:
    TSHARK_ERRORS[_name][_again] = RETRANSMISSION
for _name, _number in CIPHERTEXTS:
    TSHARK_ERRORS[_name][_number] = CIPHERTEXT
for _name, _number in UNFLAGGED_CIPHERTEXTS:
    TSHARK_ERRORS[_name][_number] = UNFLAGGED

# frames where tshark is right and attscope is not, each with the bug's name; empty since
# the direction-less reassembly fix and the short-PDU rule of the encryption tracking
OUR_BUGS: dict[str, dict[int, str]] = {}


@pytest.mark.parametrize("name", corpus_files())
def test_decoder_agrees_with_tshark(name: str) -> None:
    agree = agreement(name)
    print(agree.summary())
    known = TSHARK_ERRORS.get(name, {}) | OUR_BUGS.get(name, {})
    unexplained = {n: why for n, why in agree.differences.items() if n not in known}
    stale = sorted(set(TSHARK_ERRORS.get(name, {})) - set(agree.differences))
    assert not unexplained and not stale, (
        agree.summary()
        + (f"\nlisted as tshark errors but agreeing now: {stale}" if stale else "")
        + "\n"
        + agree.details()
    )


# -- tshark's errors -----------------------------------------------------------------------


def _data(frame: Frame) -> tuple[DataHeader, bytes]:
    """The data PDU header and the payload of an air frame (1M/2M: no CI octet)."""
    ll = frame.payload
    header = DataHeader.from_bytes(ll[4:6])
    return header, ll[6 : 6 + header.length]


def _event_start(frames: tuple[Frame, ...], number: int) -> int:
    """The number of the first frame of frame `number`'s connection event: the frames
    before it on the same data channel, back to the first on another channel."""

    def channel(n: int) -> int | None:
        sniffer = frames[n - 1].sniffer
        return sniffer.channel if sniffer else None

    while number > 1 and channel(number - 1) == channel(number):
        number -= 1
    return number


@pytest.mark.parametrize(("name", "first", "again"), RETRANSMISSIONS)
def test_tshark_decodes_an_ll_retransmission_as_a_second_l2cap_pdu(
    name: str, first: int, again: int
) -> None:
    """A data PDU sent again with the same SN, because the peer did not acknowledge it, is
    the same PDU: the receiving link layer ignores the copy (Core 5.4 Vol 6 Part B 4.5.9).
    tshark flags the copy as a retransmission (btle.retransmit) yet still hands it to
    L2CAP and ATT, so one request, response or signalling command is counted twice.
    attscope decodes the first copy and leaves the repeats at the link layer.

    bsniffhub frame 50: the central's Exchange MTU Response of frame 49 (SN 0) again in the
    next event; the peripheral sent nothing in between.
    nrf3_hid_mouse frame 1016: the peripheral's Read By Type Response of frame 1014 (SN 1);
    the central's Empty PDU between them (1015) has NESN 1: it still waits for SN 1.
    Frames 1310-1314: the central's Read Response of 1309 (SN 1) in five more events, with
    no answer from the peripheral until 1315 (NESN 0) acknowledges it.
    nrf3_pairing_session frame 986: the central's Connection Parameter Update Response of
    frame 985 (SN 1), the peripheral silent in between.
    crackle_lesc frame 60: an Ubertooth capture without directions, so tshark cannot even
    flag it. Frame 59 is the third packet of its event (data channel 20: central,
    peripheral, central) and frame 60 opens the next event (channel 25), so both come from
    the central, with the same bytes and SN 0."""
    frames, packets, sharks = read_frames(name), decoded(name), shark_frames(name)
    a, b = frames[first - 1], frames[again - 1]
    (ha, pa), (hb, pb) = _data(a), _data(b)
    # the same PDU from the same side, with the same sequence number
    assert a.direction == b.direction
    assert (ha.llid, ha.sn, pa) == (hb.llid, hb.sn, pb) and pa
    # nothing from the peer in between acknowledged it (its NESN would have moved past SN)
    between = frames[first : again - 1]
    assert all(_data(f)[0].nesn == ha.sn for f in between if f.direction != a.direction)
    # tshark decodes both copies, to the same L2CAP channel and ATT opcode
    sa, sb = sharks[first], sharks[again]
    assert sa.cids == sb.cids and sa.cids
    assert [f[0] for f in sa.att] == [f[0] for f in sb.att]
    # attscope decodes the first copy only
    assert packets[first - 1].cid == sa.cids[0]
    assert packets[again - 1].cid is None and len(packets[again - 1].layers) == 1
    if a.direction in (C2P, P2C):
        assert sb.retransmit, "tshark's own flag, btle.retransmit"
    else:  # no direction: a connection event opens with the central, then sides alternate
        assert not between
        assert (first - _event_start(frames, first)) % 2 == 0  # the central's turn
        assert _event_start(frames, again) == again  # it opens the next event


@pytest.mark.parametrize(("name", "number"), CIPHERTEXTS)
def test_tshark_decodes_ciphertext_as_an_ll_control_pdu(name: str, number: int) -> None:
    """The sniffer marks these control PDUs as encrypted with a failed MIC: it did not
    decrypt them, so their payload is ciphertext then the MIC (Core 5.4 Vol 6 Part B 2.4,
    5.1.3). tshark shows the MIC failure, then reads the first ciphertext byte as the
    opcode anyway (0x78, 0xf9, 0x02, 0xb4, 0x44, 0x46: all but 0x02 are reserved
    opcodes). The 5-byte ones come right after LL_START_ENC_REQ: they are the two
    LL_START_ENC_RSPs (1 octet and a 4-octet MIC), the first PDUs a link encrypts.
    attscope keeps them as encrypted control PDUs (LlEncrypted, LLID 3)."""
    frame = read_frames(name)[number - 1]
    s = frame.sniffer
    assert s is not None and s.encrypted and s.mic_ok is False and not s.decrypted
    header, payload = _data(frame)
    assert header.llid == 3 and len(payload) == header.length >= 5
    ll = decoded(name)[number - 1].pdu
    assert isinstance(ll, LlPacket) and isinstance(ll.pdu, LlEncrypted) and ll.pdu.llid == 3
    assert shark_frames(name)[number].ll_control == [payload[0]]
    if header.length == 5:
        before = decoded(name)[number - 5 : number - 1]
        assert any(
            isinstance(p.pdu, LlPacket) and isinstance(p.pdu.pdu, StartEncReq) for p in before
        )


@pytest.mark.parametrize(("name", "number"), UNFLAGGED_CIPHERTEXTS)
def test_tshark_decodes_ciphertext_no_sniffer_flag_marks(name: str, number: int) -> None:
    """Once the peripheral has sent LL_START_ENC_REQ, every non-empty PDU of the link is
    encrypted until the encryption pauses (Core 5.4 Vol 6 Part B 5.1.3.1-5.1.3.2), and
    an encrypted PDU carries a 4-octet MIC after at least one octet of ciphertext. These
    Ubertooth captures record nothing of encryption, so tshark reads the ciphertext as
    plaintext: a control PDU of a reserved or wrong opcode, or no L2CAP at all. attscope
    follows the procedure and keeps it as LlEncrypted, or decrypts it where it has the key
    (crackle's known LTK) or found it (the cracked legacy pairing): the MIC verifies."""
    frame = read_frames(name)[number - 1]
    assert frame.sniffer is None or not frame.sniffer.encrypted
    header, payload = _data(frame)
    assert header.llid in (2, 3) and len(payload) == header.length >= 5
    keys = Keys([parse_ltk("7f62c053f104a5bbe68b1d896a2ed49c")])
    decoder = Decoder(keys if name == "crackle_known_ltk_encrypted.pcap" else None)
    packets = [decoder.decode(f) for f in read_frames(name)]
    ll = packets[number - 1].layers[0]
    assert isinstance(ll, LlPacket)
    link = packets[number - 1].connection
    procedure = [
        type(p.layers[0].pdu) for p in packets[: number - 1]
        if p.connection == link and isinstance(p.layers[0], LlPacket)
        and isinstance(p.layers[0].pdu, StartEncReq | PauseEncRsp)
    ]  # fmt: skip
    assert procedure and procedure[-1] is StartEncReq  # started, and not paused since
    shark = shark_frames(name).get(number) or SharkFrame(number)
    if header.llid == 3:
        assert shark.ll_control == [payload[0]]  # the first ciphertext octet as opcode
    if ll.decrypted:  # the MIC verified: what tshark read was ciphertext
        assert len(ll.to_bytes()) == len(frame.payload) - 4
        if isinstance(ll.pdu, LlControlPdu):
            assert ll.pdu.opcode != payload[0]
        else:
            assert packets[number - 1].cid is not None and not shark.cids
    else:
        assert isinstance(ll.pdu, LlEncrypted) and not decoded(name)[number - 1].cid


# -- fixed bugs of ours (tshark was right) ----------------------------------------------


def test_directionless_whole_pdu_does_not_cancel_the_peers_partial_pdu() -> None:
    """crackle_lesc_pairing, no directions: the peripheral's Pairing Public Key (69 bytes)
    comes in frames 134 (start, 27 bytes), 136 and 138; between them, in 135, the
    central's Read By Type Request, whole in one packet. The capture has no directions:
    the decoder works out each packet's side from the connection events' timing (135
    answers 134 within the event; 136 comes half a millisecond after an anchor point, so
    it is the peripheral's), and joins each side's fragments apart. Joined in one buffer,
    135 would drop what 134 started and 136 and 138 would have no start (the bug this
    pins). tshark joins 134, 136 and 138 into the SMP Pairing Public Key, and so do we.
    (Frame 132 is a damaged copy of 134, same SN 0, not acknowledged by 133 (NESN 0); 134
    restarts the PDU.)"""
    name = "crackle_lesc_pairing.pcapng"
    packet = decoded(name)[138 - 1]
    assert isinstance(packet.pdu, PairingPublicKey)
    assert packet.fragments == shark_frames(name)[138].fragments == (134, 136, 138)
    assert 138 not in agreement(name).differences
