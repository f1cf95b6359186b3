"""Issue 12, item 12 (the UI's part): a damaged file's warning (a truncated capture: the
reader names the byte offset) flashed by as a notification, or was lost when the analysis
finished before the reader's warnings were read. It stays on screen now, with any other
warning the reader gave, on every panel."""

from __future__ import annotations

from pathlib import Path

from corpus import SAMPLES
from textual.widgets import Static
from tui_helpers import run_async, settle

from attscope.capture import open_capture
from attscope.tui.app import TABS, make_app

SAMPLE = SAMPLES / "heart_rate.btsnoop"


def _truncated(tmp_path: Path) -> tuple[Path, list[str]]:
    """The sample cut in the middle of a record, and what its reader warns of."""
    path = tmp_path / "cut.btsnoop"
    path.write_bytes(SAMPLE.read_bytes()[:3000])
    reader = open_capture(str(path))
    for _ in reader:
        pass
    return path, [str(w) for w in reader.warnings]


@run_async
async def test_capture_warnings_stay_visible(tmp_path: Path) -> None:
    path, warnings = _truncated(tmp_path)
    assert warnings and "at byte 2979" in warnings[0]
    app = make_app(str(path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert app.model.warnings == warnings
        line = app.query_one("#warnings", Static)
        for number, _ in enumerate(TABS, 1):
            await pilot.press(str(number))
            assert line.display and line.region.height >= 1
            assert "at byte 2979" in line.render().plain  # type: ignore[union-attr]


@run_async
async def test_an_undamaged_capture_shows_no_warning_line() -> None:
    app = make_app(str(SAMPLE))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert not app.query_one("#warnings", Static).display
