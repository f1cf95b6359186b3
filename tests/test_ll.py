"""The LE link layer decoders against Wireshark, and against random bytes.

Every frame of every air capture in the corpus is decoded with `decode_ll_frame` and
compared with tshark field by field (PDU type and header bits, addresses, CONNECT_IND
parameters, AD types and company identifiers, data header, control opcodes, LL version
company); `pytest -s` prints a summary per file ("field agreed/compared"). Where tshark
shows something we deliberately do not (an opcode read out of ciphertext; addresses or AD
structures read from a PDU too long or too short for its type), the frame is recognised
by rule, counted as a quirk, and pinned by a named test below. Every PDU decoded from the
corpus must also give its bytes back.

Hypothesis then feeds random bytes to every decoder (nothing may raise) and checks
`to_bytes(decode(b)) == b` for well-formed PDUs built field by field.
"""

from __future__ import annotations

import typing
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import msgspec
import pytest
from corpus import manifest, need_corpus, tshark_fields
from hypothesis import given, settings
from hypothesis import strategies as st

from attscope.capture import Frame, open_capture
from attscope.dissector.decoding import ad_structures, ll_adv, ll_control
from attscope.dissector.decoding.ad_structures import (
    AdStructure,
    CompleteLocalName,
    ManufacturerData,
    ad_type_of,
    parse_ad,
)
from attscope.dissector.decoding.ll_adv import (
    AdvExtInd,
    AdvHeader,
    AdvPdu,
    AuxChainInd,
    AuxPtr,
    ConnectInd,
    ExtendedAdvPdu,
    address_text,
    decode_adv_pdu,
)
from attscope.dissector.decoding.ll_control import (
    LlControlPdu,
    LlControlUnknown,
    VersionInd,
    decode_ll_control,
)
from attscope.dissector.decoding.ll_data import (
    AnyPdu,
    DataHeader,
    L2capFragment,
    LlDataReserved,
    LlEncrypted,
    LlPacket,
    decode_ll_frame,
    decode_ll_packet,
)
from attscope.dissector.decoding.pdu import Malformed

AIR_LINKTYPES = {"272", "256", "157", "192"}
_LL_FIELDS = """
    frame.number btle.advertising_header.pdu_type btle.advertising_header.ch_sel
    btle.advertising_header.randomized_tx btle.advertising_header.randomized_rx
    btle.advertising_header.length btle.advertising_address btle.initiator_address
    btle.target_address btle.scanning_address btle.link_layer_data.access_address
    btle.link_layer_data.crc_init btle.link_layer_data.window_size
    btle.link_layer_data.window_offset btle.link_layer_data.interval
    btle.link_layer_data.latency btle.link_layer_data.timeout btle.link_layer_data.channel_map
    btle.link_layer_data.hop btle.link_layer_data.sleep_clock_accuracy
    btcommon.eir_ad.entry.type btcommon.eir_ad.entry.company_id btle.data_header.llid
    btle.data_header.sequence_number btle.data_header.next_expected_sequence_number
    btle.data_header.more_data btle.data_header.length btle.control_opcode
    btle.control.version_number btle.control.company_id btle.control.subversion_number
    _ws.malformed
"""
LL_FIELDS = _LL_FIELDS.split()
CONNECT_FIELDS = {
    "access_address": "aa", "crc_init": "crc_init", "window_size": "win_size",
    "window_offset": "win_offset", "interval": "interval", "latency": "latency",
    "timeout": "timeout", "hop": "hop", "sleep_clock_accuracy": "sca",
}  # fmt: skip
Row = dict[str, str]


def air_captures() -> list[str]:
    rows = [r["file"] for r in manifest() if r["linktype"].split()[0] in AIR_LINKTYPES]
    return rows or ["<corpus missing>"]


@cache
def tshark_rows(name: str) -> list[Row]:
    rows = tshark_fields(need_corpus(name), LL_FIELDS)
    return [dict(zip(LL_FIELDS, row, strict=True)) for row in rows]


@cache
def frames(name: str) -> list[Frame]:
    return list(open_capture(need_corpus(name)))


def num(row: Row, name: str) -> int | None:
    text = row[name].split(",")[0]
    if not text:
        return None
    return {"True": 1, "False": 0}.get(text) if text[0] in "TF" else int(text, 0)


def nums(row: Row, name: str) -> list[int]:
    return [int(x, 0) for x in row[name].split(",") if x]


# -- what we show, in tshark's terms --------------------------------------------------------


def ad_items(pdu: object) -> list[AdStructure | Malformed] | None:
    method = getattr(pdu, "ad_structures", None)
    return method() if method else None


def addresses(pdu: object) -> dict[str, str]:
    """Our addresses under tshark's field names (lower case, as tshark prints them)."""
    names = {"adv_a": "advertising_address", "init_a": "initiator_address"}
    names |= {"target_a": "target_address", "scan_a": "scanning_address"}
    out = {}
    for ours, theirs in names.items():
        value = getattr(pdu, ours, None)
        if value is not None:
            out[theirs] = value.addr.lower()
    return out


def opcode_of(pdu: object) -> int | None:
    if isinstance(pdu, LlControlUnknown):
        return pdu.code
    if isinstance(pdu, LlControlPdu):
        return pdu.opcode
    if isinstance(pdu, Malformed) and pdu.layer == "ll_control" and pdu.raw:
        return pdu.raw[0]
    return None


# -- tshark quirks, recognised by rule ------------------------------------------------------


def opcode_from_ciphertext(pkt: LlPacket, row: Row) -> bool:
    """tshark decodes an encrypted control PDU the sniffer could not decrypt (MIC failed)
    as plaintext: its 'opcode' is the first ciphertext byte. Ours stays ciphertext."""
    pdu = pkt.pdu
    return (
        isinstance(pdu, LlEncrypted)
        and pdu.llid == 3
        and num(row, "btle.control_opcode") == pdu.data[0]
    )


def fields_of_misfit_adv_pdu(pkt: LlPacket, row: Row, frame: Frame) -> bool:
    """A PDU whose payload its type does not allow (a SCAN_REQ of 19 or 79 bytes, an
    ADV_IND cut inside AdvA: all from sniffers that report the CRC failed) is Malformed
    for us; tshark still reads the fields at their offsets, so it shows addresses and AD
    types we do not. The bytes are the same: check the first address tshark shows."""
    if not isinstance(pkt.pdu, Malformed) or not isinstance(pkt.header, AdvHeader):
        return False
    ll = frame.payload[5 if frame.sniffer and frame.sniffer.phy == 2 else 4 :]
    # the addresses of the legacy (offsets 2, 8) and extended (4, 10) layouts, read on
    # into the CRC when the PDU is too short, as tshark does
    at_offsets = {address_text(ll[k : k + 6]).lower() for k in (2, 4, 8, 10) if len(ll) >= k + 6}
    names = ("advertising_address", "scanning_address", "initiator_address", "target_address")
    shown = {a for k in names for a in row[f"btle.{k}"].split(",") if a}
    return shown <= at_offsets


def ad_up_to_malformed(
    items: list[AdStructure | Malformed], row: Row
) -> tuple[list[AdStructure | Malformed], bool]:
    """The AD structures up to the first malformed one, and whether any was cut off.

    After an AD structure whose Length does not fit its type (an Appearance of 1 byte, a
    128-bit UUID list of 1) or runs past the data, tshark goes on after the bytes its
    field decoder read, we after Length bytes (Vol 3 Part C 11); after one that runs
    past the data tshark shows "Unused" instead of the type. All such frames failed their
    CRC. Up to the first malformed structure both agree; we compare that much."""
    bad = next((i for i, x in enumerate(items) if isinstance(x, Malformed)), None)
    if bad is None:
        return items, False
    shown = nums(row, "btcommon.eir_ad.entry.type")
    keep = bad + 1 if len(shown) > bad and shown[bad] == ad_type_of(items[bad]) else bad
    return items[:keep], True


def ad_list_cut_by_exception(ours: list[int], theirs: list[int], row: Row) -> bool:
    """tshark hands a mesh AD structure (PB-ADV 0x29, Mesh Message 0x2A, Mesh Beacon
    0x2B) to its mesh dissector; when that one runs out of bytes the exception ends the
    whole AD list and tshark marks the frame malformed. The structures after it are
    well-formed for us (the AD Length delimits each; Vol 3 Part C 11)."""
    return (
        bool(row["_ws.malformed"])
        and len(theirs) < len(ours)
        and ours[: len(theirs)] == theirs
        and theirs[-1] in (0x29, 0x2A, 0x2B)
    )


@dataclass
class Agreement:
    name: str
    compared: Counter[str] = field(default_factory=Counter)
    differ: Counter[str] = field(default_factory=Counter)
    quirks: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def check(self, key: str, n: int, ours: object, theirs: object) -> None:
        self.compared[key] += 1
        if ours != theirs:
            self.differ[key] += 1
            if len(self.examples) < 15:
                self.examples.append(f"frame {n} {key}: ours {ours!r}, tshark {theirs!r}")

    def summary(self) -> str:
        parts = [f"{k} {n - self.differ[k]}/{n}" for k, n in sorted(self.compared.items())]
        parts += [f"tshark quirk, {k}: {n} frames" for k, n in sorted(self.quirks.items())]
        return f"{self.name}: " + ", ".join(parts)


def compare_adv(frame: Frame, pkt: LlPacket, row: Row, agree: Agreement) -> None:
    n = frame.index
    header, pdu = pkt.header, pkt.pdu
    assert isinstance(header, AdvHeader)
    agree.check("pdu_type", n, header.pdu_type, num(row, "btle.advertising_header.pdu_type"))
    agree.check("ch_sel", n, header.ch_sel, bool(num(row, "btle.advertising_header.ch_sel")))
    # tshark shows TxAdd and RxAdd only where the PDU type defines them
    if (tx := num(row, "btle.advertising_header.randomized_tx")) is not None:
        agree.check("tx_add", n, header.tx_add, bool(tx))
    if (rx := num(row, "btle.advertising_header.randomized_rx")) is not None:
        agree.check("rx_add", n, header.rx_add, bool(rx))
    agree.check("adv length", n, header.length, num(row, "btle.advertising_header.length"))
    corrupt = frame.sniffer is None or frame.sniffer.crc_ok is not True
    if corrupt and fields_of_misfit_adv_pdu(pkt, row, frame):
        agree.quirks["fields read from a PDU its type does not fit"] += 1
        return
    theirs = {k: row[f"btle.{k}"] for k in addresses(pdu) | {"advertising_address": ""}}
    agree.check("addresses", n, addresses(pdu), {k: v for k, v in theirs.items() if v})
    if isinstance(pdu, ConnectInd):
        ll = pdu.ll_data
        for theirs_name, ours_name in CONNECT_FIELDS.items():
            value = num(row, f"btle.link_layer_data.{theirs_name}")
            agree.check(f"connect.{theirs_name}", n, getattr(ll, ours_name), value)
        chm = row["btle.link_layer_data.channel_map"].replace(":", "")
        agree.check("connect.channel_map", n, ll.chm.hex(), chm)
    items, cut = ad_up_to_malformed(ad_items(pdu) or [], row)
    cut = cut and corrupt  # a well-formed frame must agree to the end
    types = [t for t in map(ad_type_of, items) if t is not None]
    theirs_types = nums(row, "btcommon.eir_ad.entry.type")
    companies = [i.company_id for i in items if isinstance(i, ManufacturerData)]
    theirs_companies = nums(row, "btcommon.eir_ad.entry.company_id")
    if cut:
        agree.quirks["AD parsed on past a malformed AD structure"] += 1
        theirs_types = theirs_types[: len(types)]
        theirs_companies = theirs_companies[: len(companies)]
    elif ad_list_cut_by_exception(types, theirs_types, row):
        agree.quirks["AD list cut short by an exception in a sub-dissector"] += 1
        types, companies = theirs_types, theirs_companies[: len(companies)]
    agree.check("ad types", n, types, theirs_types)
    agree.check("ad company ids", n, companies, theirs_companies)


def compare_data(n: int, pkt: LlPacket, row: Row, agree: Agreement) -> None:
    header, pdu = pkt.header, pkt.pdu
    assert isinstance(header, DataHeader)
    agree.check("llid", n, header.llid, num(row, "btle.data_header.llid"))
    agree.check("sn", n, header.sn, num(row, "btle.data_header.sequence_number"))
    agree.check("nesn", n, header.nesn, num(row, "btle.data_header.next_expected_sequence_number"))
    agree.check("md", n, header.md, bool(num(row, "btle.data_header.more_data")))
    agree.check("data length", n, header.length, num(row, "btle.data_header.length"))
    if opcode_from_ciphertext(pkt, row):
        agree.quirks["opcode read from ciphertext"] += 1
        return
    agree.check("control_opcode", n, opcode_of(pdu), num(row, "btle.control_opcode"))
    if isinstance(pdu, VersionInd):
        agree.check("version", n, pdu.vers_nr, num(row, "btle.control.version_number"))
        agree.check("version company", n, pdu.comp_id, num(row, "btle.control.company_id"))
        sub = num(row, "btle.control.subversion_number")
        agree.check("version subversion", n, pdu.sub_vers_nr, sub)


def agreement(name: str) -> Agreement:
    agree = Agreement(name)
    rows = tshark_rows(name)
    assert len(rows) == len(frames(name))
    for frame, row in zip(frames(name), rows, strict=True):
        pkt = decode_ll_frame(frame)
        if pkt is None or frame.problem is not None:
            continue
        n = frame.index
        adv = row["btle.advertising_header.pdu_type"] != ""
        agree.check("advertising", n, pkt.advertising, adv)
        if pkt.header is None or pkt.advertising != adv:
            continue
        if isinstance(pkt.header, AdvHeader):
            compare_adv(frame, pkt, row, agree)
        else:
            compare_data(n, pkt, row, agree)
    return agree


@pytest.mark.corpus
@pytest.mark.tshark
@pytest.mark.parametrize("name", air_captures())
def test_ll_agrees_with_tshark(name: str) -> None:
    agree = agreement(name)
    print(agree.summary())
    assert agree.compared, "no LE frames compared"
    assert not agree.differ, agree.summary() + "\n" + "\n".join(agree.examples)


# -- tshark quirks, pinned -------------------------------------------------------------------


def _frame_row_packet(name: str, number: int) -> tuple[Frame, Row, LlPacket]:
    frame = frames(name)[number - 1]
    pkt = decode_ll_frame(frame)
    assert pkt is not None
    return frame, tshark_rows(name)[number - 1], pkt


@pytest.mark.corpus
@pytest.mark.tshark
def test_tshark_reads_an_opcode_out_of_ciphertext() -> None:
    """An encrypted 5-byte control PDU (1 byte of CtrData and the 4-byte MIC) that the
    sniffer could not decrypt: tshark shows opcode 0x78, which is ciphertext. Ours is
    `LlEncrypted` with the bytes kept."""
    frame, row, pkt = _frame_row_packet("bsniffhub_lesc_jw_fragments_ltk.pcap", 150)
    assert frame.sniffer is not None and frame.sniffer.mic_ok is False
    assert isinstance(pkt.pdu, LlEncrypted) and pkt.pdu.data[0] == 0x78
    assert num(row, "btle.control_opcode") == 0x78 and opcode_from_ciphertext(pkt, row)
    assert pkt.summary() == "encrypted control PDU 5 bytes, MIC failed"


@pytest.mark.corpus
@pytest.mark.tshark
def test_tshark_reads_addresses_from_pdus_their_type_does_not_fit() -> None:
    """A SCAN_REQ whose header claims 72 bytes (a SCAN_REQ has 12) and an ADV_IND of 3
    bytes (AdvA alone is 6), both with a failed CRC. tshark shows their addresses, the
    ADV_IND's read on into the CRC; we say Malformed and keep the bytes."""
    frame, row, pkt = _frame_row_packet("nrf3_hid_mouse.pcapng", 852)
    assert frame.sniffer is not None and frame.sniffer.crc_ok is False
    assert isinstance(pkt.pdu, Malformed) and "SCAN_REQ has 60 bytes more" in pkt.pdu.reason
    assert row["btle.advertising_address"] == "e2:e0:6b:31:00:54"
    assert fields_of_misfit_adv_pdu(pkt, row, frame)
    frame, row, pkt = _frame_row_packet("adafruit_nrf1_user10_adv.pcap", 273)
    assert isinstance(pkt.header, AdvHeader) and pkt.header.length == 3
    assert isinstance(pkt.pdu, Malformed) and "ends inside its adv_a" in pkt.pdu.reason
    assert row["btle.advertising_address"] == address_text(frame.payload[6:12]).lower()


@pytest.mark.corpus
@pytest.mark.tshark
def test_tshark_goes_on_after_a_field_not_after_the_ad_length() -> None:
    """An ADV_IND (CRC failed) starting with an Appearance structure of Length 2, one
    byte short. tshark reads the 2-byte appearance past it and the next structure one
    byte later than the Length puts it, so the two lists part after the first entry."""
    _, row, pkt = _frame_row_packet("nrf3_hid_mouse.pcapng", 131)
    items = ad_items(pkt.pdu)
    assert items is not None and isinstance(items[0], Malformed)
    assert items[0].raw == bytes.fromhex("02191a") and items[1] == ad_structures.TxPowerLevel(17)
    assert nums(row, "btcommon.eir_ad.entry.type") == [0x19, 0x11, 0x8F]
    assert ad_up_to_malformed(items, row) == (items[:1], True)


@pytest.mark.corpus
@pytest.mark.tshark
def test_tshark_ends_the_ad_list_when_its_mesh_dissector_fails() -> None:
    """A PB-ADV structure of 1 byte: tshark's mesh dissector runs out of bytes and the
    exception ends the AD list, so the Manufacturer Specific Data after it is missing."""
    _, row, pkt = _frame_row_packet("adafruit_nrf1_user10_adv.pcap", 2932)
    items = ad_items(pkt.pdu)
    assert items is not None and [ad_type_of(i) for i in items] == [0x29, 0xFF]
    assert isinstance(items[1], ManufacturerData) and items[1].company == "Apple, Inc."
    assert nums(row, "btcommon.eir_ad.entry.type") == [0x29] and row["_ws.malformed"]


# -- the corpus gives its bytes back -------------------------------------------------------


def _ad_consumed(data: bytes) -> int:
    """How many bytes the AD structures take before the padding."""
    pos = 0
    while pos < len(data) and data[pos]:
        pos += 1 + data[pos]
    return pos


@pytest.mark.corpus
@pytest.mark.parametrize("name", air_captures())
def test_corpus_round_trips(name: str) -> None:
    decoded = 0
    for frame in frames(name):
        pkt = decode_ll_frame(frame)
        if pkt is None:
            continue
        assert pkt.summary()
        assert msgspec.json.decode(msgspec.json.encode(pkt), type=LlPacket) == pkt
        if pkt.problem is None and pkt.header is not None:
            assert pkt.to_bytes() == frame.payload, frame.index
            decoded += 1
        items = ad_items(pkt.pdu)
        if items and not any(isinstance(i, Malformed) for i in items):
            data = pkt.pdu.adv_data if hasattr(pkt.pdu, "adv_data") else pkt.pdu.scan_rsp_data  # type: ignore[union-attr]
            joined = b"".join(i.to_bytes() for i in items if isinstance(i, AdStructure))
            assert joined == data[: _ad_consumed(data)], frame.index
    assert decoded


# -- examples ----------------------------------------------------------------------------------

ADV_IND_EMU1 = bytes.fromhex("40 0f 563412eeffc0 020106 0509454d5531")


def test_adv_ind_summary_and_record() -> None:
    pdu = decode_adv_pdu(ADV_IND_EMU1)
    assert isinstance(pdu, ll_adv.AdvInd) and pdu.adv_a == ll_adv.Address("C0:FF:EE:12:34:56", True)
    assert pdu.summary() == "ADV_IND AdvA C0:FF:EE:12:34:56 (random) name 'EMU1'"
    flags, name = pdu.ad_structures()
    assert isinstance(flags, ad_structures.Flags) and flags.names == [
        "LE General Discoverable Mode",
        "BR/EDR Not Supported",
    ]
    assert name == CompleteLocalName("EMU1") and pdu.to_bytes() == ADV_IND_EMU1
    doc = msgspec.json.decode(msgspec.json.encode(pdu))
    assert doc["type"] == "ll_adv_ind" and doc["adv_a"] == {
        "addr": "C0:FF:EE:12:34:56",
        "random": True,
    }


def test_names_are_text_never_markup_or_escapes() -> None:
    data = bytes([7, 0x09]) + b"\x1b[31m\xff"
    (item,) = parse_ad(data)
    assert isinstance(item, CompleteLocalName) and item.text == "\x1b[31m\ufffd"
    assert item.summary() == "name '\\x1b[31m\ufffd'"
    assert item.to_bytes() == data  # the invalid byte is kept in `raw`


def test_ll_version_ind_summary() -> None:
    pdu = decode_ll_control(bytes.fromhex("0c 0c 5900 3412"))
    assert isinstance(pdu, VersionInd)
    assert pdu.summary() == "LL_VERSION_IND 5.3 Nordic Semiconductor ASA subversion 0x1234"
    unknown = decode_ll_control(bytes.fromhex("0c 0c f0ff 3412"))
    assert isinstance(unknown, VersionInd) and "company 0xfff0" in unknown.summary()


def test_connect_ind_parameters() -> None:
    ll_data = bytes.fromhex("9393 9aaf 6d5a01 03 0900 1800 0000 4800 ffffffff1f a5")
    raw = bytes.fromhex("c5 22 6f1b3a4d8fe5 563412eeffc0") + ll_data
    pdu = decode_adv_pdu(raw)
    assert isinstance(pdu, ConnectInd) and pdu.to_bytes() == raw
    ll = pdu.ll_data
    assert (ll.aa, ll.crc_init, ll.win_size, ll.win_offset) == (0xAF9A9393, 0x015A6D, 3, 9)
    assert (ll.interval_us, ll.latency, ll.timeout_ms) == (30_000, 0, 720)
    assert (ll.win_size_us, ll.win_offset_us) == (3750, 11_250)
    assert ll.channels == list(range(37)) and (ll.hop, ll.sca, ll.sca_ppm) == (5, 5, (31, 50))
    assert pdu.init_a.random and pdu.adv_a.random and not pdu.ch_sel
    assert pdu.summary().startswith("CONNECT_IND InitA E5:8F:4D:3A:1B:6F (random) AdvA")


def test_extended_advertising_by_channel_and_kind() -> None:
    adv_a, adi, aux = bytes.fromhex("563412eeffc0"), bytes.fromhex("0110"), bytes.fromhex("0519 20")
    ext = bytes([0x01 | 0x08 | 0x10]) + adv_a + adi + aux
    payload = bytes([len(ext) | 0x40]) + ext + bytes.fromhex("0509454d5531")
    raw = bytes([0x47, len(payload)]) + payload
    pdu = decode_adv_pdu(raw, channel=37)
    assert isinstance(pdu, AdvExtInd) and pdu.to_bytes() == raw and pdu.adv_mode == 1
    assert pdu.adi == ll_adv.Adi(0x001, 1) and pdu.aux_ptr == AuxPtr(5, 0, 0, 25, 1)
    assert pdu.aux_ptr is not None and pdu.aux_ptr.offset_us == 750
    secondary = decode_adv_pdu(raw, channel=5)
    assert isinstance(secondary, ll_adv.AuxAdvInd) and secondary.to_bytes() == raw
    chain = decode_adv_pdu(raw, channel=5, aux_kind="AUX_CHAIN_IND")
    assert isinstance(chain, AuxChainInd) and "name 'EMU1'" in chain.summary()
    empty = bytes([0x07, 1, 0x00])  # extended header length 0: no flags octet at all
    bare = decode_adv_pdu(empty, channel=37)
    assert isinstance(bare, ExtendedAdvPdu) and bare.ext_flags is None and bare.to_bytes() == empty


def test_packet_split_coded_phy_and_length_mismatch() -> None:
    aa = (0x8E89BED6).to_bytes(4, "little")
    pkt = decode_ll_packet(aa + b"\x01" + ADV_IND_EMU1 + b"\xaa\xbb\xcc", None, 2, channel=38)
    assert pkt.advertising and pkt.ci == 1 and pkt.crc == b"\xaa\xbb\xcc" and pkt.problem is None
    assert pkt.to_bytes() == aa + b"\x01" + ADV_IND_EMU1 + b"\xaa\xbb\xcc"
    short = decode_ll_packet(aa + ADV_IND_EMU1[:-2] + b"\xaa\xbb\xcc", None, 0)
    assert short.problem is not None and "Length says 15 bytes, 13" in short.problem.reason


def test_data_header_and_fragments() -> None:
    aa = bytes.fromhex("17656550")
    pkt = decode_ll_packet(aa + bytes.fromhex("1e 06 0c0c59003412 112233"), None, 0)
    header = pkt.header
    assert isinstance(header, DataHeader)
    assert (header.llid, header.nesn, header.sn, header.md, header.length) == (2, 1, 1, True, 6)
    assert pkt.pdu == L2capFragment(True, bytes.fromhex("0c0c59003412"))
    empty = decode_ll_packet(aa + bytes.fromhex("01 00 112233"), False, 0)
    assert empty.summary() == "Empty PDU"
    raw = aa + bytes.fromhex("23 02 e2 02 13 112233")  # CP: CTEInfo after the Length
    cte = decode_ll_packet(raw, False, 0)
    assert isinstance(cte.header, DataHeader) and cte.header.cte_info == ll_adv.CteInfo(2, 1, 3)
    assert cte.pdu == ll_control.TerminateInd(0x13) and cte.to_bytes() == raw
    assert cte.summary() == "LL_TERMINATE_IND Remote User Terminated Connection (0x13)"
    assert decode_ll_packet(aa + b"\x03", None, 0).problem is not None


# -- hypothesis: any bytes in, records out; well-formed bytes come back ------------------------

CHANNELS = st.sampled_from([None, 0, 5, 36, 37, 38, 39])
AUX_KINDS = st.sampled_from([None, "AUX_ADV_IND", "AUX_SCAN_RSP", "AUX_SYNC_IND", "AUX_CHAIN_IND"])


def _check_record(record: object) -> None:
    assert record.summary()  # type: ignore[attr-defined]
    msgspec.json.encode(record)


@settings(max_examples=300)
@given(st.binary(max_size=300), CHANNELS)
def test_adv_decoder_takes_any_bytes(data: bytes, channel: int | None) -> None:
    pdu = decode_adv_pdu(data, channel=channel)
    assert isinstance(pdu, AdvPdu | Malformed)
    if isinstance(pdu, AdvPdu):
        _check_record(pdu)
        assert pdu.to_bytes() == data


@settings(max_examples=500)
@given(st.integers(0, 255), st.binary(max_size=255), CHANNELS, AUX_KINDS)
def test_adv_pdus_round_trip(first: int, payload: bytes, channel: int | None, kind: str) -> None:
    data = bytes([first, len(payload)]) + payload
    pdu = decode_adv_pdu(data, channel=channel, aux_kind=kind)  # type: ignore[arg-type]
    if isinstance(pdu, AdvPdu):
        _check_record(pdu)
        assert pdu.to_bytes() == data
        for item in ad_items(pdu) or []:
            assert isinstance(item, AdStructure | Malformed)
    else:
        assert first & 0x0F in (0, 1, 2, 3, 4, 5, 6, 7, 8)  # only defined types can misfit


@st.composite
def extended_payloads(draw: st.DrawFn) -> bytes:
    """A Common Extended Advertising Payload whose flags and fields agree."""
    if draw(st.booleans()):
        return bytes([draw(st.integers(0, 3)) << 6]) + draw(st.binary(max_size=200))
    flags = draw(st.integers(0, 255))
    sizes = (6, 6, 1, 2, 3, 18, 1)
    fields = b"".join(
        draw(st.binary(min_size=n, max_size=n)) for i, n in enumerate(sizes) if flags >> i & 1
    )
    acad = draw(st.binary(max_size=62 - len(fields)))
    ext = bytes([flags]) + fields + acad
    data = draw(st.binary(max_size=254 - len(ext)))
    return bytes([len(ext) | draw(st.integers(0, 3)) << 6]) + ext + data


@settings(max_examples=300)
@given(st.sampled_from([0x07, 0x08]), st.integers(0, 15), extended_payloads(), CHANNELS, AUX_KINDS)
def test_extended_pdus_round_trip(
    pdu_type: int, bits: int, payload: bytes, channel: int | None, kind: str
) -> None:
    data = bytes([pdu_type | bits << 4, len(payload)]) + payload
    pdu = decode_adv_pdu(data, channel=channel, aux_kind=kind)  # type: ignore[arg-type]
    assert isinstance(pdu, ExtendedAdvPdu), pdu
    _check_record(pdu)
    assert pdu.to_bytes() == data


CONTROL_SIZES = {
    cls: next(
        n for n in range(64) if not isinstance(decode_ll_control(bytes([op]) + bytes(n)), Malformed)
    )
    for op, cls in ll_control.CONTROL_PDUS.items()
}


def test_every_control_pdu_of_core_5_4_is_registered() -> None:
    assert sorted(ll_control.CONTROL_PDUS) == list(range(0x2B))
    assert (
        CONTROL_SIZES[ll_control.CisReq] == 35 and CONTROL_SIZES[ll_control.PeriodicSyncInd] == 34
    )
    assert (
        CONTROL_SIZES[ll_control.ConnectionParamReq] == 23
        and CONTROL_SIZES[ll_control.EncReq] == 22
    )


def _leaves(base: type) -> set[type]:
    subclasses = base.__subclasses__()
    return set().union(*map(_leaves, subclasses)) if subclasses else {base}


def test_every_ll_pdu_class_is_in_the_union_the_packet_record_declares() -> None:
    """The decoders return their base classes; the record's field names each class, so that
    msgspec can decode an exported packet back (and give its JSON Schema)."""
    declared = set(typing.get_args(AnyPdu))
    registered = {*ll_adv.PRIMARY_PDUS.values(), *ll_adv.SECONDARY_PDUS.values()}
    registered |= set(ll_control.CONTROL_PDUS.values())
    leaves = _leaves(ll_adv.AdvPdu) | _leaves(ll_control.LlControlPdu)
    assert registered <= declared and leaves <= declared, (registered | leaves) - declared


@settings(max_examples=500)
@given(st.data())
def test_control_pdus_round_trip(data: st.DataObject) -> None:
    cls = data.draw(st.sampled_from(sorted(CONTROL_SIZES, key=lambda c: c.opcode)))
    body = data.draw(st.binary(min_size=CONTROL_SIZES[cls], max_size=CONTROL_SIZES[cls]))
    raw = bytes([cls.opcode]) + body
    pdu = decode_ll_control(raw)
    assert type(pdu) is cls
    _check_record(pdu)
    assert pdu.to_bytes() == raw
    longer = decode_ll_control(raw + b"\x00")
    assert isinstance(longer, Malformed) and longer.raw == raw + b"\x00"


@settings(max_examples=300)
@given(st.binary(max_size=80))
def test_control_decoder_takes_any_bytes(data: bytes) -> None:
    pdu = decode_ll_control(data)
    if isinstance(pdu, Malformed):
        assert pdu.raw == data
    else:
        _check_record(pdu)
        assert pdu.to_bytes() == data


AD_CODES = st.sampled_from(
    sorted({*ad_structures.AD_CLASSES, *ad_structures.AD_TYPE_NAMES, 0x00, 0x77})
)


@settings(max_examples=500)
@given(st.lists(st.tuples(AD_CODES, st.binary(max_size=30)), max_size=6), st.binary(max_size=8))
def test_ad_structures_round_trip(entries: list[tuple[int, bytes]], tail: bytes) -> None:
    data = b"".join(bytes([len(body) + 1, code]) + body for code, body in entries)
    items = parse_ad(data + b"\x00" + tail)  # a zero Length ends the list: padding
    assert len(items) == len(entries)
    for (code, body), item in zip(entries, items, strict=True):
        assert ad_type_of(item) == code
        if isinstance(item, AdStructure):
            _check_record(item)
            assert item.to_bytes() == bytes([len(body) + 1, code]) + body
        else:
            assert item.raw == bytes([len(body) + 1, code]) + body


@settings(max_examples=300)
@given(st.binary(max_size=120))
def test_ad_parser_takes_any_bytes(data: bytes) -> None:
    items = parse_ad(data)
    for item in items:
        assert isinstance(item, AdStructure | Malformed)
        if isinstance(item, AdStructure):
            _check_record(item)
    if not any(isinstance(i, Malformed) for i in items):
        assert b"".join(i.to_bytes() for i in items) == data[: _ad_consumed(data)]  # type: ignore[union-attr]


@settings(max_examples=500)
@given(
    st.binary(max_size=300),
    st.sampled_from([None, True, False]),
    st.sampled_from([0, 1, 2]),
    st.booleans(),
    CHANNELS,
)
def test_packet_decoder_takes_any_bytes(
    data: bytes, advertising: bool | None, phy: int, encrypted: bool, channel: int | None
) -> None:
    pkt = decode_ll_packet(data, advertising, phy, channel=channel, encrypted=encrypted)
    _check_record(pkt)
    if pkt.problem is None and pkt.header is not None:
        assert pkt.to_bytes() == data


@settings(max_examples=500)
@given(
    st.binary(min_size=4, max_size=4),
    st.sampled_from([None, True, False]),
    st.sampled_from([0, 1, 2]),
    st.integers(0, 255),
    st.binary(max_size=255),
    st.booleans(),
)
def test_well_formed_packets_round_trip(
    aa: bytes, advertising: bool | None, phy: int, first: int, payload: bytes, encrypted: bool
) -> None:
    ci = b"\x01" if phy == 2 else b""
    cte = b"\x42" if first & 0x20 and advertising is False else b""
    data = aa + ci + bytes([first, len(payload)]) + cte + payload + b"\x12\x34\x56"
    pkt = decode_ll_packet(data, advertising, phy, encrypted=encrypted)
    _check_record(pkt)
    if advertising is False:
        assert pkt.problem is None and pkt.to_bytes() == data
        assert isinstance(
            pkt.pdu, LlControlPdu | L2capFragment | LlEncrypted | LlDataReserved | Malformed
        )
    if pkt.problem is None:
        assert pkt.to_bytes() == data
