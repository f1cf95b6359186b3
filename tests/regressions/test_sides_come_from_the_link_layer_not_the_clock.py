"""Who sent each packet of an air capture that does not record it comes from the link
layer: a connection event opens with the central, and the SN/NESN acknowledgement bits
say when the sniffer missed the central's packet. Deciding by clock readings labelled
whole connection events backwards wherever a sniffer's timestamps wander by more than a
few hundred microseconds (the nRF Sniffer captures in the corpus wander by up to 900 us),
and LL_ENC_REQ, LL_ENC_RSP and LL_START_ENC_REQ came out on the wrong side in crackle's
captures."""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from air_script import ACCESS_ADDRESS, CRC_INIT, LINKTYPE_LE_LL, START_US, AirScript
from corpus import need_corpus

from attscope.capture import Direction, Encap, Frame, open_capture, write_capture
from attscope.cli.main import main
from attscope.dissector.decoding import ll_control as llc
from attscope.dissector.decoding.decoder import SAME_EVENT_US, Decoder
from attscope.dissector.decoding.ll_data import LlPacket, crc24

C2P, P2C = Direction.CENTRAL_TO_PERIPHERAL, Direction.PERIPHERAL_TO_CENTRAL
INTERVAL_US = 30_000


def _exchanges(events: int, seed: int) -> Iterator[tuple[int, Direction, int, int]]:
    """A link of Empty PDUs as the devices send them (Vol 6 Part B 4.5.9): (time, sender,
    SN, NESN) of each packet; the anchor times wander by up to 900 us, and in some events
    the peripheral does not answer (peripheral latency)."""
    rng = random.Random(seed)
    sn_c = nesn_c = sn_p = nesn_p = 0
    for event in range(events):
        anchor = START_US + 10_000 + event * INTERVAL_US + rng.randint(-900, 900)
        yield anchor, C2P, sn_c, nesn_c
        if rng.random() < 0.2:
            continue  # no answer: the central sends the same bits next time
        if nesn_c != sn_p:
            sn_p ^= 1  # the central acknowledged the peripheral's last packet
        nesn_p = sn_c ^ 1
        yield anchor + 150 + rng.randint(0, 120), P2C, sn_p, nesn_p
        if nesn_p != sn_c:
            sn_c ^= 1
        nesn_c = sn_p ^ 1


def _frame(index: int, ts: int, sn: int, nesn: int) -> Frame:
    pdu = bytes([0x01 | nesn << 2 | sn << 3, 0])  # an Empty PDU
    raw = struct.pack("<I", ACCESS_ADDRESS) + pdu + crc24(CRC_INIT, pdu)
    return Frame(index, ts, LINKTYPE_LE_LL, Encap.LE_LL, Direction.UNKNOWN, raw)


@pytest.mark.parametrize("seed", range(5))
def test_sides_hold_when_timestamps_wander_and_the_sniffer_misses_packets(seed: int) -> None:
    air = AirScript(direction_known=False)
    air.connect()
    frames, truth = list(air.frames), []
    rng = random.Random(seed + 100)
    for ts, side, sn, nesn in _exchanges(400, seed):
        if len(frames) > 3 and rng.random() < 0.15:
            continue  # the sniffer missed this one
        frames.append(_frame(len(frames) + 1, ts, sn, nesn))
        truth.append(side)
    decoder = Decoder()
    sides = [decoder.decode(frame).direction for frame in frames][1:]
    assert sides == truth


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["nrf3_hid_mouse.pcapng", "nrf3_pairing_session.pcap"])
def test_sides_inferred_agree_with_the_nrf_sniffers_flags(name: str) -> None:
    decoder = Decoder()
    agree = total = 0
    for frame in open_capture(need_corpus(name)):
        truth = frame.direction
        if truth in (C2P, P2C):
            frame = msgspec.structs.replace(frame, direction=Direction.UNKNOWN)
        packet = decoder.decode(frame)
        if truth in (C2P, P2C):
            total += 1
            agree += packet.direction == truth
    assert total > 1000 and agree / total > 0.998, (agree, total)


@pytest.mark.corpus
@pytest.mark.parametrize(
    "name",
    ["crackle_known_ltk_encrypted.pcap", "crackle_legacy_jw_pairing.pcap",
     "crackle_lesc_pairing.pcapng", "bsniffhub_lesc_jw_fragments_ltk.pcap"],
)  # fmt: skip
def test_the_encryption_start_pdus_come_from_the_side_the_spec_gives(name: str) -> None:
    # Vol 6 Part B 5.1.3.1: LL_ENC_REQ is the central's, LL_ENC_RSP and LL_START_ENC_REQ
    # the peripheral's
    fixed = {llc.EncReq: C2P, llc.EncRsp: P2C, llc.StartEncReq: P2C}
    decoder = Decoder()
    seen = 0
    for frame in open_capture(need_corpus(name)):
        packet = decoder.decode(frame)
        ll = packet.layers[0] if packet.layers else None
        if isinstance(ll, LlPacket) and type(ll.pdu) in fixed:
            seen += 1
            assert packet.direction == fixed[type(ll.pdu)], packet.frame
    assert seen >= 3


def test_a_side_nothing_shows_is_marked_a_guess(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the first event of a link follows no packet: its sides are guesses; from the next
    # event on the acknowledgement bits show them
    air = AirScript(direction_known=False)
    air.connect()
    frames = list(air.frames)
    for ts, _side, sn, nesn in _exchanges(6, seed=7):
        frames.append(_frame(len(frames) + 1, ts, sn, nesn))
    decoder = Decoder()
    packets = [decoder.decode(frame) for frame in frames][1:]
    first_event = [p for p in packets if p.ts_us - packets[0].ts_us < SAME_EVENT_US]
    assert all(p.side_guessed for p in first_event)
    assert not any(p.side_guessed for p in packets[len(first_event) :])
    path = tmp_path / "link.pcap"
    write_capture(path, frames, "pcap", LINKTYPE_LE_LL)
    assert main(["dump", str(path)]) == 0
    shown = capsys.readouterr().out.splitlines()
    assert [line.split()[3] for line in shown[1:4]] == ["C->P?", "P->C?", "C->P"]
