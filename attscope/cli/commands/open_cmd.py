"""`attscope open FILE` (or just `attscope FILE`): the TUI on a capture."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Generator
from typing import Any

from attscope.capture import CaptureError, open_capture
from attscope.capture.stream_input import is_stream, spool_path
from attscope.cli.key_args import add_key_arguments, keys_of
from attscope.cli.log_arg import add_log_argument
from attscope.cli.messages import say
from attscope.cli.uuid_file import load_uuid_names

EXIT_USAGE = 2


def register(sub: Any) -> None:
    p = sub.add_parser(
        "open",
        help="open a capture in the TUI (the default: `attscope FILE` does this)",
        description="Open a capture in the terminal UI: connections, flow ladder, "
        "transactions, GATT tree, violations and packets. Press ? in it for the keys. "
        "It needs a terminal; without one use `attscope dump FILE`, or --exit-after.",
    )
    p.add_argument("file")
    p.add_argument(
        "--uuid-names",
        metavar="FILE",
        help="names for custom UUIDs: a JSON object, or lines of 'UUID name' (# comments)",
    )
    add_key_arguments(p)
    add_log_argument(p)
    p.add_argument(
        "--exit-after",
        choices=("first-screen", "analysed"),
        help="run without a terminal and exit once the first screen is drawn, or once the "
        "whole capture is analysed (for benchmarks and scripted checks)",
    )
    p.set_defaults(run=run)


def probe(path: str, log: str | None = None) -> None:
    """Read `path` up to its first frame, so that a file that is no capture, or holds no
    frame to show, is a CaptureError (one line, exit 2) before any UI starts."""
    reader = open_capture(path, log)
    frames = iter(reader)
    try:
        if next(frames, None) is not None:
            return
    finally:
        if isinstance(frames, Generator):
            frames.close()  # the reader's file (or tshark) is let go at once
    if reader.warnings:
        raise CaptureError(f"{path}: no frame could be read: {reader.warnings[0]}")
    raise CaptureError(f"{path}: no frame in it ({reader.format}), nothing to show")


def has_terminal() -> bool:
    """The UI draws on standard output and reads keys from standard input: both must be
    a terminal (not a pipe, a file or /dev/null, as from a script or a redirection)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def run(args: argparse.Namespace) -> int:
    names = load_uuid_names(args.uuid_names)
    path = args.file
    if is_stream(path):  # a pipe is read once; the UI opens the capture more than once
        path = str(spool_path(path))
    probe(path, args.log)
    if not args.exit_after and not has_terminal():
        say(
            "attscope: the terminal UI needs a terminal (standard input and output are not "
            f"both one); for text run `attscope dump {shlex.quote(args.file)}`, or add --exit-after "
            "first-screen|analysed to run the UI without one",
        )
        return EXIT_USAGE

    from attscope.tui.app import make_app  # Textual loads only for the TUI
    from attscope.tui.crash import run_app

    app = make_app(path, names, keys_of(args), args.log)
    if args.exit_after:
        app.exit_after = args.exit_after
        return run_app(app, headless=True, size=(120, 40))
    return run_app(app)  # 70 if the UI crashed, its traceback in a file it names
