"""The TUI driven like a person would: Pilot key presses over the bundled sample and a
real multi-connection capture, hostile device names, and snapshots of the main screens."""

from __future__ import annotations

import json
import struct
from datetime import UTC, datetime
from pathlib import Path

import pytest
from air_script import l2cap
from corpus import SAMPLES, need_corpus
from frames import Script
from link_script import EMPTY, LinkScript, control
from sample_facts import facts
from textual.widgets import Input, Static, TabbedContent, Tree
from tui_helpers import run_async, settle, shown, until

from attscope.capture import open_capture, write_capture
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding import ll_control as llc
from attscope.dissector.decoding.att_pdus import (
    HandleValue,
    ReadBlobRequest,
    ReadBlobResponse,
    ReadByTypeRequest,
    ReadByTypeResponse,
    ReadRequest,
    ReadResponse,
)
from attscope.dissector.decoding.le_keys import Keys, parse_ltk
from attscope.tui.app import make_app
from attscope.tui.help_screen import HelpScreen
from attscope.tui.packet_detail import PacketDetail

SAMPLE = str(SAMPLES / "heart_rate.btsnoop")


@run_async
async def test_every_panel_by_keyboard():
    app = make_app(SAMPLE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        conns = shown(app.list_of("connections"))
        assert conns[0].startswith("(all)") and "0x0040" in conns[1]
        assert "Lena's HR2" in conns[1]  # the Device Name the capture read
        await pilot.press("down", "enter")  # focus on the connection
        await settle(pilot, app)
        assert app.focus_conn == 0
        await pilot.press("2")
        assert app.query_one(TabbedContent).active == "flow"
        flow = shown(app.list_of("flow"))
        assert len(flow) == facts(SAMPLE).att_pdus  # the sample has one connection
        assert "Exchange MTU Request" in flow[0] and "▶" in flow[0]
        assert "◀" in flow[1] and "54.1 ms" in flow[1]  # the answer, with its latency
        assert any("Heart Rate Measurement" in row for row in flow)
        await pilot.press("3")
        rows = shown(app.list_of("transactions"))
        assert len(rows) == facts(SAMPLE).transactions
        await pilot.press("s")  # sort by latency
        await settle(pilot, app)
        assert app.panel("transactions").sort == "latency"
        widget = app.list_of("transactions")
        txns = widget.source
        latencies = [txns.transaction(i).latency_us for i in range(len(txns))]
        answered = [latency for latency in latencies if latency is not None]
        assert latencies == sorted(answered) + [None] * (len(latencies) - len(answered))
        assert "latency▲" in widget.header(120)  # the sorted column and its direction
        await pilot.press("S")  # the other way: the longest first, unanswered still last
        await until(pilot, lambda: "latency▼" in widget.header(120), "the order reverses")
        latencies = [widget.source.transaction(i).latency_us for i in range(len(txns))]
        assert latencies == sorted(answered, reverse=True) + [None] * (
            len(latencies) - len(answered)
        )
        await pilot.press("4")
        tree = app.query_one("#gatt-tree", Tree)
        labels = [n.label.plain for n in tree.root.children[0].children]
        assert any("Heart Rate (180d)" in label for label in labels)
        await pilot.press("5")
        assert shown(app.list_of("violations")) == []
        await pilot.press("6", "down", "down")
        detail = app.query_one(PacketDetail)
        fields = app.query_one("#fields", Tree)
        # the focused connection's frames: 41, 42, 44 ...
        assert fields.root.label.plain.startswith("Frame 44")
        assert "HCI Event: LE Data Length Change" in fields.root.children[1].label.plain
        assert detail.query_one("#hex", Static).render().plain.startswith("0000  3e 0b 07 40")


@run_async
async def test_long_read_expands_into_its_exchanges(tmp_path: Path):
    script = Script()
    script.local(ReadRequest(0x0003))
    script.remote(ReadResponse(b"a" * 22))
    script.local(ReadBlobRequest(3, 22))
    script.remote(ReadBlobResponse(b"b" * 5))
    path = tmp_path / "long.btsnoop"
    write_capture(path, script.frames, "btsnoop", 1002)
    app = make_app(str(path))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("3")
        widget = app.list_of("transactions")
        rows = shown(widget)
        assert "long_read" in rows[0]
        assert rows[0].startswith("▸") and len(rows) == 1
        await pilot.press("space")
        rows = shown(widget)
        assert rows[0].startswith("▾") and len(rows) == 3
        assert "exchange 2: frame 3 -> frame 4" in rows[2]
        # sorted, then re-sorted as a live table is: the row stays open, the cursor on it
        await pilot.press("s", "space")
        widget.move_to(2)
        app.panel("transactions").set_rows(keep_cursor=True)
        await pilot.pause()
        assert shown(widget) == rows and widget.cursor == 2


@run_async
async def test_filter_search_and_go_to_frame():
    app = make_app(SAMPLE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("f")
        assert isinstance(app.focused, Input)
        await pilot.press(*"handle:0x0016", "enter")
        await settle(pilot, app)
        await pilot.press("2")
        flow = shown(app.list_of("flow"))
        assert flow and all("0x0016" in row for row in flow)
        assert all("Battery Level" in row for row in flow)
        await pilot.press("3")
        assert all("0x0016" in row for row in shown(app.list_of("transactions")))
        # a broken filter says why and keeps the last one
        await pilot.press("f", "ctrl+u", *"handle:zz", "enter")
        assert app.query_one("#filter", Input).has_class("error")
        assert app.filter.handles == (0x16,)
        await pilot.press("ctrl+u", "enter")  # an empty filter shows everything
        await settle(pilot, app)
        await pilot.press("6")
        packets = app.list_of("packets")
        assert len(packets.source) == facts(SAMPLE).frames
        rows = shown(packets)
        found = next(i for i, row in enumerate(rows) if "Disconnect" in row)
        following = next(i for i in range(found + 1, len(rows)) if "disconnect" in rows[i].lower())
        start = packets.cursor
        await pilot.press("slash", *"Disconnect", "enter")
        await settle(pilot, app)
        await until(pilot, lambda: packets.cursor != start, "the search moves the cursor")
        assert packets.cursor == found
        await pilot.press("n")
        await until(pilot, lambda: packets.cursor != found, "n moves to the next match")
        assert packets.cursor == following
        matches = [i for i, row in enumerate(rows) if "disconnect" in row.lower()]
        packets.move_to(matches[-1])  # the last match: the next one is found from the top
        await pilot.press("n")
        await until(pilot, lambda: packets.cursor == matches[0], "the search wraps around")
        assert "search wrapped to the top" in _said(app)[-1]
        await pilot.press("2", "colon", *"100", "enter")  # from another panel: it says so
        await until(pilot, lambda: app.query_one(TabbedContent).active == "packets", ":N")
        assert "frame 100: shown in the Packets panel" in " ".join(_said(app))
        await until(pilot, lambda: packets.cursor != following, "the jump moves the cursor")
        assert packets.cursor == 99
        assert app.query_one("#fields", Tree).root.label.plain.startswith("Frame 100")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        help_text = app.screen.query_one(Static).render().plain
        for key in ("/", ":", "f", "e", "c", "?", "enter", "space"):
            assert f"  {key}" in help_text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


@run_async
async def test_violation_jumps_to_its_frames(tmp_path: Path):
    script = Script()
    script.local(ReadRequest(0x0003))
    script.local(ReadRequest(0x0005))  # a second request before the response
    script.remote(ReadResponse(b"x"))
    path = tmp_path / "twice.btsnoop"
    write_capture(path, script.frames, "btsnoop", 1002)
    app = make_app(str(path))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("5")
        rows = shown(app.list_of("violations"))
        assert len(rows) == 1 and rows[0].startswith("  ERROR")
        detail = app.query_one("#violation-detail", Static).render().plain
        assert "Core 5.4" in detail
        await pilot.press("enter")
        await until(
            pilot, lambda: app.query_one(TabbedContent).active == "packets", "the jump to packets"
        )
        assert app.query_one(TabbedContent).active == "packets"
        first = app.model.violations[0].frames[0]
        assert app.list_of("packets").cursor == first - 1
        flow = app.list_of("flow")
        assert flow.source.frame_at(flow.cursor) == first


@run_async
async def test_click_copy_and_export(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(SAMPLE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("3")
        widget = app.list_of("transactions")
        # the first row with a value below the first row, on the screen even when the
        # detail pane grows to show the value
        visible = range(1, min(len(shown(widget)), widget.size.height - 8))
        row = min(i for i in visible if getattr(widget.source.transaction(i), "value", None))
        await pilot.click("#transactions-list", offset=(10, row + 1))  # header, then rows
        await until(pilot, lambda: widget.cursor == row, "the click moves the cursor")
        txn = widget.source.transaction(row)
        assert txn is not None
        copied: list[str] = []
        monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
        monkeypatch.setattr("attscope.tui.app.clipboard_refusal", lambda: None)
        await pilot.press("c")
        assert txn.value is not None and copied == [txn.value.hex()]
        assert "OSC 52" in _said(app)[-1]  # the escape gets no answer: the toast says so
        # where the terminal cannot take it, nothing is sent and the value is shown
        monkeypatch.setattr("attscope.tui.app.clipboard_refusal", lambda: "GNU screen")
        await pilot.press("c")
        assert copied == [txn.value.hex()] and "not copied: GNU screen" in _said(app)[-1]
        assert txn.value.hex() in _said(app)[-1]
        await pilot.press("e")
        export = tmp_path / "attscope-heart_rate-transactions.jsonl"
        label = app.query_one("#prompt-label", Static).render().plain
        assert label.startswith("export the Transactions panel as JSON Lines")
        assert f"writes {export}" in label  # the full path it will write
        await pilot.press("enter")  # the proposed file name
        await until(pilot, lambda: export.exists() and '"type":"end"' in export.read_text(),
                    "the export is written")  # fmt: skip
        await until(pilot, lambda: f"to {export}" in _said(app)[-1], "the toast says where")
    lines = export.read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert records[0]["type"] == "header" and records[-1]["type"] == "end"
    count = facts(SAMPLE).transactions
    assert [r["type"] for r in records[1:-1]] == ["transaction"] * count
    assert records[-1]["records"] == {"transaction": count}


def _said(app) -> list[str]:
    """The notifications shown so far, oldest first."""
    return [n.message for n in app._notifications]


HOSTILE = b"[bold red]x[/] \x1b[31mRED\x1b[0m [link=http://e.x]y[/link]"


@run_async
async def test_untrusted_text_stays_text(tmp_path: Path):
    script = Script()
    script.local(ReadByTypeRequest(0x0001, 0xFFFF, "2803"))
    declaration = bytes([0x02]) + struct.pack("<H", 3) + struct.pack("<H", 0x2A00)
    script.remote(ReadByTypeResponse(7, (HandleValue(2, declaration),)))
    script.local(ReadRequest(3))
    script.remote(ReadResponse(HOSTILE))
    path = tmp_path / "hostile.btsnoop"
    write_capture(path, script.frames, "btsnoop", 1002)
    app = make_app(str(path))
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, app)
        conn_row = app.list_of("connections").source.rows(1, 2, 160)[0]
        # the name is there letter for letter, the escape shown as text, no style from it
        assert "[bold red]x[/]" in conn_row.plain
        assert "\\x1b[31mRED" in conn_row.plain and "\x1b" not in conn_row.plain
        at = conn_row.plain.index("[bold red]")
        styles = {str(s.style) for s in conn_row.spans if s.start <= at < s.end}
        assert styles <= {"italic"}  # the name's own style, nothing from the name
        await pilot.press("4")
        tree = app.query_one("#gatt-tree", Tree)
        text = "\n".join(_labels(tree.root))
        assert "[bold red]x[/]" in text and "\x1b" not in text
        await pilot.press("3")
        rows = shown(app.list_of("transactions"))
        assert any("[bold red]x[/]" in row for row in rows)
        # what reached the screen: the brackets are there, nothing was made bold red
        screen = app.export_screenshot()
        assert "[bold red]x[/]" in screen.replace("&#160;", " ")


def _labels(node) -> list[str]:
    out = [node.label.plain]
    for child in node.children:
        out.extend(_labels(child))
    return out


@run_async
async def test_multiconnection_capture_panels_match_the_analyzer():
    path = need_corpus("android_blefun_multiconn.btsnoop")
    analyzer = Analyzer()
    for frame in open_capture(path):
        analyzer.feed(frame)
    analyzer.finish()
    app = make_app(str(path))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, app, timeout=60)
        rows = shown(app.list_of("connections"))
        assert len(rows) == len(analyzer.connections) + 1
        for conn, row in zip(analyzer.connections, rows[1:], strict=True):
            assert row.startswith(conn.id)
            expected = len(analyzer.transactions(conn.id))
            assert f" {expected} " in f" {row} "
        # focus each connection in turn: the transactions table is that connection's
        for index, conn in enumerate(analyzer.connections[:4], start=1):
            await pilot.press("1")
            app.list_of("connections").move_to(index)
            await pilot.pause()
            await pilot.press("enter")
            await settle(pilot, app)
            assert len(app.list_of("transactions").source) == len(analyzer.transactions(conn.id))
        await pilot.press("a")
        await settle(pilot, app)
        assert len(app.list_of("transactions").source) == len(analyzer.transactions())
        assert len(app.list_of("packets").source) == app.model.frames.__len__()
        dbs = analyzer.gatt_databases
        await pilot.press("4")
        tree = app.query_one("#gatt-tree", Tree)
        assert len(tree.root.children) == len(dbs)


@run_async
async def test_devices_are_narrowed_by_the_filter_and_sorted():
    path = need_corpus("android_fossibot_broadcom.btsnoop")  # dozens of devices, some named
    analyzer = Analyzer(retain=False)
    for frame in open_capture(path):
        analyzer.feed(frame)
    heard = analyzer.advertisers
    app = make_app(str(path))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("7")
        devices = app.list_of("devices")
        assert [row.split()[0] for row in shown(devices)] == [d.address for d in heard]
        devices.move_to(5)
        await pilot.pause()
        chosen = heard[5].address
        orders = {}
        for _ in range(4):
            await pilot.press("s")
            await pilot.pause()
            rows = devices.source
            orders[rows.order] = [rows.device(i) for i in range(len(rows))]
            assert rows.device(devices.cursor).address == chosen  # the cursor keeps its device
        best = [d.best_rssi for d in orders["signal"]]
        assert best == sorted(best, reverse=True)
        assert best[0] == max(d.best_rssi for d in heard if d.best_rssi is not None)
        packets = [d.packets for d in orders["packets"]]
        assert packets == sorted(packets, reverse=True)
        named = sorted((d.name for d in heard if d.name), key=str.casefold)
        assert len(named) > 3  # a capture that shows the order
        names = [d.name for d in orders["name"]]
        assert names == [*named, *[None] * (len(heard) - len(named))]  # the nameless last
        assert [d.address for d in orders["first heard"]] == [d.address for d in heard]

        async def narrowed(words: str) -> list[str]:
            await pilot.press("f")
            app.query_one("#filter", Input).value = words
            await pilot.press("enter")
            await settle(pilot, app)
            return [row.split()[0] for row in shown(devices)]

        name = next(d.name for d in heard if d.name and sum(e.name == d.name for e in heard) > 1)
        with_name = [d.address for d in heard if name.lower() in (d.name or "").lower()]
        assert await narrowed(f"name:{name.lower()}") == with_name
        uuid = next(u for d in heard for u in d.services)
        with_uuid = [d.address for d in heard if uuid in d.services]
        assert await narrowed(f"uuid:{uuid}") == with_uuid
        assert await narrowed(f'"not connectable" uuid:{uuid}') == [
            d.address for d in heard if uuid in d.services and not d.connectable
        ]
        assert await narrowed("conn:0x0040") == [d.address for d in heard]  # no adverts' term
        assert await narrowed("") == [d.address for d in heard]


@run_async
async def test_a_change_during_shutdown_does_nothing():
    # News of the model can come while the app shuts down (a live session hit it on the
    # Devices panel): it then must not look for the widgets.
    app = make_app(SAMPLE)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("7")
    app.model.version += 1
    app._model_changed()
    app._source_paused()


# -- snapshots (pytest-textual-snapshot; `pytest --snapshot-update` after reviewing) --------


async def _settled(pilot) -> None:
    await settle(pilot, pilot.app)


@pytest.mark.parametrize("size", [(80, 24), (160, 45)], ids=["80x24", "160x45"])
@pytest.mark.parametrize("key", ["1", "2", "3", "4", "5", "6", "7", "8", "9"])
def test_every_panel_snapshot(snap_compare, key, size):
    app = make_app(SAMPLE)
    assert snap_compare(app, press=[key, "_"], terminal_size=size, run_before=_settled)


def air_link(tmp_path: Path) -> Path:
    """An nRF Sniffer capture of one link: notifications, a weaker stretch, some damage."""
    link = LinkScript()
    link.connect()
    note = att.HandleValueNotification(0x0010, bytes(20))
    for event in range(120):
        link.rssi = -45 - (event // 10) % 4 * 8
        link.crc_ok = event % 17 != 3
        link.event(p2c=(2, l2cap(4, note.to_bytes())) if event % 3 else EMPTY)
    link.crc_ok = True
    link.event(c2p=control(llc.TerminateInd(0x13)))
    return link.write(tmp_path, "air_link.pcap")


def test_health_panel_snapshot_on_an_air_link(snap_compare, tmp_path):
    app = make_app(str(air_link(tmp_path)))
    assert snap_compare(app, press=["9", "_"], terminal_size=(120, 40), run_before=_settled)


@run_async
async def test_keys_given_to_the_tui_decrypt_and_the_connection_says_so():
    path = str(need_corpus("crackle_known_ltk_encrypted.pcap"))
    app = make_app(path, keys=Keys([parse_ltk("7f62c053f104a5bbe68b1d896a2ed49c")]))
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("1", "down")
        detail = app.query_one("#connection-detail", Static)
        await until(pilot, lambda: "decrypted: 7 PDUs" in detail.render().plain,
                    "the connection detail shows the decryption")  # fmt: skip
        await pilot.press("3")
        rows = shown(app.list_of("transactions"))
        assert any("read_by_type" in row and " ok " in row for row in rows)


@run_async
async def test_the_security_panel_lists_each_links_pairing_and_keys():
    path = str(need_corpus("crackle_legacy_jw_pairing.pcap"))
    app = make_app(path)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("8")
        assert app.query_one(TabbedContent).active == "security"
        await until(pilot, lambda: len(shown(app.list_of("security"))) == 1, "one secured link")
        (row,) = shown(app.list_of("security"))
        assert "legacy, Just Works" in row and "decrypted with STK" in row
        detail = app.query_one("#security-detail", Static)
        await until(pilot, lambda: "TK 000000 found" in detail.render().plain,
                    "the link's security in full")  # fmt: skip
        text = detail.render().plain
        assert "7f62c053f104a5bbe68b1d896a2ed49c" in text  # the LTK it distributed
        assert "encryption started" in text
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.focus_conn is not None


@run_async
async def test_the_security_panel_says_when_no_link_shows_its_security():
    app = make_app(SAMPLE)  # an HCI log without pairing or encryption
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("8")
        detail = app.query_one("#security-detail", Static)
        await until(pilot, lambda: "No link in this capture" in detail.render().plain,
                    "the empty panel explains itself")  # fmt: skip
        assert shown(app.list_of("security")) == []


@run_async
async def test_a_log_whose_packets_were_cut_says_so_in_the_title():
    app = make_app(str(SAMPLES / "heart_rate_bugreport.zip"))  # btsnooz, ACL cut to 16 bytes
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot, app)
        title = app.query_one("#title", Static)
        await until(pilot, lambda: "packets cut by the log" in title.render().plain,
                    "the title says the log lost data")  # fmt: skip
        assert "28 record(s) cut short" in app.query_one("#warnings", Static).render().plain
    clean = make_app(SAMPLE)
    async with clean.run_test(size=(160, 30)) as pilot:
        await settle(pilot, clean)
        assert "packets cut" not in clean.query_one("#title", Static).render().plain


@run_async
async def test_discovery_ends_are_not_counted_as_errors():
    # every Error Response of the sample is the Attribute Not Found that ends a discovery
    app = make_app(SAMPLE)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        counts = app.model.counts["0x0040"]
        assert (counts.errors, counts.expected) == (0, 11)
        row = shown(app.list_of("connections"))[1]
        assert " 32.4 s     35      0     0  " in row  # 35 transactions, no errors
        await pilot.press("down")
        detail = app.query_one("#connection-detail", Static).render().plain
        assert "0 errors" in detail and "11 Error Responses that end a discovery" in detail
        await pilot.press("3")
        rows = shown(app.list_of("transactions"))
        assert any("Attribute Not Found (the end)" in row for row in rows)
        await pilot.press("f", *"errors", "enter")  # the expected ends are no errors
        await settle(pilot, app)
        assert shown(app.list_of("transactions")) == []


@run_async
async def test_identical_violations_are_grouped_with_a_count(tmp_path: Path):
    script = Script()
    script.connect()
    for _ in range(3):  # three answers with no request outstanding
        script.remote(ReadResponse(b"x"))
    script.local(ReadRequest(0x0003))
    script.local(ReadRequest(0x0005))  # a second request while one is outstanding
    path = tmp_path / "violations.btsnoop"
    write_capture(path, script.frames, "btsnoop", 1002)
    app = make_app(str(path))
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("5")
        widget = app.list_of("violations")
        rows = shown(widget)
        assert len(app.model.violations) == 4 and len(rows) == 2
        assert rows[0].startswith("▸ ERROR") and " 3 " in rows[0]  # the group and its count
        detail = app.query_one("#violation-detail", Static).render().plain
        assert "3 violations of this rule on this connection" in detail
        await pilot.press("space")  # opened: the group's three violations under it
        rows = shown(widget)
        assert len(rows) == 5 and rows[0].startswith("▾")
        assert [row.split()[0] for row in rows[1:4]] == ["2", "3", "4"]  # their frames
        await pilot.press("down", "down", "enter")  # the second one's frame
        await until(pilot, lambda: app.query_one(TabbedContent).active == "packets", "Enter")
        assert app.list_of("packets").cursor == 2


@run_async
async def test_the_time_column_switches_mode_and_says_which():
    app = make_app(SAMPLE)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("6")
        packets = app.list_of("packets")
        first = app.model.frames[0].ts_us

        def time_of(row: int) -> str:
            return shown(packets)[row].split()[1]

        assert "time (s)" in packets.header(160) and time_of(0) == "0.000000"
        await pilot.press("T")  # UTC time of day
        await until(pilot, lambda: "UTC time" in packets.header(160), "the mode changes")
        assert time_of(0) == datetime.fromtimestamp(first / 1e6, UTC).strftime("%H:%M:%S.%f")
        await pilot.press("T")  # the step from the row above
        await until(pilot, lambda: "delta (s)" in packets.header(160), "delta")
        step = (app.model.frames[5].ts_us - app.model.frames[4].ts_us) / 1e6
        assert time_of(0) == "+0.000000" and time_of(5) == f"+{step:.6f}"
        await pilot.press("T")  # since the row's connection opened
        await until(pilot, lambda: "in conn (s)" in packets.header(160), "connection")
        conn = app.model.connections()[0]
        assert time_of(0) == "-"  # before the connection: no time in it
        opened = next(i for i, f in enumerate(app.model.frames) if f.ts_us == conn.start_us)
        assert time_of(opened) == "0.000000"
        packets.move_to(10)
        await pilot.press("t")  # frame 11 is the reference from now on
        await until(pilot, lambda: "from ref (s)" in packets.header(160), "the reference")
        assert time_of(10) == "+0.000000" and time_of(9).startswith("-")
        assert "frame 11" in _said(app)[-1]
        await pilot.press("3")  # every panel's time column follows the mode
        header = app.list_of("transactions").header(160)
        assert "from ref (s)▲" in header


def _tree_text(app) -> list[str]:
    """The packet detail's tree as text, one node a line, indented by depth."""
    return _tree_text_of(app.query_one("#fields", Tree))


@run_async
async def test_the_packet_detail_reads_as_words_and_follows_request_and_answer():
    app = make_app(SAMPLE)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        await pilot.press("6")
        packets = app.list_of("packets")
        packets.move_to(116)  # frame 117: the Read Request of the Device Name
        await pilot.pause()
        lines = _tree_text(app)
        assert lines[0] == "Frame 117: 11 bytes, host → controller"
        assert lines[1] == "  2026-03-14 09:26:56.533483 UTC, 3.533483 s in; connection 0x0040"
        assert "  ACL: ACL header" in lines  # no class names
        assert "    packet boundary flag: first non-flushable (0)" in lines
        assert "    handle: 0x0003 (Device Name, in Generic Access)" in lines
        assert "    answered in frame 119 (Enter goes there)" in lines
        assert not any("None" in line or "AclHeader" in line or "pb_flag" in line for line in lines)
        await pilot.press("enter")  # follows the request to its answer
        await until(pilot, lambda: packets.cursor == 118, "Enter goes to the answer")
        lines = _tree_text(app)
        assert '    value decoded: "Northwind HR2 5DC8"' in lines
        assert "    answers frame 117 (Enter goes there)" in lines
        await pilot.press("enter")  # and back
        await until(pilot, lambda: packets.cursor == 116, "Enter goes back to the request")
        packets.move_to(40)  # frame 41: LE Enhanced Connection Complete
        await pilot.pause()
        lines = _tree_text(app)
        assert "    status: Success (0x00)" in lines and "    role: central (0)" in lines
        assert "    peer address: F3:7A:2C:91:5D:C8" in lines
        assert "    interval: 24 (30 ms)" in lines


@run_async
async def test_the_packet_detail_names_enumerations_and_what_the_sniffer_recorded():
    app = make_app(str(need_corpus("android_ec521_smp.btsnoop")))
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app, timeout=60)
        await pilot.press("colon", *"14138", "enter")
        await until(pilot, lambda: app.list_of("packets").cursor == 14137, "frame 14138")
        lines = _tree_text(app)
        assert "    IO capability: KeyboardDisplay (4)" in lines
        assert "    OOB data flag: OOB data not present (0)" in lines
    app = make_app(str(need_corpus("bsniffhub_conn_update.pcap")))
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app, timeout=60)
        await pilot.press("colon", *"200", "enter")
        await until(pilot, lambda: app.list_of("packets").cursor == 199, "frame 200")
        lines = _tree_text(app)
        sniffer = lines.index("  Sniffer")
        said = " / ".join(lines[sniffer + 1 : sniffer + 8])
        for words in (
            "channel ",
            "(data)",
            "RSSI ",
            " dBm",
            "PHY LE 1M",
            "CRC ok",
            "sender central → peripheral",
        ):
            assert words in said, said


@run_async
async def test_a_handle_term_narrows_the_gatt_tree_too():
    app = make_app(SAMPLE)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("f", *"handle:0x000e", "enter")
        await settle(pilot, app)
        await pilot.press("4")
        lines = [line.strip() for line in _tree_text_of(app.query_one("#gatt-tree", Tree))]
        chars = [line for line in lines if "value 0x" in line]
        assert len(chars) == 1 and "Heart Rate Measurement" in chars[0]
        title = app.query_one("#title", Static).render().plain
        assert "[filtered]" in title


def _tree_text_of(tree) -> list[str]:
    out: list[str] = []

    def walk(node, depth: int) -> None:
        out.append("  " * depth + node.label.plain)
        for child in node.children:
            walk(child, depth + 1)

    walk(tree.root, 0)
    return out


@run_async
async def test_the_values_of_a_characteristic_over_time_and_their_export(
    tmp_path: Path, monkeypatch
):
    from attscope.tui.value_timeline import ValueTimeline

    monkeypatch.chdir(tmp_path)
    app = make_app(SAMPLE)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        await pilot.press("4")
        tree = app.query_one("#gatt-tree", Tree)
        nodes = []

        def walk(node) -> None:
            nodes.append(node)
            for child in node.children:
                walk(child)

        walk(tree.root)
        measurement = next(n for n in nodes if "Heart Rate Measurement" in n.label.plain)
        tree.move_cursor(measurement)
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, ValueTimeline), "the values screen")
        screen = app.screen
        notifications = [
            f for _, f in app.model.flows.scan() if (f.opcode, f.handle) == (0x1B, 0x0E)
        ]
        assert len(screen.entries) == len(notifications) > 0
        assert all(e.kind == "notification" and "bpm" in e.decoded for e in screen.entries)
        rows = shown(screen.query_one("#timeline-list"))
        assert "notification" in rows[0] and "bpm" in rows[0]
        await pilot.press("e", "enter")  # the proposed CSV
        csv_path = tmp_path / "attscope-values-0x000e.csv"
        await until(pilot, lambda: csv_path.exists(), "the CSV is written")
        lines = csv_path.read_text().splitlines()
        assert lines[0] == "frame,time,seconds,connection,kind,sender,length,value,decoded"
        assert len(lines) == len(screen.entries) + 1 and ",notification," in lines[1]
        await pilot.press("e", "ctrl+u", *"values.jsonl", "enter")
        jsonl = tmp_path / "values.jsonl"
        await until(pilot, lambda: jsonl.exists(), "the JSON Lines are written")
        first = json.loads(jsonl.read_text().splitlines()[0])
        assert first["kind"] == "notification" and first["length"] == len(
            bytes.fromhex(first["value"])
        )
        await pilot.press("enter")  # the first value's frame
        await until(pilot, lambda: app.query_one(TabbedContent).active == "packets", "Enter")
        assert app.list_of("packets").cursor == screen.entries[0].frame - 1
        await pilot.press("3")  # from a transaction: the Device Name's reads and writes
        txns = app.list_of("transactions")
        row = next(i for i in range(len(txns.source)) if txns.source.transaction(i).handle == 3)
        txns.move_to(row)
        await pilot.press("v")
        await until(pilot, lambda: isinstance(app.screen, ValueTimeline), "the values screen")
        kinds = [e.kind for e in app.screen.entries]
        assert kinds == ["read", "write", "read"]


@run_async
async def test_a_long_file_name_leaves_the_focus_in_the_title_at_80_columns(tmp_path: Path):
    import shutil

    from tui_helpers import screen_text

    path = tmp_path / "btsnoop_hci_2026-12-06_pixel-8-pro_after-firmware-update.log"
    shutil.copy(SAMPLE, path)
    app = make_app(str(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        title = screen_text(app)[0]
        assert title.endswith("(done)  [all connections]") and "…" in title
        assert title.startswith(" attscope  btsnoop_h")  # its start and its end stay
        assert "pdate.log" in title


@run_async
async def test_markers_are_explained_where_they_appear_and_in_the_help():
    app = make_app(SAMPLE)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot, app)
        for key, marker in (("2", "C/S the sender's ATT role"), ("3", "* the capture has a gap"),
                            ("5", "space opens a group"), ("6", "? the sender guessed")):  # fmt: skip
            await pilot.press(key)
            legend = app.current_panel().query_one(".legend", Static).render().plain
            assert marker in legend
        await pilot.press("question_mark")
        help_text = app.screen.query_one(Static).render().plain
        assert "Markers" in help_text and "! named by a violation" in help_text
        assert "  T" in help_text and "  v" in help_text  # the app's keys
        assert "In Transactions" in help_text and "  S" in help_text  # a panel's own
