"""When Service Changed invalidates what was discovered, the database is not shown empty:
dump --gatt, the export and the TUI show what was known, that it was invalidated, and by
which frame."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

from frames import Script
from textual.widgets import Tree
from tui_helpers import run_async, settle

from attscope.capture import write_capture
from attscope.dissector.analysis.gatt_db import GattDatabase
from attscope.dissector.decoding import att_pdus as att
from attscope.tui.app import make_app


def declaration(properties: int, value_handle: int, uuid16: int) -> bytes:
    return struct.pack("<BHH", properties, value_handle, uuid16)


def changed_capture() -> tuple[Script, int]:
    s = Script()
    s.connect()
    s.local(att.ReadByGroupTypeRequest(0x0001, 0xFFFF, "2800"))
    s.remote(
        att.ReadByGroupTypeResponse(
            6,
            (
                att.GroupValue(0x0001, 0x0004, b"\x0f\x18"),
                att.GroupValue(0x0005, 0x0009, b"\x01\x18"),
            ),
        )
    )
    s.local(att.ReadByTypeRequest(0x0001, 0x0004, "2803"))
    s.remote(att.ReadByTypeResponse(7, (att.HandleValue(0x0002, declaration(0x12, 3, 0x2A19)),)))
    s.local(att.ReadByTypeRequest(0x0005, 0x0009, "2803"))
    s.remote(att.ReadByTypeResponse(7, (att.HandleValue(0x0006, declaration(0x20, 7, 0x2A05)),)))
    s.local(att.ReadRequest(0x0003))
    s.remote(att.ReadResponse(b"\x52"))
    changed = s.remote(att.HandleValueIndication(0x0007, b"\x01\x00\xff\xff"))
    s.local(att.HandleValueConfirmation())
    return s, changed  # fmt: skip


def only_db(s: Script, tmp_path: Path) -> GattDatabase:
    (db,) = s.analyse(tmp_path).gatt_databases.values()
    return db


def test_what_was_known_is_kept_with_the_invalidation(tmp_path: Path) -> None:
    s, changed = changed_capture()
    db = only_db(s, tmp_path)
    assert db.services == []  # nothing is current any more
    (found,) = db.invalidations
    assert (found.start, found.end, found.frame) == (1, 0xFFFF, changed)
    assert [sv.name for sv in found.known.services] == ["Battery Service", "Generic Attribute"]
    level = found.known.value(0x0003)
    assert level is not None and level.value == b"\x52"
    decoded = found.known.decode(0x0003)
    assert decoded is not None and decoded.text() == "82%"


def test_dump_and_export_show_it_as_invalidated(tmp_path: Path) -> None:
    s, changed = changed_capture()
    path = tmp_path / "changed.btsnoop"
    write_capture(path, s.frames, "btsnoop", 1002)
    dump = subprocess.run(
        [sys.executable, "-m", "attscope", "dump", str(path), "--gatt"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "(nothing learnt since the last invalidation)" in dump
    assert f"invalidated at frame {changed}: 0x0001-0xffff (Service Changed indication)" in dump
    after = dump.split("known until then:", 1)[1]
    assert "Battery Service (180f)" in after and "= 82%" in after

    export = subprocess.run(
        [sys.executable, "-m", "attscope", "export", str(path), "--what", "gatt"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    (server,) = [r for r in map(json.loads, export.splitlines()) if r["type"] == "gatt_server"]
    (found,) = server["invalidations"]
    assert (found["frame"], found["start_handle"], found["end_handle"]) == (changed, 1, 0xFFFF)
    names = [sv["name"] for sv in found["known_services"]]
    assert names == ["Battery Service", "Generic Attribute"]
    level = found["known_services"][0]["characteristics"][0]["value"]
    assert level["decoded"] == "82%" and level["frame"] == changed - 1


@run_async
async def test_the_tui_shows_what_was_known_under_the_invalidation(tmp_path: Path) -> None:
    s, changed = changed_capture()
    path = tmp_path / "changed.btsnoop"
    write_capture(path, s.frames, "btsnoop", 1002)
    app = make_app(str(path))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("4")
        tree = app.query_one("#gatt-tree", Tree)
        (device,) = tree.root.children
        labels = [n.label.plain for n in device.children]
        assert labels[0] == "(nothing learnt since the last invalidation)"
        assert labels[1].startswith(f"invalidated at frame {changed}: 0x0001-0xffff")
        known = [n.label.plain for n in device.children[1].children]
        assert "Battery Service (180f)" in known[0] and "Generic Attribute" in known[1]
        level = device.children[1].children[0].children[0].label.plain
        assert "Battery Level" in level and "82%" in level
