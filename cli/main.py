"""The `attscope` command: one entry point, one subcommand per job."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from attscope import __version__
from attscope.capture import CaptureError
from attscope.commands import (
    convert_cmd,
    dump_cmd,
    emulate_cmd,
    export_cmd,
    info_cmd,
    live_cmd,
    open_cmd,
    stats_cmd,
)

EXIT_OK = 0
EXIT_USAGE = 2  # bad usage or unreadable input


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="attscope",
        description="Bluetooth LE capture analyzer and ATT dissector.",
    )
    parser.add_argument("--version", action="version", version=f"attscope {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    open_cmd.register(sub)
    info_cmd.register(sub)
    dump_cmd.register(sub)
    stats_cmd.register(sub)
    convert_cmd.register(sub)
    export_cmd.register(sub)
    live_cmd.register(sub)
    emulate_cmd.register(sub)
    return parser


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and not argv[0].startswith("-") and argv[0] not in _commands(parser):
        argv.insert(0, "open")  # `attscope FILE` opens the TUI
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except CaptureError as exc:
        print(f"attscope: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader of our output went away (`attscope info F | head`): not an error
        sys.stderr.close()
        return EXIT_OK
