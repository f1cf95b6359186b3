"""Structures that grew or slowed with hostile input: re-opening the same EATT CIDs used up
the per-connection channel limit (after 52 re-opens new channels were not decoded), each
K-frame of an SDU that never completes rebuilt a tuple of all the frames before it, and
each service of a discovery answer was compared with every known one."""

from __future__ import annotations

from attscope.capture import Direction
from attscope.dissector.analysis.gatt_db import GattDatabase
from attscope.dissector.decoding import l2cap_signalling as sig
from attscope.dissector.decoding.channels import (
    MAX_CHANNELS_PER_CONNECTION,
    PSM_EATT,
    ChannelTable,
    SduReassembler,
)
from attscope.dissector.decoding.pdu import Malformed

H2C, C2H = Direction.HOST_TO_CONTROLLER, Direction.CONTROLLER_TO_HOST


def test_reopening_the_same_channels_does_not_use_up_the_limit() -> None:
    table = ChannelTable()
    for ident in range(MAX_CHANNELS_PER_CONNECTION):  # the same five EATT channels, again
        ident &= 0xFF
        table.signalling("c", H2C, sig.CreditConnectionRequest(
            ident, PSM_EATT, 517, 251, 10, (0x40, 0x41, 0x42, 0x43, 0x44)))  # fmt: skip
        opened = table.signalling("c", C2H, sig.CreditConnectionResponse(
            ident, 517, 251, 10, 0, (0x50, 0x51, 0x52, 0x53, 0x54)))  # fmt: skip
        assert len(opened) == 5
    table.signalling("c", H2C, sig.CreditConnectionRequest(1, PSM_EATT, 517, 251, 10, (0x60,)))
    table.signalling("c", C2H, sig.CreditConnectionResponse(1, 517, 251, 10, 0, (0x70,)))
    channel = table.lookup("c", H2C, 0x70)
    assert channel is not None and channel.pair == (0x60, 0x70)


def test_an_sdu_that_never_completes_is_bounded_and_said() -> None:
    sdus = SduReassembler()
    sdu, frames, damage = sdus.feed("k", (100).to_bytes(2, "little") + b"x", 1)
    assert (sdu, frames, damage) == (None, (), None)
    for frame in range(2, 101):  # empty K-frames: the SDU never fills
        assert sdus.feed("k", b"", frame) == (None, (), None)
    sdu, frames, damage = sdus.feed("k", b"", 101)
    assert sdu is None and isinstance(damage, Malformed) and "still not complete" in damage.reason
    assert not sdus.pending("k")


def test_ten_thousand_services_and_one_that_covers_two() -> None:
    db = GattDatabase("peer", None)
    for i in range(10_000):
        db.add_service(1 + i * 6, 6 + i * 6, "180f", True, 1)
    assert len(db.services) == 10_000
    db.add_service(4, 9, "180d", True, 2)  # overlaps the first two: replaces both
    found = [(s.start, s.end, s.uuid) for s in db.services[:3]]
    assert found == [(4, 9, "180d"), (13, 18, "180f"), (19, 24, "180f")]
    db.add_service(10, 12, None, None, 3)  # from an include, in a gap: it is added
    db.add_service(5, 5, None, None, 3)  # from an include, inside a service: nothing
    assert [(s.start, s.end) for s in db.services[:3]] == [(4, 9), (10, 12), (13, 18)]
