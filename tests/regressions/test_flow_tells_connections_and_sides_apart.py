"""With every connection shown, the Flow told neither sides nor connections apart: on an air
capture every arrow pointed left under "local (this host) / remote" headings, several
connections shared one ladder without saying whose each PDU was, and connection ids were
cut so that two could look alike (aa:0x50656517 showed as aa:0x506 and aa:0x5065651)."""

from __future__ import annotations

from corpus import need_corpus
from textual.widgets import TabbedContent
from tui_helpers import run_async, settle, shown

from attscope.tui.app import make_app


@run_async
async def test_an_air_capture_has_central_and_peripheral_and_arrows_both_ways() -> None:
    app = make_app(str(need_corpus("nrf3_hid_mouse.pcapng")))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("2")
        assert app.query_one(TabbedContent).active == "flow"
        flow = app.list_of("flow")
        header = flow.header(100).plain if callable(flow.header) else str(flow.header)
        assert "central" in header and "peripheral" in header and "local" not in header
        rows = shown(flow)
        assert any("▶" in r for r in rows) and any("◀" in r for r in rows)
        assert "Exchange MTU Request" in rows[0] and "▶" in rows[0]  # the central's
        assert "Exchange MTU Response" in rows[1] and "◀" in rows[1]
        await pilot.press("1")
        assert any("aa:0x50656517" in row for row in shown(app.list_of("connections")))


@run_async
async def test_ids_are_whole_in_every_panel_at_80_columns() -> None:
    app = make_app(str(need_corpus("nrf3_hid_mouse.pcapng")))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        rows = [r.plain for r in app.list_of("connections").source.rows(0, 2, 80)]
        assert "aa:0x50656517" in rows[1]
        txns = app.list_of("transactions").source.rows(0, 1, 130)
        assert "aa:0x50656517" in txns[0].plain


@run_async
async def test_several_connections_get_a_connection_column() -> None:
    app = make_app(str(need_corpus("android_blefun_multiconn.btsnoop")))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("2")
        flow = app.list_of("flow")
        assert "conn" in flow.header(120).plain
        rows = shown(flow)
        ids = {row.split()[1] for row in rows}
        assert len(ids) == 12 and all(i.startswith("0x") for i in ids)
        await pilot.press("1", "down", "down", "enter", "2")  # one connection: no column
        await settle(pilot, app)
        assert "conn" not in app.list_of("flow").header(120).plain
