"""Driving the TUI in tests: wait for the analysis, read what a list shows."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

from sniffer_helpers import Deadline
from textual.pilot import Pilot

from attscope.tui.app import AttscopeApp
from attscope.tui.virtual_list import VirtualList


async def settle(pilot: Pilot, app: AttscopeApp, timeout: float = 20.0) -> None:
    """Wait until the capture is analysed, the filters have run and the screen is drawn."""
    waited = 0.0
    while waited < timeout and not app.settled():
        await pilot.pause(0.05)
        waited += 0.05
    assert app.model.done, "analysis did not finish"
    await pilot.wait_for_scheduled_animations()  # the screen has drawn what it holds


def shown(widget: VirtualList) -> list[str]:
    """Every row of a list as plain text."""
    return [row.plain for row in widget.source.rows(0, len(widget.source), 200)]


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """An async test run to completion on its own event loop (no plugin needed)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


async def until(pilot: Pilot, done: Callable[[], bool], what: str) -> None:
    """Wait until `done()` holds (a key's effect has reached the app), at most PATIENCE."""
    deadline = Deadline()
    while not done():
        deadline.check(what)
        await pilot.pause(0.02)


def screen_text(app: AttscopeApp) -> list[str]:
    """What the terminal shows, one string a line, trailing blanks dropped."""
    update = app.screen._compositor.render_update(full=True)
    return ["".join(segment.text for segment in strip).rstrip() for strip in update.strips]
