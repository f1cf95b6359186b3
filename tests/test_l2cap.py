"""L2CAP headers and signalling: spec vectors, damaged input, hypothesis, and tshark.

The vectors are built by hand from the layouts of Core 5.4 Vol 3 Part A 3 and 4. The
tshark comparison takes every frame of the real captures (and the committed sample) that
carries one whole L2CAP PDU on a signalling channel, decodes it, and compares each field
tshark shows; `pytest -s` prints the counts per file. Frames whose L2CAP PDU tshark
reassembled from fragments are counted and left to the reassembly tests.
"""

from __future__ import annotations

import struct
import typing
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import pytest
from corpus import SAMPLES, manifest, need_corpus, tshark_fields
from hypothesis import given, settings
from hypothesis import strategies as st

from attscope.capture import Encap, Frame, HciType, open_capture
from attscope.capture.frame import LE_ADVERTISING_AA
from attscope.dissector.decoding.l2cap import (
    CID_ATT,
    CID_BREDR_SIGNALLING,
    CID_LE_SIGNALLING,
    L2capHeader,
    LeSduStart,
    cid_name,
    decode_l2cap,
    decode_sdu_start,
    encode_l2cap,
    psm_name,
)
from attscope.dissector.decoding.l2cap_signalling import (
    COMMANDS,
    CommandReject,
    ConfigurationRequest,
    ConfigurationResponse,
    ConnectionParameterUpdateRequest,
    ConnectionParameterUpdateResponse,
    ConnectionRequest,
    ConnectionResponse,
    CreditConnectionRequest,
    CreditConnectionResponse,
    CreditReconfigureRequest,
    CreditReconfigureResponse,
    DisconnectionRequest,
    DisconnectionResponse,
    EchoRequest,
    EchoResponse,
    FlowControlCreditInd,
    InformationRequest,
    InformationResponse,
    LeCreditConnectionRequest,
    LeCreditConnectionResponse,
    SignallingCommand,
    SignallingUnknown,
    config_options,
    decode_signalling,
    named,
)
from attscope.dissector.decoding.pdu import InvalidPdu, Malformed, TruncatedPdu

# -- spec vectors: (command bytes, LE channel?, record, summary) ------------------------------

VECTORS: list[tuple[str, bool, SignallingCommand, str]] = [
    (
        "01 01 0200 0000",
        False,
        CommandReject(1, 0x0000, b""),
        "Command Reject id 1 reason Command not understood (0x0000)",
    ),
    (
        "01 02 0400 0100 3000",
        True,
        CommandReject(2, 0x0001, b"\x30\x00"),
        "Command Reject id 2 reason Signalling MTU exceeded (0x0001) MTU 48",
    ),
    (
        "01 03 0600 0200 4000 4100",
        False,
        CommandReject(3, 0x0002, bytes.fromhex("40004100")),
        "Command Reject id 3 reason Invalid CID in request (0x0002)"
        " local CID 0x0040 remote CID 0x0041",
    ),
    (
        "02 04 0400 0100 4000",
        False,
        ConnectionRequest(4, 0x0001, 0x0040),
        "Connection Request id 4 PSM 0x0001 (SDP) SCID 0x0040",
    ),
    (
        "03 04 0800 b201 4000 0000 0000",
        False,
        ConnectionResponse(4, 0x01B2, 0x0040, 0, 0),
        "Connection Response id 4 DCID 0x01b2 SCID 0x0040 result Success (0x0000)"
        " status No further information (0x0000)",
    ),
    (
        "03 05 0800 0000 4100 0100 0200",
        False,
        ConnectionResponse(5, 0, 0x0041, 1, 2),
        "Connection Response id 5 DCID 0x0000 SCID 0x0041 result Pending (0x0001)"
        " status Authorization pending (0x0002)",
    ),
    (
        "04 f2 0800 4000 0000 0102a002",
        False,
        ConfigurationRequest(0xF2, 0x0040, 0, bytes.fromhex("0102a002")),
        "Configuration Request id 242 DCID 0x0040 flags 0x0000 options MTU 672",
    ),
    (
        "04 06 0400 4100 0100",
        False,
        ConfigurationRequest(6, 0x0041, 1, b""),
        "Configuration Request id 6 DCID 0x0041 flags 0x0001 (continuation)",
    ),
    (
        "05 f2 0a00 b201 0000 0000 0102a002",
        False,
        ConfigurationResponse(0xF2, 0x01B2, 0, 0, bytes.fromhex("0102a002")),
        "Configuration Response id 242 SCID 0x01b2 flags 0x0000 result Success (0x0000)"
        " options MTU 672",
    ),
    (
        "05 07 0600 4000 0000 0300",
        False,
        ConfigurationResponse(7, 0x0040, 0, 3, b""),
        "Configuration Response id 7 SCID 0x0040 flags 0x0000"
        " result Failure: unknown options (0x0003)",
    ),
    (
        "06 08 0400 4100 4000",
        False,
        DisconnectionRequest(8, 0x0041, 0x0040),
        "Disconnection Request id 8 DCID 0x0041 SCID 0x0040",
    ),
    (
        "07 08 0400 4100 4000",
        True,
        DisconnectionResponse(8, 0x0041, 0x0040),
        "Disconnection Response id 8 DCID 0x0041 SCID 0x0040",
    ),
    ("08 09 0000", False, EchoRequest(9, b""), "Echo Request id 9"),
    ("09 09 0300 616263", False, EchoResponse(9, b"abc"), "Echo Response id 9 data 616263"),
    (
        "0a 02 0200 0200",
        False,
        InformationRequest(2, 2),
        "Information Request id 2 type Extended features (0x0002)",
    ),
    (
        "0b 01 0600 0100 0000 a002",
        False,
        InformationResponse(1, 1, 0, b"\xa0\x02"),
        "Information Response id 1 type Connectionless MTU (0x0001) result Success (0x0000)"
        " MTU 672",
    ),
    (
        "0b 02 0800 0200 0000 b8020000",
        False,
        InformationResponse(2, 2, 0, bytes.fromhex("b8020000")),
        "Information Response id 2 type Extended features (0x0002) result Success (0x0000)"
        " features 0x000002b8",
    ),
    (
        "0b 03 0c00 0300 0000 8600000000000000",
        False,
        InformationResponse(3, 3, 0, bytes.fromhex("8600000000000000")),
        "Information Response id 3 type Fixed channels (0x0003) result Success (0x0000)"
        " channels 0x0000000000000086",
    ),
    (
        "0b 04 0400 0200 0100",
        False,
        InformationResponse(4, 2, 1, b""),
        "Information Response id 4 type Extended features (0x0002) result Not supported (0x0001)",
    ),
    (
        "12 03 0800 1800 2800 0000 f401",
        True,
        ConnectionParameterUpdateRequest(3, 24, 40, 0, 500),
        "Connection Parameter Update Request id 3 interval min 24 max 40 latency 0 timeout 500",
    ),
    (
        "13 03 0200 0000",
        True,
        ConnectionParameterUpdateResponse(3, 0),
        "Connection Parameter Update Response id 3 result Accepted (0x0000)",
    ),
    (
        "14 02 0a00 2700 4000 0002 f700 0a00",
        True,
        LeCreditConnectionRequest(2, 0x0027, 0x0040, 512, 247, 10),
        "LE Credit Based Connection Request id 2 PSM 0x0027 SCID 0x0040 MTU 512 MPS 247 credits 10",
    ),
    (
        "15 02 0a00 4100 0002 f700 0a00 0000",
        True,
        LeCreditConnectionResponse(2, 0x0041, 512, 247, 10, 0),
        "LE Credit Based Connection Response id 2 DCID 0x0041 MTU 512 MPS 247 credits 10"
        " result Success (0x0000)",
    ),
    (
        "15 03 0a00 0000 0000 0000 0000 0500",
        True,
        LeCreditConnectionResponse(3, 0, 0, 0, 0, 5),
        "LE Credit Based Connection Response id 3 DCID 0x0000 MTU 0 MPS 0 credits 0"
        " result Refused: insufficient authentication (0x0005)",
    ),
    (
        "16 04 0400 4000 0500",
        True,
        FlowControlCreditInd(4, 0x0040, 5),
        "Flow Control Credit Indication id 4 CID 0x0040 credits 5",
    ),
    (
        "17 05 0e00 2700 0002 f700 0a00 4000 4100 4200",
        True,
        CreditConnectionRequest(5, 0x0027, 512, 247, 10, (0x40, 0x41, 0x42)),
        "Credit Based Connection Request id 5 PSM 0x0027 MTU 512 MPS 247 credits 10"
        " SCIDs 0x0040 0x0041 0x0042",
    ),
    (
        "18 05 0e00 0002 f700 0a00 0400 5000 0000 5100",
        False,
        CreditConnectionResponse(5, 512, 247, 10, 4, (0x50, 0, 0x51)),
        "Credit Based Connection Response id 5 MTU 512 MPS 247 credits 10"
        " result Some refused: insufficient resources (0x0004) DCIDs 0x0050 0x0000 0x0051",
    ),
    (
        "19 06 0600 5802 f700 5000",
        True,
        CreditReconfigureRequest(6, 600, 247, (0x50,)),
        "Credit Based Reconfigure Request id 6 MTU 600 MPS 247 DCIDs 0x0050",
    ),
    (
        "1a 06 0200 0100",
        True,
        CreditReconfigureResponse(6, 1),
        "Credit Based Reconfigure Response id 6 result Failure: MTU reduction not allowed (0x0001)",
    ),
    (
        "0c 07 0500 0100 4000 01",
        False,
        SignallingUnknown(7, 0x0C, bytes.fromhex("0100400001")),
        "Reserved command 0x0c (was Create Channel Request) id 7 data 0100400001",
    ),
    (
        "1b 08 0000",
        True,
        SignallingUnknown(8, 0x1B, b""),
        "Reserved command 0x1b id 8",
    ),
]


def raw(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


@pytest.mark.parametrize(("text", "le", "record", "summary"), VECTORS)
def test_spec_vector(text: str, le: bool, record: SignallingCommand, summary: str) -> None:
    data = raw(text)
    assert decode_signalling(data, le) == [record]
    assert SignallingCommand.from_bytes(data) == record
    assert record.to_bytes() == data
    assert record.length == len(data) - 4
    assert record.code == data[0]
    assert record.summary() == summary
    if not isinstance(record, SignallingUnknown):
        assert (le and 0x0005 in record.ALLOWED_CIDS) or (not le and 0x0001 in record.ALLOWED_CIDS)
    encoded = msgspec.json.encode(record)
    assert msgspec.json.decode(encoded, type=type(record)) == record


def test_every_code_of_the_spec_has_a_class_with_its_own_tag() -> None:
    codes = set(range(0x01, 0x0C)) | set(range(0x12, 0x1B))
    assert set(COMMANDS) == codes
    assert {raw(text)[0] for text, _, record, _ in VECTORS} >= codes
    tags = [cls.__struct_config__.tag for cls in COMMANDS.values()]
    tags.append(SignallingUnknown.__struct_config__.tag)
    assert len(set(tags)) == len(tags)
    assert all(isinstance(t, str) and t.startswith("l2cap_") for t in tags)
    assert all(cls.__doc__ and "Part A 4." in cls.__doc__ for cls in COMMANDS.values())


def test_channels_each_command_is_allowed_on() -> None:
    le_only = {0x12, 0x13, 0x14, 0x15}
    bredr_only = set(range(0x02, 0x06)) | set(range(0x08, 0x0C))
    for code, cls in COMMANDS.items():
        allowed = cls.ALLOWED_CIDS
        assert allowed == ({5} if code in le_only else {1} if code in bredr_only else {1, 5})


def test_a_bredr_c_frame_carries_several_commands() -> None:
    data = raw("0a01 0200 0200" + "0a02 0200 0300" + "08 03 0000")
    assert decode_signalling(data, le=False) == [
        InformationRequest(1, 2),
        InformationRequest(2, 3),
        EchoRequest(3, b""),
    ]


def test_an_le_c_frame_carries_one_command() -> None:
    data = raw("13 03 0200 0000" + "13 04 0200 0000")
    first, extra = decode_signalling(data, le=True)
    assert first == ConnectionParameterUpdateResponse(3, 0)
    assert isinstance(extra, Malformed)
    assert extra.raw == data[6:]
    assert "one" in extra.reason


@pytest.mark.parametrize(
    ("text", "le", "kinds", "reason"),
    [
        ("", False, [Malformed], "without a command"),
        ("0a 01 02", False, [Malformed], "header cut short"),
        ("0a 01 0400 0200", False, [Malformed], "runs past"),
        ("0a 01 0300 020000", False, [Malformed], "1 bytes more"),
        ("0a 01 0100 02" + "0a 02 0200 0300", False, [Malformed, InformationRequest], "needs 2"),
        ("17 01 0900 2700 0002 f700 0a00 40", True, [Malformed], "not whole CIDs"),
        ("18 01 0600 0002 f700 0a00", True, [Malformed], "needs 8 bytes of data, has 6"),
        ("12 01 0200 0000" + "ff", True, [Malformed, Malformed], "needs 8 bytes of data, has 2"),
    ],
)
def test_damaged_signalling_is_data(text: str, le: bool, kinds: list[type], reason: str) -> None:
    data = raw(text)
    got = decode_signalling(data, le)
    assert [type(x) for x in got] == kinds
    assert reason in got[0].reason  # type: ignore[union-attr]
    assert b"".join(x.raw if isinstance(x, Malformed) else x.to_bytes() for x in got) == data


def test_cid_list_codec_alone_checks_its_size() -> None:
    with pytest.raises(TruncatedPdu, match="needs 8 bytes, has 0"):
        CreditConnectionRequest.decode_body(b"\x01")
    assert CreditReconfigureRequest.MIN_LENGTH == 4
    assert CreditConnectionResponse.MIN_LENGTH == 8
    assert LeCreditConnectionRequest.MIN_LENGTH == 10
    assert EchoRequest.MIN_LENGTH == 0


def test_from_bytes_wants_exactly_one_command() -> None:
    with pytest.raises(TruncatedPdu):
        SignallingCommand.from_bytes(b"\x0a\x01")
    with pytest.raises(InvalidPdu, match="command length 2, data 3"):
        SignallingCommand.from_bytes(raw("0a 01 0200 020000"))
    with pytest.raises(TruncatedPdu):
        SignallingCommand.from_bytes(raw("14 01 0200 2700"))


def test_configuration_options() -> None:
    options = raw("0102 a002" + "8202 ffff" + "0409 03 3f 00 d007 e02e 0002" + "0501 00")
    assert config_options(options) == [
        (0x01, b"\xa0\x02"),
        (0x82, b"\xff\xff"),
        (0x04, raw("033f00d007e02e0002")),
        (0x05, b"\x00"),
    ]
    text = ConfigurationRequest(1, 0x40, 0, options).summary()
    assert text.endswith(
        "options MTU 672, flush timeout 65535 (hint),"
        " retransmission and flow control 033f00d007e02e0002, FCS 00"
    )
    with pytest.raises(TruncatedPdu):
        config_options(raw("0102 a0"))
    assert "(malformed)" in ConfigurationRequest(1, 0x40, 0, raw("01")).summary()


def test_information_response_value_only_when_its_size_fits() -> None:
    assert InformationResponse(1, 1, 0, b"\xa0\x02").value == 672
    assert InformationResponse(1, 1, 0, b"\xa0").value is None
    assert InformationResponse(1, 9, 0, b"\xa0\x02").value is None
    assert "data a0" in InformationResponse(1, 1, 0, b"\xa0").summary()


def test_unknown_values_are_kept_and_named_reserved() -> None:
    record = decode_signalling(raw("03 01 0800 4000 4000 0500 0900"), le=False)[0]
    assert record == ConnectionResponse(1, 0x40, 0x40, 5, 9)
    assert "result Reserved (0x0005) status Reserved (0x0009)" in record.summary()
    assert named({1: "One"}, 1) == "One (0x0001)"
    reject = CommandReject(1, 0x0007, b"\x01")
    assert reject.summary() == "Command Reject id 1 reason Reserved (0x0007) data 01"


def test_long_data_is_shortened_in_the_summary_only() -> None:
    echo = EchoRequest(1, bytes(100))
    assert echo.summary().endswith("... (100 bytes)")
    assert decode_signalling(echo.to_bytes(), le=False) == [echo]


# -- the basic header and K-frames -----------------------------------------------------------


def test_basic_header() -> None:
    pdu = raw("0600 0500 13 03 0200 0000")
    header, payload = decode_l2cap(pdu)  # type: ignore[misc]
    assert header == L2capHeader(6, CID_LE_SIGNALLING)
    assert payload == pdu[4:]
    assert header.to_bytes() + payload == pdu == encode_l2cap(5, payload)
    assert L2capHeader.from_bytes(pdu[:4]) == header


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "needs 4 bytes, has 0"),
        ("0600 05", "needs 4 bytes, has 3"),
        ("0600 0500 1303", "ends 4 bytes short"),
        ("0100 0400 0a 0b", "1 bytes more"),
    ],
)
def test_header_and_length_that_disagree_are_malformed(text: str, reason: str) -> None:
    got = decode_l2cap(raw(text))
    assert isinstance(got, Malformed)
    assert reason in got.reason
    assert got.raw == raw(text)


def test_first_k_frame_sdu_length() -> None:
    assert decode_sdu_start(raw("0500 616263")) == LeSduStart(5, b"abc")
    assert LeSduStart(5, b"abc").to_bytes() == raw("0500 616263")
    assert decode_sdu_start(raw("0300 616263")) == LeSduStart(3, b"abc")
    too_long = decode_sdu_start(raw("0200 616263"))
    assert isinstance(too_long, Malformed)
    assert "3 bytes of a 2-byte SDU" in too_long.reason
    assert isinstance(decode_sdu_start(b"\x05"), Malformed)


def test_channel_and_psm_names() -> None:
    assert cid_name(CID_BREDR_SIGNALLING) == "BR/EDR signalling"
    assert cid_name(0x0002) == "connectionless"
    assert cid_name(CID_ATT) == "ATT"
    assert cid_name(0x0005) == "LE signalling"
    assert cid_name(0x0006) == "SMP"
    assert cid_name(0x0007) == "BR/EDR SMP"
    assert cid_name(0x0040) == cid_name(0x0080) == "dynamic"
    assert cid_name(0x0080, le=True) == cid_name(0x0008) == "reserved"
    assert [psm_name(p) for p in (0x01, 0x03, 0x1F, 0x23, 0x25, 0x27)] == [
        "SDP",
        "RFCOMM",
        "ATT",
        "IPSP",
        "OTS",
        "EATT",
    ]
    assert psm_name(0x0081, le=True) == psm_name(0x1001, le=False) == "dynamic"
    assert psm_name(0x0081) == psm_name(0x0101, le=True) == "unknown"


# -- hypothesis ------------------------------------------------------------------------------

U8S = st.integers(0, 0xFF)
U16S = st.integers(0, 0xFFFF)
UNKNOWN_CODES = st.sampled_from(sorted(set(range(256)) - set(COMMANDS)))


def record_of(cls: type[SignallingCommand]) -> st.SearchStrategy[SignallingCommand]:
    """Any record of `cls`: identifier a byte, ints 16 bits, bytes and CID lists short."""
    hints = typing.get_type_hints(cls)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name in cls.__struct_fields__:
        kind = hints[name]
        if name == "identifier":
            fields[name] = U8S
        elif kind is bytes:
            fields[name] = st.binary(max_size=40)
        elif kind == tuple[int, ...]:
            fields[name] = st.lists(U16S, max_size=6).map(tuple)
        else:
            fields[name] = U16S
    return st.builds(cls, **fields)


RECORDS = st.one_of(
    *(record_of(cls) for cls in COMMANDS.values()),
    st.builds(SignallingUnknown, U8S, UNKNOWN_CODES, st.binary(max_size=40)),
)


@settings(max_examples=400)
@given(record=RECORDS, le=st.booleans())
def test_well_formed_commands_round_trip(record: SignallingCommand, le: bool) -> None:
    data = record.to_bytes()
    assert decode_signalling(data, le) == [record]
    assert SignallingCommand.from_bytes(data) == record
    assert record.length == len(data) - 4
    assert isinstance(record.summary(), str)


@given(records=st.lists(RECORDS, min_size=1, max_size=5))
def test_bredr_c_frame_of_several_commands_round_trips(records: list[SignallingCommand]) -> None:
    data = b"".join(r.to_bytes() for r in records)
    assert decode_signalling(data, le=False) == records
    header, payload = decode_l2cap(encode_l2cap(CID_BREDR_SIGNALLING, data))  # type: ignore[misc]
    assert header.cid == CID_BREDR_SIGNALLING and payload == data


@settings(max_examples=600)
@given(data=st.binary(max_size=80), le=st.booleans())
def test_any_bytes_decode_without_raising_and_give_themselves_back(data: bytes, le: bool) -> None:
    got = decode_signalling(data, le)
    assert got
    assert b"".join(x.raw if isinstance(x, Malformed) else x.to_bytes() for x in got) == data
    for x in got:
        assert isinstance(x.summary() if not isinstance(x, Malformed) else x.reason, str)
    if le:
        assert sum(not isinstance(x, Malformed) for x in got) <= 1


@given(data=st.binary(max_size=40))
def test_any_bytes_as_l2cap_pdu_or_k_frame(data: bytes) -> None:
    got = decode_l2cap(data)
    if not isinstance(got, Malformed):
        header, payload = got
        assert header.to_bytes() + payload == data
    start = decode_sdu_start(data)
    if not isinstance(start, Malformed):
        assert start.to_bytes() == data


@given(prefix=st.binary(max_size=20), cid=U16S, payload=st.binary(max_size=40))
def test_encoded_l2cap_pdu_decodes(prefix: bytes, cid: int, payload: bytes) -> None:
    assert decode_l2cap(encode_l2cap(cid, payload)) == (L2capHeader(len(payload), cid), payload)


# -- tshark agreement on the real captures ---------------------------------------------------

FILTER = "btl2cap.cid == 0x0001 || btl2cap.cid == 0x0005"
_TS_FIELDS = """
    btl2cap.length btl2cap.cid btl2cap.cmd_code btl2cap.cmd_ident btl2cap.cmd_length
    btl2cap.rej_reason btl2cap.sig_mtu btl2cap.psm btl2cap.le_psm btl2cap.scid btl2cap.dcid
    btl2cap.result btl2cap.status btl2cap.conf_result btl2cap.flags.continuation
    btl2cap.option_type btl2cap.option_mtu btl2cap.info_type btl2cap.info_result
    btl2cap.info_mtu btl2cap.min_interval btl2cap.max_interval btl2cap.slave_latency
    btl2cap.timeout_multiplier btl2cap.move_result btl2cap.mps btl2cap.initial_credits
    btl2cap.credits btl2cap.le_result
"""
TS_FIELDS = _TS_FIELDS.split()
ACL_START = {0b00, 0b10, 0b11}  # packet boundary flag: first (non-)flushable, complete
LLID_START = 2  # LL data PDU: start of an L2CAP message, or a complete one
View = dict[str, list[int]]


def tshark_view(
    header: L2capHeader, items: list[SignallingCommand | Malformed]
) -> tuple[View, set[str]]:
    """The values tshark 4.0 shows for these commands, field by field, in its order, and
    the fields it also fills from its connection tracking (not compared)."""
    v: defaultdict[str, list[int]] = defaultdict(list)
    stateful: set[str] = set()
    v["btl2cap.length"].append(header.length)
    v["btl2cap.cid"].append(header.cid)

    def add(**fields: int) -> None:
        for name, value in fields.items():
            v[f"btl2cap.{name}"].append(value)

    for c in items:
        if isinstance(c, Malformed):
            if len(c.raw) >= 4:
                code, ident, length = struct.unpack_from("<BBH", c.raw)
                add(cmd_code=code, cmd_ident=ident, cmd_length=length)
            continue
        add(cmd_code=c.code, cmd_ident=c.identifier, cmd_length=c.length)
        match c:
            case CommandReject(reason=reason, data=data):
                add(rej_reason=reason)
                if reason == 1 and len(data) >= 2:
                    add(sig_mtu=int.from_bytes(data[:2], "little"))
                if reason == 2 and len(data) >= 4:
                    add(scid=int.from_bytes(data[:2], "little"))
                    add(dcid=int.from_bytes(data[2:4], "little"))
            case ConnectionRequest():
                add(psm=c.psm, scid=c.source_cid)
            case ConnectionResponse():
                add(dcid=c.destination_cid, scid=c.source_cid, result=c.result, status=c.status)
            case ConfigurationRequest() | ConfigurationResponse():
                if isinstance(c, ConfigurationRequest):
                    add(dcid=c.destination_cid)
                else:
                    add(scid=c.source_cid)
                v["btl2cap.flags.continuation"].append(int(c.continuation))
                if isinstance(c, ConfigurationResponse):
                    add(conf_result=c.result)
                for kind, value in config_options(c.options):
                    add(option_type=kind)
                    if kind == 0x01:
                        add(option_mtu=int.from_bytes(value, "little"))
                    if kind == 0x04 and len(value) == 9:  # retransmission and flow control
                        add(mps=int.from_bytes(value[7:9], "little"))
            case DisconnectionRequest() | DisconnectionResponse():
                add(dcid=c.destination_cid, scid=c.source_cid)
                stateful.add("btl2cap.psm")  # the channel's PSM, from its connection request
            case InformationRequest():
                add(info_type=c.info_type)
            case InformationResponse():
                add(info_type=c.info_type, info_result=c.result)
                if c.info_type == 1 and c.value is not None:
                    add(info_mtu=c.value)
            case ConnectionParameterUpdateRequest():
                add(min_interval=c.interval_min, max_interval=c.interval_max)
                add(slave_latency=c.latency, timeout_multiplier=c.timeout)
            case ConnectionParameterUpdateResponse():
                add(move_result=c.result)  # tshark 4.0 files this result under move_result
            case LeCreditConnectionRequest():
                add(le_psm=c.spsm)
                if c.spsm < 0x80:
                    add(psm=c.spsm)  # a generated copy
                add(
                    scid=c.source_cid,
                    option_mtu=c.mtu,
                    mps=c.mps,
                    initial_credits=c.initial_credits,
                )
            case LeCreditConnectionResponse():
                add(dcid=c.destination_cid, option_mtu=c.mtu, mps=c.mps)
                add(initial_credits=c.initial_credits, le_result=c.result)
            case FlowControlCreditInd():
                add(cid=c.cid, credits=c.credits)
            case _:
                pass  # tshark 4.0 decodes none of the other fields we compare
    return dict(v), stateful


def parse_tshark(text: str) -> list[int]:
    """tshark's values of one field ("0x0040,0x0041", "672", "False") as numbers."""
    bools = {"True": 1, "False": 0}
    return [bools[x] if x in bools else int(x, 0) for x in text.split(",")] if text else []


def carried_l2cap(frame: Frame) -> tuple[str, bytes]:
    """What L2CAP a frame carries: ("whole", PDU), ("fragment", b"") or ("none", b"")."""
    p = frame.payload
    if frame.encap == Encap.HCI and frame.hci_type == HciType.ACL and len(p) >= 4:
        flags_handle, length = struct.unpack_from("<HH", p)
        if length != len(p) - 4:
            return "none", b""
        if (flags_handle >> 12) & 3 not in ACL_START:
            return "fragment", b""
        l2 = p[4:]
    elif frame.encap == Encap.LE_LL and frame.problem is None and len(p) >= 9:
        s = frame.sniffer
        if int.from_bytes(p[:4], "little") == LE_ADVERTISING_AA:
            return "none", b""
        if s is not None and (s.crc_ok is False or (s.encrypted and not s.decrypted)):
            return "none", b""
        at = 4 + (1 if s is not None and s.phy == 2 else 0)
        llid, length = p[at] & 3, p[at + 1]
        if llid == 1 and length:
            return "fragment", b""
        if llid != LLID_START or at + 2 + length + 3 != len(p):
            return "none", b""
        l2 = p[at + 2 : at + 2 + length]
    else:
        return "none", b""
    if len(l2) >= 4 and struct.unpack_from("<H", l2)[0] > len(l2) - 4:
        return "fragment", b""
    return "whole", l2


@dataclass
class Agreement:
    name: str
    frames: int = 0
    commands: int = 0
    codes: Counter[int] = field(default_factory=Counter)
    fields: Counter[str] = field(default_factory=Counter)
    reassembled: int = 0  # frames where tshark shows an L2CAP PDU it reassembled
    stateful: Counter[str] = field(default_factory=Counter)  # fields left out, by frames
    ours_only: list[int] = field(default_factory=list)
    tshark_only: list[int] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)
    malformed: int = 0

    def line(self) -> str:
        codes = " ".join(f"0x{c:02x}:{n}" for c, n in sorted(self.codes.items()))
        return (
            f"{self.name}: {self.frames} frames, {self.commands} commands ({codes}),"
            f" {sum(self.fields.values())} field values agree, {self.reassembled} reassembled"
            f" by tshark skipped, {sum(self.stateful.values())} stateful values not compared,"
            f" {len(self.differences)} differ"
        )


def sources() -> list[str]:
    return [row["file"] for row in manifest()] + ["<sample> heart_rate.btsnoop"]


def path_of(name: str) -> Path:
    if name.startswith("<sample> "):
        return SAMPLES / name.removeprefix("<sample> ")
    return need_corpus(name)


@cache
def agreement(name: str) -> Agreement:
    path = path_of(name)
    agree = Agreement(name)
    ours: dict[int, tuple[View, set[str]]] = {}
    fragments: set[int] = set()
    for frame in open_capture(path):
        kind, pdu = carried_l2cap(frame)
        if kind == "fragment":
            fragments.add(frame.index)
        if kind != "whole":
            continue
        got = decode_l2cap(pdu)
        if isinstance(got, Malformed):
            continue
        header, payload = got
        if header.cid not in (CID_BREDR_SIGNALLING, CID_LE_SIGNALLING):
            continue
        items = decode_signalling(payload, le=header.cid == CID_LE_SIGNALLING)
        agree.malformed += sum(isinstance(x, Malformed) for x in items)
        for x in items:
            if not isinstance(x, Malformed):
                agree.codes[x.code] += 1
        agree.commands += len(items)
        ours[frame.index] = tshark_view(header, items)
    rows = tshark_fields(path, ["frame.number", *TS_FIELDS], "-Y", FILTER)
    theirs = {int(r[0]): dict(zip(TS_FIELDS, map(parse_tshark, r[1:]), strict=True)) for r in rows}
    for n, view in theirs.items():
        if n not in ours:
            if n in fragments:
                agree.reassembled += 1
            else:
                agree.tshark_only.append(n)
            continue
        agree.frames += 1
        mine_all, stateful = ours[n]
        for f in TS_FIELDS:
            if f in stateful:
                agree.stateful[f] += 1
                continue
            mine = mine_all.get(f, [])
            if mine == view[f]:
                agree.fields[f] += len(mine)
            elif len(agree.differences) < 12:
                agree.differences.append(f"frame {n} {f}: ours {mine}, tshark {view[f]}")
    agree.ours_only = sorted(set(ours) - set(theirs))
    return agree


@pytest.mark.corpus
@pytest.mark.tshark
@pytest.mark.parametrize("name", sources())
def test_signalling_agrees_with_tshark(name: str) -> None:
    agree = agreement(name)
    print(agree.line())
    assert not agree.differences, "\n".join(agree.differences)
    assert not agree.ours_only, f"{name}: tshark shows no signalling in frames {agree.ours_only}"
    assert not agree.tshark_only, f"{name}: frames {agree.tshark_only} not compared"
    assert agree.malformed == 0


@pytest.mark.corpus
@pytest.mark.tshark
def test_corpus_signalling_coverage() -> None:
    """The comparison is not vacuous: the corpus holds signalling on both channels."""
    names = [row["file"] for row in manifest()]
    need_corpus()
    total = Counter[int]()
    for name in names:
        total += agreement(name).codes
    frames = sum(agreement(name).frames for name in names)
    print(f"corpus: {frames} signalling frames compared, commands by code {dict(total)}")
    assert frames >= 100
    assert {0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0A, 0x0B, 0x12, 0x13} <= set(total)
