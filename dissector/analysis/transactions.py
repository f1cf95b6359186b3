"""ATT transactions per bearer and the flow-control rules around them.

Each bearer (the fixed channel 0x0004, an EATT channel, ATT over BR/EDR) carries two
independent streams: requests from one end answered by the other, and the other way round
(a phone reads its peripheral while the peripheral reads the phone's server). A stream has
at most one outstanding request and a server at most one unconfirmed indication (Core 5.4
Vol 3 Part F 3.3.2); what breaks that, or answers nothing, is a violation. Reads continued
by Read Blobs become one long read; Prepare Writes closed by Execute Write one queued write.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import msgspec

from attscope.dissector.analysis.analysis_records import (
    MTU_UNSEEN,
    OTHER_SIDE,
    AttBearerInfo,
    AttRecord,
    Exchange,
    Outcome,
    Side,
    Transaction,
    TransactionKind,
    Violation,
    violation,
)
from attscope.dissector.analysis.flow_rules import AFTER_TIMEOUT, STEPS, Role
from attscope.dissector.analysis.flow_rules import ViolationKind as Kind
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding.att_errors import error_name
from attscope.dissector.decoding.att_pdus import AttCut

ATT_TIMEOUT_US = 30_000_000  # Vol 3 Part F 3.3.3
LE_DEFAULT_MTU = 23  # Vol 3 Part F 3.2.8
BREDR_DEFAULT_MTU = 48
MAX_PENDING = 8  # requests kept per stream when a client breaks the one-at-a-time rule
# Prepare Writes kept per client for an Execute Write; a server answers Prepare Queue
# Full long before this (Part F 3.4.6.1), so only a capture that never executes reaches it
MAX_QUEUED = 1024
MIN_COMPACT = 64  # deadlines kept before ended ones are swept out (see _compact)

KINDS: dict[int, TransactionKind] = {
    att.AttOpcode.EXCHANGE_MTU_REQ: "exchange_mtu",
    att.AttOpcode.FIND_INFORMATION_REQ: "find_information",
    att.AttOpcode.FIND_BY_TYPE_VALUE_REQ: "find_by_type_value",
    att.AttOpcode.READ_BY_TYPE_REQ: "read_by_type",
    att.AttOpcode.READ_REQ: "read",
    att.AttOpcode.READ_BLOB_REQ: "read_blob",
    att.AttOpcode.READ_MULTIPLE_REQ: "read_multiple",
    att.AttOpcode.READ_BY_GROUP_TYPE_REQ: "read_by_group_type",
    att.AttOpcode.READ_MULTIPLE_VARIABLE_REQ: "read_multiple_variable",
    att.AttOpcode.WRITE_REQ: "write",
    att.AttOpcode.PREPARE_WRITE_REQ: "prepare_write",
    att.AttOpcode.EXECUTE_WRITE_REQ: "execute_write",
}
if set(KINDS) != set(att.REQUESTS):  # every request opens a transaction of its kind
    raise ImportError(f"transactions: requests without a kind: {set(att.REQUESTS) - set(KINDS)}")
_READ_ANSWERS = (att.ReadResponse, att.ReadBlobResponse)
_REQUEST, _RESPONSE, _INDICATION = Role.REQUEST, Role.RESPONSE, Role.INDICATION
_CONFIRMATION, _OTHER = Role.CONFIRMATION, Role.OTHER
_ROLE: dict[int, Role] = {op: _REQUEST for op in att.REQUESTS}
_ROLE.update({op: _RESPONSE for op in att.RESPONSES})
_ROLE[att.AttOpcode.HANDLE_VALUE_IND] = _INDICATION
_ROLE[att.AttOpcode.HANDLE_VALUE_CFM] = _CONFIRMATION
# the rule each role breaks when it steps its stream wrongly (flow_rules.STEPS): a request
# or indication while one is outstanding, an answer while none is
_BROKEN: dict[Role, Kind] = {
    role: kind for (role, _), (_, kind) in STEPS.items() if kind is not None
}


class _Open(msgspec.Struct, gc=False):
    """A transaction while the tracker works on it (the one writer); `final()` is the
    frozen `Transaction` it becomes. Fields in `Transaction`'s order."""

    connection: str
    bearer: int
    client: Side
    server: Side
    kind: TransactionKind
    request_frame: int
    response_frame: int | None
    frames: list[int]
    start_us: int
    end_us: int | None
    latency_us: int | None
    outcome: Outcome
    request: AttRecord
    response: AttRecord | None = None
    handle: int | None = None
    value: bytes | None = None
    values: dict[int, bytes] | None = None
    error_code: int | None = None
    error_name: str | None = None
    capture_gap: bool = False
    clock_jump: bool = False
    exchanges: list[Exchange] = msgspec.field(default_factory=list)
    unreadable: bool = False  # a PDU no key decrypted came while it was open

    def final(self) -> Transaction:
        return Transaction(
            self.connection, self.bearer, self.client, self.server, self.kind,
            self.request_frame, self.response_frame, tuple(self.frames), self.start_us,
            self.end_us, self.latency_us, self.outcome, self.request, self.response,
            self.handle, self.value, self.values, self.error_code, self.error_name,
            self.capture_gap, self.clock_jump, tuple(self.exchanges),
        )  # fmt: skip


class _Stream:
    """Requests of one client on one bearer."""

    __slots__ = ("long_read", "pending", "queue")

    def __init__(self) -> None:
        self.pending: list[_Open] = []  # oldest first; more than one is a violation
        self.long_read: _Open | None = None  # a read whose value may continue
        self.queue: list[_Open] = []  # answered Prepare Writes, for Execute Write


class Bearer:
    """One ATT bearer of a connection: its MTU and its two streams.

    `mtu` is the ATT_MTU the sizes are checked against when `mtu_known`; otherwise (the
    exchange may have happened before the capture or while the sniffer was deaf) it is
    only the least the capture proves, and no PDU is blamed for exceeding it."""

    __slots__ = ("cid", "conn", "eatt", "expired", "guessed_sides", "indications",
                 "largest_pdu", "missed", "mtu", "mtu_clients", "mtu_frame", "mtu_known",
                 "mtu_source", "streams", "timed_out", "unreadable")  # fmt: skip

    def __init__(
        self, conn: str, cid: int, mtu: int, eatt: bool, mtu_source: str = "default"
    ) -> None:
        self.conn = conn
        self.cid = cid
        self.mtu = mtu
        self.mtu_known = mtu_source != MTU_UNSEEN
        self.mtu_source = mtu_source  # as AttBearerInfo.mtu_source
        self.mtu_frame: int | None = None  # the Exchange MTU Response that set it
        self.largest_pdu = 0
        self.eatt = eatt
        self.streams: dict[str, _Stream] = {}
        self.indications: dict[str, _Open] = {}  # by server side
        self.mtu_clients: set[str] = set()  # sides that sent Exchange MTU
        self.timed_out: str | None = None  # the side whose transaction timed out
        self.expired: list[_Open] = []  # timed out: a late answer is no orphan
        self.missed = 0  # the connection's missed events at this bearer's last PDU
        self.unreadable = 0  # and the link's PDUs no key decrypted
        self.guessed_sides = False  # the sniffer did not say who sent what

    def info(self) -> AttBearerInfo:
        """What the capture shows of the bearer so far, as a record."""
        mtu = self.mtu if self.mtu_known else None
        return AttBearerInfo(
            self.cid, self.eatt, mtu, self.mtu_source, self.mtu_frame, self.largest_pdu
        )

    def stream(self, client: Side) -> _Stream:
        found = self.streams.get(client)
        if found is None:
            found = self.streams[client] = _Stream()
        return found


class AttTracker:
    """Feed every ATT PDU of every bearer in capture order; completed transactions and
    violations go to the callbacks as they are found."""

    def __init__(
        self,
        on_transaction: Callable[[Transaction], None],
        on_violation: Callable[[Violation], None],
    ) -> None:
        self._done = on_transaction
        self._violation = on_violation
        self._deadlines: list[tuple[int, int, _Open, Bearer]] = []  # a heap
        self._compact_at = MIN_COMPACT  # heap size at which ended entries are dropped
        self._seq = 0
        self._gap = False  # the sniffer missed events since the bearer's previous PDU
        self._cut = False  # the PDU being fed is an answer the log's writer cut (AttCut)
        self.untimed = False  # the PDU being fed has a time the capture cannot vouch for

    # -- feeding ------------------------------------------------------------------------

    def feed(
        self,
        bearer: Bearer,
        side: Side,
        pdu: Any,
        frame: int,
        ts: int,
        length: int,
        missed: int = 0,
        unreadable: int = 0,
    ) -> None:
        """`pdu` (an AttPdu) went from `side` on `bearer`; `length` is its size in bytes;
        `missed` counts the connection events an air sniffer has missed so far, and the
        encrypted PDUs no key read (`unreadable`, also counted on its own). The caller
        calls `expire` first with the PDU's time (the analyzer does, once per frame)."""
        opcode = pdu.opcode
        self._cut = isinstance(pdu, AttCut)
        self._gap = missed != bearer.missed
        if self._gap:  # what is outstanding may have been answered unseen
            bearer.missed = missed
            _mark_gap(bearer, unreadable != bearer.unreadable)
            bearer.unreadable = unreadable
        role = _ROLE.get(opcode, _OTHER)
        if side == bearer.timed_out and (after := AFTER_TIMEOUT[role]) is not None:
            bearer.timed_out = None  # reported once per timeout
            self._report(
                after,
                f"{pdu.title} from the {side} side, whose transaction on this bearer timed out",
                bearer,
                (frame,),
            )
        if length > bearer.mtu:
            if bearer.mtu_known:
                self._report(
                    Kind.PDU_OVER_MTU,
                    f"{pdu.title} of {length} bytes on a bearer with ATT_MTU {bearer.mtu}",
                    bearer,
                    (frame,),
                )
            else:  # the devices agreed on at least this much, out of our sight
                bearer.mtu = length
        if length > bearer.largest_pdu:
            bearer.largest_pdu = length
        if role == _REQUEST:
            self._request(bearer, side, pdu, frame, ts)
        elif role == _RESPONSE:
            self._response(bearer, OTHER_SIDE[side], pdu, frame, ts)
        elif role == _INDICATION:
            self._indication(bearer, side, pdu, frame, ts)
        elif role == _CONFIRMATION:
            self._confirmation(bearer, side, pdu, frame, ts)

    def _request(self, bearer: Bearer, client: Side, pdu: Any, frame: int, ts: int) -> None:
        stream = bearer.stream(client)
        opcode = pdu.opcode
        if stream.long_read is not None and not _continues(stream.long_read, pdu):
            self._finish(stream.long_read)
            stream.long_read = None
        while stream.pending and stream.pending[0].capture_gap:
            self._close(stream.pending.pop(0), "incomplete")  # its answer was not captured
        if stream.pending:
            first = stream.pending[0]
            self._report(
                _BROKEN[_REQUEST],
                f"{pdu.title} while {first.request.title} "
                f"(frame {first.request_frame}) is unanswered",
                bearer,
                (first.request_frame, frame),
                first.request.opcode,
            )
            if len(stream.pending) >= MAX_PENDING:
                self._close(stream.pending.pop(0), "incomplete")
        if opcode == att.AttOpcode.EXCHANGE_MTU_REQ:
            self._mtu_request(bearer, client, pdu, frame)
        if opcode == att.AttOpcode.EXECUTE_WRITE_REQ and pdu.flags == 1 and not stream.queue:
            self._report(
                Kind.EXECUTE_WITHOUT_QUEUE,
                "Execute Write with no Prepare Write queued",
                bearer,
                (frame,),
            )
        txn = _Open(
            connection=bearer.conn, bearer=bearer.cid, client=client, server=OTHER_SIDE[client],
            kind=KINDS[opcode], request_frame=frame,
            response_frame=None, frames=[frame], start_us=ts, end_us=None, latency_us=None,
            outcome="incomplete", request=pdu, handle=getattr(pdu, "handle", None),
            value=getattr(pdu, "value", None), clock_jump=self.untimed,
        )  # fmt: skip
        stream.pending.append(txn)
        self._watch(txn, bearer, ts)

    def _response(self, bearer: Bearer, client: Side, pdu: Any, frame: int, ts: int) -> None:
        stream = bearer.streams.get(client)
        if stream is None or not stream.pending:
            if self._gap:
                return  # its request went while the sniffer was not listening
            if _late(bearer, client, pdu):
                return  # the answer to a request that timed out: pdu_after_timeout says it
            self._report(
                _BROKEN[_RESPONSE], f"{pdu.title} with no request outstanding", bearer, (frame,)
            )
            return
        # after a capture gap the older requests' answers are the likelier ones lost
        txn = _matching(stream.pending, pdu, newest_first=self._gap)
        mismatched = txn is None
        if txn is None and self._gap:
            # the request it answers went unseen, and the pending ones' answers with it
            while stream.pending:
                self._close(stream.pending.pop(0), "incomplete")
            return
        if txn is None:
            txn = stream.pending[0]
            self._report(
                Kind.MISMATCHED_RESPONSE,
                f"{pdu.title} answers {txn.request.title} (frame {txn.request_frame})",
                bearer,
                (txn.request_frame, frame),
                txn.request.opcode,
            )
        if self._gap:  # what was sent before it was answered while the sniffer missed it
            while stream.pending[0] is not txn:
                self._close(stream.pending.pop(0), "incomplete")
        stream.pending.remove(txn)
        if self._cut:
            self._cut_answer(stream, txn, frame, ts)
            return
        txn.response = pdu
        txn.response_frame = frame
        txn.frames.append(frame)
        txn.end_us = ts
        txn.latency_us = self._latency(txn, ts)
        txn.exchanges.append(Exchange(txn.request_frame, frame))
        if isinstance(pdu, att.ErrorResponse):
            txn.outcome = "error"
            txn.error_code = pdu.error_code
            txn.error_name = error_name(pdu.error_code)
        elif mismatched:  # not the answer its request asks for: nothing in it to read
            txn.outcome = "error"
            txn.error_name = f"mismatched response ({pdu.title})"
        else:
            txn.outcome = "ok"
            if isinstance(pdu, att.ExchangeMtuResponse):
                self._mtu_response(bearer, txn, pdu, frame)
        self._complete(bearer, stream, txn)

    def _cut_answer(self, stream: _Stream, txn: _Open, frame: int, ts: int) -> None:
        """`txn` was answered, but the log's writer cut the answer: it ends, its value
        unknown; so does a long read it continued, and queued writes stay queued."""
        txn.response_frame = frame
        txn.frames.append(frame)
        txn.end_us, txn.latency_us = ts, self._latency(txn, ts)
        txn.exchanges.append(Exchange(txn.request_frame, frame))
        txn.outcome = "cut"
        if isinstance(txn.request, att.ReadBlobRequest) and stream.long_read is not None:
            long_read, stream.long_read = stream.long_read, None
            _join_read(long_read, txn)
            long_read.outcome, long_read.value = "cut", None
            txn = long_read
        if isinstance(txn.request, att.PrepareWriteRequest):
            stream.queue.append(txn)  # Execute Write still ends the queue
            return
        self._finish(txn)

    def _complete(self, bearer: Bearer, stream: _Stream, txn: _Open) -> None:
        """A request was answered: join it to a long read or queued write, or report it."""
        pdu, request = txn.response, txn.request
        full = bearer.mtu - 1  # a read answer that fills the PDU may continue (Part G 4.8.3)
        if isinstance(request, att.ReadRequest | att.ReadBlobRequest):
            long_read = stream.long_read
            if long_read is not None:  # `_request` kept it open: this blob continues it
                _join_read(long_read, txn)
                txn = long_read
            elif txn.outcome == "ok" and isinstance(pdu, _READ_ANSWERS):
                txn.value = pdu.value
            answer = txn.response
            if (
                txn.outcome == "ok"
                and isinstance(answer, _READ_ANSWERS)
                and len(answer.value) >= full
            ):
                stream.long_read = txn  # the next request tells whether it goes on
                return
            stream.long_read = None
            self._finish(txn)
        elif isinstance(request, att.PrepareWriteRequest):
            if isinstance(pdu, att.PrepareWriteResponse) and (
                pdu.handle,
                pdu.offset,
                pdu.value,
            ) != (
                request.handle,
                request.offset,
                request.value,
            ):
                self._report(
                    Kind.PREPARE_WRITE_ECHO_MISMATCH,
                    "Prepare Write Response differs from its request",
                    bearer,
                    (txn.request_frame, txn.response_frame or 0),
                )
            if txn.outcome == "ok":
                if len(stream.queue) >= MAX_QUEUED:  # never executed: report the oldest
                    self._finish(stream.queue.pop(0))
                stream.queue.append(txn)
            else:
                self._finish(txn)
        elif isinstance(request, att.ExecuteWriteRequest):
            self._finish(_queued_write(stream, txn))
        else:
            if isinstance(request, att.ReadMultipleRequest | att.ReadByTypeRequest):
                txn.value = getattr(pdu, "value", None)
            self._finish(txn)

    def _indication(self, bearer: Bearer, server: Side, pdu: Any, frame: int, ts: int) -> None:
        previous = bearer.indications.get(server)
        if previous is not None and previous.capture_gap:
            self._close(bearer.indications.pop(server), "incomplete")
            previous = None
        if previous is not None:
            self._report(
                _BROKEN[_INDICATION],
                f"Indication while the one of frame {previous.request_frame} is unconfirmed",
                bearer,
                (previous.request_frame, frame),
                previous.request.opcode,
            )
            self._close(previous, "incomplete")
        txn = _Open(
            connection=bearer.conn, bearer=bearer.cid, client=OTHER_SIDE[server], server=server,
            kind="indication", request_frame=frame, response_frame=None, frames=[frame],
            start_us=ts, end_us=None, latency_us=None, outcome="incomplete", request=pdu,
            handle=pdu.handle, value=pdu.value, clock_jump=self.untimed,
        )  # fmt: skip
        bearer.indications[server] = txn
        self._watch(txn, bearer, ts)

    def _confirmation(self, bearer: Bearer, client: Side, pdu: Any, frame: int, ts: int) -> None:
        txn = bearer.indications.pop(OTHER_SIDE[client], None)
        if txn is None:
            if self._gap or _late(bearer, client, pdu):
                return
            self._report(
                _BROKEN[_CONFIRMATION],
                "Confirmation with no indication outstanding",
                bearer,
                (frame,),
            )
            return
        txn.response, txn.response_frame = pdu, frame
        txn.frames.append(frame)
        txn.end_us, txn.latency_us, txn.outcome = ts, self._latency(txn, ts), "ok"
        txn.exchanges.append(Exchange(txn.request_frame, frame))
        self._finish(txn)

    # -- MTU ------------------------------------------------------------------------------

    def _mtu_request(self, bearer: Bearer, client: Side, pdu: Any, frame: int) -> None:
        if bearer.eatt:
            self._report(
                Kind.MTU_EXCHANGE_ON_EATT,
                "Exchange MTU on an enhanced ATT bearer",
                bearer,
                (frame,),
            )
        elif client in bearer.mtu_clients:
            self._report(
                Kind.MTU_EXCHANGE_REPEATED,
                "Exchange MTU sent again by the same client",
                bearer,
                (frame,),
            )
        bearer.mtu_clients.add(client)
        if pdu.client_rx_mtu < LE_DEFAULT_MTU:
            self._report(
                Kind.MTU_BELOW_MINIMUM, f"client RX MTU {pdu.client_rx_mtu}", bearer, (frame,)
            )

    def _mtu_response(self, bearer: Bearer, txn: _Open, pdu: Any, frame: int) -> None:
        if pdu.server_rx_mtu < LE_DEFAULT_MTU:
            self._report(
                Kind.MTU_BELOW_MINIMUM, f"server RX MTU {pdu.server_rx_mtu}", bearer, (frame,)
            )
        request = txn.request
        if not bearer.eatt and isinstance(request, att.ExchangeMtuRequest):
            # both directions, from the response on (3.4.2.2)
            agreed = min(request.client_rx_mtu, pdu.server_rx_mtu)
            bearer.mtu = max(LE_DEFAULT_MTU, agreed)
            bearer.mtu_known = True
            bearer.mtu_source, bearer.mtu_frame = "exchange", frame

    # -- time and endings -------------------------------------------------------------

    def _watch(self, txn: _Open, bearer: Bearer, ts: int) -> None:
        """Its 30 s start now, if the capture's clock can say when they end."""
        if not txn.clock_jump:
            self._seq += 1
            heapq.heappush(self._deadlines, (ts + ATT_TIMEOUT_US, self._seq, txn, bearer))
            if len(self._deadlines) > self._compact_at:
                self._compact()

    def _compact(self) -> None:
        """Drop the deadlines of transactions already ended. They leave the heap when
        their 30 s pass; a capture whose time stands still (every record stamped alike)
        would otherwise keep every transaction ever made."""
        kept = [
            entry for entry in self._deadlines
            if entry[2].response_frame is None and entry[2].outcome == "incomplete"
            and self._still_open(entry[3], entry[2])
        ]  # fmt: skip
        heapq.heapify(kept)
        self._deadlines = kept
        self._compact_at = max(MIN_COMPACT, 2 * len(kept))

    def _latency(self, txn: _Open, ts: int) -> int | None:
        if self.untimed:
            txn.clock_jump = True
        return None if txn.clock_jump else ts - txn.start_us

    def clock_jumped(self, bearers: Iterable[Bearer]) -> None:
        """The capture's time jumped (out of range, or backwards): what is open now is
        neither timed out nor given a latency, since its time cannot be measured."""
        self._deadlines.clear()
        for bearer in bearers:
            for txn in _open(bearer):
                txn.clock_jump = True

    def expire(self, now: int) -> None:
        """Requests and indications unanswered for 30 s by `now` have timed out."""
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] < now:
            _, _, txn, bearer = heapq.heappop(deadlines)
            if txn.outcome != "incomplete" or txn.response_frame is not None:
                continue  # answered (or closed) in time
            if not self._still_open(bearer, txn):
                continue
            if txn.unreadable:  # its answer may be among the PDUs no key decrypted
                self._drop(bearer, txn)
                self._close(txn, "encrypted")
                continue
            self._report(
                Kind.TRANSACTION_TIMEOUT,
                f"{txn.request.title} of frame {txn.request_frame} not answered within 30 s",
                bearer,
                (txn.request_frame,),
                txn.request.opcode,
            )
            # the side that waited in vain must stop (3.3.3); the other may go on
            bearer.timed_out = txn.server if txn.kind == "indication" else txn.client
            self._drop(bearer, txn)
            bearer.expired = [*bearer.expired[1 - MAX_PENDING :], txn]
            txn.end_us = txn.start_us + ATT_TIMEOUT_US
            self._close(txn, "timeout")

    def unreadable(self, bearer: Bearer) -> None:
        """A PDU of the bearer's link that no key decrypted: what is open may have been
        answered by it."""
        _mark_gap(bearer, True)

    def close_bearer(self, bearer: Bearer) -> None:
        """The link ended: what is still open ends as it stands."""
        for stream in bearer.streams.values():
            if stream.long_read is not None:
                self._finish(stream.long_read)
                stream.long_read = None
            for txn in stream.pending:
                self._close(txn, "incomplete")
            stream.pending.clear()
            for txn in stream.queue:  # answered, never executed: each is what it was
                self._finish(txn)
            stream.queue.clear()
        for txn in bearer.indications.values():
            self._close(txn, "incomplete")
        bearer.indications.clear()

    @staticmethod
    def _still_open(bearer: Bearer, txn: _Open) -> bool:
        if txn.kind == "indication":
            return bearer.indications.get(txn.server) is txn
        stream = bearer.streams.get(txn.client)
        return stream is not None and txn in stream.pending

    @staticmethod
    def _drop(bearer: Bearer, txn: _Open) -> None:
        if txn.kind == "indication":
            bearer.indications.pop(txn.server, None)
        else:
            bearer.streams[txn.client].pending.remove(txn)

    def _close(self, txn: _Open, outcome: Outcome) -> None:
        if outcome == "incomplete" and txn.unreadable:
            outcome = "encrypted"  # its answer may be the ciphertext no key read
        txn.outcome = outcome
        if txn.response_frame is None:
            txn.exchanges.append(Exchange(txn.request_frame, None))
        self._done(txn.final())

    def _finish(self, txn: _Open) -> None:
        self._done(txn.final())

    def _report(
        self,
        kind: Kind,
        message: str,
        bearer: Bearer,
        frames: tuple[int, ...],
        pending: int | None = None,
    ) -> None:
        if self._cut:
            return  # nothing is said of a PDU only partly seen
        found = violation(kind, message, bearer.conn, frames, bearer.cid, pending)
        if bearer.guessed_sides and found.severity == "error":
            # who sent what was inferred, not recorded: a wrong guess looks like a violation
            found = msgspec.structs.replace(
                found,
                severity="warning",
                message=found.message + " (sides inferred from the link layer: the "
                "sniffer does not record who sent a packet)",
            )
        self._violation(found)


def _mark_gap(bearer: Bearer, unreadable: bool = False) -> None:
    """Packets went unseen (`unreadable`: some were ciphertext no key read)."""
    if bearer.mtu_source == "default":  # an exchange may have gone unseen
        bearer.mtu_known, bearer.mtu_source = False, MTU_UNSEEN
    for txn in _open(bearer):
        txn.capture_gap = True
        txn.unreadable = txn.unreadable or unreadable


def _open(bearer: Bearer) -> Iterator[_Open]:
    """Every transaction still open on a bearer: requests, a long read, queued writes,
    indications."""
    for stream in bearer.streams.values():
        yield from stream.pending
        if stream.long_read is not None:
            yield stream.long_read
        yield from stream.queue
    yield from bearer.indications.values()


def _matching(pending: list[_Open], pdu: Any, newest_first: bool = False) -> _Open | None:
    """The outstanding request this response answers: the oldest of its type (a server
    answers in order), or the newest when the sniffer missed packets since the bearer's
    last PDU (a client sends its next request only once answered, so two outstanding
    requests with a gap between mean the older one's answer was not captured)."""
    if isinstance(pdu, att.ErrorResponse):
        wanted = pdu.request_opcode
    else:
        try:
            wanted = att.request_for(pdu.opcode)
        except ValueError:
            return None
    candidates = reversed(pending) if newest_first else iter(pending)
    return next((t for t in candidates if t.request.opcode == wanted), None)


def _late(bearer: Bearer, client: Side, pdu: Any) -> bool:
    """`pdu` answers a request or indication of `client`'s stream that timed out (and
    takes it off the list)."""
    if isinstance(pdu, att.HandleValueConfirmation):
        indications = (t for t in bearer.expired if t.kind == "indication" and t.client == client)
        found = next(indications, None)
    else:
        requests = [t for t in bearer.expired if t.kind != "indication" and t.client == client]
        found = _matching(requests, pdu)
    if found is not None:
        bearer.expired.remove(found)
    return found is not None


def _continues(long_read: _Open, pdu: Any) -> bool:
    """A Read Blob of the same handle at the offset the value has reached."""
    return (
        isinstance(pdu, att.ReadBlobRequest)
        and pdu.handle == long_read.handle
        and pdu.offset == len(long_read.value or b"")
    )


def _join_read(long_read: _Open, blob: _Open) -> None:
    """Fold a Read Blob exchange into the read it continues."""
    long_read.kind = "long_read"
    long_read.frames.extend(blob.frames)
    long_read.exchanges.extend(blob.exchanges)
    long_read.response, long_read.response_frame = blob.response, blob.response_frame
    long_read.end_us = blob.end_us
    long_read.clock_jump = long_read.clock_jump or blob.clock_jump
    long_read.latency_us = (
        None if long_read.clock_jump else (blob.end_us or long_read.start_us) - long_read.start_us
    )
    if blob.outcome == "ok" and isinstance(blob.response, _READ_ANSWERS):
        long_read.value = (long_read.value or b"") + blob.response.value
    elif blob.error_code not in (0x0B, 0x07):  # Attribute Not Long, Invalid Offset: the end
        long_read.outcome, long_read.error_code = "error", blob.error_code
        long_read.error_name = blob.error_name


def _assembled(queue: list[_Open]) -> dict[int, bytes | None]:
    """Each handle's value as the queued parts write it (Part G 4.9.4): parts in the order
    sent, a later part over an earlier one. None where the parts leave a hole (a part at
    an offset beyond what came before): what lies in a hole is not in the capture, and
    filling it would cost memory for bytes nobody sent (a part at offset 0xFFF0 made a
    64 KB value)."""
    parts: dict[int, list[tuple[int, bytes]]] = {}
    for prepare in queue:
        request = prepare.request
        if isinstance(request, att.PrepareWriteRequest):
            parts.setdefault(request.handle, []).append((request.offset, request.value))
    values: dict[int, bytes | None] = {}
    for handle, written in parts.items():
        reach = max(offset + len(value) for offset, value in written)
        covered = sorted((offset, offset + len(value)) for offset, value in written)
        end = 0
        for start, stop in covered:
            if start > end:
                break
            end = max(end, stop)
        if end < reach:  # a hole
            values[handle] = None
            continue
        buf = bytearray(reach)
        for offset, value in written:
            buf[offset : offset + len(value)] = value
        values[handle] = bytes(buf)
    return values


def _queued_write(stream: _Stream, execute: _Open) -> _Open:
    """Prepare Writes and the Execute Write that ends them, as one transaction."""
    queue, stream.queue = stream.queue, []
    if not queue:
        return execute
    values = _assembled(queue)
    request = execute.request
    cancelled = isinstance(request, att.ExecuteWriteRequest) and request.flags == 0
    outcome = "cancelled" if cancelled and execute.outcome == "ok" else execute.outcome
    handles = list(values)
    end = execute.end_us
    jumped = execute.clock_jump or any(p.clock_jump for p in queue)
    return _Open(
        connection=execute.connection, bearer=execute.bearer, client=execute.client,
        server=execute.server, kind="queued_write", request_frame=queue[0].request_frame,
        response_frame=execute.response_frame,
        frames=[f for p in queue for f in p.frames] + execute.frames,
        start_us=queue[0].start_us, end_us=end,
        latency_us=None if end is None or jumped else end - queue[0].start_us,
        outcome=outcome, clock_jump=jumped,
        request=execute.request, response=execute.response,
        handle=handles[0] if len(handles) == 1 else None,
        value=values[handles[0]] if len(handles) == 1 else None,
        values={h: v for h, v in values.items() if v is not None},
        error_code=execute.error_code,
        error_name=execute.error_name,
        exchanges=[e for p in queue for e in p.exchanges] + execute.exchanges,
    )  # fmt: skip
