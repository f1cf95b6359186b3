"""Build a large btsnoop for the benchmark by repeating the records of a real capture.

Each repetition is the source's records byte for byte except the timestamp, which is shifted
by (span of the source + a gap) per repetition so time keeps increasing across the whole file
as a real long capture's would. The output is streamed one repetition at a time, so building a
million-frame file needs only about twice the source's size in memory.

bench.py calls `ensure()`; run on its own, `python benchmarks/bigcapture.py SOURCE --frames N
--out DIR` builds the same file and prints one JSON line describing it.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

MAGIC = b"btsnoop\x00"
HEADER = struct.Struct(">8sII")  # magic, version, datalink
RECORD = struct.Struct(">IIIIq")  # original length, included length, flags, drops, timestamp
TIMESTAMP = struct.Struct(">q")
TIMESTAMP_AT = 16  # offset of the timestamp inside a record header
DEFAULT_GAP_US = 1_000_000


class SourceError(Exception):
    """The source capture cannot be used; the message is meant for the user."""


@dataclass(frozen=True)
class Source:
    """The source's records, kept as one block plus where each record's timestamp is."""

    header: bytes
    body: bytes  # every complete record, header and data, as in the file
    stamps: list[tuple[int, int]]  # (offset of the timestamp in body, timestamp)
    ends: list[int]  # end offset in body of each record, to cut a partial repetition
    datalink: int

    @property
    def records(self) -> int:
        return len(self.ends)

    def period_us(self, gap_us: int) -> int:
        """How far each repetition is shifted: min and max, not first and last, so a source
        whose clock stepped back still never overlaps the next repetition."""
        times = [ts for _, ts in self.stamps]
        return max(times) - min(times) + gap_us


@dataclass(frozen=True)
class Built:
    path: str
    frames: int
    bytes: int
    reused: bool
    source_records: int
    datalink: int


def read_source(path: Path) -> Source:
    data = path.read_bytes()
    if len(data) < HEADER.size or data[:8] != MAGIC:
        raise SourceError(f"{path}: not a btsnoop file (no 'btsnoop\\0' magic)")
    _magic, _version, datalink = HEADER.unpack_from(data)
    body = memoryview(data)[HEADER.size :]
    stamps: list[tuple[int, int]] = []
    ends: list[int] = []
    pos = 0
    # A cut-off last record is left out rather than repeated: every repetition must be whole.
    while pos + RECORD.size <= len(body):
        _orig, incl, _flags, _drops, ts = RECORD.unpack_from(body, pos)
        end = pos + RECORD.size + incl
        if end > len(body):
            break
        stamps.append((pos + TIMESTAMP_AT, ts))
        ends.append(end)
        pos = end
    if not ends:
        raise SourceError(f"{path}: btsnoop file has no complete record to repeat")
    return Source(bytes(data[: HEADER.size]), bytes(body[:pos]), stamps, ends, datalink)


def expected_size(source: Source, frames: int) -> int:
    whole, rest = divmod(frames, source.records)
    return len(source.header) + whole * len(source.body) + (source.ends[rest - 1] if rest else 0)


def write_repeated(source: Source, frames: int, out: Path, gap_us: int) -> None:
    period = source.period_us(gap_us)
    whole, rest = divmod(frames, source.records)
    with open(out, "wb") as f:
        f.write(source.header)
        for rep in range(whole + (1 if rest else 0)):
            block = bytearray(source.body)
            shift = rep * period
            for at, ts in source.stamps:
                TIMESTAMP.pack_into(block, at, ts + shift)
            cut = source.ends[rest - 1] if rep == whole else len(block)
            f.write(memoryview(block)[:cut])


def ensure(source_path: Path, frames: int, out_dir: Path, gap_us: int = DEFAULT_GAP_US) -> Built:
    """The N-frame file in out_dir, built unless a file of exactly the expected size is there."""
    source = read_source(source_path)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{source_path.stem}_{frames}.btsnoop"
    size = expected_size(source, frames)
    reused = path.is_file() and path.stat().st_size == size
    if not reused:
        # Written aside and renamed, so an interrupted build never leaves a file that a
        # later run would take for a finished one.
        partial = path.with_name(path.name + ".partial")
        write_repeated(source, frames, partial, gap_us)
        os.replace(partial, path)
    return Built(str(path), frames, size, reused, source.records, source.datalink)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="btsnoop capture whose records are repeated")
    parser.add_argument("--frames", type=int, required=True, help="frames in the output")
    parser.add_argument("--out", type=Path, required=True, help="directory for the output")
    parser.add_argument("--gap-us", type=int, default=DEFAULT_GAP_US, help="between repetitions")
    args = parser.parse_args(argv)
    if args.frames < 1:
        parser.error("--frames must be at least 1")
    try:
        built = ensure(args.source, args.frames, args.out, args.gap_us)
    except (SourceError, OSError) as exc:
        print(f"bigcapture: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(asdict(built)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
