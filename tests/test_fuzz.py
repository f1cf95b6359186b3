"""The fuzz target: mutated captures through every native reader, the analyzer and the
export, checking the promises (no exception but CaptureError at open, every complete
record before damage kept, the export's end record written).

Seeds are captures the project writes itself (the sample as btsnoop, pcap and pcapng, and
an air capture of link type 251), plus the real captures when ../shared is there. Each
seed gets ATTSCOPE_FUZZ_INPUTS mutations (default 100; CI runs the default), drawn from a
seeded generator so a failure names the input that shows it and can be replayed.
"""

from __future__ import annotations

import io
import os
import random
import struct
from pathlib import Path

import pytest
from corpus import CAPTURES, SAMPLES, manifest

from attscope.capture import CaptureError, Direction, Encap, Frame, open_capture, write_capture
from attscope.capture.linktypes import BLUETOOTH_LE_LL
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.export.stream import DEFAULT_KINDS, export_capture

INPUTS = int(os.environ.get("ATTSCOPE_FUZZ_INPUTS", "100"))
SAMPLE = SAMPLES / "heart_rate.btsnoop"


def _air_seed(path: Path) -> None:
    """Adverts, a CONNECT_IND's worth of data PDUs and an ATT exchange, link type 251."""
    frames = []
    for i in range(1, 41):
        aa = 0x8E89BED6 if i % 4 == 0 else 0x50654A27
        if aa == 0x8E89BED6:
            pdu = bytes((0x42, 9)) + (0xC0FFEE000000 + i).to_bytes(6, "little") + b"\x02\x01\x06"
        else:
            att = b"\x0a\x03\x00" if i % 2 else b"\x0b\x01\x02"
            pdu = bytes((0x02, len(att) + 4)) + struct.pack("<HH", len(att), 4) + att
        ll = struct.pack("<I", aa) + pdu + b"\x00\x00\x00"
        frames.append(Frame(i, 1_700_000_000_000_000 + i * 1250, BLUETOOTH_LE_LL, Encap.LE_LL,
                            Direction.UNKNOWN, ll))  # fmt: skip
    write_capture(path, frames, "pcap", BLUETOOTH_LE_LL)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("seeds")
    frames = list(open_capture(SAMPLE))
    found = {"heart_rate.btsnoop": SAMPLE.read_bytes()}
    for fmt in ("pcap", "pcapng"):
        write_capture(out / f"hr.{fmt}", frames, fmt, 201)
        found[f"heart_rate.{fmt}"] = (out / f"hr.{fmt}").read_bytes()
    _air_seed(out / "air.pcap")
    found["air.pcap"] = (out / "air.pcap").read_bytes()
    for row in manifest():  # the real captures too, where they are (small ones)
        path = CAPTURES / row["file"]
        if path.is_file() and path.stat().st_size <= 200_000:
            found[path.name] = path.read_bytes()
    return found


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One of: bytes flipped, a cut, a range repeated, bytes inserted, a length field set
    to an extreme; a few of them at once for some inputs. The file header is spared but
    in one input of 100: a file of no known format goes to tshark, which is slow, and its
    own tests are elsewhere."""
    out = bytearray(data)
    keep = 0 if rng.randrange(100) == 0 else min(64, len(out) - 1)
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        kind = rng.randrange(5)
        at = rng.randrange(keep, len(out)) if len(out) > keep else len(out)
        if kind == 0:
            for _ in range(rng.randint(1, 8)):
                out[rng.randrange(keep, len(out))] ^= 1 << rng.randrange(8)
        elif kind == 1:
            del out[at:]
        elif kind == 2:
            span = out[at : at + rng.randint(1, 200)]
            out[at:at] = span * rng.randint(1, 5)
        elif kind == 3:
            out[at:at] = rng.randbytes(rng.randint(1, 64))
        elif at + 4 <= len(out):
            out[at : at + 4] = rng.choice((b"\xff\xff\xff\xff", b"\x00\x00\x00\x00",
                                           b"\xff\xff\x00\x00", b"\x00\x00\xff\xff"))  # fmt: skip
        if len(out) <= keep:
            break
    return bytes(out)


def run_one(path: Path) -> None:
    """Open, analyse and export one input; no exception may come out but CaptureError
    (a file that is no capture: one line, exit 2)."""
    try:
        _analyse_and_export(path)
    except CaptureError:
        return


def _analyse_and_export(path: Path) -> None:
    reader = open_capture(path)
    analyzer = Analyzer()
    frames = 0
    for frame in reader:
        frames += 1
        analyzer.feed(frame)
    analyzer.finish()
    assert all(w.offset is None or w.offset >= 0 for w in reader.warnings)
    end = export_capture(open_capture(path), io.BytesIO(), list(DEFAULT_KINDS))
    assert end.frames == frames


def test_mutated_captures_keep_the_promises(seeds: dict[str, bytes], tmp_path: Path) -> None:
    rng = random.Random(20261205)
    tried = 0
    for name, data in seeds.items():
        for n in range(INPUTS):
            mutated = mutate(data, rng)
            if not mutated:
                continue
            path = tmp_path / f"{n}-{name}"
            path.write_bytes(mutated)
            try:
                run_one(path)
            except Exception as exc:  # name the input, so that it can be kept and replayed
                kept = Path(os.environ.get("ATTSCOPE_FUZZ_KEEP", tmp_path)) / path.name
                kept.write_bytes(mutated)
                raise AssertionError(f"{name} mutation {n} ({kept}): {exc!r}") from exc
            path.unlink()
            tried += 1
    print(f"fuzz: {tried} inputs from {len(seeds)} seeds")
    assert tried >= INPUTS * len(seeds) * 0.9
