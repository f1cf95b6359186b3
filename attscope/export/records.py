"""The records `attscope export` writes, declared once: their field order is the key order
of the JSON, and the JSON Schema (export_schema.py) is generated from them.

Every line of a JSON Lines export is one tagged record (its `type`): a `header` first,
then `connection`, `transaction`, `violation` and `pdu` records as the analysis finds
them, `gatt_server` and `gatt_service` records at the end, and an `end` record last.
Bytes are lowercase hex strings, times integer microseconds since the Unix epoch (`*_us`)
beside the same time in ISO 8601 (UTC), frame numbers 1-based as Wireshark's
`frame.number`. A field the analysis could not fill is null.
"""

from __future__ import annotations

from typing import Literal

import msgspec

# the analysis' own value sets, exported as they are: the ends of a link (an HCI log's
# own host and its peer, an air capture's two roles), outcomes and severities
from attscope.dissector.analysis.analysis_records import Outcome, Side
from attscope.dissector.analysis.flow_rules import Severity
from attscope.export.health_records import ExportHealth, ExportLatency
from attscope.export.json_types import FrameNo, Hex, Iso, Micros

SCHEMA_ID = "attscope-export/1"

Direction = Literal[
    "host_to_controller", "controller_to_host", "central_to_peripheral",
    "peripheral_to_central", "unknown",
]  # fmt: skip


class _Record(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    """Base of the export records: closed objects, so the schema says every key."""


class _Line(_Record, frozen=True, gc=False, tag_field="type"):
    """A record that is one line of a JSON Lines export."""


# -- header and end ------------------------------------------------------------------------


class ExportLinkType(_Record, frozen=True, gc=False):
    linktype: int
    name: str


class ExportHeader(_Line, frozen=True, gc=False, tag="header"):
    """The first line: what wrote the export, from which capture, and what it holds.
    `frames` is null while the capture does not say its frame count up front (the `end`
    record has it)."""

    schema: str
    tool: str
    version: str
    file: str  # the capture's file name, without its folder
    format: str
    format_detail: str
    link_types: list[ExportLinkType]
    frames: int | None
    what: list[str]  # the kinds exported: connections, transactions, violations, gatt, pdus


class ExportEnd(_Line, frozen=True, gc=False, tag="end"):
    """The last line: a JSON Lines export without it was cut short."""

    frames: int
    records: dict[str, int]  # lines written per type
    violations: dict[str, int]  # found per severity, exported or not
    # damage the capture reader reported, and what the analysis counted but did not keep
    warnings: list[str]


# -- PDUs ----------------------------------------------------------------------------------


class ExportEntry(_Record, frozen=True, gc=False, omit_defaults=True):
    """One entry of a list in a PDU (Find Information, Read By Type ... responses)."""

    handle: int | None = None
    end_handle: int | None = None
    uuid: str | None = None
    uuid_name: str | None = None
    length: int | None = None
    value: Hex | None = None


class ExportPdu(_Line, frozen=True, gc=False, omit_defaults=True, tag="pdu"):
    """One ATT PDU, on the frame that completed it (`fragments`: the frames it was
    reassembled from). Parameters the PDU does not have are left out. Inside a transaction
    `time_us` and `time` are left out where the transaction's own times do not give them."""

    frame: FrameNo
    connection: str | None
    direction: Direction
    sender: Side
    layer: Literal["att"]
    opcode: int | None  # null only for an empty ATT PDU
    opcode_name: str | None  # ATT_READ_REQ; ATT_0x3F for an opcode Core 5.4 does not define
    time_us: Micros | None = None
    time: Iso | None = None
    bearer: int | None = None  # L2CAP CID: 4, or an EATT channel
    request_opcode: int | None = None  # ATT_ERROR_RSP
    request_opcode_name: str | None = None
    error_code: int | None = None
    error_name: str | None = None
    handle: int | None = None
    start_handle: int | None = None
    end_handle: int | None = None
    handles: list[int] | None = None
    offset: int | None = None
    uuid: str | None = None  # the attribute or group type a request asks for
    uuid_name: str | None = None
    mtu: int | None = None  # client or server RX MTU of an MTU exchange
    flags: int | None = None
    value: Hex | None = None
    signature: Hex | None = None
    entries: list[ExportEntry] | None = None
    fragments: list[FrameNo] | None = None
    malformed: str | None = None  # why the bytes are no valid PDU
    raw: Hex | None = None  # the PDU's bytes, when malformed or of an unknown opcode


# -- analysis ------------------------------------------------------------------------------


class ExportTimelineEntry(_Record, frozen=True, gc=False):
    frame: FrameNo
    time_us: Micros
    time: Iso
    kind: str  # connect, encryption, parameter_update, phy_update, mtu_exchange ...
    detail: str


class ExportAttBearer(_Record, frozen=True, gc=False):
    """An ATT bearer of the connection. `mtu` is null when the capture cannot tell it
    (the exchange happened before the capture began, or while the sniffer missed
    packets); `largest_pdu` is then the least ATT_MTU the devices must have agreed."""

    cid: int
    eatt: bool
    mtu: int | None
    mtu_source: str  # exchange, default, channel, not in capture
    mtu_frame: FrameNo | None  # the Exchange MTU Response
    largest_pdu: int  # bytes


class ExportPairing(_Record, frozen=True, gc=False):
    """The last pairing seen on an air link (Core 5.4 Vol 3 Part H 2.3)."""

    secure_connections: bool  # LE Secure Connections, else LE legacy pairing
    method: str  # Just Works, Passkey Entry, Numeric Comparison, Out of Band
    initiator_io: str  # IO capabilities by name
    responder_io: str
    bonding: bool
    key_size: int  # the smaller of the two maximum encryption key sizes
    tk: int | None  # legacy: the temporary key attscope found (a passkey, or 0)
    stk: str | None  # legacy: the short-term key it gives (hex, as the spec writes it)
    failed: str | None  # Pairing Failed, or why no TK (no LTK) was found
    ltk: str | None = None  # Secure Connections: the LTK derived from a known private key
    debug_key: str | None = None  # Secure Connections: the side using the debug key pair
    # (central, peripheral, both): anyone can derive its LTK


class ExportFoundKey(_Record, frozen=True, gc=False):
    """A key the capture itself gave."""

    key: str  # hex, as the spec writes it
    what: str  # "STK of the legacy pairing cracked (...)", "LTK distributed by ..."
    frame: FrameNo


class ExportSecurity(_Record, frozen=True, gc=False):
    """What an air capture shows of a link's security, and what attscope decrypted."""

    pairing: ExportPairing | None
    encrypted: bool  # the link encrypted (its encryption start or ciphertext was seen)
    key: str | None  # the key whose MIC verified (hex, as the spec writes it)
    key_source: str | None  # where it came from: --ltk, a cracked pairing, SMP ...
    key_order: str | None  # how it was written: as written, byte-reversed, as found
    key_frame: FrameNo | None  # a key the capture gave: the frame it came in
    decrypted_pdus: int  # by attscope
    sniffer_decrypted_pdus: int  # by the sniffer, before the capture was written
    ciphertext_pdus: int  # PDUs that stay ciphertext (`not_decrypted` says why)
    mic_failures: int  # of those, the ones whose MIC failed once the key was known
    damaged_pdus: int  # of those, the ones whose CRC failed: damaged on the air
    not_decrypted: str | None
    keys_found: list[ExportFoundKey]  # keys the link's pairing gave


class ExportConnection(_Line, frozen=True, gc=False, tag="connection"):
    """A link, written when it ends (or at the end of the capture, `end_us` null)."""

    id: str
    transport: str  # le, br/edr, le air
    inferred: bool  # opened by its traffic, its start not captured
    handle: int | None
    adapter: int | None
    access_address: int | None
    local_role: str | None
    local_address: str | None
    peer_address: str | None
    peer_address_type: str | None
    central_address: str | None
    peripheral_address: str | None
    start_us: Micros
    start: Iso
    first_frame: FrameNo
    end_us: Micros | None
    end: Iso | None
    last_frame: FrameNo | None
    disconnect_reason: str | None
    missed_events: int
    parameters: dict[str, int | float | str]
    bearers: list[ExportAttBearer]
    timeline: list[ExportTimelineEntry]
    timeline_dropped: int  # entries past the per-connection cap (10,000): counted only
    security: ExportSecurity | None  # air links where the capture shows any
    identities: dict[str, str]  # side -> the identity address an IRK resolves it to
    latency: list[ExportLatency]  # ATT transaction latency by kind
    health: ExportHealth | None  # parameters, procedures, air events, traffic, ending


class ExportExchange(_Record, frozen=True, gc=False):
    request_frame: FrameNo
    response_frame: FrameNo | None


class ExportHandleValue(_Record, frozen=True, gc=False):
    handle: int
    value: Hex


class ExportTransaction(_Line, frozen=True, gc=False, tag="transaction"):
    """A request and its answer, an indication and its confirmation, a long read or a
    queued write, written when it completes; with what the GATT database knew of its
    handle then."""

    connection: str
    bearer: int
    client: Side
    server: Side
    client_address: str | None
    server_address: str | None
    kind: str  # read, long_read, write, queued_write, indication, exchange_mtu ...
    request_frame: FrameNo
    response_frame: FrameNo | None
    frames: list[FrameNo]
    start_us: Micros
    start: Iso
    end_us: Micros | None
    end: Iso | None
    latency_us: int | None
    outcome: Outcome
    error_code: int | None
    error_name: str | None
    capture_gap: bool  # the sniffer missed connection events meanwhile
    clock_jump: bool  # the capture's time jumped meanwhile: no latency or timeout measured
    handle: int | None
    service_uuid: str | None
    service_name: str | None
    characteristic_uuid: str | None
    characteristic_name: str | None
    descriptor_uuid: str | None
    descriptor_name: str | None
    value: Hex | None
    value_decoded: str | None  # where the characteristic or descriptor is a known one
    values: list[ExportHandleValue] | None  # queued write: the value written per handle
    exchanges: list[ExportExchange]
    request: ExportPdu
    response: ExportPdu | None


class ExportViolation(_Line, frozen=True, gc=False, tag="violation"):
    """A protocol or flow-control rule broken, with the frames that show it."""

    kind: str
    severity: Severity
    connection: str | None
    bearer: int | None
    frames: list[FrameNo]
    pending_opcode: int | None
    pending_opcode_name: str | None
    message: str
    rule: str
    spec: str  # where the Core specification states the rule


# -- GATT ----------------------------------------------------------------------------------


class ExportValue(_Record, frozen=True, gc=False):
    """The last value seen of an attribute and the frame that carried it."""

    value: Hex
    decoded: str | None
    frame: FrameNo
    time_us: Micros
    time: Iso
    connection: str
    source: str  # read, write, write_command, notification, indication ...


class ExportCccd(_Record, frozen=True, gc=False):
    """One client's Client Characteristic Configuration."""

    client: str
    value: int | None
    enabled: list[str]  # notifications, indications
    frame: FrameNo | None
    connection: str | None


class ExportAttribute(_Record, frozen=True, gc=False):
    """A descriptor, or an attribute outside any known characteristic."""

    handle: int
    uuid: str | None
    name: str | None
    value: ExportValue | None
    cccd: list[ExportCccd]


class ExportCharacteristic(_Record, frozen=True, gc=False):
    declaration_handle: int
    value_handle: int
    end_handle: int
    uuid: str
    name: str | None
    properties: int
    property_names: list[str]
    frame: FrameNo  # where its declaration was seen
    value: ExportValue | None
    descriptors: list[ExportAttribute]


class ExportInclude(_Record, frozen=True, gc=False):
    handle: int
    start_handle: int
    end_handle: int
    uuid: str | None
    name: str | None


class ExportInvalidation(_Record, frozen=True, gc=False):
    """A range the server said changed (Service Changed, a new Database Hash), with what
    was known of it until then: no longer the server's database, kept to be shown."""

    start_handle: int
    end_handle: int
    frame: FrameNo
    reason: str
    known_services: list[ExportGattService]
    known_characteristics: list[ExportCharacteristic]  # outside any known service
    known_attributes: list[ExportAttribute]  # outside any known characteristic


class ExportGattServer(_Line, frozen=True, gc=False, tag="gatt_server"):
    """A server device's GATT database, before its services: what lies outside any known
    service, and the ranges its changes dropped. `server` keys the database: an address,
    "local", or "<connection>/<side>"."""

    server: str
    address: str | None
    connections: list[str]
    services: int
    characteristics: list[ExportCharacteristic]
    attributes: list[ExportAttribute]
    invalidations: list[ExportInvalidation]


class ExportGattService(_Line, frozen=True, gc=False, tag="gatt_service"):
    """One service of a server's GATT database, with its characteristics, descriptors, last
    values and each client's CCCD settings."""

    server: str
    server_address: str | None
    start_handle: int
    end_handle: int
    uuid: str | None
    name: str | None
    primary: bool | None  # null: known only from an include
    frame: FrameNo
    includes: list[ExportInclude]
    characteristics: list[ExportCharacteristic]
    attributes: list[ExportAttribute]  # in its range, outside its characteristics


# -- the whole document (--format json) ----------------------------------------------------


class ExportDocument(_Line, frozen=True, gc=False, omit_defaults=True, kw_only=True, tag="export"):
    """`--format json`: the same records grouped by kind; kinds not exported are left out."""

    header: ExportHeader
    connections: list[ExportConnection] | None = None
    transactions: list[ExportTransaction] | None = None
    violations: list[ExportViolation] | None = None
    gatt_servers: list[ExportGattServer] | None = None
    gatt_services: list[ExportGattService] | None = None
    pdus: list[ExportPdu] | None = None
    end: ExportEnd


LINE_TYPES: tuple[type[_Line], ...] = (
    ExportHeader,
    ExportConnection,
    ExportTransaction,
    ExportViolation,
    ExportPdu,
    ExportGattServer,
    ExportGattService,
    ExportEnd,
)
# --format json: the document's array for each line type (header and end stand alone)
DOCUMENT_KEYS: dict[type[msgspec.Struct], str] = {
    ExportConnection: "connections",
    ExportTransaction: "transactions",
    ExportViolation: "violations",
    ExportGattServer: "gatt_servers",
    ExportGattService: "gatt_services",
    ExportPdu: "pdus",
}
