"""Credit-based flow control on LE credit-based and enhanced credit-based L2CAP channels
(Core 5.4 Vol 3 Part A 10.1; K-frames 3.4.3; signalling 4.22-4.28 as numbered in 5.2).

A channel carries K-frames both ways, and each direction is counted on its own: K-frames
*to* a CID are limited by what the device owning that CID said about its receive side:

* credits: its initial credits in the connection request (if it asked for the channel) or
  response (if it accepted), plus every Flow Control Credit Indication it sends naming its
  own CID (4.24). Each K-frame to it uses one; a K-frame with none left is an error.
* MTU: no SDU longer (the SDU Length field of the SDU's first K-frame), and
* MPS: no K-frame payload longer (the L2CAP Length field, SDU Length included), both from
  the same request or response and changed by a Credit Based Reconfigure Request (4.27;
  its CIDs are the sender's own), which takes effect when the answer is success (4.28).

A direction's credit count becomes unknown, and is no longer judged, once the capture
loses packets of the link (the analyzer's `missed_events` grows): a lost Flow Control
Credit Indication would otherwise read as credit misuse. Which channels open and close is
decided once, by the decoder's channel table, and read here from `Packet.channel_changes`;
the K-frames and their SDU boundaries come on the packet too (`Packet.kframe`).
"""

from __future__ import annotations

from collections.abc import Callable

from attscope.capture.frame import Direction
from attscope.dissector.analysis.analysis_records import Violation, violation
from attscope.dissector.analysis.flow_rules import ViolationKind as Kind
from attscope.dissector.decoding import l2cap_signalling as sig
from attscope.dissector.decoding.channels import OPPOSITE, ChannelClosed, ChannelOpened
from attscope.dissector.decoding.decoder import Packet
from attscope.dissector.decoding.l2cap import CID_BREDR_SIGNALLING, CID_DYNAMIC, CID_LE_SIGNALLING

MAX_FLOWS = 4096  # channel directions kept; bounds state on hostile input
MAX_PENDING = 1024  # unanswered reconfigurations kept

FlowKey = tuple[str, Direction, int]  # (connection, the way K-frames travel, their CID)


class _Flow:
    """K-frames one way on one channel: what the receiving end allows."""

    __slots__ = ("credits", "granted", "missed", "mps", "mtu", "overdrawn", "sent", "source")

    def __init__(self, credits: int, mtu: int, mps: int, missed: int, source: int) -> None:
        self.credits: int | None = credits  # left; None: unknown (the capture lost packets)
        self.granted = credits
        self.overdrawn = False  # K-frames went without credit since the last grant
        self.sent = 0
        self.mtu = mtu
        self.mps = mps
        self.missed = missed  # the connection's missed_events when last in step
        self.source = source  # the frame that set the MTU and MPS


Reconfigure = list[tuple[_Flow, int, int, int, int]]  # flow, new MTU, MPS, old MTU, MPS


class CreditTracker:
    """Counts credits and checks sizes on every credit-based channel it sees opened."""

    def __init__(self, report: Callable[[Violation], None]) -> None:
        self._report = report
        self._flows: dict[FlowKey, _Flow] = {}
        self._reconfiguring: dict[tuple[str, Direction, int], Reconfigure] = {}

    def observe(self, packet: Packet, conn: str, missed: int) -> None:
        """An L2CAP PDU of connection `conn` (the analyzer's id), whose capture has lost
        `missed` events or fragments so far; the packet's direction must be known."""
        cid = packet.cid
        if cid is None:
            return
        if cid >= CID_DYNAMIC:
            flow = self._flows.get((conn, packet.direction, cid))
            if flow is not None:
                self._kframe(flow, packet, cid, conn, missed)
        elif cid in (CID_LE_SIGNALLING, CID_BREDR_SIGNALLING):
            for change in packet.channel_changes:
                if isinstance(change, ChannelOpened):
                    self._open(conn, change, packet.direction, packet.frame, missed)
                elif isinstance(change, ChannelClosed):
                    self._closed(conn, change)
            for record in packet.layers:
                if isinstance(record, sig.SignallingCommand):
                    self._signalling(record, packet, conn)

    def close(self, conn: str) -> None:
        """The link ended: its channels are gone."""
        for table in (self._flows, self._reconfiguring):
            for key in [k for k in table if k[0] == conn]:
                del table[key]

    # -- K-frames -----------------------------------------------------------------------

    def _kframe(self, flow: _Flow, packet: Packet, cid: int, conn: str, missed: int) -> None:
        kframe = packet.kframe
        if kframe is None:
            return
        if missed != flow.missed:  # packets were lost: credits granted or used unseen
            flow.credits, flow.missed = None, missed
        flow.sent += 1
        if flow.credits:
            flow.credits -= 1
        elif flow.credits == 0 and not flow.overdrawn:  # the first of a run without credit
            flow.overdrawn = True
            self._report(
                violation(
                    Kind.KFRAME_WITHOUT_CREDIT,
                    f"K-frame to CID 0x{cid:04x} with no credit left: the receiver "
                    f"granted {flow.granted} credits, this is K-frame {flow.sent}",
                    conn,
                    (packet.frame,),
                    cid,
                )
            )
        if kframe.length > flow.mps:
            self._report(
                violation(
                    Kind.KFRAME_OVER_MPS,
                    f"K-frame of {kframe.length} bytes to CID 0x{cid:04x}, whose MPS is "
                    f"{flow.mps} (frame {flow.source})",
                    conn,
                    (packet.frame,),
                    cid,
                )
            )
        if kframe.sdu_length is not None and kframe.sdu_length > flow.mtu:
            self._report(
                violation(
                    Kind.SDU_OVER_MTU,
                    f"SDU of {kframe.sdu_length} bytes to CID 0x{cid:04x}, whose MTU is "
                    f"{flow.mtu} (frame {flow.source})",
                    conn,
                    (packet.frame,),
                    cid,
                )
            )

    # -- signalling ---------------------------------------------------------------------

    def _signalling(self, command: sig.SignallingCommand, packet: Packet, conn: str) -> None:
        """Credits granted, and MTU and MPS changed: what signalling says of a channel
        already open."""
        direction = packet.direction
        back = OPPOSITE[direction]
        if back is Direction.UNKNOWN:
            return
        if isinstance(command, sig.FlowControlCreditInd):
            # the sender names its own CID: credits for the K-frames coming back to it
            flow = self._flows.get((conn, back, command.cid))
            if flow is not None and flow.credits is not None:
                flow.credits += command.credits
                flow.granted += command.credits
                flow.overdrawn = False
        elif isinstance(command, sig.CreditReconfigureRequest):
            self._reconfigure(conn, back, command, packet.frame)
        elif isinstance(command, sig.CreditReconfigureResponse):
            changes = self._reconfiguring.pop((conn, back, command.identifier), None)
            for flow, mtu, mps, old_mtu, old_mps in changes or ():
                flow.mtu, flow.mps = (mtu, mps) if command.result == 0 else (old_mtu, old_mps)

    def _open(
        self, conn: str, opened: ChannelOpened, direction: Direction, frame: int, missed: int
    ) -> None:
        """Both directions of a channel opened by the response of `frame`, which went
        `direction`: K-frames travelling like the response go to the requester's CID,
        within the requester's credits, MTU and MPS, and K-frames travelling like the
        request to the responder's, within the responder's (4.22-4.26)."""
        if not opened.credit_based or len(self._flows) >= MAX_FLOWS:
            return
        self._flows[conn, direction, opened.requester_cid] = _Flow(
            opened.requester_credits, opened.requester_mtu, opened.requester_mps, missed, frame
        )
        self._flows[conn, opened.request_direction, opened.responder_cid] = _Flow(
            opened.responder_credits, opened.responder_mtu, opened.responder_mps, missed, frame
        )

    def _closed(self, conn: str, closed: ChannelClosed) -> None:
        """DCID is the responder's end (K-frames travel back to it), SCID the other's."""
        back = OPPOSITE[closed.response_direction]
        self._flows.pop((conn, back, closed.destination_cid), None)
        self._flows.pop((conn, closed.response_direction, closed.source_cid), None)

    def _reconfigure(
        self, conn: str, back: Direction, command: sig.CreditReconfigureRequest, frame: int
    ) -> None:
        """The sender's new receive MTU and MPS for its CIDs (4.27). Until the answer
        they may already be in use, so the larger of old and new is allowed meanwhile."""
        changes: Reconfigure = []
        for cid in command.destination_cids:
            flow = self._flows.get((conn, back, cid))
            if flow is None:
                continue
            changes.append((flow, command.mtu, command.mps, flow.mtu, flow.mps))
            flow.mtu, flow.mps = max(flow.mtu, command.mtu), max(flow.mps, command.mps)
            flow.source = frame
        if changes and len(self._reconfiguring) < MAX_PENDING:
            self._reconfiguring[conn, OPPOSITE[back], command.identifier] = changes
