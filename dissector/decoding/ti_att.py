"""TI's vendor-specific ATT commands and events as the ATT records over-the-air ATT gives.

A TI network processor (HostTest / host_test firmware, BTool) carries ATT between the host
and its BLE stack in vendor HCI packets (hci_commands.py and hci_events.py describe the
framing): commands 0xFD01-0xFD1E that the host asks the stack to send on a connection, and
events 0xFF with event opcode 0x0501-0x057F for what the stack received or wants to report.
`ti_to_att` turns a `TiAttCommand` or `TiAttEvent` into a `TiAtt` record whose `pdu` is the
`AttPdu` that `decode_att` gives for the equivalent on-air PDU, plus the connection handle,
the direction and the items only TI's framing carries. It never raises: anything that does
not convert is a `Malformed(layer="ti_att")` with the HCI packet's bytes.

Layout: for most opcodes the parameters after the connection handle (commands) or after
Status, Connection Handle and PDU Length (events) are exactly the ATT PDU without its
opcode, so the on-air PDU is the opcode octet followed by them. The exceptions, and what is
done with them:

1. Command 0xFD12 ATT_WriteReq: Signature (u8) and Command (u8) come before the handle and
   value. Command 0 is a Write Request (0x12); Command 1 a Write Command (0x52), or a Signed
   Write Command (0xD2) when Signature is set: the stack signs it, so the host never sees
   the 12-octet signature and the `SignedWriteCommand.signature` bytes stay empty. Signature without
   Command is sent as a plain Write Request (TI tests Command first). Both octets are kept
   (`signature`, `command`); TI treats each as a boolean when sending.
   Source: TI host_test transport, `processExtMsgATT` case ATT_WRITE_REQ (`pBuf[2]` sig,
   `pBuf[3]` cmd, handle and value from `pBuf[4]`; cmd false -> GATT_WriteCharValue, else
   sig false -> GATT_WriteNoRsp, else GATT_SignedWriteNoRsp) in
   simplelink SDK source/ti/ble5stack/icall/app/icall_hci_tl.c and BLE-CC254x 1.3.2
   Projects/ble/HostTestApp/Source/hci_ext_app.c; att.h ATT_SIG_* ("TRUE or FALSE for a PDU
   to be sent").
2. Event 0x0512 ATT_WriteReq (the peer wrote to the local server): the same two octets
   before handle and value. For a received Signed Write Command TI has already checked and
   removed the signature; Signature says how the check went (att.h: 0 ATT_SIG_NOT_INCLUDED,
   1 ATT_SIG_VALID, 2 ATT_SIG_INVALID), and the `SignedWriteCommand` keeps an empty
   signature. Source: `processEventsGATT` case ATT_WRITE_REQ (sig, cmd, then
   ATT_BuildWriteReq) in the same two files; ATT_BuildWriteReq writes handle and value
   only (TI's att.c ships as a library: read in a TI-derived stack's att.c).
3. Commands 0xFD1B ATT_HandleValueNoti and 0xFD1D ATT_HandleValueInd: an Authenticated
   octet comes before handle and value (the stack sends only on an authenticated link when
   it is set); kept as `authenticated`. The events 0x051B/0x051D have no such octet.
   Source: `processExtMsgATT` cases ATT_HANDLE_VALUE_NOTI/IND (`pBuf[2]` is passed to
   GATT_Notification/GATT_Indication, the PDU parsed from `pBuf[3]`); `processEventsGATT`
   builds the events with ATT_BuildHandleValueInd (handle, value).
4. Event Status: TI builds the PDU only when Status is 0 (SUCCESS); any other status comes
   with PDU Length 0 and gives `pdu=None` (parameters that come with one anyway are
   decoded, the status kept). 0x1A bleProcedureComplete ends a GATT procedure
   the stack ran for one command (discovery, long read: several requests on air, one event
   per response, then the 0x1A event); 0x17 bleTimeout: the ATT transaction timed out.
   Names: TI bcomdef.h bStatus_t values. Source: `processEventsGATT` (`if status ==
   SUCCESS` around the PDU builders; PDU Length = what was built).
5. Events 0x057E ATT_FlowCtrlViolatedEvt and 0x057F ATT_MtuUpdatedEvt are local: the stack
   says so, nothing of the kind went over the air. They become `TiFlowControlViolated`
   (offending opcode, pending opcode: the peer sent a request or indication while one was
   outstanding, and the stack drops the ones that follow) and `TiMtuUpdated` (the
   connection's new ATT_MTU, u16). Source: `processEventsGATT` cases
   ATT_FLOW_CTRL_VIOLATED_EVENT (opcode, pendingOpcode) and ATT_MTU_UPDATED_EVENT (built
   like an Exchange MTU Request: u16); TI BLE-Stack API docs, attFlowCtrlViolatedEvt_t and
   attMtuUpdatedEvt_t ("generated locally (not received OTA)").

Not different, though TI's C structures suggest otherwise: ATT_FindInfoRsp,
ATT_FindByTypeValueRsp, ATT_ReadByTypeRsp and ATT_ReadByGrpTypeRsp, as commands and as
events, carry the on-air body (Format or Length octet, then the list). The `numInfo`,
`numPairs`, `numGrps` and `dataLen` members of attFindInfoRsp_t, attReadByTypeRsp_t and
the like are counts TI's ATT_Parse* functions work out from the length ("not part of
actual ATT Response"), never sent. Source: TI BLE5-Stack API docs for those structures;
`processExtMsgATT` hands the parameters after the handle straight to ATT_Parse*Rsp, and
`processEventsGATT` writes events with ATT_Build*Rsp, which emit the on-air layout.

Also from TI's guide (BLE5-Stack "Vendor Specific HCI Guide", ATT Vendor Specific API,
software-dl.ti.com/lprf/ble5stack-docs-latest/docs/ble5stack/vendor_specific_guide/
BLE_Vendor_Specific_HCI_Guide/att_api.html): connection handle 0xFFFE is the loopback
connection (`TiAtt.loopback`), and every command is first answered by
GAP_HCI_ExtentionCommandStatus, whose status says whether the stack took it; a command
is what the host asked for, not proof that it went on air (Prepare Write Requests, for
one, are held until the Execute Write Request).
"""

from __future__ import annotations

import struct
from typing import TypeAlias

import msgspec

from attscope.dissector.decoding.att_pdus import (
    AttOpcode,
    AttPdu,
    SignedWriteCommand,
    decode_att,
    opcode_title,
)
from attscope.dissector.decoding.hci_commands import TiAttCommand
from attscope.dissector.decoding.hci_events import TiAttEvent
from attscope.dissector.decoding.hci_names import ti_att_name
from attscope.dissector.decoding.pdu import InvalidPdu, Malformed

LAYER = "ti_att"
LOOPBACK_HANDLE = 0xFFFE  # TI: messages to it loop back to the local host
COMMAND_BASE = 0xFD00  # TI HCI extension, ATT subgroup: commands 0xFD00 | ATT opcode
EVENT_BASE = 0x0500  # TI HCI extension, ATT subgroup: events 0x0500 | ATT opcode

SUCCESS = 0x00
BLE_TIMEOUT = 0x17
BLE_PROCEDURE_COMPLETE = 0x1A
FLOW_CTRL_VIOLATED = 0x7E  # ATT_FLOW_CTRL_VIOLATED_EVENT
MTU_UPDATED = 0x7F  # ATT_MTU_UPDATED_EVENT

_WRITE_REQ = 0x12
_NOTIFICATION = 0x1B
_INDICATION = 0x1D

# TI bStatus_t values (bcomdef.h) as they appear in an ATT event's Status
TI_STATUS: dict[int, str] = {
    0x00: "success",
    0x01: "failure",
    0x02: "invalid parameter",
    0x10: "not ready",
    0x11: "already in requested mode",
    0x12: "incorrect mode",
    0x13: "memory allocation error",
    0x14: "not connected",
    0x15: "no resources",
    0x16: "pending",
    0x17: "timeout",
    0x18: "invalid range",
    0x19: "link encrypted",
    0x1A: "procedure complete",
    0x1B: "invalid MTU size",
    0x30: "user canceled",
    0x31: "connection not acceptable",
    0x32: "bond rejected",
    0x40: "invalid PDU",
    0x41: "insufficient authentication",
    0x42: "insufficient encryption",
    0x43: "insufficient key size",
}

# att.h ATT_SIG_*: what a received signed write's check gave
SIGNATURE_STATES: dict[int, str] = {0: "not included", 1: "valid", 2: "invalid"}

_U16 = struct.Struct("<H")
_FLOW = struct.Struct("<BB")
_CONVERSION_ERRORS = (InvalidPdu, struct.error, ValueError, IndexError, TypeError, OverflowError)


def ti_status_name(status: int) -> str:
    """TI's name for an event status: 'procedure complete'; 'status 0x55' when unknown."""
    return TI_STATUS.get(status) or f"status 0x{status:02x}"


def _status_text(status: int) -> str:
    return f"status 0x{status:02x} ({ti_status_name(status)})"


def _cut(value: bytes, limit: int = 16) -> str:
    if not value:
        return "(empty)"
    if len(value) <= limit:
        return value.hex(" ")
    return f"{value[:limit].hex(' ')} ... ({len(value)} bytes)"


def _opcode_text(opcode: int) -> str:
    return f"{opcode_title(opcode)} (0x{opcode:02x})"


class TiAtt(msgspec.Struct, frozen=True, gc=False, omit_defaults=True, tag="ti_att"):
    """One TI vendor ATT command or event as the ATT PDU it stands for.

    `handle` is the connection handle (0xFFFE: TI's loopback); `from_host` is True for a
    command (the host's request, response, notification or indication for the stack to
    send) and False for an event (what the peer sent, or the stack's report on a
    procedure); `ti_opcode` is TI's opcode (0xFD0A, 0x050B); `status` is an event's TI
    status (None for commands); `pdu` is the ATT PDU as `decode_att` decodes the on-air
    equivalent, None when the status says there is none. `signature` and `command` are
    ATT_WriteReq's octets, `authenticated` the Notification/Indication command's octet
    (module doc, items 1-3)."""

    handle: int
    from_host: bool
    ti_opcode: int
    status: int | None
    pdu: AttPdu | None
    signature: int | None = None
    command: int | None = None
    authenticated: int | None = None

    @property
    def name(self) -> str:
        """TI's name of the message: "ATT_ReadReq"."""
        return ti_att_name(self.ti_opcode & 0x7F)

    @property
    def loopback(self) -> bool:
        return self.handle == LOOPBACK_HANDLE

    @property
    def procedure_complete(self) -> bool:
        """Status 0x1A bleProcedureComplete: the GATT procedure this event belongs to is
        over (the event carries no PDU)."""
        return self.status == BLE_PROCEDURE_COMPLETE

    @property
    def signed(self) -> bool:
        """An ATT_WriteReq that is (to be) a Signed Write Command."""
        return isinstance(self.pdu, SignedWriteCommand)

    def _flags(self) -> str:
        flags = []
        if self.signed and self.signature is not None:
            if self.from_host:
                flags.append("signed by the stack")
            else:
                state = SIGNATURE_STATES.get(self.signature, f"0x{self.signature:02x}")
                flags.append(f"signature {state}")
        if self.authenticated:
            flags.append("authenticated link only")
        return f" [{', '.join(flags)}]" if flags else ""

    def _pdu_text(self) -> str:
        pdu = self.pdu
        if isinstance(pdu, SignedWriteCommand) and not pdu.signature:
            # TI never shows the 12 signature octets (module doc, items 1-2)
            return f"Signed Write Command handle 0x{pdu.handle:04x} value {_cut(pdu.value)}"
        return pdu.summary() if pdu is not None else ""

    def summary(self) -> str:
        """btmon-like: "TI ATT_ReadReq handle 0x0001: Read Request handle 0x0003"."""
        head = f"TI {self.name} handle 0x{self.handle:04x}"
        if self.status is not None and self.status != SUCCESS:
            head += f" {_status_text(self.status)}"
        head += self._flags()
        text = self._pdu_text()
        return f"{head}: {text}" if text else head


class TiFlowControlViolated(msgspec.Struct, frozen=True, gc=False, tag="ti_flow_ctrl_violated"):
    """TI ATT_FlowCtrlViolatedEvt (0x057E), raised by the local stack, never sent over the
    air: on connection `handle` the peer sent `opcode` while `pending_opcode` was still
    waiting for its response or confirmation; the stack drops the requests and
    indications that follow (module doc, item 5)."""

    handle: int
    opcode: int
    pending_opcode: int
    status: int = SUCCESS

    def summary(self) -> str:
        head = f"TI ATT_FlowCtrlViolatedEvt handle 0x{self.handle:04x}"
        if self.status != SUCCESS:
            head += f" {_status_text(self.status)}"
        return (
            f"{head}: ATT flow control violated by {_opcode_text(self.opcode)} "
            f"while {_opcode_text(self.pending_opcode)} was pending"
        )


class TiMtuUpdated(msgspec.Struct, frozen=True, gc=False, tag="ti_mtu_updated"):
    """TI ATT_MtuUpdatedEvt (0x057F), raised by the local stack: ATT_MTU of connection
    `handle` is now `mtu` (module doc, item 5)."""

    handle: int
    mtu: int
    status: int = SUCCESS

    def summary(self) -> str:
        head = f"TI ATT_MtuUpdatedEvt handle 0x{self.handle:04x}"
        if self.status != SUCCESS:
            head += f" {_status_text(self.status)}"
        return f"{head}: ATT_MTU {self.mtu}"


TiAttRecord: TypeAlias = TiAtt | TiFlowControlViolated | TiMtuUpdated


# -- conversion ------------------------------------------------------------------------------


def _raw(record: TiAttCommand | TiAttEvent) -> bytes:
    """The HCI packet's bytes for a Malformed record, as far as the record's values allow."""
    try:
        return record.to_bytes()
    except _CONVERSION_ERRORS:
        return record.params if isinstance(record.params, bytes) else b""


def _on_air(opcode: int, body: bytes) -> AttPdu:
    """The ATT PDU `decode_att` makes of `opcode` and `body`; raises InvalidPdu."""
    pdu = decode_att(bytes((opcode,)) + body)
    if isinstance(pdu, Malformed):
        raise InvalidPdu(pdu.reason)
    return pdu


def _write(params: bytes) -> tuple[AttPdu, int, int]:
    """ATT_WriteReq's Signature, Command, handle and value (module doc, items 1-2)."""
    if len(params) < 4:
        raise InvalidPdu(
            f"ATT_WriteReq needs Signature, Command and a handle (4 bytes), has {len(params)}"
        )
    signature, command, body = params[0], params[1], params[2:]
    if not command:
        return _on_air(AttOpcode.WRITE_REQ, body), signature, command
    if not signature:
        return _on_air(AttOpcode.WRITE_CMD, body), signature, command
    return SignedWriteCommand(_U16.unpack_from(body)[0], body[2:], b""), signature, command


def _from_command(rec: TiAttCommand) -> TiAtt:
    op, params = rec.att_opcode, rec.params
    signature = command = authenticated = None
    if op == _WRITE_REQ:
        pdu, signature, command = _write(params)
    elif op in (_NOTIFICATION, _INDICATION):
        if not params:
            raise InvalidPdu(f"{ti_att_name(op)} needs its Authenticated octet")
        authenticated = params[0]
        pdu = _on_air(op, params[1:])
    else:
        pdu = _on_air(op, params)
    return TiAtt(rec.handle, True, COMMAND_BASE | op, None, pdu, signature, command, authenticated)


def _from_event(rec: TiAttEvent) -> TiAttRecord:
    op, params, status = rec.att_opcode, rec.params, rec.status
    if rec.pdu_len != len(params):
        raise InvalidPdu(f"PDU length {rec.pdu_len}, but {len(params)} bytes follow")
    if op == FLOW_CTRL_VIOLATED:
        if len(params) != _FLOW.size:
            raise InvalidPdu(f"needs opcode and pending opcode (2 bytes), has {len(params)}")
        offending, pending = _FLOW.unpack(params)
        return TiFlowControlViolated(rec.handle, offending, pending, status)
    if op == MTU_UPDATED:
        if len(params) != _U16.size:
            raise InvalidPdu(f"needs the new MTU (2 bytes), has {len(params)}")
        return TiMtuUpdated(rec.handle, _U16.unpack(params)[0], status)
    ti_opcode = EVENT_BASE | op
    if status != SUCCESS and not params:
        return TiAtt(rec.handle, False, ti_opcode, status, None)  # module doc, item 4
    if op == _WRITE_REQ:
        pdu, signature, command = _write(params)
        return TiAtt(rec.handle, False, ti_opcode, status, pdu, signature, command)
    return TiAtt(rec.handle, False, ti_opcode, status, _on_air(op, params))


def _what(record: TiAttCommand | TiAttEvent) -> str:
    """The message named for a Malformed reason: "TI ATT_WriteReq command"."""
    kind = "command" if isinstance(record, TiAttCommand) else "event"
    op = record.att_opcode
    if isinstance(op, int) and 0x01 <= op <= 0x7F:
        return f"TI {ti_att_name(op)} {kind}"
    return f"TI ATT {kind}"


def ti_to_att(record: TiAttCommand | TiAttEvent) -> TiAttRecord | Malformed:
    """The ATT record for a TI vendor ATT command or event (see the module doc), or
    Malformed(layer="ti_att"). Never raises."""
    if not isinstance(record, TiAttCommand | TiAttEvent):
        return Malformed(LAYER, f"{type(record).__name__} is no TI ATT command or event", b"")
    try:
        op = record.att_opcode
        if not 0x01 <= op <= 0x7F:
            raise InvalidPdu(f"opcode 0x{op:02x} is outside TI's ATT range 0x01-0x7f")
        if isinstance(record, TiAttCommand):
            return _from_command(record)
        return _from_event(record)
    except _CONVERSION_ERRORS as exc:
        return Malformed(LAYER, f"{_what(record)}: {exc}", _raw(record))
