"""Hostile captures at two sizes: time and peak memory of the full analysis.

    python benchmarks/hostile.py [--frames 100000] [--only NAME ...] [--json FILE]

Each scenario of hostile_captures.py is written at --frames and twice that, and analysed
by `attscope dump --connections` (the whole analysis, little output) in a child process.
The table gives each run's time and peak RSS, `x2 time`, the time at twice the frames over
the time at --frames (about 2 when time is linear in frames), and `mem/normal`, the peak
RSS over that of the normal capture of the same size (bounded memory keeps it under 2).
To measure another build, put it first on PYTHONPATH: the children inherit it.

Exit status: 0 done, 1 a scenario broke a bound (x2 time over 2.6, mem/normal over 2),
2 a command failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import hostile_captures as hc
from childrun import ChildFailed, Run, run_measured

from attscope.capture import write_capture

HERE = Path(__file__).resolve().parent
LINEAR_LIMIT = 2.6  # twice the frames may take this much longer: noise, not a square
MEMORY_LIMIT = 2.0


def build(name: str, frames: int, out: Path) -> Path:
    builder, fmt = hc.SCENARIOS[name]
    path = out / f"{name}_{frames}.{fmt}"
    if not path.exists():
        write_capture(path, builder(frames), fmt, hc.LINKTYPES[fmt])
    return path


def measure(path: Path) -> Run:
    return run_measured([sys.executable, "-m", "attscope", "dump", "--connections", str(path)])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", type=int, default=100_000)
    p.add_argument("--only", nargs="+", choices=sorted(hc.SCENARIOS), metavar="NAME")
    p.add_argument("--out", type=Path, default=HERE / "out" / "hostile")
    p.add_argument("--json", type=Path, metavar="FILE")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    names = ["normal", *[n for n in (args.only or hc.SCENARIOS) if n != "normal"]]
    sizes = (args.frames, 2 * args.frames)
    results: dict[str, dict[int, Run]] = {}
    try:
        for name in names:
            results[name] = {n: measure(build(name, n, args.out)) for n in sizes}
    except ChildFailed as exc:
        print(f"hostile: {exc}", file=sys.stderr)
        return 2
    print(f"{'scenario':<26}" + "".join(f"{f'{n:,} frames':>22}" for n in sizes)
          + f"{'x2 time':>9}{'mem/normal':>12}")  # fmt: skip
    broken = False
    rows = []
    for name, runs in results.items():
        small, large = runs[sizes[0]], runs[sizes[1]]
        growth = large.cpu_s / max(small.cpu_s, 1e-6)
        memory = large.max_rss_kib / results["normal"][sizes[1]].max_rss_kib
        broken |= growth > LINEAR_LIMIT or memory > MEMORY_LIMIT
        cells = "".join(
            f"{r.cpu_s:>10.2f} s {r.max_rss_kib / 1024:>7.1f} MiB" for r in (small, large)
        )
        print(f"{name:<26}{cells}{growth:>9.2f}{memory:>12.2f}")
        rows.append({"scenario": name, "frames": list(sizes), "cpu_s": [small.cpu_s, large.cpu_s],
                     "peak_mib": [small.max_rss_kib / 1024, large.max_rss_kib / 1024],
                     "x2_time": growth, "mem_over_normal": memory})  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
