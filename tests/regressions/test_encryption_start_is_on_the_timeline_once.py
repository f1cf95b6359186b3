"""Both ends of an air link send LL_START_ENC_RSP when encryption starts (Core Vol 6
Part B 5.1.3.1); the timeline said "encryption started" for each, twice for one start."""

from __future__ import annotations

from pathlib import Path

from attscope.capture import open_capture
from attscope.dissector.analysis.analyzer import Analyzer


def _timeline(path: Path) -> list[tuple[int, str, str]]:
    analyzer = Analyzer()
    for frame in open_capture(path):
        analyzer.feed(frame)
    analyzer.finish()
    return [(e.frame, e.kind, e.detail) for c in analyzer.connections for e in c.timeline]


def test_one_encryption_start_is_one_entry(captures: Path) -> None:
    # C->P LL_ENC_REQ (1175), P->C LL_START_ENC_REQ (1180), then LL_START_ENC_RSP from the
    # central (1181) and from the peripheral (1184)
    entries = _timeline(captures / "nrf3_hid_mouse.pcapng")
    started = [e for e in entries if e[1] == "encryption"]
    assert started == [(1181, "encryption", "encryption started")]


def test_every_encryption_request_is_followed_by_one_start(captures: Path) -> None:
    for name in ("nrf3_pairing_session.pcap", "crackle_known_ltk_decrypted.pcap",
                 "bsniffhub_lesc_jw_fragments_ltk.pcap", "crackle_lesc_pairing.pcapng"):  # fmt: skip
        entries = _timeline(captures / name)
        requests = [e for e in entries if e[1] == "encryption_request"]
        started = [e for e in entries if e[1] == "encryption"]
        assert len(started) == len(requests), (name, entries)
