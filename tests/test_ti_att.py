"""TI vendor-specific ATT commands (0xFD01-0xFD1E) and events (0xFF, 0x0501-0x057F) as the
ATT records over-the-air ATT decodes to (dissector/ti_att.py).

Vectors follow TI's layouts (BLE5-Stack Vendor Specific HCI Guide, ATT Vendor Specific
API; host_test `processExtMsgATT` / `processEventsGATT`): a command is opcode, length,
connection handle and the PDU parameters; an event is 0xFF, length, event opcode, status,
connection handle, PDU length and the PDU parameters."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding.hci_commands import HciCommandRaw, TiAttCommand, decode_hci_command
from attscope.dissector.decoding.hci_events import TiAttEvent, decode_hci_event
from attscope.dissector.decoding.pdu import Malformed
from attscope.dissector.decoding.ti_att import (
    BLE_PROCEDURE_COMPLETE,
    TiAtt,
    TiFlowControlViolated,
    TiMtuUpdated,
    ti_status_name,
    ti_to_att,
)

CONN = 0x0040


def ti_command(att_opcode: int, params_hex: str, handle: int = CONN) -> bytes:
    """The HCI command packet of TI's ATT command 0xFD00 | att_opcode."""
    body = handle.to_bytes(2, "little") + bytes.fromhex(params_hex)
    return bytes([att_opcode, 0xFD, len(body)]) + body


def ti_event(att_opcode: int, params_hex: str, status: int = 0, handle: int = CONN) -> bytes:
    """The HCI event packet of TI's ATT event 0x0500 | att_opcode."""
    params = bytes.fromhex(params_hex)
    body = bytes([att_opcode, 0x05, status]) + handle.to_bytes(2, "little")
    body += bytes([len(params)]) + params
    return bytes([0xFF, len(body)]) + body


def convert_command(data: bytes) -> TiAtt:
    rec = decode_hci_command(data)
    assert isinstance(rec, TiAttCommand)
    out = ti_to_att(rec)
    assert isinstance(out, TiAtt), out
    return out


def convert_event(data: bytes) -> TiAtt | TiFlowControlViolated | TiMtuUpdated:
    rec = decode_hci_event(data)
    assert isinstance(rec, TiAttEvent)
    out = ti_to_att(rec)
    assert not isinstance(out, Malformed), out
    return out


# ATT opcode -> TI parameters, which for these opcodes are the on-air body unchanged
# (the list responses too: TI's numPairs/numInfo/numGrps are never sent)
PLAIN: dict[int, str] = {
    0x01: "0a" + "0300" + "02",  # Error Response: Read Request, handle 3, Read Not Permitted
    0x02: "f700",  # Exchange MTU Request: client RX MTU 247
    0x03: "4100",  # Exchange MTU Response: server RX MTU 65
    0x04: "0100" + "ffff",  # Find Information Request
    0x05: "01" + "0300" + "002a" + "0500" + "012a",  # Find Information Response, 16-bit
    0x06: "0100" + "ffff" + "0028" + "0d18",  # Find By Type Value: primary service 0x180d
    0x07: "0100" + "0500" + "0a00" + "0f00",  # Find By Type Value Response
    0x08: "0100" + "ffff" + "0328",  # Read By Type Request: characteristics
    0x09: "07" + "0200" + "02" + "0300" + "002a" + "0400" + "12" + "0500" + "372a",
    0x0A: "0300",  # Read Request
    0x0B: "4869",  # Read Response
    0x0C: "0300" + "1600",  # Read Blob Request, offset 22
    0x0D: "aabbcc",  # Read Blob Response
    0x0E: "0300" + "0500",  # Read Multiple Request
    0x0F: "0102",  # Read Multiple Response
    0x10: "0100" + "ffff" + "0028",  # Read By Group Type Request: primary services
    0x11: "06" + "0100" + "0500" + "0018" + "0600" + "0900" + "0118",
    0x13: "",  # Write Response
    0x16: "2500" + "0000" + "0102",  # Prepare Write Request
    0x17: "2500" + "0000" + "0102",  # Prepare Write Response
    0x18: "01",  # Execute Write Request: write
    0x19: "",  # Execute Write Response
    0x1E: "",  # Handle Value Confirmation
}
# the same with a 128-bit UUID where the PDU has one
PLAIN_128: dict[int, str] = {
    0x05: "02" + "0300" + "fb349b5f80000080001000000d180000",
    0x08: "0100" + "ffff" + "fb349b5f80000080001000000d180000",
}


@pytest.mark.parametrize(
    ("op", "params"), [*PLAIN.items(), *PLAIN_128.items()], ids=lambda v: str(v)[:12]
)
def test_plain_commands_are_the_on_air_pdu(op: int, params: str) -> None:
    rec = convert_command(ti_command(op, params))
    on_air = bytes([op]) + bytes.fromhex(params)
    assert rec.pdu == att.decode_att(on_air)
    assert isinstance(rec.pdu, att.ATT_PDUS[op]) and rec.pdu.to_bytes() == on_air
    assert (rec.handle, rec.from_host, rec.ti_opcode, rec.status) == (CONN, True, 0xFD00 | op, None)
    assert (rec.signature, rec.command, rec.authenticated) == (None, None, None)


@pytest.mark.parametrize(
    ("op", "params"), [*PLAIN.items(), *PLAIN_128.items()], ids=lambda v: str(v)[:12]
)
def test_plain_events_are_the_on_air_pdu(op: int, params: str) -> None:
    rec = convert_event(ti_event(op, params))
    on_air = bytes([op]) + bytes.fromhex(params)
    assert isinstance(rec, TiAtt) and rec.pdu == att.decode_att(on_air)
    assert (rec.handle, rec.from_host, rec.ti_opcode, rec.status) == (CONN, False, 0x0500 | op, 0)
    assert not rec.procedure_complete


def test_summary_is_btmon_like() -> None:
    rec = convert_command(ti_command(0x0A, "0300", handle=0x0001))
    assert rec.summary() == "TI ATT_ReadReq handle 0x0001: Read Request handle 0x0003"
    rsp = convert_event(ti_event(0x0B, "4869"))
    assert rsp.summary() == "TI ATT_ReadRsp handle 0x0040: Read Response value 48 69"
    assert convert_command(ti_command(0x13, "")).summary() == (
        "TI ATT_WriteRsp handle 0x0040: Write Response"
    )


# -- ATT_WriteReq: Signature and Command octets (module doc, items 1 and 2) -------------------


@pytest.mark.parametrize(
    ("flags", "on_air", "cls"),
    [
        ("0000", "12", att.WriteRequest),  # Command 0: Write Request
        ("0001", "52", att.WriteCommand),  # Command 1: Write Command
        ("0100", "12", att.WriteRequest),  # Signature without Command: still a request
    ],
)
def test_write_req_command_flags(flags: str, on_air: str, cls: type) -> None:
    rec = convert_command(ti_command(0x12, flags + "2500" + "0100"))
    expected = att.decode_att(bytes.fromhex(on_air + "2500" + "0100"))
    assert isinstance(rec.pdu, cls) and rec.pdu == expected
    assert (rec.signature, rec.command) == tuple(bytes.fromhex(flags))
    assert rec.from_host and rec.ti_opcode == 0xFD12 and not rec.signed


def test_signed_write_command_is_signed_by_the_stack() -> None:
    rec = convert_command(ti_command(0x12, "0101" + "2500" + "0100"))
    assert isinstance(rec.pdu, att.SignedWriteCommand) and rec.signed
    signature = bytes(range(12))  # what the stack adds on air
    on_air = att.decode_att(bytes.fromhex("d2" + "2500" + "0100") + signature)
    assert isinstance(on_air, att.SignedWriteCommand)
    assert (rec.pdu.handle, rec.pdu.value, rec.pdu.signature) == (on_air.handle, on_air.value, b"")
    assert rec.summary() == (
        "TI ATT_WriteReq handle 0x0040 [signed by the stack]: "
        "Signed Write Command handle 0x0025 value 01 00"
    )


@pytest.mark.parametrize(
    ("flags", "on_air", "cls"),
    [("0000", "12", att.WriteRequest), ("0001", "52", att.WriteCommand)],
)
def test_write_req_event(flags: str, on_air: str, cls: type) -> None:
    rec = convert_event(ti_event(0x12, flags + "2500" + "0100"))
    assert isinstance(rec, TiAtt) and isinstance(rec.pdu, cls)
    assert rec.pdu == att.decode_att(bytes.fromhex(on_air + "2500" + "0100"))
    assert (rec.signature, rec.command, rec.from_host) == (*bytes.fromhex(flags), False)


@pytest.mark.parametrize(("sig", "state"), [(1, "valid"), (2, "invalid")])
def test_received_signed_write_keeps_the_check(sig: int, state: str) -> None:
    rec = convert_event(ti_event(0x12, f"{sig:02x}01" + "2500" + "0100"))
    assert isinstance(rec, TiAtt) and isinstance(rec.pdu, att.SignedWriteCommand)
    assert (rec.pdu.handle, rec.pdu.value, rec.signature) == (0x25, b"\x01\x00", sig)
    assert f"[signature {state}]" in rec.summary()


# -- Notification and Indication: the command's Authenticated octet (item 3) ---------------


@pytest.mark.parametrize("op", [0x1B, 0x1D])
@pytest.mark.parametrize("authenticated", [0, 1])
def test_value_commands_drop_authenticated(op: int, authenticated: int) -> None:
    rec = convert_command(ti_command(op, f"{authenticated:02x}" + "2500" + "6400"))
    assert rec.pdu == att.decode_att(bytes([op]) + bytes.fromhex("2500" + "6400"))
    assert rec.authenticated == authenticated
    assert ("[authenticated link only]" in rec.summary()) == bool(authenticated)


@pytest.mark.parametrize("op", [0x1B, 0x1D])
def test_value_events_have_no_authenticated_octet(op: int) -> None:
    rec = convert_event(ti_event(op, "2500" + "6400"))
    assert isinstance(rec, TiAtt) and rec.authenticated is None
    assert rec.pdu == att.decode_att(bytes([op]) + bytes.fromhex("2500" + "6400"))
    assert rec.summary() == (
        f"TI {'ATT_HandleValueNoti' if op == 0x1B else 'ATT_HandleValueInd'} handle 0x0040: "
        f"{rec.pdu.summary()}"
    )


# -- status (item 4) ------------------------------------------------------------------------


@pytest.mark.parametrize("op", [0x05, 0x07, 0x09, 0x0D, 0x11, 0x17])
def test_procedure_complete_has_no_pdu(op: int) -> None:
    rec = convert_event(ti_event(op, "", status=BLE_PROCEDURE_COMPLETE))
    assert isinstance(rec, TiAtt) and rec.pdu is None and rec.procedure_complete
    assert rec.status == 0x1A and ti_status_name(rec.status) == "procedure complete"
    assert rec.summary().endswith("handle 0x0040 status 0x1a (procedure complete)")


def test_timeout_event() -> None:
    rec = convert_event(ti_event(0x0B, "", status=0x17))
    assert isinstance(rec, TiAtt) and rec.pdu is None and not rec.procedure_complete
    assert rec.summary() == "TI ATT_ReadRsp handle 0x0040 status 0x17 (timeout)"
    assert ti_status_name(0x99) == "status 0x99"


def test_empty_success_responses_are_pdus() -> None:
    """Status 0 with nothing after the header: the PDUs without parameters."""
    for op, cls in [(0x13, att.WriteResponse), (0x19, att.ExecuteWriteResponse)]:
        rec = convert_event(ti_event(op, ""))
        assert isinstance(rec, TiAtt) and isinstance(rec.pdu, cls)
    cfm = convert_event(ti_event(0x1E, ""))
    assert isinstance(cfm, TiAtt) and isinstance(cfm.pdu, att.HandleValueConfirmation)


# -- local events (item 5) -------------------------------------------------------------------


def test_flow_control_violated() -> None:
    rec = convert_event(ti_event(0x7E, "0a" + "08"))
    assert rec == TiFlowControlViolated(CONN, 0x0A, 0x08)
    assert rec.summary() == (
        "TI ATT_FlowCtrlViolatedEvt handle 0x0040: ATT flow control violated by "
        "Read Request (0x0a) while Read By Type Request (0x08) was pending"
    )


def test_mtu_updated() -> None:
    rec = convert_event(ti_event(0x7F, "f700"))
    assert rec == TiMtuUpdated(CONN, 247)
    assert rec.summary() == "TI ATT_MtuUpdatedEvt handle 0x0040: ATT_MTU 247"


# -- odd input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (ti_command(0x12, "0000" + "25"), "TI ATT_WriteReq command: ATT_WriteReq needs"),
        (ti_command(0x1B, ""), "TI ATT_HandleValueNoti command: ATT_HandleValueNoti needs"),
        (ti_command(0x0A, "030000"), "TI ATT_ReadReq command: ATT_READ_REQ:"),
        (ti_command(0x05, "03" + "0300" + "002a"), "TI ATT_FindInfoRsp command:"),
        (ti_event(0x05, "03" + "0300" + "002a"), "TI ATT_FindInfoRsp event:"),
        (ti_event(0x0A, ""), "TI ATT_ReadReq event: ATT_READ_REQ:"),
        (ti_event(0x7F, "f70000"), "TI ATT_MtuUpdatedEvt event: needs the new MTU"),
        (ti_event(0x7E, "0a"), "TI ATT_FlowCtrlViolatedEvt event: needs opcode"),
    ],
)
def test_bad_parameters_are_malformed(data: bytes, reason: str) -> None:
    rec = decode_hci_command(data) if data[1] == 0xFD else decode_hci_event(data)
    out = ti_to_att(rec)  # type: ignore[arg-type]
    assert isinstance(out, Malformed) and out.layer == "ti_att"
    assert out.reason.startswith(reason), out.reason
    assert out.raw == data


def test_pdu_length_must_match() -> None:
    rec = TiAttEvent(0x0B, 0, CONN, 5, b"\x01\x02")
    out = ti_to_att(rec)
    assert isinstance(out, Malformed) and "PDU length 5, but 2 bytes follow" in out.reason
    assert out.raw == rec.to_bytes()


def test_records_that_are_not_ti_att() -> None:
    out = ti_to_att(HciCommandRaw(0xFD57, b"\x01"))  # type: ignore[arg-type]
    assert isinstance(out, Malformed) and out.layer == "ti_att"
    for rec in (TiAttCommand(0x00, CONN, b""), TiAttEvent(0x80, 0, CONN, 0, b"")):
        bad = ti_to_att(rec)
        assert isinstance(bad, Malformed) and "outside TI's ATT range" in bad.reason


def test_records_encode_as_json() -> None:
    rec = convert_command(ti_command(0x1B, "01" + "2500" + "64"))
    decoded = msgspec.json.decode(msgspec.json.encode(rec))
    assert decoded["type"] == "ti_att" and decoded["authenticated"] == 1
    assert decoded["pdu"]["type"] == "att_handle_value_ntf" and decoded["status"] is None
    assert "signature" not in decoded  # TI-only items of other messages are left out
    local = msgspec.json.decode(msgspec.json.encode(TiMtuUpdated(CONN, 247)))
    assert local == {"type": "ti_mtu_updated", "handle": CONN, "mtu": 247, "status": 0}


def test_loopback_handle() -> None:
    assert convert_command(ti_command(0x0A, "0300", handle=0xFFFE)).loopback
    assert not convert_command(ti_command(0x0A, "0300")).loopback


# -- hypothesis: random parameters never raise -----------------------------------------------

RESULTS = (TiAtt, TiFlowControlViolated, TiMtuUpdated, Malformed)
SPECIAL = (0x12, 0x1B, 0x1D, 0x7E, 0x7F)


def _check(out: object) -> None:
    assert isinstance(out, RESULTS)
    assert isinstance(msgspec.json.encode(out), bytes)
    if not isinstance(out, Malformed):
        assert isinstance(out.summary(), str)


@given(st.integers(0x01, 0x1E), st.integers(0, 0xFFFF), st.binary(max_size=64))
def test_random_command_params(op: int, handle: int, params: bytes) -> None:
    out = ti_to_att(TiAttCommand(op, handle, params))
    _check(out)
    if op not in SPECIAL:
        on_air = att.decode_att(bytes([op]) + params)
        if isinstance(on_air, Malformed):
            assert isinstance(out, Malformed)
        else:
            assert isinstance(out, TiAtt) and out.pdu == on_air


@st.composite
def ti_events(draw: st.DrawFn) -> TiAttEvent:
    params = draw(st.binary(max_size=64))
    status = draw(st.sampled_from([0, 0, 0, 0x17, 0x1A, 0x13]) | st.integers(0, 0xFF))
    pdu_len = draw(st.just(len(params)) | st.integers(0, 0xFF))
    return TiAttEvent(
        draw(st.integers(0x01, 0x7F)), status, draw(st.integers(0, 0xFFFF)), pdu_len, params
    )


@given(ti_events())
def test_random_event_params(rec: TiAttEvent) -> None:
    out = ti_to_att(rec)
    _check(out)
    if rec.status == 0 and rec.pdu_len == len(rec.params) and rec.att_opcode not in SPECIAL:
        on_air = att.decode_att(bytes([rec.att_opcode]) + rec.params)
        if isinstance(on_air, Malformed):
            assert isinstance(out, Malformed)
        else:
            assert isinstance(out, TiAtt) and out.pdu == on_air


@given(
    st.integers(-3, 0x1FF),
    st.integers(-3, 0x1FFFF),
    st.integers(-3, 0x1FF),
    st.integers(-3, 0x1FF),
    st.binary(max_size=300),
)
def test_out_of_range_records_never_raise(
    op: int, handle: int, status: int, pdu_len: int, params: bytes
) -> None:
    _check(ti_to_att(TiAttCommand(op, handle, params)))
    _check(ti_to_att(TiAttEvent(op, status, handle, pdu_len, params)))


@given(st.binary(min_size=3, max_size=80))
def test_random_hci_packets_never_raise(tail: bytes) -> None:
    command = decode_hci_command(bytes([tail[0] % 0x1E + 1, 0xFD, len(tail) - 1]) + tail[1:])
    if isinstance(command, TiAttCommand):
        _check(ti_to_att(command))
    event = decode_hci_event(bytes([0xFF, len(tail) + 2, tail[0] % 0x7F + 1, 0x05]) + tail)
    if isinstance(event, TiAttEvent):
        _check(ti_to_att(event))
