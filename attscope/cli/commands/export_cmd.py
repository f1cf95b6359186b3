"""`attscope export FILE`: what the analyzer found, as JSON Lines or one JSON document
(attscope/export/records.py says every record; `--schema` prints their JSON Schema)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from attscope.atomic import error_text, exit_on_signals, replaced_on_success
from attscope.capture import CaptureError, open_capture
from attscope.cli.key_args import add_key_arguments, keys_of
from attscope.cli.log_arg import add_log_argument
from attscope.cli.messages import say
from attscope.cli.uuid_file import load_uuid_names
from attscope.export.fail_on import Condition, FailOn, FailOnError
from attscope.export.schema import schema_json
from attscope.export.stream import DEFAULT_KINDS, KINDS, export_capture

EXIT_OK, EXIT_VIOLATION, EXIT_ERROR = 0, 1, 2


def kinds_arg(text: str) -> list[str]:
    """--what: kinds separated by commas, or "all"; returned in the header's order."""
    asked = {k.strip() for k in text.split(",") if k.strip()}
    if asked == {"all"}:
        return list(KINDS)
    unknown = sorted(asked - set(KINDS))
    if unknown or not asked:
        raise argparse.ArgumentTypeError(
            f"unknown kind {', '.join(unknown) or '(none)'}: choose from {', '.join(KINDS)}, all"
        )
    return [k for k in KINDS if k in asked]


def condition_arg(text: str) -> Condition:
    try:
        return Condition.parse(text)
    except FailOnError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: Any) -> None:
    p = sub.add_parser(
        "export",
        help="write connections, transactions, violations, GATT and PDUs as JSON",
        description="Write what the analyzer finds as JSON Lines (a header line, one record "
        "a line as found, an end line) or, with --format json, one document grouped by "
        "kind. Every object has a `type`; `--schema` prints the JSON Schema.",
    )
    p.add_argument("file", nargs="?", help="capture file (not needed with --schema)")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="write to OUT, which appears only once complete (default: standard output)",
    )
    p.add_argument("--format", choices=("jsonl", "json"), default="jsonl", help="default: jsonl")
    p.add_argument(
        "--what",
        type=kinds_arg,
        default=list(DEFAULT_KINDS),
        metavar="KINDS",
        help=f"comma-separated, from {','.join(KINDS)} (or all); "
        f"default: {','.join(DEFAULT_KINDS)}",
    )
    p.add_argument("--schema", action="store_true", help="print the export's JSON Schema")
    p.add_argument(
        "--fail-on-violation",
        action="store_true",
        help="exit 1 when an error-severity violation is found (for CI)",
    )
    p.add_argument(
        "--fail-on",
        type=condition_arg,
        action="append",
        default=[],
        metavar="EXPR",
        help="exit 1 when a connection meets EXPR, e.g. 'att.write.p95 > 100ms' "
        "(repeatable; README, Export, lists the metrics)",
    )
    p.add_argument(
        "--uuid-names",
        metavar="FILE",
        help="names for custom UUIDs: a JSON object, or lines of 'UUID name' (# comments)",
    )
    add_key_arguments(p)
    add_log_argument(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.schema:
        return _emit(args, lambda out, spill_dir: out.write(schema_json()))
    if args.file is None:
        say("attscope export: a capture FILE is needed (or --schema)")
        return EXIT_ERROR
    names = load_uuid_names(args.uuid_names)
    reader = open_capture(args.file, args.log)  # an unreadable file: one line and exit 2, in main
    errors = 0
    fail_on = FailOn(args.fail_on) if args.fail_on else None
    warnings: list[str] = []

    def export(out: IO[bytes], spill_dir: str | None) -> None:
        nonlocal errors
        end = export_capture(reader, out, args.what, args.format, names, spill_dir,
                             keys_of(args), fail_on)  # fmt: skip
        errors = end.violations.get("error", 0)
        warnings.extend(end.warnings)  # the reader's and the analysis's

    status = _emit(args, export)
    if status != EXIT_OK:
        return status
    for w in warnings:
        say(f"attscope: warning: {args.file}: {w}")
    failed = fail_on.failures if fail_on is not None else []
    for failure in failed:
        say(f"attscope: fail-on: {failure}")
    if failed or (args.fail_on_violation and errors):
        return EXIT_VIOLATION
    return EXIT_OK


def _emit(args: argparse.Namespace, write: Callable[[IO[bytes], str | None], Any]) -> int:
    """Run `write(out, spill_dir)` on standard output, or on a temporary file that becomes
    --output only if it succeeds. A failure is one line on stderr and exit 2."""
    where = args.output or "standard output"
    try:
        if args.output is None:
            write(sys.stdout.buffer, None)
            return EXIT_OK
        inputs = [args.file] if args.file else []
        with (
            exit_on_signals(),
            replaced_on_success(args.output, inputs=inputs) as tmp,
            open(tmp, "wb") as out,
        ):
            write(out, spill_folder(tmp))
    except CaptureError as exc:
        say(f"attscope: {exc}")
        return EXIT_ERROR
    except BrokenPipeError:
        raise  # the reader went away (`| head`): main says nothing
    except OSError as exc:
        say(f"attscope: {where}: {error_text(exc)}")
        return EXIT_ERROR
    return EXIT_OK


def spill_folder(output: Path) -> str | None:
    """Where the json format's spill files go: beside a regular output, in the system's
    temporary folder for a FIFO or a device."""
    return str(output.parent) if output.is_file() else None
