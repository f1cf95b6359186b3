"""The Connections panel's detail was drawn when its row was first highlighted and then
kept: opened on a big capture, "all connections" said "0 transactions" once the analysis
had found hundreds. The detail is now drawn again as the model grows."""

from __future__ import annotations

from corpus import SAMPLES
from textual.widgets import Static
from tui_helpers import run_async, settle

from attscope.tui.app import make_app


@run_async
async def test_the_connections_detail_follows_the_capture() -> None:
    app = make_app(str(SAMPLES / "heart_rate.btsnoop"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        detail = app.query_one("#connection-detail", Static).render().plain
        assert detail.splitlines()[1].startswith("35 transactions, 0 errors")
