"""The README's walk through the terminal UI, replayed: each block of README.md marked

    <!-- walkthrough keys: down enter 2 -->
    ```text
    (the screen)
    ```

is what the screen shows after pressing those keys, in order from the block before, in one
session over the bundled sample at SIZE. `python tests/walkthrough.py --write` records the
screens again into README.md (review the diff before committing it)."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SAMPLE = ROOT / "samples" / "heart_rate.btsnoop"
SIZE = (100, 24)
BLOCK = re.compile(
    r"<!-- walkthrough keys: (?P<keys>[^>]*?) -->\n```text\n(?P<screen>.*?)```\n", re.S
)


def steps(text: str) -> list[tuple[list[str], str]]:
    """(keys, the screen recorded after them) for each block, in order."""
    return [(m["keys"].split(), m["screen"]) for m in BLOCK.finditer(text)]


async def replay(keys_per_step: list[list[str]]) -> list[str]:
    """The screens after each step's keys, as text."""
    sys.path.insert(0, str(ROOT / "tests"))
    from tui_helpers import screen_text, settle

    from attscope.tui.app import make_app

    app = make_app(str(SAMPLE))
    screens = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        for keys in keys_per_step:
            for key in keys:
                if key != "none":
                    await pilot.press(key)
            await settle(pilot, app)
            app.clear_notifications()  # toasts come and go: not part of the record
            await pilot.wait_for_scheduled_animations()
            screens.append("\n".join(screen_text(app)).rstrip("\n") + "\n")
    return screens


def write() -> None:
    text = README.read_text()
    recorded = steps(text)
    screens = asyncio.run(replay([keys for keys, _ in recorded]))
    shots = iter(screens)

    def fill(match: re.Match[str]) -> str:
        return f"<!-- walkthrough keys: {match['keys']} -->\n```text\n{next(shots)}```\n"

    README.write_text(BLOCK.sub(fill, text))


if __name__ == "__main__" and "--write" in sys.argv:
    write()
