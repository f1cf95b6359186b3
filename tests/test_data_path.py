"""One data path: `Analyzer.feed` returns everything a consumer needs of a frame, and the
packet carries what the analysis needs of the L2CAP layer, so nothing asks an object
afterwards what it just did."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from frames import Script

from attscope.capture import Direction
from attscope.dissector.analysis.analysis_records import Connection, Transaction
from attscope.dissector.analysis.analyzer import Analyzer, Fed
from attscope.dissector.analysis.connections import LiveConnection
from attscope.dissector.analysis.flow_rules import RULES, ViolationKind
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding import l2cap_signalling as sig
from attscope.dissector.decoding.channels import PSM_EATT, ChannelOpened
from attscope.dissector.decoding.decoder import Decoder, Link, air_connection, hci_connection
from attscope.tui.spill import SpillList


def test_feed_gives_the_packet_its_connection_and_its_events() -> None:
    s = Script()
    s.connect()
    s.signal("local", sig.LeCreditConnectionRequest(7, PSM_EATT, 0x0040, 100, 80, 1))
    opened = s.signal("remote", sig.LeCreditConnectionResponse(7, 0x0050, 300, 70, 3, 0))
    read = s.k_frame("local", 0x0050, att.ReadRequest(0x0003))
    answer = s.k_frame("remote", 0x0040, att.ReadResponse(b"\x01\x02"))
    analyzer = Analyzer()
    fed = [analyzer.feed(frame) for frame in s.frames]
    assert all(isinstance(f, Fed) and f.packet.frame == i for i, f in enumerate(fed, 1))
    first = fed[0]
    (opening,) = first.events  # it opened
    assert isinstance(opening, Connection) and first.connection == opening.id
    assert all(f.connection == opening.id for f in fed)

    change = fed[opened - 1].packet.channel_changes
    assert change == (
        ChannelOpened(PSM_EATT, True, Direction.HOST_TO_CONTROLLER,
                      0x0040, 0x0050, 100, 80, 1, 300, 70, 3),
    )  # fmt: skip
    request = fed[read - 1].packet
    assert request.channel is not None and request.channel.pair == (0x0040, 0x0050)
    assert request.kframe is not None and request.kframe.sdu_length == 3
    assert request.pdu_length == 3  # the SDU: the ATT PDU's own bytes
    done = fed[answer - 1].events
    assert len(done) == 1 and isinstance(done[0], Transaction)
    assert done[0].response_frame == answer


def test_connection_records_do_not_change_once_emitted() -> None:
    s = Script()
    s.connect()
    s.local(att.ExchangeMtuRequest(247))
    s.remote(att.ExchangeMtuResponse(185))
    s.disconnect()
    analyzer = Analyzer()
    events = [e for f in s.frames for e in analyzer.feed(f).events]
    events += analyzer.finish()
    opened, closed = (e for e in events if isinstance(e, Connection))
    assert opened.id == closed.id
    assert (opened.end_us, opened.bearers, len(opened.timeline)) == (None, (), 1)
    assert closed.end_us == s.ts(4) and closed.disconnect_reason is not None
    assert [e.kind for e in closed.timeline] == ["connect", "mtu_exchange", "disconnect"]
    assert [(b.mtu, b.mtu_source, b.largest_pdu) for b in closed.bearers] == [(185, "exchange", 3)]
    with pytest.raises(AttributeError):
        closed.end_us = 0  # type: ignore[misc]
    assert analyzer.connections == [closed]
    assert analyzer.connection(closed.id) == closed and analyzer.connection("x") is None
    closed.parameters["latency"] = 99  # its own copy: nothing else sees this
    assert analyzer.connections[0].parameters["latency"] == 0


def test_the_live_state_of_a_link_has_every_field_of_its_record() -> None:
    names = [f.name for f in msgspec.structs.fields(Connection)]
    own = [f.name for f in msgspec.structs.fields(LiveConnection)]
    added = {
        "security",
        "identities",
        "latency",
        "health",
    }  # the decoder's, the keys', the latency collector's, the health tracker's
    assert own == [n for n in names if n not in added]


def test_nothing_asks_the_analyzer_or_the_decoder_afterwards() -> None:
    for name in ("last_packet", "connection_of"):
        assert not hasattr(Analyzer(), name)
    for name in ("kframe", "channel"):
        assert not hasattr(Decoder(), name)


def test_a_transaction_is_final_and_comes_back_from_the_spill_as_itself(tmp_path: Path) -> None:
    s = Script()
    s.connect()
    s.local(att.ReadRequest(0x0003))
    s.remote(att.ReadResponse(b"\x07"))
    (txn,) = s.run().transactions()
    with pytest.raises(AttributeError):
        txn.outcome = "error"  # type: ignore[misc]  # frozen: one writer, the tracker
    assert isinstance(txn.frames, tuple) and isinstance(txn.exchanges, tuple)
    spill = SpillList(Transaction, str(tmp_path))
    spill.append(txn)
    spill.flush()
    (back,) = spill.slice(0, 1)
    assert back == txn
    assert type(back.request) is att.ReadRequest and type(back.response) is att.ReadResponse


def test_violation_kinds_are_an_enum_with_one_rule_each() -> None:
    assert set(RULES) == set(ViolationKind)
    assert ViolationKind("pdu_over_mtu") is ViolationKind.PDU_OVER_MTU
    with pytest.raises(ValueError):
        ViolationKind("pdu_over_mut")  # a typo is no kind


def test_the_flow_state_table_names_the_rule_each_wrong_step_breaks() -> None:
    from attscope.dissector.analysis.flow_rules import AFTER_TIMEOUT, STEPS, Role

    broken = {role: kind for (role, _), (_, kind) in STEPS.items() if kind is not None}
    assert broken == {
        Role.REQUEST: ViolationKind.REQUEST_WHILE_PENDING,
        Role.RESPONSE: ViolationKind.ORPHAN_RESPONSE,
        Role.INDICATION: ViolationKind.INDICATION_WHILE_PENDING,
        Role.CONFIRMATION: ViolationKind.ORPHAN_CONFIRMATION,
    }
    # a wrong step is taken from the state that forbids it, and leaves the stream as it was
    for (_, state), (after, kind) in STEPS.items():
        if kind is not None:
            assert after is state
    assert {r for r, k in AFTER_TIMEOUT.items() if k is None} == {Role.RESPONSE, Role.CONFIRMATION}
    assert all(kind is ViolationKind.PDU_AFTER_TIMEOUT for kind in AFTER_TIMEOUT.values() if kind)


def test_a_link_is_a_typed_value_not_a_string_parsed_back() -> None:
    s = Script()
    s.connect()
    s.local(att.ReadRequest(0x0003))
    analyzer = Analyzer()
    fed = [analyzer.feed(frame) for frame in s.frames][-1]
    link = fed.packet.connection
    assert isinstance(link, Link)
    assert (link.adapter, link.handle, link.access_address, link.air) == (None, 0x0040, None, False)
    assert link == "0x0040"  # its text: the same key and name as before
    air = air_connection(0x50656517)
    assert (air, air.access_address, air.handle, air.air) == (
        "aa:0x50656517",
        0x50656517,
        None,
        True,
    )
    assert hci_connection(1, 0x0010) == "hci1/0x0010"
    assert type(str(air)) is str  # what goes into records: plain text
