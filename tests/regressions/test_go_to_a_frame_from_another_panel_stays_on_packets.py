"""`:N` typed on the Flow panel switched to the Packets panel, then back to Flow: closing
the prompt gave the focus back to the Flow list after the answer had moved it, and a
focused widget takes its tab with it. The prompt now gives the focus back at once, so
the panel the answer chose stays."""

from __future__ import annotations

from corpus import SAMPLES
from textual.widgets import TabbedContent
from tui_helpers import run_async, settle, until

from attscope.tui.app import make_app


@run_async
async def test_go_to_a_frame_from_another_panel_stays_on_packets() -> None:
    app = make_app(str(SAMPLES / "heart_rate.btsnoop"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("2", "colon", *"100", "enter")
        await until(pilot, lambda: app.list_of("packets").cursor == 99, "the jump")
        await pilot.wait_for_scheduled_animations()
        assert app.query_one(TabbedContent).active == "packets"
        assert app.focused is app.list_of("packets")
