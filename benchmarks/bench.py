"""attscope's speed and memory beside tshark's, on the same synthetic captures, in one run.

    /work/venv/bin/python benchmarks/bench.py [--frames 1000000] [--out DIR] [--keep]
        [--baseline OTHER_VENV/bin/attscope] [--case NAME ...] [--quick]

`--quick --case NAME` measures one case in well under a minute (200,000 and 20,000 frames,
one run each): enough to see what a change to a hot path does before committing it.

Builds btsnoop captures of --frames and --small-frames frames by repeating a real capture,
runs every case in cases.py as child processes (attscope from the same environment as this
Python, and tshark), and prints best wall time, frames per second and peak RSS per command,
the attscope/tshark ratios, and whether attscope's peak memory stays flat from the small
capture to the large one, as it must when reading streams.

Exit status: 0 done, 1 the memory-growth check failed, 2 bad usage, missing input or a
command that failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bigcapture
import report
from cases import CASES, Case, case_named, expand
from childrun import ChildFailed, run_measured
from report import ATTSCOPE, BASELINE, TSHARK, Row

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "captures" / "android_blefun_multiconn.btsnoop"
DEFAULT_OUT = HERE / "out"


class BenchError(Exception):
    """Ends the run with exit status 2 and this message."""


@dataclass(frozen=True)
class Tools:
    attscope: Path
    tshark: Path | None
    baseline: Path | None = None  # another build's attscope (--baseline)


@dataclass(frozen=True)
class Capture:
    path: Path
    frames: int
    bytes: int
    reused: bool
    source_records: int
    datalink: int


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Measure attscope's speed and memory beside tshark's on the same captures.",
    )
    p.add_argument("--frames", type=int, help="large capture (1,000,000; --quick 200,000)")
    p.add_argument(
        "--small-frames",
        type=int,
        help="small capture, the baseline of the memory-growth check (100,000; --quick 20,000)",
    )
    p.add_argument("--repeat", type=int, help="runs per command (3; --quick 1)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smaller captures and one run per command: a case in well under a minute",
    )
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where captures are built")
    p.add_argument(
        "--keep",
        action="store_true",
        help="keep the built captures for the next run (otherwise they are deleted at the end)",
    )
    p.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="btsnoop to repeat")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")
    p.add_argument(
        "--case",
        action="append",
        choices=[c.name for c in CASES],
        help="run only this case (repeatable; default all)",
    )
    p.add_argument(
        "--baseline",
        type=Path,
        metavar="ATTSCOPE",
        help="also run every case with this attscope (another build's console script, "
        "e.g. a venv of the previous commit) and print attscope over it",
    )
    p.add_argument(
        "--max-growth",
        type=float,
        default=1.10,
        help="largest allowed attscope peak-RSS ratio, large over small capture (1.10)",
    )
    args = p.parse_args(argv)
    quick = args.quick
    if args.frames is None:
        args.frames = 200_000 if quick else 1_000_000
    if args.small_frames is None:
        args.small_frames = 20_000 if quick else 100_000
    if args.repeat is None:
        args.repeat = 1 if quick else 3
    if args.frames < 1 or args.small_frames < 1 or args.repeat < 1:
        p.error("--frames, --small-frames and --repeat must be at least 1")
    return args


def find_tools() -> Tools:
    # The console script beside this interpreter, not whatever `attscope` PATH finds: the
    # benchmark must measure the code of the environment it runs in.
    attscope = Path(sys.executable).with_name("attscope")
    if not os.access(attscope, os.X_OK):
        raise BenchError(
            f"{attscope} not found: run with the Python of the environment where attscope is "
            "installed (pip install -e .)"
        )
    tshark = shutil.which("tshark")
    return Tools(attscope, Path(tshark) if tshark else None)


def build_capture(source: Path, frames: int, out: Path) -> Capture:
    try:
        built = bigcapture.ensure(source, frames, out)
    except (bigcapture.SourceError, OSError) as exc:
        raise BenchError(str(exc)) from exc
    return Capture(
        Path(built.path),
        built.frames,
        built.bytes,
        built.reused,
        built.source_records,
        built.datalink,
    )


def commands(case: Case, tools: Tools) -> list[tuple[str, Path, tuple[str, ...]]]:
    """(tool, executable, argument template) for each side of a case that can run here."""
    out = [(ATTSCOPE, tools.attscope, case.attscope)]
    if tools.baseline is not None:
        out.append((BASELINE, tools.baseline, case.attscope))
    if case.tshark is not None and tools.tshark is not None:
        out.append((TSHARK, tools.tshark, case.tshark))
    return out


def fresh_dir(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def measure_size(
    cases: list[Case], tools: Tools, capture: Capture, repeat: int, scratch: Path
) -> list[Row]:
    rows: list[Row] = []
    for case in cases:
        for tool, exe, template in commands(case, tools):
            values = {"capture": str(capture.path), "scratch": str(scratch)}
            argv = [str(exe), *expand(template, values)]
            row = Row(case.name, tool, capture.frames, argv)
            rows.append(row)
    # Repetitions go round the commands rather than one command three times in a row, so a
    # slow spell of the machine hits both tools instead of biasing one.
    for rep in range(repeat):
        for row in rows:
            progress(f"  {row.case}/{row.tool} at {row.frames:,} frames, run {rep + 1}/{repeat}")
            fresh_dir(scratch)
            row.runs.append(run_measured(row.argv))
            last = row.runs[-1]
            progress(f"    {last.wall_s:.3f} s, {report.mib(last.max_rss_kib):.1f} MiB")
    return rows


def progress(text: str) -> None:
    # Progress to stderr, so stdout carries only the report.
    print(text, file=sys.stderr, flush=True)


def version_of(argv: list[str]) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = done.stdout.strip().splitlines()
    return lines[0] if done.returncode == 0 and lines else None


def git_state() -> str | None:
    """Commit and whether the tree differs from it: a JSON result is only comparable with
    another when one knows which code produced it."""
    commit = version_of(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    if commit is None:
        return None
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return commit + ("-dirty" if dirty else "")


def environment(tools: Tools) -> dict[str, Any]:
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "attscope": {
            "path": str(tools.attscope),
            "version": version_of([str(tools.attscope), "--version"]),
            "git": git_state(),
        },
        "baseline": None
        if tools.baseline is None
        else {
            "path": str(tools.baseline),
            "version": version_of([str(tools.baseline), "--version"]),
        },
        "tshark": None
        if tools.tshark is None
        else {"path": str(tools.tshark), "version": version_of([str(tools.tshark), "--version"])},
    }


def print_report(
    env: dict[str, Any],
    args: argparse.Namespace,
    cases: list[Case],
    captures: list[Capture],
    rows: list[Row],
    checks: list[report.Growth],
    floor_kib: int,
) -> None:
    print_header(env, args, captures)
    print_cases(cases, have_tshark=env["tshark"] is not None)
    for line in report.table(rows, floor_kib):
        print(line)
    print()
    print_notes(env, rows, floor_kib)
    compared = list(report.baseline_lines(rows))
    if compared:
        print("attscope over the baseline build (below 1 is better):")
        for line in compared:
            print(line)
        print()
    if checks:
        print("memory growth (peak RSS, large capture over small):")
        for line in report.growth_lines(checks):
            print(line)
    else:
        print("memory growth: not checked (needs two different capture sizes)")


def print_header(env: dict[str, Any], args: argparse.Namespace, captures: list[Capture]) -> None:
    ours = env["attscope"]
    commit = f" ({ours['git']})" if ours["git"] else ""
    theirs = env["tshark"]["version"] if env["tshark"] else "no tshark"
    print(f"{ours['version']}{commit} vs {theirs}")
    first = captures[0]
    sizes = ", ".join(f"{c.frames:,} frames ({c.bytes / 1e6:.1f} MB)" for c in captures)
    print(f"source: {args.source} ({first.source_records:,} records, datalink {first.datalink})")
    print(f"captures: {sizes}, its records repeated with timestamps shifted")
    runs = f"{args.repeat} run{'s' if args.repeat != 1 else ''}"
    print(f"{env['cpus']} CPUs, Python {env['python']}; best wall time, max peak RSS of {runs}")
    print()


def print_cases(cases: list[Case], have_tshark: bool) -> None:
    for case in cases:
        print(f"{case.name}: {case.what}")
        print(f"  attscope {' '.join(case.attscope)}")
        if case.tshark is None:
            print("  tshark   (no equivalent)")
        else:
            skipped = "" if have_tshark else "  (skipped: not installed)"
            print(f"  tshark   {' '.join(case.tshark)}{skipped}")
    print()


def print_notes(env: dict[str, Any], rows: list[Row], floor_kib: int) -> None:
    print("time/tshark, mem/tshark: attscope over tshark on the same file; below 1 is better.")
    if env["tshark"] is None:
        print("tshark rows skipped: tshark is not installed (apt-get install tshark).")
    print(
        f"Peak RSS cannot read below the launcher's own peak, {report.mib(floor_kib):.1f} MiB "
        "(Linux carries a parent's high-water RSS into a child's ru_maxrss at exec)."
    )
    if any(r.max_rss_kib <= floor_kib * report.FLOOR_MARGIN for r in rows):
        print("* at that floor: the command's real peak may be lower.")
    print()


def write_json(
    path: Path,
    env: dict[str, Any],
    args: argparse.Namespace,
    captures: list[Capture],
    rows: list[Row],
    checks: list[report.Growth],
    floor_kib: int,
) -> None:
    doc = {
        "format": "attscope-bench/1",
        "environment": env,
        "repeat": args.repeat,
        "source": str(args.source),
        "captures": [{"frames": c.frames, "bytes": c.bytes, "path": str(c.path)} for c in captures],
        "rss_floor_kib": floor_kib,
        **report.to_json(rows, checks),
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")


def run(args: argparse.Namespace) -> int:
    if not args.source.is_file():
        raise BenchError(
            f"source capture not found: {args.source}\n"
            "It comes from the shared corpus (../shared/captures/ beside the repository); "
            "pass another btsnoop with --source."
        )
    tools = find_tools()
    if args.baseline is not None:
        if not os.access(args.baseline, os.X_OK):
            raise BenchError(f"--baseline {args.baseline}: not an executable")
        tools = Tools(tools.attscope, tools.tshark, args.baseline.resolve())
    if tools.tshark is None:
        progress("tshark not found: tshark rows and ratios are skipped")
    cases = [case_named(n) for n in args.case] if args.case else list(CASES)
    sizes = sorted({args.small_frames, args.frames})
    captures = []
    for frames in sizes:
        progress(f"capture of {frames:,} frames …")
        captures.append(build_capture(args.source, frames, args.out))
        progress(f"  {'reused' if captures[-1].reused else 'built'} {captures[-1].path}")
    env = environment(tools)
    scratch = args.out / "scratch"
    rows: list[Row] = []
    try:
        for capture in captures:
            rows += measure_size(cases, tools, capture, args.repeat, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if not args.keep:
            for capture in captures:
                capture.path.unlink(missing_ok=True)
    floor_kib = max(run.floor_kib for row in rows for run in row.runs)
    checks = report.growth(rows, sizes[0], sizes[-1], args.max_growth) if len(sizes) > 1 else []
    print_report(env, args, cases, captures, rows, checks, floor_kib)
    if args.json:
        write_json(args.json, env, args, captures, rows, checks, floor_kib)
        print(f"\nresults written to {args.json}")
    return 0 if all(g.ok for g in checks) else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except (BenchError, ChildFailed) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
