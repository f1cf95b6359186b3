"""Connection events, traffic and endings of a link (link health, items 3 and 4), on
generated nRF Sniffer captures whose truth is known, and on HCI logs: missed events told
apart from proven sniffer losses, damaged and retransmitted packets per channel, RSSI, the
longest silence against the supervision timeout, throughput per side, host-to-controller
latency, and why each link ended."""

from __future__ import annotations

from pathlib import Path

from air_script import l2cap
from frames import ACL_HANDLE, Script, run
from link_script import LinkScript, control

from attscope.capture import Direction, Encap, Frame, HciType, open_capture
from attscope.dissector.analysis.analysis_records import Connection
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.analysis.health import tracker
from attscope.dissector.analysis.health.records import LinkHealth
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding import hci_events as ev
from attscope.dissector.decoding import ll_control as llc


def health(analyzer: Analyzer) -> LinkHealth:
    (conn,) = analyzer.connections
    assert conn.health is not None
    return conn.health


def started() -> LinkScript:
    link = LinkScript()
    link.connect()
    link.events(5)
    return link


def test_missed_events_told_apart_from_proven_losses(tmp_path: Path) -> None:
    link = started()
    link.event(skip=3)  # nothing sent, nothing heard: the capture cannot tell which
    link.event(p2c=None)  # the peripheral's answer missed ...
    link.event(skip=2)  # ... and the central's next bits show it: a proven loss
    link.events(2)
    air = health(run(open_capture(link.write(tmp_path)))).air
    assert air is not None
    assert (air.events_heard, air.events_missed, air.missed_proven) == (10, 5, 2)


def test_channels_count_damage_retransmissions_and_rssi(tmp_path: Path) -> None:
    link = started()
    link.rssi = -70
    link.crc_ok = False
    damaged = link.channel_for_next()
    link.event()
    link.crc_ok = True
    link.rssi = -50
    again = link.channel_for_next()
    ping = control(llc.PingReq())
    link.event(c2p=ping, p2c=None)
    link.event(c2p=ping, again=True)  # not acknowledged: sent again in the next event
    air = health(run(open_capture(link.write(tmp_path)))).air
    assert air is not None
    by_channel = {stats.channel: stats for stats in air.channels}
    assert by_channel[damaged].crc_errors == 2
    assert (by_channel[damaged].rssi_min, by_channel[damaged].rssi_max) == (-70, -70)
    assert air.crc_errors == 2
    assert air.retransmissions == 1
    assert sum(stats.retransmissions for stats in air.channels) == 1
    assert by_channel[again].retransmissions == 0  # the first copy is no retransmission
    assert sum(stats.packets for stats in air.channels) == air.packets == 15
    assert air.events_missed == 1  # the damaged event: no good packet heard in it


def test_longest_silence_against_the_supervision_timeout(tmp_path: Path) -> None:
    link = started()
    link.event()
    _, last = link.event(skip=10)  # 330 ms without a packet heard
    link.events(2)
    found = health(run(open_capture(link.write(tmp_path))))
    air = found.air
    assert air is not None and air.longest_silence is not None
    silence = air.longest_silence
    assert silence.us == 330_000 - 150
    assert silence.before_frame == (last or 0) - 1
    assert found.parameters.supervision_timeout_ms == 720
    assert air.supervision_margin_us == 720_000 - silence.us


def test_a_link_that_went_silent_while_the_capture_went_on(tmp_path: Path) -> None:
    link = started()
    link.advert(after_us=2_000_000)  # 2 s on: past the 720 ms supervision timeout
    ending = health(run(open_capture(link.write(tmp_path)))).ending
    assert ending is not None
    assert ending.timeout_reached is True
    assert ending.silence_us == 2_000_000
    assert "the link was lost, or the sniffer lost it" in ending.verdict
    assert {p.sender for p in ending.last_packets} == {"central", "peripheral"}


def test_a_link_terminated_by_the_central(tmp_path: Path) -> None:
    link = started()
    link.event(c2p=control(llc.TerminateInd(0x13)))
    ending = health(run(open_capture(link.write(tmp_path)))).ending
    assert ending is not None
    assert ending.verdict == (
        "ended by LL_TERMINATE_IND from the central: Remote User Terminated Connection"
    )
    assert ending.timeout_reached is False


def test_throughput_per_side_and_over_time(tmp_path: Path) -> None:
    link = started()
    note = att.HandleValueNotification(0x0010, bytes(20))
    for _ in range(40):  # 1.2 s of a notification per event
        link.event(p2c=(2, l2cap(4, note.to_bytes())))
    link.event(c2p=(2, l2cap(4, att.WriteCommand(0x0012, b"\x01").to_bytes())))
    found = health(run(open_capture(link.write(tmp_path))))
    sides = {side.sender: side for side in found.sides}
    peripheral = sides["peripheral"]
    assert peripheral.notifications == 40
    assert peripheral.att_bytes == 40 * 23
    assert peripheral.link_bytes == 40 * 27
    assert sides["central"].write_commands == 1
    series = {s.sender: s for s in found.series}
    assert sum(series["peripheral"].notifications) == 40
    assert found.series_step_us == 1_000_000
    assert len(series["peripheral"].att_bytes) == len(series["central"].att_bytes) == 2
    assert peripheral.peak_att_bytes_per_s == max(series["peripheral"].att_bytes)


def test_host_to_controller_latency_from_completed_packets() -> None:
    script = Script()
    script.connect()
    sent = [script.local(att.WriteCommand(0x0012, b"\x01"), after_us=1_000) for _ in range(3)]
    entries = (ev.CompletedPackets(ACL_HANDLE, 2),)
    script.event(ev.NumberOfCompletedPackets(entries), after_us=10_000)
    script.event(ev.NumberOfCompletedPackets((ev.CompletedPackets(ACL_HANDLE, 1),)),
                 after_us=5_000)  # fmt: skip
    script.disconnect()
    latency = health(script.run()).host_latency
    assert latency is not None and len(sent) == 3
    # sent at 0, 1 and 2 ms; completed at 12 ms (two) and 17 ms (one)
    assert (latency.sent, latency.completed) == (3, 3)
    assert (latency.min_us, latency.median_us, latency.max_us) == (11_000, 12_000, 15_000)


def test_hci_supervision_timeout_ending() -> None:
    script = Script()
    script.connect()
    script.local(att.ReadRequest(0x0003))
    script.disconnect(reason=0x08, after_us=4_000_000)
    ending = health(script.run()).ending
    assert ending is not None
    assert ending.reason == "Connection Timeout"
    assert ending.verdict.startswith("supervision timeout (0.72 s)")
    assert ending.silence_us == 4_000_000
    assert ending.timeout_reached is True


def test_every_acl_fragment_counts_as_link_bytes() -> None:
    script = Script()
    script.connect()
    pdu = l2cap(4, att.WriteRequest(0x0012, bytes(30)).to_bytes())  # 37 bytes in 2 packets
    script.fragment("local", pdu[:20], True)
    script.fragment("local", pdu[20:], False)
    script.disconnect()
    (local,) = [s for s in health(script.run()).sides if s.sender == "local"]
    assert (local.packets, local.link_bytes, local.att_bytes) == (2, len(pdu), len(pdu) - 4)


def test_series_of_links_past_the_bound_are_handed_out_not_kept(monkeypatch) -> None:
    monkeypatch.setattr(tracker, "MAX_SERIES_KEPT", 2)
    script = Script()
    for writes in (3, 1, 2):  # the second link sent least: its series goes
        script.connect()
        for _ in range(writes):
            script.local(att.WriteCommand(0x0012, b"\x01"))
        script.disconnect()
    analyzer = Analyzer()
    ended = []
    for frame in script.frames:
        ended += [e for e in analyzer.feed(frame).events if isinstance(e, Connection) and e.end_us]
    analyzer.finish()
    assert [bool(c.health and c.health.series) for c in ended] == [True, True, True]
    kept = [bool(c.health and c.health.series) for c in analyzer.connections]
    assert kept == [True, False, True]
    last = analyzer.connections[1].health
    assert last is not None and last.sides  # its totals stay
    assert analyzer.limits == [
        "more than 2 links ended: the time series of the 1 that sent least were exported as "
        "they ended, not kept"
    ]


def test_key_size_and_encryption_from_hci_events() -> None:
    script = Script()
    script.connect()
    script.event(ev.EncryptionChange(0, ACL_HANDLE, 1))
    # HCI_Read_Encryption_Key_Size's Command Complete: status 0, the handle, 7 octets
    complete = bytes([0x0E, 7, 1]) + (0x1408).to_bytes(2, "little") + bytes([0])
    complete += ACL_HANDLE.to_bytes(2, "little") + bytes([7])
    script.ts_us += 1000
    script.frames.append(Frame(len(script.frames) + 1, script.ts_us, 1002, Encap.HCI,
                               Direction.CONTROLLER_TO_HOST, complete, hci_type=HciType.EVENT))  # fmt: skip
    script.event(ev.LeDataLengthChange(ACL_HANDLE, 251, 2120, 27, 328))
    parameters = health(script.run()).parameters
    assert (parameters.encrypted, parameters.key_size) == (True, 7)
    assert parameters.data_length["local"].max_octets == 251
    assert parameters.data_length["remote"].max_octets == 27
