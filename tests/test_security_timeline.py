"""Pairing and encryption on a connection's timeline: who asked, what each side offered,
the method, the keys distributed, the encryption requested and started
(dissector/analysis/security_timeline.py, connections.py)."""

from __future__ import annotations

from corpus import need_corpus

from attscope.capture import open_capture
from attscope.dissector.analysis.analyzer import Analyzer


def _timeline(name: str) -> list[tuple[int, str, str]]:
    analyzer = Analyzer()
    for frame in open_capture(need_corpus(name)):
        analyzer.feed(frame)
    analyzer.finish()
    return [(e.frame, e.kind, e.detail) for c in analyzer.connections for e in c.timeline]


def test_a_legacy_pairing_on_air_is_on_the_timeline_in_order() -> None:
    entries = [e for e in _timeline("crackle_legacy_jw_pairing.pcap") if e[1] != "parameter_update"]
    kinds = [kind for _, kind, _ in entries]
    start = kinds.index("pairing")
    assert kinds[start : start + 5] == [
        "pairing", "pairing", "encryption_request", "encryption", "key_distribution",
    ]  # fmt: skip
    request, response = entries[start][2], entries[start + 1][2]
    assert request.startswith("pairing requested by the central: IO NoInputNoOutput")
    assert response.endswith("legacy pairing, Just Works")
    assert entries[start + 2][2].startswith("encryption requested by the central (EDIV 0x0000")
    assert entries[start + 4][2] == "the peripheral distributes its LTK (with EDIV and Rand)"


def test_an_hci_log_names_the_host_and_its_peer() -> None:
    entries = _timeline("android_ec521_smp.btsnoop")
    said = [detail for _, kind, detail in entries if kind in ("pairing", "key_distribution")]
    assert said[0].startswith("pairing requested by the local host: IO KeyboardDisplay")
    assert said[1].startswith("pairing response from the peer: IO NoInputNoOutput")
    assert "the local host distributes its IRK (with its identity address)" in said
