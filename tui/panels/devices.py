"""7 Devices: the devices heard advertising; Enter follows one (live) or opens its first
packet; `s` cycles the order."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from attscope.tui.messages import GoToFrame
from attscope.tui.panels.base import Panel
from attscope.tui.rows import device_header, safe
from attscope.tui.sources import DEVICE_SORTS, DeviceRows
from attscope.tui.virtual_list import VirtualList


class DevicesPanel(Panel):
    KIND = "devices"
    TITLE = "7 Devices"
    BINDINGS = [Binding("s", "sort", "Sort")]

    def compose(self) -> ComposeResult:
        yield VirtualList(device_header, id="devices-list")
        yield Static(Text(""), id="device-detail", classes="detail")

    def on_mount(self) -> None:
        self.rows = DeviceRows(self.model)
        self.list_widget().set_source(self.rows)

    def rebuild(self) -> None:
        self.rows.wanted = self.wanted
        self._refresh()

    def model_changed(self) -> None:
        self._refresh()
        if self.is_shown:
            self._show(self.list_widget().cursor)

    def _refresh(self) -> None:
        """New adverts, another filter or order: the rows again, the cursor kept on its
        device (in a live session sorted by signal the rows move under it)."""
        widget = self.list_widget()
        current = self.rows.device(widget.cursor)
        self.rows.refresh()
        widget.update_rows(changed=True)
        index = None if current is None else self.rows.index_of(current)
        if index is not None and index != widget.cursor:
            widget.cursor = index

    def action_sort(self) -> None:
        orders = list(DEVICE_SORTS)
        self.rows.order = orders[(orders.index(self.rows.order) + 1) % len(orders)]
        self._refresh()
        self.notify(f"devices sorted by {self.rows.order}", timeout=2)

    @on(VirtualList.Highlighted)
    def _highlighted(self, event: VirtualList.Highlighted) -> None:
        self._show(event.index)

    def _show(self, index: int) -> None:
        device = self.rows.device(index)
        if device is None:
            return
        model = self.model
        text = Text(no_wrap=True)
        text.append(f"{device.address} ({device.address_type})", "bold")
        if device.name:
            text.append(f"  {safe(device.name)}", "bold")
        first = (device.first_us - (model.first_ts or device.first_us)) / 1e6
        last = (device.last_us - (model.first_ts or device.last_us)) / 1e6
        text.append(
            f"\n{device.packets} packets ({', '.join(device.pdu_types)}), frames "
            f"{device.first_frame} to {device.last_frame}, {first:.3f} s to {last:.3f} s\n"
        )
        if device.services:
            text.append(f"services {safe(', '.join(map(model.uuid_name, device.services)))}\n")
        if self.live is not None:
            text.append("Enter: follow this device", "italic")
        else:
            text.append("Enter: its first packet", "italic")
        self.query_one("#device-detail", Static).update(text)

    @on(VirtualList.Chosen)
    def _chosen(self, event: VirtualList.Chosen) -> None:
        device = self.rows.device(event.index)
        if device is None:
            return
        if self.live is None:
            self.post_message(GoToFrame(device.first_frame))
        else:
            self.live.follow(device.address, device.random)
