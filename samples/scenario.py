"""The scenario builder: a clock, the HCI log it writes, and LE connections on it.

A scenario plays the host (an Android phone's Bluetooth stack) against a modelled
controller and peripheral. `Timeline` keeps the time and the logged HCI packets; commands
get their Command Complete / Command Status after a controller latency. `Connection`
models one LE link: connection events every interval, L2CAP PDUs fragmented into ACL
packets (Core 5.4, Vol 3, Part A, 7.2; Vol 4, Part E, 5.4.2) of the controller's buffer size
on the way down and of the peer's LL PDU size on the way up, Number Of Completed Packets once
the peer acknowledged (Vol 4, Part E, 4.1.1), and a `GattServer` answering each ATT request
one or more connection events later.

All randomness comes from one seeded `random.Random`, so a scenario writes the same bytes
every time.
"""

from __future__ import annotations

import random
import struct
from datetime import datetime

import att_pdus as att
import hci_pdus as hci
from gatt_server import GattServer

from attscope.capture import Direction, Encap, Frame, HciType
from attscope.capture.linktypes import BTSNOOP_H4

H2C = Direction.HOST_TO_CONTROLLER
C2H = Direction.CONTROLLER_TO_HOST
SLOT_US = 1250  # connection interval unit (Vol 6, Part B, 4.5.1)


def epoch_us(when: str) -> int:
    """Microseconds since the Unix epoch for an ISO 8601 time with zone ("...Z")."""
    stamp = datetime.fromisoformat(when.replace("Z", "+00:00"))
    return int(stamp.timestamp()) * 1_000_000 + stamp.microsecond


class Timeline:
    """The host's clock and the HCI packets logged so far (in any order; sorted at the end)."""

    def __init__(self, start: str, seed: int) -> None:
        self.now = epoch_us(start)
        self.rng = random.Random(seed)
        self._records: list[tuple[int, int, Direction, HciType, bytes]] = []

    def us(self, low: int, high: int) -> int:
        """A duration drawn uniformly from [low, high] microseconds."""
        return self.rng.randint(low, high)

    def wait(self, low: int, high: int | None = None) -> int:
        """Let time pass (host or app processing); returns the new time."""
        self.now += low if high is None else self.us(low, high)
        return self.now

    def log(self, direction: Direction, hci_type: HciType, packet: bytes, at: int) -> None:
        self._records.append((at, len(self._records), direction, hci_type, packet))

    def send_command(self, packet: bytes) -> None:
        self.log(H2C, HciType.COMMAND, packet, self.now)

    def event(self, packet: bytes, at: int | None = None) -> int:
        at = self.now if at is None else at
        self.log(C2H, HciType.EVENT, packet, at)
        return at

    def command(self, packet: bytes, return_params: bytes = b"\x00", status: bool = False) -> int:
        """Send a command; the controller answers with Command Complete (return parameters,
        status first) or, for `status=True`, Command Status (Vol 4, Part E, 4.4). The host
        resumes a little after the answer; returns the time of the answer."""
        opcode = struct.unpack_from("<H", packet)[0]
        self.send_command(packet)
        answer_at = self.now + self.us(180, 700)
        if status:
            self.event(hci.command_status(opcode), answer_at)
        else:
            self.event(hci.command_complete(opcode, return_params), answer_at)
        self.now = answer_at + self.us(80, 260)
        return answer_at

    def frames(self) -> list[Frame]:
        """The log as btsnoop H4 frames, in time order, timestamps strictly increasing."""
        frames: list[Frame] = []
        last = -1
        for index, (at, _seq, direction, hci_type, packet) in enumerate(sorted(self._records), 1):
            last = max(at, last + 1)
            frames.append(
                Frame(index, last, BTSNOOP_H4, Encap.HCI, direction, packet, hci_type=hci_type)
            )
        return frames


class Connection:
    """One LE connection as the central's HCI log sees it."""

    def __init__(
        self,
        tl: Timeline,
        handle: int,
        server: GattServer,
        interval: int,
        first_event: int,
        host_fragment: int = 27,
        peer_fragment: int = 27,
        retransmissions: float = 0.06,
    ) -> None:
        self.tl = tl
        self.handle = handle
        self.server = server
        self.host_fragment = host_fragment  # LE_ACL_Data_Packet_Length (LE Read Buffer Size)
        self.peer_fragment = peer_fragment  # the peer's LL data PDU payload size
        self.mtu = 23  # the client's ATT_MTU (Vol 3, Part F, 3.2.8)
        self.retransmissions = retransmissions  # share of peer packets resent an event later
        self._segments: list[tuple[int, int]] = [(first_event, interval * SLOT_US)]
        self._signal_id = 0

    @property
    def interval_us(self) -> int:
        return self._segments[-1][1]

    def event_at(self, t: int) -> int:
        """The first connection event at or after time t."""
        for i, (anchor, interval) in enumerate(self._segments):
            k = max(0, -(-(t - anchor) // interval))
            candidate = anchor + k * interval
            if i + 1 < len(self._segments) and candidate >= self._segments[i + 1][0]:
                continue
            return candidate
        raise AssertionError("unreachable")

    def events_after(self, t: int, count: int) -> int:
        """The connection event `count` events after the first one at or after t."""
        event = self.event_at(t)
        for _ in range(count):
            event = self.event_at(event + 1)
        return event

    # -- ACL -------------------------------------------------------------------------------

    def send(self, cid: int, payload: bytes) -> int:
        """Host to controller: the L2CAP PDU in ACL fragments of at most `host_fragment`
        octets (PB 0b00 then 0b01, Vol 4, Part E, 5.4.2), all sent in the next connection
        event; Number Of Completed Packets when the peer acknowledged them (Vol 4, Part E,
        4.1.1). Returns the time of the connection event that carried them."""
        pdu = att.l2cap(cid, payload)
        fragments = [
            pdu[i : i + self.host_fragment] for i in range(0, len(pdu), self.host_fragment)
        ]
        at = self.tl.now
        for i, fragment in enumerate(fragments):
            pb = hci.PB_FIRST_NON_FLUSHABLE if i == 0 else hci.PB_CONTINUING
            self.tl.log(H2C, HciType.ACL, hci.acl(self.handle, pb, fragment), at)
            at += self.tl.us(25, 60)
        event = self.event_at(at + self.tl.us(300, 600))
        done = event + len(fragments) * 700 + self.tl.us(400, 1800)
        self.tl.event(hci.number_of_completed_packets(self.handle, len(fragments)), done)
        return event

    def receive(self, cid: int, payload: bytes, event: int) -> int:
        """Controller to host: the peer's L2CAP PDU as it arrived in LL data PDUs of at most
        `peer_fragment` octets, each passed up as an ACL fragment (PB 0b10 then 0b01).
        Now and then the peer's first packet is lost and resent in the next connection
        event. Returns the time the last fragment reached the host."""
        pdu = att.l2cap(cid, payload)
        if self.tl.rng.random() < self.retransmissions:
            event = self.event_at(event + 1)
        at = event + self.tl.us(450, 1100)
        for i in range(0, len(pdu), self.peer_fragment):
            pb = hci.PB_FIRST_FLUSHABLE if i == 0 else hci.PB_CONTINUING
            packet = hci.acl(self.handle, pb, pdu[i : i + self.peer_fragment])
            self.tl.log(C2H, HciType.ACL, packet, at)
            at += self.tl.us(560, 720)
        return at

    # -- ATT -------------------------------------------------------------------------------

    def att(self, request: bytes, events: int = 1) -> bytes:
        """The client's ATT request and the server's response `events` connection events
        after the one that carried the request; the host goes on shortly after it. Returns
        the response PDU."""
        sent = self.send(att.CID_ATT, request)
        response = self.server.respond(request)
        arrived = self.receive(att.CID_ATT, response, self.events_after(sent + 1, events - 1))
        self.tl.now = max(self.tl.now, arrived) + self.tl.us(150, 450)
        return response

    def notify(self, uuid: att.Uuid, value: bytes, at: int) -> int:
        """The server notifies a value it produced at time `at` (peripheral clock); it goes
        in the next connection event. Returns when the host received it."""
        pdu = self.server.notification(uuid, value)
        return self.receive(att.CID_ATT, pdu, self.event_at(at))

    # -- link control ----------------------------------------------------------------------

    def peer_requests_parameters(
        self, at: int, interval_min: int, interval_max: int, latency: int, timeout: int
    ) -> tuple[int, int]:
        """The peripheral's L2CAP Connection Parameter Update Request (Vol 3, Part A, 4.20)
        and the central host's answer: accept (4.21), then HCI_LE_Connection_Update. The
        new parameters take effect at the instant, 6 to 10 events later (Vol 6, Part B,
        5.1.1), when the controller reports LE Connection Update Complete. Returns the
        chosen interval and the time of that event."""
        self._signal_id = self._signal_id % 255 + 1
        identifier = self._signal_id
        req = att.connection_parameter_update_req(
            identifier, interval_min, interval_max, latency, timeout
        )
        arrived = self.receive(att.CID_LE_SIGNALING, req, self.event_at(at))
        self.tl.now = max(self.tl.now, arrived) + self.tl.us(300, 900)
        self.send(att.CID_LE_SIGNALING, att.connection_parameter_update_rsp(identifier))
        self.tl.wait(120, 400)
        self.tl.command(
            hci.le_connection_update(self.handle, interval_min, interval_max, latency, timeout),
            status=True,
        )
        instant = self.events_after(self.tl.now, self.tl.rng.randint(6, 10))
        new_anchor = instant + self.tl.us(1, 4) * SLOT_US
        self._segments.append((new_anchor, interval_max * SLOT_US))
        complete = self.tl.event(
            hci.le_connection_update_complete(self.handle, interval_max, latency, timeout),
            new_anchor + self.tl.us(300, 900),
        )
        return interval_max, complete

    def disconnect(self, reason: int = hci.REMOTE_USER_TERMINATED) -> int:
        """HCI_Disconnect (Vol 4, Part E, 7.1.6) and, once the LL_TERMINATE_IND is
        acknowledged, Disconnection Complete with reason 0x16 "Connection Terminated By
        Local Host" (Vol 1, Part F, 2.22). Returns the time of that event."""
        self.tl.command(hci.disconnect(self.handle, reason), status=True)
        acked = self.events_after(self.tl.now, 1)
        at = self.tl.event(
            hci.disconnection_complete(self.handle, hci.LOCAL_HOST_TERMINATED),
            acked + self.tl.us(600, 1500),
        )
        self.tl.now = at + self.tl.us(200, 600)
        return at
