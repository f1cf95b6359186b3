"""8 Security: each link's pairing, the keys found and what was decrypted, or what is
missing; Enter narrows every panel to the link."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from attscope.text.analysis_text import security_lines
from attscope.tui.panels.base import LinkPanel
from attscope.tui.rows import connection_width, safe, security_header, security_row
from attscope.tui.sources import LinkRows
from attscope.tui.virtual_list import VirtualList

_SECURITY_KINDS = ("security_request", "key_distribution")


class SecurityPanel(LinkPanel):
    KIND = "security"
    TITLE = "8 Security"

    def compose(self) -> ComposeResult:
        model = self.model
        yield VirtualList(
            lambda width: security_header(width, max(12, connection_width(model))),
            id="security-list",
        )
        yield Static(Text(""), id="security-detail", classes="detail")

    def on_mount(self) -> None:
        self.rows = LinkRows(self.model, lambda c: c.security is not None, security_row)
        self.list_widget().set_source(self.rows)

    def show(self, index: int) -> None:
        """The link's security in full, then its pairing and encryption events."""
        conn = self.rows.connection(index)
        detail = self.query_one("#security-detail", Static)
        if conn is None or conn.security is None:
            detail.update(Text("No link in this capture shows its security (pairing, keys or "
                               "encryption)."))  # fmt: skip
            return
        start = self.model.first_ts or 0
        lines = [f"{conn.id}: {conn.central_address or conn.local_address or '?'} / "
                 f"{conn.peripheral_address or conn.peer_address or '?'}"]  # fmt: skip
        lines += security_lines(conn.security)
        lines += [
            f"{e.frame:>7} {(e.ts_us - start) / 1e6:>11.6f} {e.kind}: {e.detail}"
            for e in conn.timeline
            if e.kind.startswith(("encryption", "pairing")) or e.kind in _SECURITY_KINDS
        ]
        detail.update(Text("\n".join(safe(line) for line in lines), no_wrap=True))
