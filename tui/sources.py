"""Row sources for the virtual lists: a view's positions turned into rows on demand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text

from attscope.dissector.analysis.advertisers import Advertiser
from attscope.dissector.analysis.analysis_records import Connection, Transaction, Violation
from attscope.tui.filter_query import EVERYTHING, Filter
from attscope.tui.model import CaptureModel, FlowRecord
from attscope.tui.rows import (
    connection_row,
    device_row,
    device_text,
    exchange_row,
    flow_connection_column,
    flow_row,
    packet_row,
    safe,
    transaction_row,
    violation_member_row,
    violation_row,
)
from attscope.tui.time_axis import ConnectionStarts
from attscope.tui.views import GrowingRange, View


class _ViewRows:
    """The rows of a view, one each."""

    def __init__(self, model: CaptureModel, view: View) -> None:
        self.model, self.view = model, view

    def __len__(self) -> int:
        return len(self.view)


class PacketRows(_ViewRows):
    def rows(self, start: int, stop: int, width: int) -> list[Text]:
        stop = min(stop, len(self.view))
        if start >= stop:
            return []
        model = self.model
        delta = model.clock.mode == "delta" and start > 0
        first = start - 1 if delta else start  # the row above, for the time since it
        if isinstance(self.view.positions, GrowingRange):
            packets = model.packets(self.view[first], self.view[stop - 1] + 1)
        else:
            packets = [model.packets(p, p + 1)[0] for p in map(self.view.__getitem__,
                                                                 range(first, stop))]  # fmt: skip
        starts = _starts(model)
        previous = packets.pop(0).ts_us if delta else None
        out = []
        for packet in packets:
            out.append(packet_row(model, packet, previous, starts))
            previous = packet.ts_us
        return out

    def frame_at(self, index: int) -> int:
        return self.view[index] + 1


class FlowRows:
    """The Flow's rows; `every_connection`: no connection focused, so several may be shown
    and each row says its connection."""

    def __init__(self, model: CaptureModel, view: View, every_connection: bool) -> None:
        self.model, self.view, self.every = model, view, every_connection

    def connection_column(self) -> int:
        return flow_connection_column(self.model, None) if self.every else 0

    def __len__(self) -> int:
        return len(self.view)

    def records(self, start: int, stop: int) -> list[FlowRecord]:
        stop = min(stop, len(self.view))
        positions = [self.view[i] for i in range(start, stop)]
        if not positions:
            return []
        if positions[-1] - positions[0] == len(positions) - 1:
            return self.model.flows.slice(positions[0], positions[-1] + 1)
        return [self.model.flows[p] for p in positions]

    def rows(self, start: int, stop: int, width: int) -> list[Text]:
        conn_col = self.connection_column()
        model = self.model
        delta = model.clock.mode == "delta" and start > 0
        records = self.records(start - 1 if delta else start, stop)
        previous = records.pop(0).ts_us if delta and records else None
        starts = _starts(model)
        out = []
        for record in records:
            out.append(flow_row(model, record, width, conn_col, previous, starts))
            previous = record.ts_us
        return out

    def frame_at(self, index: int) -> int:
        return self.records(index, index + 1)[0].frame


class TransactionRows:
    """Transactions, one row each; a long read or queued write opens into its exchanges."""

    def __init__(self, model: CaptureModel, view: View, order: list[int] | None = None) -> None:
        self.model, self.view = model, view
        self.order = order  # sorted positions, when sorted
        self.expanded: dict[int, int] = {}  # view index -> exchanges shown under it

    def _count(self) -> int:
        return len(self.order) if self.order is not None else len(self.view)

    def __len__(self) -> int:
        return self._count() + sum(self.expanded.values())

    def _position(self, view_index: int) -> int:
        return self.order[view_index] if self.order is not None else self.view[view_index]

    def locate(self, row: int) -> tuple[int, int]:
        """(view index, exchange number or 0 for the transaction's own row)."""
        opened = sorted(self.expanded)
        extra = 0
        for index in opened:
            own_row = index + extra
            if row <= own_row:
                break
            if row <= own_row + self.expanded[index]:
                return index, row - own_row
            extra += self.expanded[index]
        return row - extra, 0

    def transaction(self, row: int) -> Transaction | None:
        index, _ = self.locate(row)
        if not 0 <= index < self._count():
            return None
        return self.model.transactions[self._position(index)]

    def toggle(self, row: int) -> None:
        index, _ = self.locate(row)
        if index in self.expanded:
            del self.expanded[index]
            return
        txn = self.transaction(row)
        if txn is not None and len(txn.exchanges) > 1:
            self.expanded[index] = len(txn.exchanges)

    def rows(self, start: int, stop: int, width: int) -> list[Text]:
        model = self.model
        starts = _starts(model)
        previous = None
        if model.clock.mode == "delta" and start > 0:
            above = self.transaction(start - 1)
            previous = above.start_us if above is not None else None
        out = []
        for row in range(start, min(stop, len(self))):
            index, sub = self.locate(row)
            txn = model.transactions[self._position(index)]
            if sub:
                exchange = txn.exchanges[sub - 1]
                out.append(exchange_row(sub, exchange.request_frame, exchange.response_frame))
            else:
                multi = len(txn.exchanges) > 1
                shown = (index in self.expanded) if multi else None
                out.append(transaction_row(model, txn, shown, width, previous, starts))
                previous = txn.start_us
        return out

    def frame_at(self, row: int) -> int:
        index, sub = self.locate(row)
        txn = self.model.transactions[self._position(index)]
        return txn.exchanges[sub - 1].request_frame if sub else txn.request_frame

    def take_over(self, old: TransactionRows, cursor: int) -> int:
        """Open the rows `old` had open; the row that now shows what `old`'s row `cursor`
        showed (the same transaction, or the same exchange of it)."""
        where = {self._position(i): i for i in range(self._count())}
        for index, shown in old.expanded.items():
            new = where.get(old._position(index))
            if new is not None:
                self.expanded[new] = shown
        index, sub = old.locate(cursor)
        if not 0 <= index < old._count():
            return cursor
        new = where.get(old._position(index))
        if new is None:
            return 0
        return new + sum(n for i, n in self.expanded.items() if i < new) + sub


class ViolationRows:
    """Violations grouped as Wireshark's Expert Info groups them: one row per rule broken
    on a connection (severity, kind, connection) with how often, in the order first seen;
    a group opens into its violations."""

    def __init__(self, model: CaptureModel, view: View) -> None:
        self.model, self.view = model, view
        self.groups: list[list[int]] = []  # model positions, per group
        self._group_of: dict[tuple[str, str, str | None], int] = {}
        self._taken = 0  # view entries grouped so far (the view grows)
        self.expanded: set[int] = set()

    def _take(self) -> None:
        view, violations = self.view, self.model.violations
        for i in range(self._taken, len(view)):
            position = view[i]
            found = violations[position]
            key = (found.severity, found.kind, found.connection)
            group = self._group_of.get(key)
            if group is None:
                group = self._group_of[key] = len(self.groups)
                self.groups.append([])
            self.groups[group].append(position)
        self._taken = len(view)

    def __len__(self) -> int:
        self._take()
        return len(self.groups) + sum(len(self.groups[g]) for g in self.expanded)

    def locate(self, row: int) -> tuple[int, int]:
        """(group, member number from 1, or 0 for the group's own row)."""
        extra = 0
        for group in sorted(self.expanded):
            own_row = group + extra
            if row <= own_row:
                break
            if row <= own_row + len(self.groups[group]):
                return group, row - own_row
            extra += len(self.groups[group])
        return row - extra, 0

    def violation(self, row: int) -> Violation | None:
        """The violation a row shows (a group's row: its first)."""
        self._take()
        group, member = self.locate(row)
        if not 0 <= group < len(self.groups):
            return None
        return self.model.violations[self.groups[group][max(0, member - 1)]]

    def count(self, row: int) -> int:
        group, member = self.locate(row)
        return len(self.groups[group]) if member == 0 and 0 <= group < len(self.groups) else 1

    def toggle(self, row: int) -> None:
        group, _ = self.locate(row)
        if group in self.expanded:
            self.expanded.discard(group)
        elif 0 <= group < len(self.groups) and len(self.groups[group]) > 1:
            self.expanded.add(group)

    def rows(self, start: int, stop: int, width: int) -> list[Text]:
        out = []
        for row in range(start, min(stop, len(self))):
            group, member = self.locate(row)
            positions = self.groups[group]
            if member:
                out.append(violation_member_row(self.model.violations[positions[member - 1]]))
                continue
            shown = (group in self.expanded) if len(positions) > 1 else None
            first = self.model.violations[positions[0]]
            out.append(violation_row(first, len(positions), shown))
        return out

    def frame_at(self, row: int) -> int:
        found = self.violation(row)
        return found.frames[0] if found is not None else 0


class ConnectionRows:
    """ "All connections", then each connection."""

    def __init__(self, model: CaptureModel) -> None:
        self.model = model
        self.connections: list[Connection] = model.connections()

    def refresh(self) -> None:
        self.connections = self.model.connections()

    def __len__(self) -> int:
        return len(self.connections) + 1

    def connection(self, index: int) -> Connection | None:
        return self.connections[index - 1] if 0 < index <= len(self.connections) else None

    def rows(self, start: int, stop: int, width: int) -> list[Text]:
        out = []
        for i in range(start, min(stop, len(self))):
            conn = self.connection(i)
            row = connection_row(self.model, conn, width)
            name = self.model.device_name(conn) if conn is not None else None
            if name:
                row.append(f"  {safe(name)}", "italic")
            out.append(row)
        return out


class LinkRows:
    """The links a panel lists (those `keep` says it has something of), one row each
    made by `row`."""

    def __init__(
        self,
        model: CaptureModel,
        keep: Callable[[Connection], bool],
        row: Callable[[CaptureModel, Connection], Text],
    ) -> None:
        self.model, self.keep, self.row = model, keep, row
        self.links: list[Connection] = []
        self.refresh()

    def refresh(self) -> None:
        self.links = [c for c in self.model.connections() if self.keep(c)]

    def __len__(self) -> int:
        return len(self.links)

    def connection(self, index: int) -> Connection | None:
        return self.links[index] if 0 <= index < len(self.links) else None

    def rows(self, start: int, stop: int, width: int) -> list[Text]:
        return [self.row(self.model, c) for c in self.links[start:stop]]


def _starts(model: CaptureModel) -> ConnectionStarts | None:
    """When the connections opened, if the time column shows the time since then."""
    return model.connection_starts() if model.clock.mode == "connection" else None


def _weaker(rssi: int | None) -> int:
    """Sorts the strongest signal first, devices heard with none last."""
    return 999 if rssi is None else -rssi


DEVICE_SORTS: dict[str, Callable[[Advertiser], Any]] = {
    "first heard": lambda d: 0,  # the tracker's order; sorting is stable
    "signal": lambda d: (_weaker(d.best_rssi), _weaker(d.rssi)),
    "packets": lambda d: -d.packets,
    "name": lambda d: (d.name is None, (d.name or "").lower(), d.address),
}


class DeviceRows:
    """Devices heard advertising, those the filter bar's words match (free text, `name:`,
    `uuid:`; the connection, handle and opcode terms say nothing of adverts), in one of
    DEVICE_SORTS."""

    def __init__(self, model: CaptureModel, wanted: Filter = EVERYTHING) -> None:
        self.model = model
        self.wanted = wanted
        self.order = "first heard"
        self.devices: list[Advertiser] = []
        self.refresh()

    def refresh(self) -> None:
        devices = self.model.devices()
        words = self.wanted.names + self.wanted.text
        if words:
            model = self.model
            devices = [d for d in devices if all(w in device_text(model, d) for w in words)]
        if self.order != "first heard":
            devices.sort(key=DEVICE_SORTS[self.order])
        self.devices = devices

    def index_of(self, device: Advertiser) -> int | None:
        """Where a device (by address and type) is now, if it is shown."""
        key = (device.address, device.random)
        return next((i for i, d in enumerate(self.devices) if (d.address, d.random) == key), None)

    def __len__(self) -> int:
        return len(self.devices)

    def device(self, index: int) -> Advertiser | None:
        return self.devices[index] if 0 <= index < len(self.devices) else None

    def rows(self, start: int, stop: int, width: int) -> list[Text]:
        return [device_row(self.model, d) for d in self.devices[start:stop]]

    def frame_at(self, index: int) -> int:
        return self.devices[index].first_frame
