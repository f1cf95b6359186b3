"""The `attscope` command: one entry point, one subcommand per job."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from attscope import __version__
from attscope.capture import CaptureError
from attscope.cli.commands import (
    convert_cmd,
    dump_cmd,
    emulate_cmd,
    export_cmd,
    info_cmd,
    live_cmd,
    open_cmd,
    report_cmd,
    stats_cmd,
)
from attscope.cli.messages import say

EXIT_OK = 0
EXIT_USAGE = 2  # bad usage or unreadable input


class Parser(argparse.ArgumentParser):
    """A parser that names the arguments it does not know, under its own usage.

    argparse hands a subcommand's unknown options up to the top-level parser, which prints
    its own usage, no help for `attscope info --bogus`; here each parser (subcommands are
    made of this class too) refuses its own. The top level's COMMAND is checked after its
    unknown options, so that `attscope --bogus` says `--bogus` rather than that a
    COMMAND is missing."""

    def parse_known_args(  # type: ignore[override]  # one signature for typeshed's overloads
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="attscope",
        description="Bluetooth LE capture analyzer and ATT dissector.",
    )
    parser.add_argument("--version", action="version", version=f"attscope {__version__}")
    # required is checked in main(), after the unknown options (see Parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    open_cmd.register(sub)
    info_cmd.register(sub)
    dump_cmd.register(sub)
    stats_cmd.register(sub)
    convert_cmd.register(sub)
    export_cmd.register(sub)
    report_cmd.register(sub)
    live_cmd.register(sub)
    emulate_cmd.register(sub)
    return parser


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def _with_command(argv: list[str], commands: set[str]) -> list[str]:
    """`attscope FILE ...` is `attscope open FILE ...`: `open` goes before the first
    argument that is no option when that is no command (after any top-level options, so
    that an unknown one is still named as such)."""
    for at, arg in enumerate(argv):
        if arg == "--":
            break
        if not arg.startswith("-"):
            return argv if arg in commands else [*argv[:at], "open", *argv[at:]]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = _with_command(list(sys.argv[1:] if argv is None else argv), _commands(parser))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("the following arguments are required: COMMAND")
    try:
        return int(args.run(args))
    except CaptureError as exc:
        say(f"attscope: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader of our output went away (`attscope info F | head`): not an error
        sys.stderr.close()
        return EXIT_OK
