"""The host and the emulator, each against the stand-in of dongle_sim.py, which shares no
code with attscope: first the stand-in against the reference's worked examples, then real
nRF Sniffer captures streamed with their real counters (gaps and all) through a pty to
`LiveCapture`, then the emulator's byte stream read by the stand-in's own parser."""

from __future__ import annotations

import itertools
import os
import select
import struct
from pathlib import Path

import dongle_sim as sim
import pytest
from corpus import need_corpus
from sniffer_helpers import MOUSE, MOUSE_ADDRESS, Deadline

from attscope.capture import Frame
from attscope.capture.live import LiveCapture
from attscope.capture.nrf_emulator import Emulator, air_capture
from attscope.capture.nrf_serial import NrfSerial

# the real nRF Sniffer captures: firmware 4.x (v3), 2.x-3.x (v2), 1.x (v1, link type 157)
NRF_CAPTURES = (
    "nrf3_hid_mouse.pcapng",
    "nrf3_pairing_session.pcap",
    "bsniffhub_nrf2_encrypted_missing.pcap",
    "adafruit_nrf1_user10_adv.pcap",
)


# -- the stand-in, checked against the reference's bytes ----------------------------------


def test_the_stand_in_encodes_example_a_as_the_reference_shows() -> None:
    decoded = bytes.fromhex(
        "06350 1EFCD06 0A01265C0000BC010000"
        "D6BE898E402100FD0327D3DAD802010611 06BA5689A6FABFA2BD01467D6E00FBABAD05160A1805061E77F2".replace(
            " ", ""
        )
    )
    wire = bytes.fromhex(
        "AB063501EFCDCE060A01265C0000CDBD010000D6BE898E402100FD0327D3"
        "DAD802010611 06BA5689A6FABFA2BD01467D6E00FBCDACAD05160A1805 06"
        "1E77F2BC".replace(" ", "")
    )
    assert sim.slip(decoded) == wire
    frames, outside = sim.unslip_stream(wire)
    assert frames == [decoded] and outside == 0
    p = sim.parse(decoded)
    assert (p.version, p.counter, p.packet_id, len(p.payload)) == (1, 0xCDEF, 6, 53)


def test_the_stand_in_turns_example_d_back_into_the_firmwares_frame() -> None:
    record = bytes.fromhex(
        "051F000352590 20A01273500 0042FC3CC1D6BE898E430C70CDC24BBF759C84000000B383B730".replace(
            " ", ""
        )
    )
    wire = bytes.fromhex(
        "AB2000035259020A0127350000 42FC3CC1D6BE898E430C0070CDCEC24BBF759C84000000B383B730BC".replace(
            " ", ""
        )
    )
    packet = sim.record_to_packet(record)
    assert sim.slip(sim.build(packet)) == wire
    assert sim.packet_to_record(packet, 5) == record
    assert sim.advertiser(record) == bytes.fromhex("B3000000849C")


def test_the_stand_in_builds_the_commands_of_example_b() -> None:
    assert sim.command(
        0, sim.HOP_SEQ, bytes.fromhex("03252627")
    ).hex() == "ab0604010000170325262 7bc".replace(" ", "")
    assert sim.command(4, sim.REQ_SCAN_CONT, b"\x03").hex() == "ab06010104000703bc"


# -- the host against the stand-in, on real captures -------------------------------------


@pytest.mark.corpus
@pytest.mark.parametrize("name", NRF_CAPTURES)
def test_the_host_records_every_packet_of_a_real_session_and_loses_none(
    name: str, tmp_path: Path
) -> None:
    records = sim.read_records(need_corpus(name))
    record = tmp_path / "live.pcap"
    with sim.DongleSim(records, tmp_path / "dongle") as dongle:
        session = LiveCapture(NrfSerial(str(tmp_path / "dongle")), record=str(record))
        session.open()
        last = None
        frames: list[Frame] = []
        deadline = Deadline()
        while not (dongle.done.is_set() and last == dongle.stats.counters[-1]):
            deadline.check(f"{session.stats.frames} frames, sim {dongle.stats}")
            assert dongle.error is None, dongle.error
            for frame in session.poll():
                assert frame.sniffer is not None
                last = frame.sniffer.packet_counter
                frames.append(frame)
        session.close()
    got = sim.read_records(record)
    replayed = got[len(got) - len(dongle.packets) :]

    # every record as the dongle sent it: the same bytes but for the board id and the
    # counter, which continues the stand-in's own numbering
    def masked(r: bytes) -> bytes:
        return r[1:4] + r[6:]

    sent = [sim.packet_to_record(p, 0) for p in dongle.packets]
    assert [masked(r) for r in replayed] == [masked(r) for r in sent]
    assert sim.gaps([sim.counter_of(r) for r in replayed]) == dongle.expected_skips
    s = session.stats
    print(
        f"{name}: sent {dongle.stats.beacons} + {dongle.stats.replayed} packets, recorded "
        f"{len(got)}, lost {s.lost}, broken {s.dropped}, counter values skipped by the "
        f"firmware {s.skipped} (the capture's own gaps: {dongle.expected_skips})"
    )
    assert len(got) == s.frames
    assert (s.lost, s.dropped, s.garbage_bytes) == (0, 0, 0)
    assert s.skipped == dongle.expected_skips
    # times between packets are the firmware's, whatever the version (v1/v2 deltas chained)
    live_starts = [f.ts_us for f in frames][len(frames) - len(sent) :]
    assert [t - live_starts[0] for t in live_starts] == sim.firmware_starts(sent)


# -- the emulator against the stand-in's parser ------------------------------------------


@pytest.mark.corpus
def test_the_emulator_streams_what_an_independent_parser_accepts(tmp_path: Path) -> None:
    """Commands built by the stand-in; every frame back parsed by it: valid layout, one
    counter step per frame except the source's own gaps, records equal to the file's."""
    source = sim.read_records(need_corpus(MOUSE))
    target = bytes.fromhex(MOUSE_ADDRESS.replace(":", ""))
    with Emulator(air_capture(need_corpus(MOUSE)), rate="max") as emulator:
        fd = os.open(emulator.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            hello = [
                sim.command(0, sim.HOP_SEQ, bytes.fromhex("03252627")),
                sim.command(1, sim.REQ_VERSION),
                sim.command(2, sim.PING_REQ),
                sim.command(3, sim.REQ_TIMESTAMP),
                sim.command(4, sim.REQ_FOLLOW, target + b"\x00\x00"),
            ]
            stream = bytearray()
            deadline = Deadline()
            while sim.END not in stream:  # listen first: it streams unasked
                deadline.check("no frame before the first command")
                if select.select([fd], [], [], 0.05)[0]:
                    stream += os.read(fd, 65536)
            os.write(fd, b"".join(hello))
            while True:
                deadline.check(f"{len(stream)} bytes")
                # drained before the wait: all of it was in the pty then, so a wait that
                # finds nothing to read means it has all been read
                drained = emulator.drained
                readable, _, _ = select.select([fd], [], [], 0.05)
                if readable:
                    stream += os.read(fd, 65536)
                elif drained:
                    break
        finally:
            os.close(fd)
    frames, outside = sim.unslip_stream(bytes(stream))
    packets = [sim.parse(f) for f in frames]
    assert outside == 0 and {p.version for p in packets} == {3}
    replies = {p.packet_id: p.payload for p in packets if not sim.is_packet_event(3, p.packet_id)}
    assert replies[sim.RESP_VERSION] == b"4.1.1" and sim.PING_RESP in replies
    assert len(replies[sim.RESP_TIMESTAMP]) == 4 and sim.EVENT_FOLLOW in replies
    # before the follow, the capture's first advert as a scanning dongle streams it
    follow_at = next(i for i, p in enumerate(packets) if p.packet_id == sim.EVENT_FOLLOW)
    preroll = [p for p in packets[:follow_at] if sim.is_packet_event(3, p.packet_id)]
    assert preroll and {sim.packet_to_record(p, 0)[6:] for p in preroll} == {
        sim.packet_to_record(sim.record_to_packet(source[0]), 0)[6:]
    }
    packets = packets[follow_at:]
    events = [p for p in packets if sim.is_packet_event(3, p.packet_id)]
    records = [sim.packet_to_record(p, 0) for p in events]
    # the follow's records: the target's adverts, then its connection from the CONNECT_IND
    connect = next(
        i
        for i, r in enumerate(source)
        if sim.parse(r[1:]).packet_id == sim.ADV_PDU
        and r[21] & 0x0F == 5  # CONNECT_IND
        and sim.advertiser(r) == target
    )
    wanted = [r for i, r in enumerate(source) if i >= connect or sim.advertiser(r) == target]

    # the same records but for the counter and the time; times as far apart as the file's
    # (the replay's clock moved on past the pre-roll as a whole)
    def masked(r: bytes) -> bytes:
        return r[2:4] + r[6:13] + r[17:]

    assert [masked(r) for r in records] == [masked(r) for r in wanted]

    def times(rs: list[bytes]) -> list[int]:
        return [
            (struct.unpack_from("<I", r, 13)[0] - struct.unpack_from("<I", rs[0], 13)[0]) % 2**32
            for r in rs
        ]

    assert times(records) == times(wanted)
    # one counter step per frame, but where the source's firmware skipped values before a
    # packet the follow reports
    index = {id(r): i for i, r in enumerate(source)}
    skips = sum(
        sim.gaps([sim.counter_of(source[index[id(r)] - 1]), sim.counter_of(r)])
        for r in wanted
        if index[id(r)] > 0
    )
    counters = [p.counter for p in packets]
    assert all(0 < (b - a) % 65536 < 32768 for a, b in itertools.pairwise(counters))
    assert (counters[-1] - counters[0]) % 65536 == len(counters) - 1 + skips
