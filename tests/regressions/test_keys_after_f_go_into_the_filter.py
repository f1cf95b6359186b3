"""Issue 12, item 11: keys typed right after `f` (a paste, a fast typist, lag over SSH)
ran as commands: a burst opened the export prompt and wrote a file named `name:battery`.
Here the keys arrive together, as a burst does, before the app has drawn anything."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import SAMPLES
from textual import events
from textual.widgets import Input
from tui_helpers import run_async, settle

from attscope.tui.app import AttscopeApp, make_app
from attscope.tui.prompt import Prompt, PromptBar

SAMPLE = str(SAMPLES / "heart_rate.btsnoop")


def _burst(app: AttscopeApp, keys: str) -> None:
    """The keys queued at once, as a terminal delivers a paste: nothing awaited between."""
    for key in keys:
        name = {":": "colon", "/": "slash", " ": "space"}.get(key, key)
        app.post_message(events.Key(name, key))


@run_async
async def test_keys_after_f_go_into_the_filter(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(SAMPLE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("3")
        _burst(app, "fname:battery")
        await pilot.pause()
        bar = app.query_one("#filter", Input)
        assert bar.value == "name:battery"
        assert app.focused is bar
        assert not app.query_one(PromptBar).display  # no export (nor search) prompt opened
        await pilot.press("enter")
        await settle(pilot, app)
        assert app.filter.names == ("battery",)
    assert list(tmp_path.iterdir()) == []  # no stray file


@pytest.mark.parametrize(("key", "typed"), [("slash", "/battery"), ("colon", ":42"), ("e", "e")])
@run_async
async def test_keys_after_a_prompt_opens_go_into_it(key: str, typed: str, tmp_path: Path,
                                                     monkeypatch) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    app = make_app(SAMPLE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        _burst(app, typed + "xq")
        await pilot.pause()
        prompt = app.query_one(Prompt)
        assert app.is_running and app.focused is prompt
        assert prompt.value.endswith(typed[1:] + "xq")
