"""Issue 12, item 8: `e` on the Devices panel raised `KeyError: 'devices'` and the app
exited with status 0. Every key bound on every panel is pressed here (and answered, where
it asks something), and the app must still be running after each."""

from __future__ import annotations

from pathlib import Path

from corpus import SAMPLES, need_corpus
from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent
from tui_helpers import run_async, settle

from attscope.tui.app import TABS, AttscopeApp, make_app

SAMPLE = str(SAMPLES / "heart_rate.btsnoop")
LEAVE = {"quit"}  # pressed last, on its own


async def _alive(pilot: Pilot, app: AttscopeApp, what: str) -> None:
    await app.workers.wait_for_complete()  # an export or a search runs in a worker
    await pilot.pause()
    assert app.is_running, f"{what}: the app stopped ({app.return_code})"


async def _back_to(pilot: Pilot, app: AttscopeApp, number: int) -> None:
    """The panel shown, its list focused, no prompt or screen open."""
    panel = TABS[number - 1]
    while app.screen is not app.screen_stack[0]:
        await pilot.press("escape")
    if app.query_one(TabbedContent).active != panel or app.focused is None or \
            app.focused.id not in (f"{panel}-list", "gatt-tree"):  # fmt: skip
        await pilot.press("escape", str(number))


async def _every_key_on_every_panel(path: str, size: tuple[int, int]) -> None:
    app = make_app(path)
    app.animation_level = "none"  # the tabs' underline would glide at every switch
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        for number, panel in enumerate(TABS, 1):
            await _back_to(pilot, app, number)
            # one key per action ("up" and "k" do the same)
            keys = {a.binding.action: k for k, a in app.active_bindings.items()}
            for action, key in sorted(keys.items()):
                if action in LEAVE:
                    continue
                await _back_to(pilot, app, number)
                await pilot.press(key)
                await _alive(pilot, app, f"{key} on {panel}")
                if isinstance(app.focused, Input):  # a prompt or the filter bar: answer it
                    await pilot.press("enter")
                    await _alive(pilot, app, f"{key}, enter on {panel}")
        await pilot.press("escape", "escape", "q")
        await pilot.pause()
    assert app.return_code == 0


@run_async
async def test_no_key_crashes_the_tui_on_the_sample(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # where `e` writes its files
    await _every_key_on_every_panel(SAMPLE, (80, 24))


@run_async
async def test_no_key_crashes_the_tui_on_an_air_capture(tmp_path: Path, monkeypatch) -> None:
    path = str(need_corpus("nrf3_hid_mouse.pcapng"))  # devices heard advertising, on air
    monkeypatch.chdir(tmp_path)
    await _every_key_on_every_panel(path, (80, 24))
