"""Host-to-controller ACL flow control, as an HCI log shows it (Core 5.4 Vol 4 Part E 4.1).

The controller says how many ACL data packets its buffers hold: LE Read Buffer Size
(7.8.2, v1 or v2) for LE links, Read Buffer Size (7.4.5) for BR/EDR links, and for LE
links too when LE Read Buffer Size reports 0 LE buffers (the pool is shared). Every ACL
packet the host sends takes a buffer of its link's pool; Number Of Completed Packets
(7.7.19) gives buffers back per handle, and Disconnection Complete (7.7.5) gives back all
of its handle's (the controller flushed them, 4.3). The host sending with no free buffer
is the violation. Until a buffer size is seen in the capture, the count is unknown and
nothing is judged; HCI_Reset (7.3.2) makes it unknown again.

Per adapter (Linux monitor index) and handle; handles in events are masked with 0x0FFF,
since some controllers set flag bits there. A packet costs a dict lookup and two integer
updates.

The same counting times each packet from the host to the controller: the Number Of
Completed Packets event that counts it is when the controller sent it and had it
acknowledged (or flushed), so the difference is the host-to-controller latency, kept per
connection (the packets complete in the order sent, per handle).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from attscope.capture.frame import Direction, Frame, HciType
from attscope.dissector.analysis.analysis_records import Violation, violation
from attscope.dissector.analysis.flow_rules import ViolationKind as Kind
from attscope.dissector.analysis.health.records import HostLatency
from attscope.dissector.analysis.latency_sketch import LatencySketch
from attscope.dissector.decoding import hci_events as ev
from attscope.dissector.decoding.decoder import Packet
from attscope.dissector.decoding.hci_acl import AclHeader
from attscope.dissector.decoding.hci_commands import (
    LeReadBufferSizeReturn,
    LeReadBufferSizeV2Return,
    ReadBufferSizeReturn,
)

OPCODE_RESET = 0x0C03
MAX_UNCOMPLETED = 4096  # packets waiting for completion: past it, the log lacks the events
PENDING = 1024  # latencies measured before they go into the connection's sketch
MAX_LINKS = 100_000  # handles kept; bounds state on hostile input
_ACL = int(HciType.ACL)
_EVENT = int(HciType.EVENT)
_H2C = Direction.HOST_TO_CONTROLLER
_COMPLETED = ev.NumberOfCompletedPackets

LinkKey = tuple[int | None, int]  # (adapter, handle)


class _Pool:
    """One buffer pool of a controller: LE, BR/EDR, or BR/EDR shared with LE."""

    __slots__ = ("frame", "free", "name", "total")

    def __init__(self, name: str, total: int, frame: int) -> None:
        self.name = name
        self.total = total
        self.free = total  # may go below 0 while the host overruns it
        self.frame = frame  # the Command Complete that told the count


class _Link:
    """One handle: its pool (None while unknown), its packets not yet completed and when
    each was sent."""

    __slots__ = ("conn_id", "in_flight", "name", "pool", "sent", "timing")

    def __init__(self, pool: _Pool | None, name: str) -> None:
        self.pool = pool
        self.name = name  # the decoder's connection name
        self.in_flight = 0
        self.sent: deque[int] | None = deque()  # None: too many never completed
        self.conn_id: str | None = None  # the analyzer's connection id
        self.timing: _Timing | None = None  # its latencies


class _Timing:
    """One connection's host-to-controller latencies: those measured since the last
    `sketch()` wait in `pending` (a list append per packet is cheaper than a call)."""

    __slots__ = ("completed", "latencies", "pending", "sent")

    def __init__(self) -> None:
        self.sent = 0
        self.completed = 0
        self.latencies = LatencySketch()
        self.pending: list[int] = []

    def sketch(self) -> LatencySketch:
        if self.pending:
            self.latencies.add_many(self.pending)
            self.pending.clear()
        return self.latencies


class _Controller:
    """What one controller said about its buffers, and the transport of each handle."""

    __slots__ = ("bredr", "le", "le_shared", "transports")

    def __init__(self) -> None:
        self.bredr: _Pool | None = None
        self.le: _Pool | None = None
        self.le_shared = False  # LE Read Buffer Size said 0: LE uses the BR/EDR buffers
        self.transports: dict[int, bool] = {}  # handle -> LE? from the connection events

    def pool_for(self, handle: int) -> _Pool | None:
        le = self.transports.get(handle)
        if le is None:  # a link opened before the capture: only a single pool is sure
            if self.le_shared:
                return self.bredr
            return self.le if self.bredr is None else None
        if not le:
            return self.bredr
        return self.bredr if self.le_shared else self.le


class AclFlowTracker:
    """Counts the controller's free ACL buffers from an HCI log."""

    def __init__(self, report: Callable[[Violation], None]) -> None:
        self._report = report
        self._links: dict[LinkKey, _Link] = {}
        self._by_name: dict[str | None, _Link] = {}  # the same links by connection name
        self._controllers: dict[int | None, _Controller] = {}
        self._timing: dict[str, _Timing] = {}  # connection id -> its latencies

    def host_latency(self, conn_id: str) -> HostLatency | None:
        """The connection's host-to-controller latency, if the host sent it data."""
        timing = self._timing.get(conn_id)
        if timing is None:
            return None
        sketch = timing.sketch()
        if not sketch.count:
            return HostLatency(timing.sent, timing.completed, None, None, None, None)
        return HostLatency(timing.sent, timing.completed, sketch.low, sketch.quantile(0.5),
                           sketch.quantile(0.95), sketch.high)  # fmt: skip

    def close(self, conn_id: str) -> None:
        """The connection ended and its record holds its latency: the latencies go."""
        self._timing.pop(conn_id, None)

    def observe(self, frame: Frame, packet: Packet, connection: str | None) -> None:
        """An HCI frame, its decoded packet and the id of its connection, if known."""
        kind = frame.hci_type
        if kind == _ACL:
            if frame.direction != _H2C:
                return
            # the decoder's connection name (made once per handle) is the cheapest key
            link = self._by_name.get(packet.connection)
            if link is None:
                link = self._link(frame.adapter, packet)
            if connection is not None:  # when it was sent, for its latency
                timing = link.timing
                if timing is None or link.conn_id != connection:
                    timing = self._new_connection(link, connection)
                timing.sent += 1
                sent = link.sent
                if sent is not None:
                    if len(sent) < MAX_UNCOMPLETED:
                        sent.append(packet.ts_us)
                    else:  # no completions in the log: no latency either
                        link.sent = None
            pool = link.pool
            if pool is None:
                return
            link.in_flight += 1
            pool.free -= 1
            if pool.free == -1:  # the first packet beyond the buffers; more follow unreported
                self._overflow(packet, pool, connection)
        elif kind == _EVENT and packet.layers:
            event = packet.layers[0]
            if type(event) is _COMPLETED:
                links = self._links
                adapter = frame.adapter
                for entry in event.entries:
                    link = links.get((adapter, entry.handle & 0x0FFF))
                    if link is None:
                        continue
                    if link.sent:
                        self._completed(link, entry.count, packet.ts_us)
                    if (pool := link.pool) is None:
                        continue
                    done = entry.count
                    if done > link.in_flight:  # never more than were sent
                        done = link.in_flight
                    link.in_flight -= done
                    pool.free += done
            else:
                self._event(frame.adapter, event, packet.frame)

    def _new_connection(self, link: _Link, conn_id: str) -> _Timing:
        """The handle's first packet of a connection: nothing carries over."""
        timing = self._timing.get(conn_id)
        if timing is None:
            timing = self._timing[conn_id] = _Timing()
        link.conn_id, link.timing, link.sent = conn_id, timing, deque()
        return timing

    def _completed(self, link: _Link, count: int, ts_us: int) -> None:
        sent, timing = link.sent, link.timing
        if sent is None or timing is None:
            return
        done = min(count, len(sent))
        pending, popleft = timing.pending, sent.popleft
        for _ in range(done):
            pending.append(ts_us - popleft())
        timing.completed += done
        if len(pending) >= PENDING:
            timing.sketch()

    def _overflow(self, packet: Packet, pool: _Pool, connection: str | None) -> None:
        header = packet.layers[0]
        handle = f"handle 0x{header.handle:04x}" if type(header) is AclHeader else "a handle"
        self._report(
            violation(
                Kind.ACL_BUFFER_OVERFLOW,
                f"ACL packet on {handle} with none of the controller's {pool.total} "
                f"{pool.name} ACL buffers free (count from frame {pool.frame}): the "
                f"{pool.total} sent before it still wait for Number Of Completed Packets",
                connection,
                (packet.frame,),
            )
        )

    def _link(self, adapter: int | None, packet: Packet) -> _Link:
        header = packet.layers[0]
        if type(header) is not AclHeader or packet.connection is None:
            return _Link(None, "")  # no handle to count it on
        controller = self._controllers.get(adapter)
        pool = controller.pool_for(header.handle) if controller is not None else None
        link = _Link(pool, packet.connection)
        if len(self._links) < MAX_LINKS:
            self._links[adapter, header.handle] = link
            self._by_name[packet.connection] = link
        return link

    def _event(self, adapter: int | None, event: object, frame: int) -> None:
        if isinstance(event, ev.CommandComplete):
            self._command_complete(adapter, event, frame)
        elif getattr(event, "status", None) != 0:
            return
        elif isinstance(event, ev.DisconnectionComplete):
            self._forget(adapter, event.handle & 0x0FFF)
        elif isinstance(event, ev.LeConnectionComplete | ev.LeEnhancedConnectionComplete):
            self._connected(adapter, event.handle & 0x0FFF, le=True)
        elif isinstance(event, ev.ConnectionComplete):
            self._connected(adapter, event.handle & 0x0FFF, le=False)

    def _command_complete(self, adapter: int | None, event: ev.CommandComplete, frame: int) -> None:
        ret = event.ret
        if event.opcode == OPCODE_RESET:
            self._controllers.pop(adapter, None)
            for key in [k for k in self._links if k[0] == adapter]:
                self._by_name.pop(self._links.pop(key).name, None)
            return
        if (
            not isinstance(
                ret, ReadBufferSizeReturn | LeReadBufferSizeReturn | LeReadBufferSizeV2Return
            )
            or ret.status != 0
        ):
            return
        controller = self._controllers.get(adapter)
        if controller is None:
            controller = self._controllers[adapter] = _Controller()
        count = ret.total_num_acl_data_packets
        if isinstance(ret, ReadBufferSizeReturn):
            controller.bredr = _Pool("BR/EDR", count, frame) if count else None
        elif count:
            controller.le, controller.le_shared = _Pool("LE", count, frame), False
        else:
            controller.le, controller.le_shared = None, True
        if controller.le_shared and controller.bredr is not None:
            controller.bredr.name = "shared BR/EDR and LE"
        self._rebind(adapter, controller)

    def _rebind(self, adapter: int | None, controller: _Controller) -> None:
        """A buffer count arrived with links open (rare): put each link in its pool and
        count each pool's free buffers from the packets still in flight."""
        links = [(k[1], link) for k, link in self._links.items() if k[0] == adapter]
        for handle, link in links:
            link.pool = controller.pool_for(handle)
        for pool in (controller.bredr, controller.le):
            if pool is not None:
                busy = sum(link.in_flight for _, link in links if link.pool is pool)
                pool.free = pool.total - busy

    def _connected(self, adapter: int | None, handle: int, le: bool) -> None:
        self._forget(adapter, handle)  # the handle was free: anything left on it is gone
        controller = self._controllers.get(adapter)
        if controller is None:
            controller = self._controllers[adapter] = _Controller()
        if len(controller.transports) < MAX_LINKS:
            controller.transports[handle] = le

    def _forget(self, adapter: int | None, handle: int) -> None:
        """The link is gone: its packets in flight free their buffers (7.7.5)."""
        link = self._links.pop((adapter, handle), None)
        if link is not None:
            self._by_name.pop(link.name, None)
            if link.pool is not None:
                link.pool.free += link.in_flight
        controller = self._controllers.get(adapter)
        if controller is not None:
            controller.transports.pop(handle, None)
