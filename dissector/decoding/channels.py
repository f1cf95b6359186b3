"""Dynamic L2CAP channels learnt from signalling, and SDU reassembly on credit-based ones.

A channel has a CID at each end. The device that asks for it names its own CID (SCID)
in the request; the other names its CID in the response. Packets *to* a device carry
that device's CID, so a data packet's channel is found by (connection, the direction it
travels, CID). LE credit-based and enhanced credit-based channels carry SDUs in K-frames,
the first with a 2-byte SDU length (Core 5.4 Vol 3 Part A 3.4.3, 4.22-4.26); BR/EDR
channels in basic mode carry one PDU per B-frame (3.1).
"""

from __future__ import annotations

from collections.abc import Hashable

import msgspec

from attscope.capture.frame import Direction
from attscope.dissector.decoding import l2cap_signalling as sig
from attscope.dissector.decoding.l2cap import PSM_ATT, PSM_EATT
from attscope.dissector.decoding.pdu import Malformed

MAX_CHANNELS_PER_CONNECTION = 512  # bounds state on hostile input
# enhanced credit-based connection results (Vol 3 Part A 4.26): those under which the
# channels given a non-zero CID are open, and those that promise a final response
CREDIT_OPENED = frozenset({0x0000, 0x0004, 0x0009, 0x000A})
CREDIT_PENDING = frozenset({0x000D, 0x000E, 0x000F})
BREDR_PENDING = 0x0001  # BR/EDR connection response: pending, a final one follows (4.3)
BREDR_SUCCESS = 0x0000
LE_SUCCESS = 0x0000  # an accepted LE credit-based connection


class Channel(msgspec.Struct, frozen=True, gc=False):
    """One direction's view of a dynamic channel: where packets to `cid` go."""

    cid: int
    psm: int
    mtu: int  # the receiving end's MTU: the largest SDU it takes
    mps: int  # the receiving end's MPS: the largest K-frame payload (0 for BR/EDR)
    credit_based: bool
    pair: tuple[int, int] = (0, 0)  # (requester's CID, responder's CID): one channel
    peer_mtu: int = 0  # the sending end's MTU

    @property
    def att_mtu(self) -> int:
        """An EATT bearer's ATT_MTU: the smaller of the two ends' MTUs (Vol 3 Part F
        3.2.8)."""
        return min(self.mtu, self.peer_mtu) if self.peer_mtu else self.mtu

    @property
    def carries_att(self) -> bool:
        return self.psm in (PSM_ATT, PSM_EATT)


class ChannelOpened(msgspec.Struct, frozen=True, gc=False):
    """Signalling opened a dynamic channel: decided here once, read by whoever needs it
    (the credit accounting). The request travelled `request_direction`; each end says
    what it takes in: its MTU, its MPS and the credits it grants (0 on BR/EDR)."""

    psm: int
    credit_based: bool
    request_direction: Direction
    requester_cid: int
    responder_cid: int
    requester_mtu: int
    requester_mps: int
    requester_credits: int
    responder_mtu: int
    responder_mps: int
    responder_credits: int


class ChannelClosed(msgspec.Struct, frozen=True, gc=False):
    """A Disconnection Response closed the channel with these CIDs: the responder's
    (`destination_cid`, packets travelling back to it) and the requester's."""

    response_direction: Direction
    destination_cid: int
    source_cid: int


ChannelChange = ChannelOpened | ChannelClosed


class _Request(msgspec.Struct, gc=False):
    psm: int
    cids: tuple[int, ...]  # the requester's CIDs
    mtu: int
    mps: int
    credits: int
    credit_based: bool


# the way an answer travels: back along the way its request came (unknown stays unknown)
OPPOSITE = {
    Direction.HOST_TO_CONTROLLER: Direction.CONTROLLER_TO_HOST,
    Direction.CONTROLLER_TO_HOST: Direction.HOST_TO_CONTROLLER,
    Direction.CENTRAL_TO_PERIPHERAL: Direction.PERIPHERAL_TO_CENTRAL,
    Direction.PERIPHERAL_TO_CENTRAL: Direction.CENTRAL_TO_PERIPHERAL,
    Direction.UNKNOWN: Direction.UNKNOWN,
}
_NO_CHANGE: tuple[ChannelChange, ...] = ()


class ChannelTable:
    """Channels per connection, opened and closed by the signalling commands fed to it.

    Each device numbers its own requests (Vol 3 Part A 4), so a request is found again
    by the connection, the way it travelled and its identifier."""

    def __init__(self) -> None:
        self._channels: dict[tuple[Hashable, Direction, int], Channel] = {}
        self._requests: dict[tuple[Hashable, Direction, int], _Request] = {}
        self._count: dict[Hashable, int] = {}

    def lookup(self, conn: Hashable, direction: Direction, cid: int) -> Channel | None:
        return self._channels.get((conn, direction, cid))

    def signalling(
        self, conn: Hashable, direction: Direction, command: object
    ) -> tuple[ChannelChange, ...]:
        """A signalling command went `direction`: the channels it opened or closed."""
        if isinstance(command, sig.LeCreditConnectionRequest):
            self._request(conn, direction, command.identifier, _Request(
                command.spsm, (command.source_cid,), command.mtu, command.mps,
                command.initial_credits, True))  # fmt: skip
        elif isinstance(command, sig.CreditConnectionRequest):
            self._request(conn, direction, command.identifier, _Request(
                command.spsm, command.source_cids, command.mtu, command.mps,
                command.initial_credits, True))  # fmt: skip
        elif isinstance(command, sig.ConnectionRequest):
            self._request(conn, direction, command.identifier, _Request(
                command.psm, (command.source_cid,), 0, 0, 0, False))  # fmt: skip
        elif isinstance(command, sig.LeCreditConnectionResponse):
            if command.result == LE_SUCCESS:
                return self._response(conn, direction, command.identifier,
                    (command.destination_cid,), command.mtu, command.mps,
                    command.initial_credits)  # fmt: skip
            self._requests.pop((conn, OPPOSITE[direction], command.identifier), None)
        elif isinstance(command, sig.CreditConnectionResponse):
            if command.result in CREDIT_PENDING:
                return _NO_CHANGE  # the final response follows
            if command.result in CREDIT_OPENED:
                return self._response(conn, direction, command.identifier,
                    command.destination_cids, command.mtu, command.mps,
                    command.initial_credits)  # fmt: skip
            self._requests.pop((conn, OPPOSITE[direction], command.identifier), None)
        elif isinstance(command, sig.ConnectionResponse):
            if command.result == BREDR_PENDING:
                return _NO_CHANGE
            if command.result == BREDR_SUCCESS:
                return self._response(conn, direction, command.identifier,
                    (command.destination_cid,), 0, 0, 0)  # fmt: skip
            self._requests.pop((conn, OPPOSITE[direction], command.identifier), None)
        elif isinstance(command, sig.DisconnectionResponse):
            return self._disconnect(conn, direction, command.destination_cid, command.source_cid)
        return _NO_CHANGE

    def _request(self, conn: Hashable, direction: Direction, ident: int, req: _Request) -> None:
        # at most 256 identifiers each way per connection, dropped when it closes
        self._requests[conn, direction, ident] = req

    def _response(
        self,
        conn: Hashable,
        direction: Direction,
        ident: int,
        cids: tuple[int, ...],
        mtu: int,
        mps: int,
        credits: int,
    ) -> tuple[ChannelChange, ...]:
        """The accepting answer went `direction`: the responder's CIDs, pairwise with the
        request's; a CID of 0 is a channel refused on its own (4.26)."""
        back = OPPOSITE[direction]
        req = self._requests.pop((conn, back, ident), None)
        if req is None:
            # sides inferred (a sniffer that does not say) can put a request
            # and its answer the same way
            req = self._requests.pop((conn, direction, ident), None)
            if req is None:
                return _NO_CHANGE
            back = direction
        opened: list[ChannelChange] = []
        for req_cid, rsp_cid in zip(req.cids, cids, strict=False):
            if req_cid == 0 or rsp_cid == 0:
                continue
            if self._count.get(conn, 0) >= MAX_CHANNELS_PER_CONNECTION:
                break
            # packets travelling like the response go to the requester's CID; packets
            # travelling like the request go to the responder's
            pair = (req_cid, rsp_cid)
            self._add(
                conn,
                direction,
                Channel(req_cid, req.psm, req.mtu, req.mps, req.credit_based, pair, mtu),
            )
            self._add(conn, back,
                      Channel(rsp_cid, req.psm, mtu, mps, req.credit_based, pair, req.mtu))  # fmt: skip
            opened.append(ChannelOpened(
                req.psm, req.credit_based, back, req_cid, rsp_cid,
                req.mtu, req.mps, req.credits, mtu, mps, credits))  # fmt: skip
        return tuple(opened)

    def _add(self, conn: Hashable, direction: Direction, channel: Channel) -> None:
        key = (conn, direction, channel.cid)
        if key not in self._channels:  # a channel opened again replaces itself
            self._count[conn] = self._count.get(conn, 0) + 1
        self._channels[key] = channel

    def _disconnect(
        self, conn: Hashable, direction: Direction, destination: int, source: int
    ) -> tuple[ChannelChange, ...]:
        """The responder's CID is `destination`: packets travelling back to it; the
        requester's is `source`: packets travelling like the response."""
        closed = False
        for key in ((conn, OPPOSITE[direction], destination), (conn, direction, source)):
            if self._channels.pop(key, None) is not None:
                self._count[conn] -= 1
                closed = True
        return (ChannelClosed(direction, destination, source),) if closed else _NO_CHANGE

    def close(self, conn: Hashable) -> None:
        for key in [k for k in self._channels if k[0] == conn]:
            del self._channels[key]
        self._count.pop(conn, None)
        for request in [k for k in self._requests if k[0] == conn]:
            del self._requests[request]


class SduReassembler:
    """K-frames into SDUs per (connection, direction, CID); bounded by the channel's MTU."""

    def __init__(self) -> None:
        self._open: dict[Hashable, tuple[int, list[bytes], int, list[int]]] = {}

    def pending(self, key: Hashable) -> bool:
        """An SDU is part way through: the next K-frame continues it."""
        return key in self._open

    def feed(
        self, key: Hashable, payload: bytes, frame: int
    ) -> tuple[bytes | None, tuple[int, ...], Malformed | None]:
        """(the SDU when complete, its frames, damage found on the way)."""
        partial = self._open.pop(key, None)
        if partial is None:
            if len(payload) < 2:
                return None, (), Malformed("l2cap", "K-frame too short for its SDU length", payload)
            # an SDU over the channel's MTU is still joined (at most 64 KiB): judging it is
            # the analyzer's job, which needs to see it
            sdu_len = int.from_bytes(payload[:2], "little")
            partial = (sdu_len, [], 0, [])
            payload = payload[2:]
        sdu_len, parts, size, frames = partial
        parts.append(payload)
        size += len(payload)
        frames.append(frame)
        if size < sdu_len:
            if len(frames) > sdu_len:  # empty K-frames that never fill it: not an SDU
                return None, (), Malformed(
                    "l2cap", f"{len(frames)} K-frames and the SDU is still not complete",
                    b"".join(parts),
                )  # fmt: skip
            self._open[key] = (sdu_len, parts, size, frames)
            return None, (), None  # its frames are told when it is complete
        sdu = b"".join(parts)
        if size > sdu_len:
            return (
                None,
                tuple(frames),
                Malformed(
                    "l2cap", f"K-frames carry {size - sdu_len} bytes more than the SDU length", sdu
                ),
            )
        return sdu, tuple(frames), None

    def close(self, conn: Hashable) -> None:
        for key in [k for k in self._open if isinstance(k, tuple) and k[0] == conn]:
            del self._open[key]
