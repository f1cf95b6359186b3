"""What the analyzer reports: connections and their timelines, ATT transactions, and
violations. Plain msgspec records, so exporting them is encoding them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, Union

import msgspec

from attscope.dissector.analysis.flow_rules import RULES, Severity, ViolationKind
from attscope.dissector.analysis.health.records import LinkHealth
from attscope.dissector.decoding.att_pdus import ATT_PDUS, AttPdu, AttUnknown
from attscope.dissector.decoding.ll_encryption import LinkSecurity

# the ends of a link, as the capture sees them: an HCI log knows its own host (local)
# and the peer (remote); an air capture knows the central and the peripheral
Side = Literal["local", "remote", "central", "peripheral", "?"]
LOCAL: Final = "local"
REMOTE: Final = "remote"
CENTRAL: Final = "central"
PERIPHERAL: Final = "peripheral"
UNKNOWN_SIDE: Final = "?"
OTHER_SIDE: dict[Side, Side] = {LOCAL: REMOTE, REMOTE: LOCAL, CENTRAL: PERIPHERAL,
                                PERIPHERAL: CENTRAL, UNKNOWN_SIDE: UNKNOWN_SIDE}  # fmt: skip

# "incomplete": its answer is not in the capture (the sniffer missed it, or the capture
# ended); "encrypted": a PDU no key could decrypt may have been its answer; "cut": it was
# answered, but the log's writer kept only the answer's first bytes (its value unknown)
Outcome = Literal["ok", "error", "timeout", "cancelled", "incomplete", "encrypted", "cut"]
TransactionKind = Literal[
    "exchange_mtu", "find_information", "find_by_type_value", "read_by_type", "read",
    "read_blob", "read_multiple", "read_by_group_type", "read_multiple_variable", "write",
    "prepare_write", "execute_write",  # one request and its answer
    "long_read", "queued_write", "indication",
]  # fmt: skip

if TYPE_CHECKING:
    AttRecord: TypeAlias = AttPdu
else:  # every ATT record class: msgspec decodes a spilled or exported one by its tag
    AttRecord = Union[tuple([*ATT_PDUS.values(), AttUnknown])]  # noqa: UP007


class TimelineEntry(msgspec.Struct, frozen=True, gc=False, tag="timeline"):
    """Something that happened to a connection: connect, encryption, parameter, PHY or
    data length update, MTU exchange, disconnect."""

    ts_us: int
    frame: int
    kind: str
    detail: str


class AttBearerInfo(msgspec.Struct, frozen=True, gc=False):
    """What the capture shows of one ATT bearer of a connection: its ATT_MTU only where
    the capture proves it, else the longest PDU seen (the MTU was at least that)."""

    cid: int  # 0x0004, an EATT channel, or the BR/EDR channel
    eatt: bool
    mtu: int | None  # None: the capture cannot tell
    # "exchange" (seen), "default" (the link seen from its start, no exchange yet),
    # "channel" (the L2CAP channel's configuration), "not in capture" (the link began
    # before the capture, or the sniffer missed packets where an exchange could be)
    mtu_source: str
    mtu_frame: int | None = None  # the Exchange MTU Response that set it
    largest_pdu: int = 0  # bytes


MTU_UNSEEN = "not in capture"


class Ends:
    """The addresses of a link's two ends, by side (a connection's record and the
    tracker's live state both have them)."""

    __slots__ = ()
    if TYPE_CHECKING:
        local_address: str | None
        peer_address: str | None
        central_address: str | None
        peripheral_address: str | None

    def address_of(self, side: str) -> str | None:
        """The address of one end, when the capture tells it."""
        return {
            LOCAL: self.local_address,
            REMOTE: self.peer_address,
            CENTRAL: self.central_address,
            PERIPHERAL: self.peripheral_address,
        }.get(side)


class Connection(Ends, msgspec.Struct, frozen=True, gc=False, tag="connection"):
    """One link from its start (or from the first packet seen, `inferred`) to its end.
    `id` is the decoder's connection name, with " #2" ... when a handle or access address
    is used again.

    A record of the link as it was when it was made: the connection tracker, the link's
    one writer, emits one when the link opens and one when it closes (or the capture
    ends), and `Analyzer.connection()` makes one on demand. `parameters` is the record's
    own copy."""

    id: str
    transport: str  # "le" | "br/edr" | "le air"
    inferred: bool
    start_us: int
    first_frame: int
    handle: int | None = None
    adapter: int | None = None
    access_address: int | None = None
    local_role: str | None = None  # HCI: "central" | "peripheral"
    local_address: str | None = None
    peer_address: str | None = None
    peer_address_type: str | None = None
    central_address: str | None = None  # air
    peripheral_address: str | None = None  # air
    parameters: dict[str, Any] = msgspec.field(default_factory=dict)
    end_us: int | None = None
    last_frame: int | None = None  # the last frame of its traffic or timeline
    disconnect_reason: str | None = None
    missed_events: int = 0  # air: connection events (or packets) the sniffer lost
    bearers: tuple[AttBearerInfo, ...] = ()  # as first used
    timeline: tuple[TimelineEntry, ...] = ()
    timeline_dropped: int = 0  # entries past the cap (connections.MAX_TIMELINE), counted
    security: LinkSecurity | None = None  # air: pairing, encryption, decryption
    latency: tuple[LatencyStats, ...] = ()  # ATT transaction latency by kind (latency.py)
    health: LinkHealth | None = None  # parameters, procedures, air events, traffic, ending
    # a side whose resolvable private address an IRK resolves -> the device's identity
    # address (or "IRK <hex>" when the device has not said it)
    identities: dict[str, str] = msgspec.field(default_factory=dict)


class Exchange(msgspec.Struct, frozen=True, gc=False):
    """One request and its answer (or an indication and its confirmation) inside a
    transaction; a long read or a queued write has several."""

    request_frame: int
    response_frame: int | None


class Transaction(msgspec.Struct, frozen=True, gc=False, tag="transaction"):
    """A request and its response, an indication and its confirmation, a long read
    (Read, then Read Blobs) or a queued write (Prepare Writes, then Execute Write).

    Final when emitted: the ATT tracker builds it once, and the analyzer adds what the
    GATT database knows of its handle (a new record, `msgspec.structs.replace`)."""

    connection: str
    bearer: int  # the L2CAP CID: 0x0004, or an EATT channel
    client: Side
    server: Side
    kind: TransactionKind
    request_frame: int
    response_frame: int | None
    frames: tuple[int, ...]
    start_us: int
    end_us: int | None
    latency_us: int | None
    outcome: Outcome
    request: AttRecord  # the first request (or indication) record
    response: AttRecord | None = None  # the last answer record
    handle: int | None = None
    value: bytes | None = None  # read, written or indicated
    values: dict[int, bytes] | None = None  # queued write: assembled value per handle
    error_code: int | None = None
    error_name: str | None = None
    capture_gap: bool = False  # the sniffer missed connection events meanwhile
    clock_jump: bool = False  # the capture's time jumped meanwhile: no latency, no timeout
    exchanges: tuple[Exchange, ...] = ()
    # what the GATT database knew of the handle when the transaction completed
    service_uuid: str | None = None
    service_name: str | None = None
    characteristic_uuid: str | None = None
    characteristic_name: str | None = None
    descriptor_uuid: str | None = None
    descriptor_name: str | None = None
    decoded: str | None = None  # the value decoded (gatt_values), for display


class LatencyStats(msgspec.Struct, frozen=True, gc=False):
    """The latency of one kind of ATT transaction on a connection, in microseconds."""

    kind: str
    count: int
    min_us: int
    median_us: int
    p95_us: int
    max_us: int
    histogram: tuple[int, ...] = ()  # counts per bin of latency.HISTOGRAM_EDGES_US


class Violation(msgspec.Struct, frozen=True, gc=False, tag="violation"):
    """A protocol or flow-control rule broken, with the frames that show it."""

    kind: ViolationKind
    severity: Severity
    spec: str  # where the Core specification states the rule
    rule: str
    message: str
    connection: str | None
    frames: tuple[int, ...]
    bearer: int | None = None
    pending_opcode: int | None = None  # the outstanding request or indication, if any


def violation(
    kind: ViolationKind,
    message: str,
    connection: str | None,
    frames: tuple[int, ...],
    bearer: int | None = None,
    pending_opcode: int | None = None,
) -> Violation:
    rule = RULES[kind]
    return Violation(
        kind,
        rule.severity,
        rule.spec,
        rule.text,
        message,
        connection,
        frames,
        bearer,
        pending_opcode,
    )
