"""ATT PDUs: byte vectors built from Core 5.4 Vol 3 Part F 3.4 for every opcode, malformed
input, the opcode helpers, hypothesis round trips, and agreement with tshark (a btsnoop
written here, and every ATT PDU of the shared corpus)."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import msgspec
import pytest
from corpus import (
    corpus_files,
    need_corpus,
    need_tshark,
    tshark_fields,
    tshark_pdus,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from attscope.capture import Direction, Encap, Frame, HciType, write_capture
from attscope.dissector.decoding.att_errors import AttError, error_name, is_reserved_error
from attscope.dissector.decoding.att_pdus import (
    ATT_PDUS,
    AttOpcode,
    AttPdu,
    AttUnknown,
    ErrorResponse,
    ExchangeMtuRequest,
    ExchangeMtuResponse,
    ExecuteWriteRequest,
    ExecuteWriteResponse,
    FindByTypeValueRequest,
    FindByTypeValueResponse,
    FindInformationRequest,
    FindInformationResponse,
    GroupValue,
    HandleRange,
    HandleUuid,
    HandleValue,
    HandleValueConfirmation,
    HandleValueIndication,
    HandleValueNotification,
    LengthValue,
    MultipleHandleValueNotification,
    PrepareWriteRequest,
    PrepareWriteResponse,
    ReadBlobRequest,
    ReadBlobResponse,
    ReadByGroupTypeRequest,
    ReadByGroupTypeResponse,
    ReadByTypeRequest,
    ReadByTypeResponse,
    ReadMultipleRequest,
    ReadMultipleResponse,
    ReadMultipleVariableRequest,
    ReadMultipleVariableResponse,
    ReadRequest,
    ReadResponse,
    SignedWriteCommand,
    WriteCommand,
    WriteRequest,
    WriteResponse,
    decode_att,
    has_auth_signature,
    is_command,
    is_request,
    is_response,
    method,
    opcode_name,
    request_for,
    response_for,
)
from attscope.dissector.decoding.pdu import REST, UUID, Fixed, Int, Malformed, uuid_text

UUID128 = "0000fee0-0000-1000-8000-00805f9b34fb"
UUID128_WIRE = "fb349b5f80000080001000 00e0fe0000".replace(" ", "")
SIG = bytes(range(1, 13))

# (bytes as hex, the record they are) for every opcode, laid out from the spec's tables
VECTORS: list[tuple[str, AttPdu]] = [
    ("01 0a 0300 0a", ErrorResponse(0x0A, 0x0003, 0x0A)),
    ("01 12 2a00 80", ErrorResponse(0x12, 0x002A, 0x80)),
    ("02 0502", ExchangeMtuRequest(517)),
    ("03 f700", ExchangeMtuResponse(247)),
    ("04 0100 ffff", FindInformationRequest(0x0001, 0xFFFF)),
    (
        "05 01 0100 0028 0200 0328 0300 002a",
        FindInformationResponse(
            1, (HandleUuid(1, "2800"), HandleUuid(2, "2803"), HandleUuid(3, "2a00"))
        ),
    ),
    ("05 02 1000" + UUID128_WIRE, FindInformationResponse(2, (HandleUuid(0x10, UUID128),))),
    ("06 0100 ffff 0028 0d18", FindByTypeValueRequest(1, 0xFFFF, 0x2800, b"\x0d\x18")),
    (
        "07 1000 1700 2000 ffff",
        FindByTypeValueResponse((HandleRange(0x10, 0x17), HandleRange(0x20, 0xFFFF))),
    ),
    ("08 0100 ffff 0328", ReadByTypeRequest(1, 0xFFFF, "2803")),
    ("08 0100 ffff" + UUID128_WIRE, ReadByTypeRequest(1, 0xFFFF, UUID128)),
    (
        "09 07 0200 020300002a 0400 020500012a",
        ReadByTypeResponse(
            7,
            (
                HandleValue(2, bytes.fromhex("020300002a")),
                HandleValue(4, bytes.fromhex("020500012a")),
            ),
        ),
    ),
    ("09 02 0500 0600", ReadByTypeResponse(2, (HandleValue(5, b""), HandleValue(6, b"")))),
    ("0a 0300", ReadRequest(3)),
    ("0b 4865617274", ReadResponse(b"Heart")),
    ("0b", ReadResponse(b"")),
    ("0c 0300 1600", ReadBlobRequest(3, 22)),
    ("0d 0102", ReadBlobResponse(b"\x01\x02")),
    ("0e 0300 0500 0700", ReadMultipleRequest((3, 5, 7))),
    ("0f 01020304", ReadMultipleResponse(b"\x01\x02\x03\x04")),
    ("10 0100 ffff 0028", ReadByGroupTypeRequest(1, 0xFFFF, "2800")),
    (
        "11 06 0100 0500 0018 0600 0900 0d18",
        ReadByGroupTypeResponse(6, (GroupValue(1, 5, b"\x00\x18"), GroupValue(6, 9, b"\x0d\x18"))),
    ),
    (
        "11 14 1000 1a00" + UUID128_WIRE,
        ReadByGroupTypeResponse(20, (GroupValue(0x10, 0x1A, bytes.fromhex(UUID128_WIRE)),)),
    ),
    ("12 1300 0100", WriteRequest(0x13, b"\x01\x00")),
    ("13", WriteResponse()),
    ("16 2000 0000 41424344", PrepareWriteRequest(0x20, 0, b"ABCD")),
    ("17 2000 1200 4142", PrepareWriteResponse(0x20, 18, b"AB")),
    ("18 01", ExecuteWriteRequest(1)),
    ("18 00", ExecuteWriteRequest(0)),
    ("19", ExecuteWriteResponse()),
    ("1b 1200 0648", HandleValueNotification(0x12, b"\x06\x48")),
    ("1d 0900 0100", HandleValueIndication(9, b"\x01\x00")),
    ("1e", HandleValueConfirmation()),
    ("20 0300 0500", ReadMultipleVariableRequest((3, 5))),
    (
        "21 0200 0648 0000 0100 01",
        ReadMultipleVariableResponse(
            (LengthValue(2, b"\x06\x48"), LengthValue(0, b""), LengthValue(1, b"\x01"))
        ),
    ),
    (
        "21 0200 0648 0500 0102",
        ReadMultipleVariableResponse((LengthValue(2, b"\x06\x48"), LengthValue(5, b"\x01\x02"))),
    ),
    (
        "23 1200 0200 0648 1500 0000",
        MultipleHandleValueNotification((HandleValue(0x12, b"\x06\x48"), HandleValue(0x15, b""))),
    ),
    ("52 1300 0100", WriteCommand(0x13, b"\x01\x00")),
    ("d2 1300 01" + SIG.hex(), SignedWriteCommand(0x13, b"\x01", SIG)),
    ("d2 1300" + SIG.hex(), SignedWriteCommand(0x13, b"", SIG)),
]


@pytest.mark.parametrize(
    ("text", "pdu"), VECTORS, ids=[f"{v[0][:2]}-{i}" for i, v in enumerate(VECTORS)]
)
def test_known_vectors(text: str, pdu: AttPdu) -> None:
    data = bytes.fromhex(text.replace(" ", ""))
    assert decode_att(data) == pdu
    assert pdu.to_bytes() == data
    assert type(pdu).from_bytes(data) == pdu
    assert data[0] == pdu.opcode


def test_every_opcode_has_a_vector_and_a_class() -> None:
    assert {v[1].opcode for v in VECTORS} == set(ATT_PDUS) == {int(op) for op in AttOpcode}
    tags = [cls.__struct_config__.tag for cls in ATT_PDUS.values()]
    assert len(set(tags)) == len(tags)
    assert all(isinstance(tag, str) and tag.startswith("att_") for tag in tags)


SUMMARIES = [
    ("0a 0300", "Read Request handle 0x0003"),
    ("1b 1200 0648", "Handle Value Notification handle 0x0012 value 06 48"),
    ("01 0a 0300 0a", "Error Response to Read Request handle 0x0003: Attribute Not Found (0x0a)"),
    ("01 12 2a00 80", "Error Response to Write Request handle 0x002a: Application Error 0x80"),
    ("02 0502", "Exchange MTU Request client RX MTU 517"),
    ("18 01", "Execute Write Request flags 0x01 (write all prepared values)"),
    ("13", "Write Response"),
    ("05 01 0100 0028", "Find Information Response format 1 entries 0x0001: 0x2800"),
    ("21 0200 0648 0500 0102", "Read Multiple Variable Response entries 06 48, 01 02 (cut)"),
    ("3f 0102", "Unknown ATT PDU 0x3f params 01 02"),
    ("7f", "Unknown ATT command 0x7f"),
]


@pytest.mark.parametrize(("text", "line"), SUMMARIES)
def test_summary(text: str, line: str) -> None:
    pdu = decode_att(bytes.fromhex(text.replace(" ", "")))
    assert isinstance(pdu, AttPdu)
    assert pdu.summary() == line


def test_long_value_summary_is_cut() -> None:
    pdu = decode_att(b"\x1b\x12\x00" + bytes(100))
    assert isinstance(pdu, AttPdu)
    assert pdu.summary().endswith("... (100 bytes)")


MALFORMED = [
    ("", "empty"),
    ("0a", "needs 2 bytes"),
    ("0a 0300 00", "more than its fields"),
    ("13 00", "more than its fields"),
    ("01 0a 03", "needs 4 bytes"),
    ("05", "format byte"),
    ("05 03 0100 0028", "neither 1 nor 2"),
    ("05 01", "no list"),
    ("05 01 0100 00", "no list"),
    ("05 02 0100 0028", "no list"),
    ("07", "no list"),
    ("07 0100 02", "no list"),
    ("08 0100 ffff 00000028", "not a 2- or 16-byte UUID"),
    ("08 0100 ffff 00", "UUID"),
    ("09", "missing"),
    ("09 00", "under 2"),
    ("09 01 0100", "under 2"),
    ("09 04", "no list"),
    ("09 04 0100 0203 04", "no list"),
    ("0e 0300", "two or more"),
    ("0e 0300 05", "two or more"),
    ("10 0100 ffff 00", "UUID"),
    ("11 03 0100 0200 00", "under 4"),
    ("11 06 0100 0500 0018 06", "no list"),
    ("18", "needs 1 bytes"),
    ("20", "two or more"),
    ("21", "no length-value tuple"),
    ("21 0100 01 02", "ends in a length"),
    ("23", "no tuple"),
    ("23 1200 02", "ends in a tuple"),
    ("23 1200 0300 0102", "needs 3 bytes, has 2"),
    ("23 1200 0100 01 1300", "ends in a tuple"),
    ("d2 1300 0102030405060708090a0b", "needs 14 bytes"),
]


@pytest.mark.parametrize(("text", "why"), MALFORMED)
def test_malformed(text: str, why: str) -> None:
    data = bytes.fromhex(text.replace(" ", ""))
    out = decode_att(data)
    assert isinstance(out, Malformed), out
    assert out.layer == "att"
    assert out.raw == data
    assert why in out.reason
    if data:
        assert out.reason.startswith(opcode_name(data[0]) + ": ")


def test_unknown_opcode_is_kept() -> None:
    out = decode_att(b"\x3f\x01\x02")
    assert out == AttUnknown(0x3F, b"\x01\x02")
    assert isinstance(out, AttUnknown)
    assert out.to_bytes() == b"\x3f\x01\x02"
    assert out.name == "ATT_0x3F"
    assert AttUnknown.from_bytes(b"\x3f\x01\x02") == out


def test_json_keeps_the_tag() -> None:
    pdu = ReadByTypeResponse(4, (HandleValue(2, b"\x01\x02"),))
    encoded = msgspec.json.encode(pdu)
    assert encoded.startswith(b'{"type":"att_read_by_type_rsp"')
    assert msgspec.json.decode(encoded, type=ReadByTypeResponse) == pdu


# -- opcode helpers ----------------------------------------------------------------------


def test_opcode_kinds() -> None:
    requests = {op for op in AttOpcode if op.name.endswith("_REQ")}
    responses = {op for op in AttOpcode if op.name.endswith("_RSP")}
    for op in range(256):
        assert is_request(op) == (op in requests)
        assert is_response(op) == (op in responses)
    for req in requests:
        rsp = response_for(req)
        assert rsp in responses
        assert AttOpcode(rsp).name == AttOpcode(req).name.replace("_REQ", "_RSP")
        assert request_for(rsp) == req
    with pytest.raises(ValueError):
        response_for(AttOpcode.HANDLE_VALUE_IND)
    with pytest.raises(ValueError):
        request_for(AttOpcode.ERROR_RSP)


def test_opcode_bits() -> None:
    assert is_command(0x52) and not has_auth_signature(0x52) and method(0x52) == 0x12
    assert is_command(0xD2) and has_auth_signature(0xD2) and method(0xD2) == 0x12
    commands = {op for op in AttOpcode if is_command(op)}
    assert commands == {AttOpcode.WRITE_CMD, AttOpcode.SIGNED_WRITE_CMD}
    assert ReadRequest.name == "ATT_READ_REQ" and ReadRequest.title == "Read Request"
    assert MultipleHandleValueNotification.name == "ATT_MULTIPLE_HANDLE_VALUE_NTF"


def test_error_names() -> None:
    assert error_name(0x0A) == "Attribute Not Found"
    assert error_name(AttError.DATABASE_OUT_OF_SYNC) == "Database Out Of Sync"
    assert error_name(0x13) == "Value Not Allowed"
    assert error_name(0x80) == "Application Error 0x80"
    assert error_name(0x9F) == "Application Error 0x9f"
    assert error_name(0xA0) == "Reserved 0xa0"
    assert error_name(0x14) == "Reserved 0x14"
    assert error_name(0x00) == "Reserved 0x00"
    assert error_name(0xE0) == "Reserved Common Profile Error 0xe0"
    assert error_name(0xFD).startswith("Client Characteristic Configuration Descriptor")
    assert error_name(0xFF) == "Out of Range"
    assert all(error_name(code) for code in range(256))
    assert is_reserved_error(0x14) and not is_reserved_error(0x81) and not is_reserved_error(0xFC)
    assert ErrorResponse(0x0A, 3, 0x0A).error_name == "Attribute Not Found"


# -- hypothesis --------------------------------------------------------------------------

u16 = st.integers(0, 0xFFFF)
values = st.binary(max_size=40)
uuids = st.one_of(st.binary(min_size=2, max_size=2), st.binary(min_size=16, max_size=16)).map(
    uuid_text
)


def _compiled(cls: type[AttPdu]) -> st.SearchStrategy[AttPdu]:
    """Random valid field values for a class compiled from its field declarations."""
    fields = []
    for name, hint in typing.get_type_hints(cls, include_extras=True).items():
        if name not in cls.__struct_fields__:
            continue
        codec = hint.__metadata__[0]
        if isinstance(codec, Int):
            low = -(1 << (8 * codec.size - 1)) if codec.fmt == "b" else 0
            fields.append(st.integers(low, low + (1 << (8 * codec.size)) - 1))
        elif isinstance(codec, Fixed):
            fields.append(st.binary(min_size=codec.size, max_size=codec.size))
        elif codec is REST:
            fields.append(values)
        else:
            assert codec is UUID
            fields.append(uuids)
    return st.tuples(*fields).map(lambda args: cls(*args))


@st.composite
def _read_by_type_rsp(draw: st.DrawFn) -> ReadByTypeResponse:
    size = draw(st.integers(0, 30))
    entries = st.builds(HandleValue, u16, st.binary(min_size=size, max_size=size))
    return ReadByTypeResponse(size + 2, tuple(draw(st.lists(entries, min_size=1, max_size=8))))


@st.composite
def _read_by_group_type_rsp(draw: st.DrawFn) -> ReadByGroupTypeResponse:
    size = draw(st.integers(0, 30))
    entries = st.builds(GroupValue, u16, u16, st.binary(min_size=size, max_size=size))
    return ReadByGroupTypeResponse(size + 4, tuple(draw(st.lists(entries, min_size=1, max_size=8))))


@st.composite
def _find_information_rsp(draw: st.DrawFn) -> FindInformationResponse:
    fmt = draw(st.sampled_from([1, 2]))
    size = 2 if fmt == 1 else 16
    uuid = st.binary(min_size=size, max_size=size).map(uuid_text)
    entries = draw(st.lists(st.builds(HandleUuid, u16, uuid), min_size=1, max_size=8))
    return FindInformationResponse(fmt, tuple(entries))


@st.composite
def _read_multiple_variable_rsp(draw: st.DrawFn) -> ReadMultipleVariableResponse:
    entries = [LengthValue(len(v), v) for v in draw(st.lists(values, min_size=1, max_size=6))]
    cut = draw(st.integers(0, 100))  # the list may have been cut inside the last value
    entries[-1] = LengthValue(entries[-1].length + cut, entries[-1].value)
    return ReadMultipleVariableResponse(tuple(entries))


HANDLES = st.lists(u16, min_size=2, max_size=12).map(tuple)
HAND_CODED: dict[type[AttPdu], st.SearchStrategy[Any]] = {
    FindInformationResponse: _find_information_rsp(),
    FindByTypeValueResponse: st.lists(st.builds(HandleRange, u16, u16), min_size=1).map(
        lambda e: FindByTypeValueResponse(tuple(e))
    ),
    ReadByTypeResponse: _read_by_type_rsp(),
    ReadByGroupTypeResponse: _read_by_group_type_rsp(),
    ReadMultipleRequest: HANDLES.map(ReadMultipleRequest),
    ReadMultipleVariableRequest: HANDLES.map(ReadMultipleVariableRequest),
    ReadMultipleVariableResponse: _read_multiple_variable_rsp(),
    SignedWriteCommand: st.builds(
        SignedWriteCommand, u16, values, st.binary(min_size=12, max_size=12)
    ),
    MultipleHandleValueNotification: st.lists(st.builds(HandleValue, u16, values), min_size=1).map(
        lambda e: MultipleHandleValueNotification(tuple(e))
    ),
}


def strategy_for(cls: type[AttPdu]) -> st.SearchStrategy[Any]:
    if cls in HAND_CODED:
        return HAND_CODED[cls]
    assert cls.encode_body is AttPdu.encode_body, f"{cls.__name__} needs a hand-written strategy"
    return _compiled(cls)


OPCODES = sorted(ATT_PDUS)


@settings(max_examples=500)
@given(st.binary(max_size=300))
def test_any_bytes_decode_without_raising(data: bytes) -> None:
    out = decode_att(data)
    assert isinstance(out, AttPdu | Malformed)
    if isinstance(out, AttPdu):
        assert out.to_bytes() == data
        assert isinstance(out.summary(), str)


@pytest.mark.parametrize("opcode", OPCODES, ids=[f"0x{op:02x}" for op in OPCODES])
@given(body=st.binary(max_size=80))
def test_random_body_round_trips(opcode: int, body: bytes) -> None:
    data = bytes((opcode,)) + body
    out = decode_att(data)
    if not isinstance(out, Malformed):
        assert type(out) is ATT_PDUS[opcode]
        assert out.to_bytes() == data


@pytest.mark.parametrize("opcode", OPCODES, ids=[f"0x{op:02x}" for op in OPCODES])
@given(data=st.data())
def test_valid_fields_round_trip(opcode: int, data: st.DataObject) -> None:
    cls = ATT_PDUS[opcode]
    pdu = data.draw(strategy_for(cls))
    raw = pdu.to_bytes()
    assert raw[0] == opcode
    assert decode_att(raw) == pdu
    assert decode_att(raw).to_bytes() == raw  # type: ignore[union-attr]
    assert msgspec.json.decode(msgspec.json.encode(pdu), type=cls) == pdu
    assert pdu.summary().startswith(cls.title)


@given(st.integers(0, 255).filter(lambda op: op not in ATT_PDUS), st.binary(max_size=40))
def test_unknown_opcodes_round_trip(opcode: int, params: bytes) -> None:
    data = bytes((opcode,)) + params
    assert decode_att(data) == AttUnknown(opcode, params)
    assert decode_att(data).to_bytes() == data  # type: ignore[union-attr]


# -- against tshark ----------------------------------------------------------------------

# ATT_MTU-free PDUs tshark 4.0 knows, one per ACL packet (tshark 4.0 predates 0x20-0x23)
TSHARK_VECTORS = [(t, p) for t, p in VECTORS if p.opcode not in (0x20, 0x21, 0x23)]
TSHARK_FIELDS = [
    "btatt.opcode",
    "btatt.opcode.command",
    "btatt.opcode.authentication_signature",
    "btatt.req_opcode_in_error",
    "btatt.error_code",
    "btatt.client_rx_mtu",
    "btatt.server_rx_mtu",
    "btatt.starting_handle",
    "btatt.ending_handle",
    "btatt.uuid_format",
    "btatt.length",
    "btatt.offset",
    "btatt.flags",
    "btatt.sign_counter",
    "btatt.signature",
    "_ws.malformed",
    "_ws.expert",
]


def _acl(payload: bytes, handle: int = 0x0040) -> bytes:
    """An HCI ACL packet (Vol 4 Part E 5.4.2, first automatically flushable fragment)
    carrying an L2CAP B-frame on the ATT channel (Vol 3 Part A 3.1)."""
    l2cap = len(payload).to_bytes(2, "little") + b"\x04\x00" + payload
    return (handle | 0x2000).to_bytes(2, "little") + len(l2cap).to_bytes(2, "little") + l2cap


def _expected_fields(pdu: AttPdu) -> dict[str, str]:
    want = {
        "btatt.opcode": f"0x{pdu.opcode:02x}",
        "btatt.opcode.command": str(int(is_command(pdu.opcode))),
        "btatt.opcode.authentication_signature": str(int(has_auth_signature(pdu.opcode))),
    }
    if isinstance(pdu, ErrorResponse):
        want["btatt.req_opcode_in_error"] = f"0x{pdu.request_opcode:02x}"
        want["btatt.error_code"] = f"0x{pdu.error_code:02x}"
    if isinstance(pdu, ExchangeMtuRequest):
        want["btatt.client_rx_mtu"] = str(pdu.client_rx_mtu)
    if isinstance(pdu, ExchangeMtuResponse):
        want["btatt.server_rx_mtu"] = str(pdu.server_rx_mtu)
    start = getattr(pdu, "start_handle", None)
    if start is not None:
        want["btatt.starting_handle"] = f"0x{start:04x}"
        want["btatt.ending_handle"] = f"0x{pdu.end_handle:04x}"  # type: ignore[attr-defined]
    if isinstance(pdu, FindInformationResponse):
        want["btatt.uuid_format"] = f"0x{pdu.format:02x}"
    if isinstance(pdu, ReadByTypeResponse | ReadByGroupTypeResponse):
        want["btatt.length"] = str(pdu.length)
    if isinstance(pdu, ReadBlobRequest | PrepareWriteRequest | PrepareWriteResponse):
        want["btatt.offset"] = str(pdu.offset)
    if isinstance(pdu, ExecuteWriteRequest):
        want["btatt.flags"] = f"0x{pdu.flags:02x}"
    if isinstance(pdu, SignedWriteCommand):
        want["btatt.sign_counter"] = str(pdu.sign_counter)
        want["btatt.signature"] = pdu.mac.hex()
    return want


@pytest.mark.tshark
def test_vectors_agree_with_tshark(tmp_path: Path) -> None:
    need_tshark()
    frames = [
        Frame(
            index=i + 1,
            ts_us=1_700_000_000_000_000 + i * 1000,
            linktype=1002,
            encap=Encap.HCI,
            direction=Direction.HOST_TO_CONTROLLER if i % 2 else Direction.CONTROLLER_TO_HOST,
            payload=_acl(pdu.to_bytes()),
            hci_type=HciType.ACL,
        )
        for i, (_, pdu) in enumerate(TSHARK_VECTORS)
    ]
    path = tmp_path / "att_vectors.btsnoop"
    write_capture(path, frames, "btsnoop", 1002)
    rows = tshark_fields(path, TSHARK_FIELDS)
    assert len(rows) == len(TSHARK_VECTORS)
    for (text, pdu), row in zip(TSHARK_VECTORS, rows, strict=True):
        got = dict(zip(TSHARK_FIELDS, row, strict=True))
        assert not got["_ws.malformed"], (text, got)
        for field, value in _expected_fields(pdu).items():
            assert got[field].split(",")[0] == value, (text, field, got)  # first: the PDU's own


@pytest.mark.corpus
@pytest.mark.tshark
@pytest.mark.parametrize("name", corpus_files())
def test_corpus_att_agrees_with_tshark(name: str) -> None:
    """Every ATT PDU tshark finds in a corpus capture decodes, round-trips to the same
    bytes, and has tshark's opcode, handle, error code, MTU, handle range, list length."""
    path = need_corpus(name)
    for number, data, got in tshark_pdus(path, "btatt", [*TSHARK_FIELDS, "btatt.handle"]):
        out = decode_att(data)
        where = f"{name} frame {number}: {data.hex()}"
        if got["_ws.malformed"]:
            continue  # tshark says the PDU is damaged; ours may or may not be Malformed
        assert isinstance(out, AttPdu), (where, out)
        assert out.to_bytes() == data, where
        want = _expected_fields(out)
        handle = getattr(out, "handle", None)
        if handle is not None:
            want["btatt.handle"] = f"0x{handle:04x}"
        for field, value in want.items():
            assert got[field].split(",")[0] == value, (where, field, got[field])
