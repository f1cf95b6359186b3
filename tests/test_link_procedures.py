"""Link-layer procedure checks (Core 5.4 Vol 6 Part B 5.1-5.5), each on a generated nRF
Sniffer capture that shows it, written as a pcap and read back; and on HCI logs, from the
controller's events. A capture that does not show a rule broken raises nothing."""

from __future__ import annotations

from pathlib import Path

from frames import Script, run
from link_script import EMPTY, LinkScript, control

from attscope.capture import open_capture
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.analysis.health.records import LinkHealth, Procedure
from attscope.dissector.decoding import hci_commands as cmd
from attscope.dissector.decoding import hci_events as ev
from attscope.dissector.decoding import ll_control as llc

LL_KINDS = {"ll_instant_passed", "ll_update_not_applied", "ll_procedure_collision",
            "ll_procedure_unknown", "ll_procedure_rejected", "ll_response_timeout"}  # fmt: skip


def analyse(link: LinkScript, tmp_path: Path) -> Analyzer:
    return run(open_capture(link.write(tmp_path)))


def health(analyzer: Analyzer) -> LinkHealth:
    (conn,) = analyzer.connections
    assert conn.health is not None
    return conn.health


def ll_violations(analyzer: Analyzer) -> list[str]:
    return [v.kind for v in analyzer.violations if v.kind in LL_KINDS]


def named(found: LinkHealth, name: str) -> list[Procedure]:
    return [p for p in found.procedures if p.name == name]


def started() -> LinkScript:
    link = LinkScript()
    link.connect()
    link.events(5)
    return link


# -- connection update -------------------------------------------------------------------


def update_at(link: LinkScript, interval: int, ahead: int = 6) -> int:
    """The central sends LL_CONNECTION_UPDATE_IND for `interval` (1.25 ms units), its
    instant `ahead` events on; returns the instant."""
    instant = link.event_counter + 1 + ahead
    link.event(c2p=control(llc.ConnectionUpdateInd(1, 0, interval, 0, 72, instant)))
    return instant


def test_connection_update_applied_at_its_instant(tmp_path: Path) -> None:
    link = started()
    instant = update_at(link, 40)  # 30 ms -> 50 ms
    while link.event_counter < instant - 1:
        link.event()
    link.interval_us = 50_000
    link.events(12)
    analyzer = analyse(link, tmp_path)
    (update,) = named(health(analyzer), "connection update")
    assert (update.outcome, update.instant, update.initiator) == ("applied", instant, "central")
    assert update.event_counter == 5
    assert ll_violations(analyzer) == []


def test_connection_update_not_applied_is_a_violation(tmp_path: Path) -> None:
    link = started()
    update_at(link, 40)
    link.events(20)  # still 30 ms apart after the instant
    analyzer = analyse(link, tmp_path)
    (update,) = named(health(analyzer), "connection update")
    assert update.outcome == "not applied"
    assert "30.00 ms apart" in update.detail
    assert ll_violations(analyzer) == ["ll_update_not_applied"]


def test_an_instant_already_passed_is_a_violation(tmp_path: Path) -> None:
    link = started()
    sent = link.event_counter + 1
    link.event(c2p=control(llc.ConnectionUpdateInd(1, 0, 40, 0, 72, sent - 2)))
    link.events(3)
    analyzer = analyse(link, tmp_path)
    (update,) = named(health(analyzer), "connection update")
    assert update.outcome == "instant passed"
    (found,) = [v for v in analyzer.violations if v.kind == "ll_instant_passed"]
    assert found.spec == "Vol 6, Part B, 5.5"
    assert f"sent in connection event {sent}" in found.message


def test_an_update_whose_instant_the_capture_does_not_reach_is_unseen(tmp_path: Path) -> None:
    link = started()
    update_at(link, 40, ahead=20)
    link.events(3)  # the capture ends before the instant
    analyzer = analyse(link, tmp_path)
    (update,) = named(health(analyzer), "connection update")
    assert update.outcome == "unseen"
    assert ll_violations(analyzer) == []


# -- channel map and PHY ---------------------------------------------------------------------


def test_channel_map_applied_and_not_applied(tmp_path: Path) -> None:
    new_map = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    chm = sum(1 << ch for ch in new_map).to_bytes(5, "little")
    for applied in (True, False):
        link = started()
        instant = link.event_counter + 7
        link.event(c2p=control(llc.ChannelMapInd(chm, instant)))
        while link.event_counter < instant - 1:
            link.event()
        if applied:
            link.channels = new_map
        link.events(12)
        analyzer = analyse(link, tmp_path)
        (update,) = named(health(analyzer), "channel map update")
        if applied:
            assert update.outcome == "applied"
            assert ll_violations(analyzer) == []
        else:
            assert update.outcome == "not applied"
            assert "outside the new map" in update.detail
            assert ll_violations(analyzer) == ["ll_update_not_applied"]
        assert health(analyzer).parameters.used_channels == 10


def test_phy_update_applied(tmp_path: Path) -> None:
    link = started()
    instant = link.event_counter + 7
    link.event(c2p=control(llc.PhyUpdateInd(2, 2, instant)))
    while link.event_counter < instant - 1:
        link.event()
    link.phy = 1  # LE 2M from the instant
    link.events(6)
    analyzer = analyse(link, tmp_path)
    found = health(analyzer)
    (update,) = named(found, "phy update")
    assert update.outcome == "applied"
    assert found.parameters.phy == {"central": "LE 2M", "peripheral": "LE 2M"}
    assert ll_violations(analyzer) == []


# -- collisions, unknown and rejected procedures ----------------------------------------------


def test_two_instants_pending_at_once_collide(tmp_path: Path) -> None:
    link = started()
    chm = (0x1F_FFFF_FFFF).to_bytes(5, "little")
    instant = link.event_counter + 10
    first, _ = link.event(c2p=control(llc.ChannelMapInd(chm, instant)))
    second, _ = link.event(c2p=control(llc.ConnectionUpdateInd(1, 0, 24, 0, 72, instant + 2)))
    link.events(20)
    analyzer = analyse(link, tmp_path)
    (found,) = [v for v in analyzer.violations if v.kind == "ll_procedure_collision"]
    assert found.frames == (first, second)
    assert "waits for its instant" in found.message


def test_unknown_response_ends_the_procedure(tmp_path: Path) -> None:
    link = started()
    ping, _ = link.event(c2p=control(llc.PingReq()))
    _, answer = link.event(p2c=control(llc.UnknownRsp(llc.PingReq.opcode)))
    link.events(2)
    analyzer = analyse(link, tmp_path)
    (procedure,) = named(health(analyzer), "le ping")
    assert (procedure.outcome, procedure.frame, procedure.end_frame) == ("unknown", ping, answer)
    assert ll_violations(analyzer) == ["ll_procedure_unknown"]


def test_rejected_and_colliding_requests(tmp_path: Path) -> None:
    request = llc.ConnectionParamReq(24, 40, 0, 72, 0, 0, 0, 0, 0, 0, 0, 0)
    for code, kind in ((0x3B, "ll_procedure_rejected"), (0x23, "ll_procedure_collision")):
        link = started()
        link.event(p2c=control(request))
        link.event(c2p=control(llc.RejectExtInd(request.opcode, code)))
        link.events(2)
        analyzer = analyse(link, tmp_path)
        (procedure,) = named(health(analyzer), "connection parameters request")
        assert (procedure.outcome, procedure.initiator) == ("rejected", "peripheral")
        assert ll_violations(analyzer) == [kind]


def test_answered_requests_are_done(tmp_path: Path) -> None:
    link = started()
    link.event(c2p=control(llc.FeatureReq(1)))
    link.event(p2c=control(llc.FeatureRsp(1)))
    link.event(c2p=control(llc.LengthReq(251, 2120, 251, 2120)))
    link.event(p2c=control(llc.LengthRsp(251, 2120, 27, 328)))
    link.events(2)
    analyzer = analyse(link, tmp_path)
    found = health(analyzer)
    assert [(p.name, p.outcome) for p in found.procedures] == [
        ("feature exchange", "done"), ("data length update", "done")]  # fmt: skip
    # the central sends at most 251 octets, the peripheral takes them; it sends 27
    lengths = found.parameters.data_length
    assert (lengths["central"].max_octets, lengths["peripheral"].max_octets) == (251, 27)
    assert found.parameters.consequences == (
        "a 20-byte notification (ATT_MTU 23) takes 1 LL PDU central->peripheral at 251 "
        "octets, 1 LL PDU peripheral->central at 27 octets",
    )
    assert ll_violations(analyzer) == []


# -- the 40 s response timeout ----------------------------------------------------------------


def test_a_request_unanswered_for_40_s_times_out(tmp_path: Path) -> None:
    link = started()
    request, _ = link.event(c2p=control(llc.FeatureReq(1)))
    link.events(1340)  # 40.2 s of Empty PDUs
    analyzer = run(link.frames)
    (procedure,) = named(health(analyzer), "feature exchange")
    assert procedure.outcome == "timeout"
    (found,) = [v for v in analyzer.violations if v.kind == "ll_response_timeout"]
    assert found.frames == (request,)
    assert found.spec == "Vol 6, Part B, 5.2"


def test_no_timeout_when_the_sniffer_missed_packets_meanwhile(tmp_path: Path) -> None:
    link = started()
    link.event(c2p=control(llc.FeatureReq(1)))
    link.events(20)
    link.event(skip=5)  # the answer may be in the events the sniffer caught nothing of
    link.events(1320)
    analyzer = run(link.frames)
    (procedure,) = named(health(analyzer), "feature exchange")
    assert procedure.outcome == "unseen"
    assert ll_violations(analyzer) == []


def test_a_request_pending_when_the_capture_ends_is_unseen(tmp_path: Path) -> None:
    link = started()
    link.event(c2p=control(llc.FeatureReq(1)))
    link.events(3)
    analyzer = analyse(link, tmp_path)
    (procedure,) = named(health(analyzer), "feature exchange")
    assert procedure.outcome == "unseen"
    assert ll_violations(analyzer) == []


# -- HCI: the controller's events --------------------------------------------------------------


def hci_update(status: int) -> Analyzer:
    script = Script()
    script.connect()
    script.command(cmd.LeConnectionUpdate(0x0040, 6, 6, 0, 200, 0, 0))
    script.event(ev.LeConnectionUpdateComplete(status, 0x0040, 6, 0, 200))
    script.disconnect()
    return script.run()


def test_hci_update_outcomes_from_the_event_status() -> None:
    applied = hci_update(0)
    (update,) = named(health(applied), "connection update")
    assert (update.outcome, update.initiator) == ("applied", "local")
    assert ll_violations(applied) == []
    for status, outcome, kind in (
        (0x28, "instant passed", "ll_instant_passed"),
        (0x1A, "unknown", "ll_procedure_unknown"),
        (0x23, "rejected", "ll_procedure_collision"),
        (0x3B, "rejected", "ll_procedure_rejected"),
        (0x22, "timeout", "ll_response_timeout"),
    ):
        failed = hci_update(status)
        (update,) = named(health(failed), "connection update")
        assert update.outcome == outcome, status
        assert ll_violations(failed) == [kind], status


def test_hci_disconnection_for_a_response_timeout() -> None:
    script = Script()
    script.connect()
    script.disconnect(reason=0x22)
    analyzer = script.run()
    assert ll_violations(analyzer) == ["ll_response_timeout"]
    ending = health(analyzer).ending
    assert ending is not None and ending.reason is not None
    assert "LL Response Timeout" in ending.reason


def test_empty_pdus_only_raise_nothing(tmp_path: Path) -> None:
    link = started()
    link.events(50)
    link.event(c2p=EMPTY, p2c=None)
    analyzer = analyse(link, tmp_path)
    assert ll_violations(analyzer) == []
    assert health(analyzer).procedures == ()
