"""After a transaction times out (Core 5.4 Vol 3 Part F 3.3.3) it is the side whose request
or indication went unanswered that must send nothing more on the bearer; the other side's
notifications break no rule."""

from __future__ import annotations

from pathlib import Path

from frames import Script

from attscope.dissector.analysis.transactions import ATT_TIMEOUT_US
from attscope.dissector.decoding import att_pdus as att

HANDLE = 0x0012


def kinds(analyzer: object) -> list[tuple[str, tuple[int, ...]]]:
    return [(v.kind, v.frames) for v in analyzer.violations]  # type: ignore[attr-defined]


def test_the_servers_notifications_after_the_clients_timeout_are_no_violation(
    tmp_path: Path,
) -> None:
    s = Script()
    read = s.local(att.ReadRequest(HANDLE))
    s.remote(att.HandleValueNotification(HANDLE, b"\x01"), after_us=ATT_TIMEOUT_US + 1)
    s.remote(att.HandleValueNotification(HANDLE, b"\x02"))
    assert kinds(s.analyse(tmp_path)) == [("transaction_timeout", (read,))]


def test_the_client_that_timed_out_is_blamed_for_its_next_request(tmp_path: Path) -> None:
    s = Script()
    read = s.local(att.ReadRequest(HANDLE))
    s.remote(att.HandleValueNotification(HANDLE, b"\x01"), after_us=ATT_TIMEOUT_US + 1)
    again = s.local(att.ReadRequest(HANDLE))
    assert kinds(s.analyse(tmp_path)) == [
        ("transaction_timeout", (read,)),
        ("pdu_after_timeout", (again,)),
    ]


def test_after_an_indication_times_out_the_server_is_blamed_not_the_client(
    tmp_path: Path,
) -> None:
    s = Script()
    indication = s.remote(att.HandleValueIndication(HANDLE, b"\x01"))
    s.local(att.WriteCommand(HANDLE + 1, b"\x00"), after_us=ATT_TIMEOUT_US + 1)  # the client
    s.local(att.ReadRequest(HANDLE))
    s.remote(att.ReadResponse(b"\x05"))  # an answer is no new transaction: allowed
    notified = s.remote(att.HandleValueNotification(HANDLE, b"\x02"))
    assert kinds(s.analyse(tmp_path)) == [
        ("transaction_timeout", (indication,)),
        ("pdu_after_timeout", (notified,)),
    ]
