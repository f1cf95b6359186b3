"""`attscope open FILE` (or just `attscope FILE`): the TUI on a capture."""

from __future__ import annotations

import argparse
from typing import Any

from attscope.uuid_file import load_uuid_names


def register(sub: Any) -> None:
    p = sub.add_parser(
        "open",
        help="open a capture in the TUI (the default: `attscope FILE` does this)",
        description="Open a capture in the terminal UI: connections, flow ladder, "
        "transactions, GATT tree, violations and packets. Press ? in it for the keys.",
    )
    p.add_argument("file")
    p.add_argument(
        "--uuid-names",
        metavar="FILE",
        help="names for custom UUIDs: a JSON object, or lines of 'UUID name' (# comments)",
    )
    p.add_argument(
        "--exit-after",
        choices=("first-screen", "analysed"),
        help="run without a terminal and exit once the first screen is drawn, or once the "
        "whole capture is analysed (for benchmarks and scripted checks)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from attscope.tui.app import make_app  # Textual loads only for the TUI

    app = make_app(args.file, load_uuid_names(args.uuid_names))
    if args.exit_after:
        app.exit_after = args.exit_after
        app.run(headless=True, size=(120, 40))
    else:
        app.run()
    return 0
