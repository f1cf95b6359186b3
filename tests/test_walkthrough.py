"""The README's walk through the terminal UI shows what the TUI really shows: every
recorded screen is replayed with its keys (tests/walkthrough.py)."""

from __future__ import annotations

import asyncio

from walkthrough import README, replay, steps


def test_the_readme_walkthrough_is_what_the_tui_shows() -> None:
    recorded = steps(README.read_text())
    assert len(recorded) >= 4, "the README's walkthrough blocks are missing"
    screens = asyncio.run(replay([keys for keys, _ in recorded]))
    for number, ((keys, expected), shown) in enumerate(zip(recorded, screens, strict=True), 1):
        assert shown == expected, f"step {number} ({' '.join(keys)}) differs from README.md"
