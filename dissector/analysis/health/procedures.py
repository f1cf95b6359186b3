"""Link-layer procedures checked (Core 5.4 Vol 6 Part B 5.1-5.5): every request answered,
within the 40 s response timeout, not rejected or unknown to the peer; every update with an
instant sent before its instant, one at a time, and taking effect at it.

From an air capture the PDUs show it; the sniffer's event counter places each packet in its
connection event, so instants are checked only where the sniffer reports one. From an HCI
log the controller's events show the outcome (their status, a disconnection's reason).
A check whose evidence the capture lacks (it ends, the sniffer missed packets, the PDUs are
ciphertext) gives the outcome "unseen", never a violation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attscope.dissector.analysis.analysis_records import (
    CENTRAL,
    LOCAL,
    Violation,
    violation,
)
from attscope.dissector.analysis.flow_rules import ViolationKind as Kind
from attscope.dissector.analysis.health.parameters import PHY_BIT
from attscope.dissector.analysis.health.records import Procedure
from attscope.dissector.decoding import hci_events as ev
from attscope.dissector.decoding import ll_control as llc
from attscope.dissector.decoding.hci_commands import LeConnectionUpdate, LeSetPhy
from attscope.dissector.decoding.ll_adv import used_channels

RESPONSE_TIMEOUT_US = 40_000_000  # Vol 6 Part B 5.2
MAX_PROCEDURES = 1_000  # per link; later ones are counted
PAST = 0x7FFF  # (Instant - connEventCounter) mod 65536 at or above it: passed (5.5)
ANCHOR_SPAN = 8  # connection events between the two anchors that time an interval
CHANNEL_PACKETS = 8  # packets on the new map's channels that show a map applied
PHY_PACKETS = 4  # packets on the new PHY (from the sniffer) that show a PHY applied

# a request -> (the procedure, the PDUs that answer it); by exact type: one response
# class derives from its request's
REQUESTS: dict[type[llc.LlControlPdu], tuple[str, tuple[type, ...]]] = {
    llc.FeatureReq: ("feature exchange", (llc.FeatureRsp,)),
    llc.PeripheralFeatureReq: ("feature exchange", (llc.FeatureRsp,)),
    llc.VersionInd: ("version exchange", (llc.VersionInd,)),
    llc.LengthReq: ("data length update", (llc.LengthRsp,)),
    llc.PhyReq: ("phy update request", (llc.PhyRsp, llc.PhyUpdateInd)),
    llc.ConnectionParamReq: ("connection parameters request",
                             (llc.ConnectionParamRsp, llc.ConnectionUpdateInd)),
    llc.EncReq: ("encryption start", (llc.EncRsp,)),
    llc.PauseEncReq: ("encryption pause", (llc.PauseEncRsp,)),
    llc.PingReq: ("le ping", (llc.PingRsp,)),
    llc.ClockAccuracyReq: ("sleep clock accuracy update", (llc.ClockAccuracyRsp,)),
    llc.CteReq: ("constant tone extension request", (llc.CteRsp,)),
    llc.PowerControlReq: ("power control", (llc.PowerControlRsp,)),
}  # fmt: skip
OPCODE_OF = {cls: cls.opcode for cls in REQUESTS}
INSTANT_PDUS: dict[type[llc.LlControlPdu], str] = {
    llc.ConnectionUpdateInd: "connection update",
    llc.ChannelMapInd: "channel map update",
    llc.PhyUpdateInd: "phy update",
}
COLLISIONS = (0x23, 0x2A)  # LL Procedure Collision, Different Transaction Collision
UNSUPPORTED = (0x1A, 0x20)  # Unsupported Remote Feature, Unsupported LL Parameter Value
# HCI: a failed update's status -> (outcome, the rule it shows broken)
HCI_FAILURES: dict[int, tuple[str, Kind]] = {
    0x1A: ("unknown", Kind.LL_PROCEDURE_UNKNOWN),
    0x22: ("timeout", Kind.LL_RESPONSE_TIMEOUT),
    0x23: ("rejected", Kind.LL_PROCEDURE_COLLISION),
    0x28: ("instant passed", Kind.LL_INSTANT_PASSED),
    0x2A: ("rejected", Kind.LL_PROCEDURE_COLLISION),
}


class _Request:
    __slots__ = ("frame", "missed", "name", "opcode", "side", "ts_us", "type")

    def __init__(self, pdu: Any, side: str, frame: int, ts_us: int, missed: int) -> None:
        self.type = type(pdu)
        self.name, _ = REQUESTS[self.type]
        self.opcode = OPCODE_OF[self.type]
        self.side, self.frame, self.ts_us, self.missed = side, frame, ts_us, missed


class _Instant:
    """An update waiting for its instant, then for the packets that show it applied."""

    __slots__ = ("anchors", "counter", "detail", "frame", "instant", "name", "new", "old",
                 "on_new", "ts_us")  # fmt: skip

    def __init__(self, name: str, pdu: Any, frame: int, ts_us: int, counter: int | None,
                 old: Any) -> None:  # fmt: skip
        self.name, self.frame, self.ts_us, self.counter = name, frame, ts_us, counter
        self.instant: int = pdu.instant
        self.detail = pdu.summary()
        self.old = old  # the value the update replaces (interval in us, map, PHYs)
        if isinstance(pdu, llc.ConnectionUpdateInd):
            self.new: Any = pdu.interval * 1250
        elif isinstance(pdu, llc.ChannelMapInd):
            self.new = frozenset(used_channels(pdu.chm))
        else:
            self.new = (PHY_BIT.get(pdu.phy_c_to_p), PHY_BIT.get(pdu.phy_p_to_c))
        self.anchors: list[tuple[int, int]] = []  # (event counter, time) of central packets
        self.on_new = 0  # packets after the instant that fit the new value

    def reached(self, counter: int) -> bool:
        return (counter - self.instant) & 0xFFFF < 0x8000


class ProcedureChecker:
    """One link's link-layer procedures."""

    __slots__ = ("_instants", "_report", "_requests", "conn_id", "dropped", "host_asked",
                 "procedures")  # fmt: skip

    def __init__(self, conn_id: str, report: Callable[[Violation], None]) -> None:
        self.conn_id = conn_id
        self._report = report
        self._requests: list[_Request] = []
        self._instants: list[_Instant] = []
        self.procedures: list[Procedure] = []
        self.dropped = 0
        self.host_asked: set[str] = set()  # HCI: updates the host asked its controller for

    # -- air ------------------------------------------------------------------------------

    def control(self, pdu: Any, side: str, frame: int, ts_us: int, counter: int | None,
                missed: int, old: Any) -> None:  # fmt: skip
        """A control PDU (its first copy, not a retransmission) from `side`; `counter`: the
        sniffer's event counter, `missed`: events the sniffer lost on the link so far,
        `old`: the link's value an instant PDU would replace."""
        kind = type(pdu)
        answered = self._answer(pdu, side, frame, ts_us)
        if kind in INSTANT_PDUS:
            self._instant(INSTANT_PDUS[kind], pdu, side, frame, ts_us, counter, old)
        elif kind in REQUESTS and not answered:
            self._requests.append(_Request(pdu, side, frame, ts_us, missed))

    def _answer(self, pdu: Any, side: str, frame: int, ts_us: int) -> bool:
        """Does the PDU answer the other side's outstanding request? Ends it if so."""
        kind = type(pdu)
        for request in self._requests:
            if request.side == side:
                continue
            _, answers = REQUESTS[request.type]
            if kind in answers:
                self._end(request, "done", pdu.summary(), frame)
                return True
            if kind is llc.UnknownRsp and pdu.unknown_type == request.opcode:
                self._end(request, "unknown", pdu.summary(), frame)
                self._violation(Kind.LL_PROCEDURE_UNKNOWN,
                                f"the {side} does not know {request.name} "
                                f"(LL_UNKNOWN_RSP to frame {request.frame})",
                                (request.frame, frame))  # fmt: skip
                return True
            code = _rejects(pdu, request)
            if code is not None:
                self._end(request, "rejected", pdu.summary(), frame)
                kind_of = Kind.LL_PROCEDURE_COLLISION if code in COLLISIONS else (
                    Kind.LL_PROCEDURE_REJECTED)  # fmt: skip
                self._violation(kind_of, f"the {side} rejected {request.name} of frame "
                                f"{request.frame}: {llc.error_text(code)}",
                                (request.frame, frame))  # fmt: skip
                return True
        return False

    def _instant(self, name: str, pdu: Any, side: str, frame: int, ts_us: int,
                 counter: int | None, old: Any) -> None:  # fmt: skip
        for pending in self._instants:
            # without a counter nothing places either instant: a collision cannot be told
            if counter is not None and not pending.reached(counter):
                self._violation(Kind.LL_PROCEDURE_COLLISION,
                                f"{name} sent while the {pending.name} of frame "
                                f"{pending.frame} waits for its instant {pending.instant}",
                                (pending.frame, frame))  # fmt: skip
                break
        update = _Instant(name, pdu, frame, ts_us, counter, old)
        if counter is not None and (update.instant - counter) & 0xFFFF >= PAST:
            self._violation(Kind.LL_INSTANT_PASSED,
                            f"{name} with instant {update.instant} sent in connection "
                            f"event {counter}: the instant has passed", (frame,))  # fmt: skip
            self._add(Procedure(name, side, frame, ts_us, "instant passed", update.detail,
                                update.instant, counter))  # fmt: skip
            return
        self._instants.append(update)

    def packet(self, ts_us: int, counter: int | None, central: bool | None,
               channel: int | None, phy: int | None, frame: int) -> None:  # fmt: skip
        """A good packet of the link (CRC checked): does it settle a pending update?
        `central`: sent by the central (None: not known), `phy`: the sniffer's PHY
        number when it reports one."""
        if counter is None or not self._instants:
            return
        for update in list(self._instants):
            if not update.reached(counter):
                continue
            outcome = self._settle(update, ts_us, counter, central, channel, phy)
            if outcome is not None:
                self._instants.remove(update)
                self._finish_instant(update, outcome, frame)

    def _settle(self, update: _Instant, ts_us: int, counter: int, central: bool | None,
                channel: int | None, phy: int | None) -> str | None:  # fmt: skip
        if update.name == "connection update":
            if central is not True:
                return None
            anchors = update.anchors
            if anchors and anchors[-1][0] == counter:
                return None  # the event's first central packet is its anchor
            anchors.append((counter, ts_us))
            first = anchors[0]
            span = (counter - first[0]) & 0xFFFF
            if span < ANCHOR_SPAN:
                return None
            return self._judge_interval(update, (ts_us - first[1]) / span)
        if update.name == "channel map update":
            if channel is None or channel >= 37:
                return None
            if channel not in update.new:
                return f"not applied: a packet on channel {channel}, outside the new map"
            update.on_new += 1
            return "applied" if update.on_new >= CHANNEL_PACKETS else None
        if phy is None or central is None:
            return None
        wanted = update.new[0 if central else 1]
        if wanted is None:
            return None
        got = PHY_BIT.get(1 << phy)
        if got != wanted:
            return f"not applied: the {'central' if central else 'peripheral'} sends on {got}"
        update.on_new += 1
        return "applied" if update.on_new >= PHY_PACKETS else None

    @staticmethod
    def _judge_interval(update: _Instant, measured: float) -> str:
        new, old = update.new, update.old
        if old is None or old == new:
            return "applied" if abs(measured - new) < 625 else (
                f"not applied: events {measured / 1000:.2f} ms apart")  # fmt: skip
        if abs(measured - new) <= abs(measured - old):
            return "applied"
        return f"not applied: events still {measured / 1000:.2f} ms apart (the old interval)"

    def _finish_instant(self, update: _Instant, outcome: str, frame: int) -> None:
        if outcome.startswith("not applied"):
            self._violation(Kind.LL_UPDATE_NOT_APPLIED,
                            f"{update.name} of frame {update.frame} (instant "
                            f"{update.instant}) {outcome}", (update.frame, frame))  # fmt: skip
        word = "applied" if outcome == "applied" else "not applied"
        detail = update.detail if word == outcome else f"{update.detail}; {outcome}"
        self._add(Procedure(update.name, CENTRAL, update.frame, update.ts_us, word, detail,
                            update.instant, update.counter, frame))  # fmt: skip

    def tick(self, ts_us: int, missed: int) -> None:
        """Time passed on the link: requests past the 40 s response timeout end."""
        if not self._requests:
            return
        for request in list(self._requests):
            if ts_us - request.ts_us <= RESPONSE_TIMEOUT_US:
                continue
            self._requests.remove(request)
            if missed != request.missed:  # the sniffer lost packets: the answer may be among them
                self._end(request, "unseen", "no answer in the capture, which missed "
                          "packets of the link meanwhile", None)  # fmt: skip
                continue
            self._end(request, "timeout", "no answer within 40 s", None)
            self._violation(Kind.LL_RESPONSE_TIMEOUT,
                            f"{request.name} of frame {request.frame} from the "
                            f"{request.side}: no answer within 40 s", (request.frame,))  # fmt: skip

    def unreadable(self) -> None:
        """A PDU no key reads: an outstanding request's answer may be in it."""
        for request in self._requests:
            self._end(request, "unseen", "its answer may be among the PDUs no key read", None)
        self._requests.clear()

    def finish(self) -> None:
        """The capture (or the link) ended: what is still pending is unseen."""
        for request in self._requests:
            self._end(request, "unseen", "no answer before the capture (or link) ended", None)
        for update in self._instants:
            why = ("the capture does not show its instant passing" if update.counter is not None
                   else "the sniffer gives no event counter to place its instant")  # fmt: skip
            self._add(Procedure(update.name, CENTRAL, update.frame, update.ts_us, "unseen",
                                f"{update.detail}; {why}", update.instant,
                                update.counter))  # fmt: skip
        self._requests.clear()
        self._instants.clear()

    # -- HCI ------------------------------------------------------------------------------

    def hci_command(self, command: Any) -> None:
        """A command the host sent about the link: the update it asks for is the host's."""
        if isinstance(command, LeConnectionUpdate):
            self.host_asked.add("connection update")
        elif isinstance(command, LeSetPhy):
            self.host_asked.add("phy update")

    def hci_event(self, event: Any, frame: int, ts_us: int) -> None:
        """An event about the link: the outcome of an update, or a disconnection that
        names a procedure's failure."""
        if isinstance(event, ev.LeConnectionUpdateComplete):
            name = "connection update"
            detail = (f"interval {event.interval * 1.25:.2f} ms, latency {event.latency}, "
                      f"timeout {event.supervision_timeout * 10} ms")  # fmt: skip
        elif isinstance(event, ev.LePhyUpdateComplete):
            name = "phy update"
            detail = f"TX PHY {event.tx_phy}, RX PHY {event.rx_phy}"
        elif isinstance(event, ev.DisconnectionComplete) and event.status == 0:
            failure = HCI_FAILURES.get(event.reason)
            if failure is not None and event.reason in (0x22, 0x28):
                outcome, kind = failure
                self._add(Procedure("link-layer procedure", None, frame, ts_us, outcome,
                                    f"the link ended: {llc.error_text(event.reason)}"))  # fmt: skip
                self._violation(kind, f"the controller ended the link: "
                                f"{llc.error_text(event.reason)}", (frame,))  # fmt: skip
            return
        else:
            return
        initiator = LOCAL if name in self.host_asked else None
        self.host_asked.discard(name)
        if event.status == 0:
            self._add(Procedure(name, initiator, frame, ts_us, "applied", detail))
            return
        outcome, kind = HCI_FAILURES.get(event.status, ("rejected", Kind.LL_PROCEDURE_REJECTED))
        if event.status in UNSUPPORTED:
            outcome, kind = "unknown", Kind.LL_PROCEDURE_UNKNOWN
        self._add(Procedure(name, initiator, frame, ts_us, outcome,
                            llc.error_text(event.status)))  # fmt: skip
        self._violation(kind, f"{name} failed: {llc.error_text(event.status)}", (frame,))

    # -- records --------------------------------------------------------------------------

    def _end(self, request: _Request, outcome: str, detail: str, frame: int | None) -> None:
        if request in self._requests:
            self._requests.remove(request)
        self._add(Procedure(request.name, request.side, request.frame, request.ts_us,
                            outcome, detail, end_frame=frame))  # fmt: skip

    def _add(self, procedure: Procedure) -> None:
        if len(self.procedures) < MAX_PROCEDURES:
            self.procedures.append(procedure)
        else:
            self.dropped += 1

    def _violation(self, kind: Kind, message: str, frames: tuple[int, ...]) -> None:
        self._report(violation(kind, message, self.conn_id, frames))


def _rejects(pdu: Any, request: _Request) -> int | None:
    """The error code if the PDU rejects the request (2.4.2.14, 2.4.2.18), else None."""
    if isinstance(pdu, llc.RejectExtInd) and pdu.reject_opcode == request.opcode:
        return int(pdu.error_code)
    if isinstance(pdu, llc.RejectInd) and request.type in (llc.EncReq, llc.ConnectionParamReq):
        return int(pdu.error_code)
    return None
