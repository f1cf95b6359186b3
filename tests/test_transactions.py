"""ATT transactions and the flow rules around them, from captures built frame by frame.

Each test writes a small btsnoop (HCI ACL over CID 0x0004, both directions; see
frames.py), reads it back with `open_capture` and runs the analyzer over it: long reads,
queued writes, errors, indications, timeouts, both ATT roles on one link, the MTU, every
ATT flow violation, and Exchange MTU on an EATT bearer. The last tests run the analyzer
over the real captures: none of them breaks a rule outright.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import pytest
from corpus import corpus_files, need_corpus
from frames import CID_ATT, STEP_US, Script, l2cap
from hypothesis import given, settings
from hypothesis import strategies as st

from attscope.capture import open_capture
from attscope.dissector.analysis.analysis_records import Exchange, Transaction, Violation
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding import l2cap_signalling as sig

HANDLE = 0x0010
OTHER_HANDLE = 0x0014
VALUE = bytes(range(0x30, 0x30 + 49))  # 49 bytes: 22 + 22 + 5 at the default MTU of 23
ATT_TIMEOUT_US = 30_000_000


def kinds(analyzer: Analyzer) -> list[str]:
    return [v.kind for v in analyzer.violations]


def only(transactions: list[Transaction], kind: str | None = None) -> Transaction:
    found = [t for t in transactions if kind is None or t.kind == kind]
    assert len(found) == 1, [(t.kind, t.frames) for t in transactions]
    return found[0]


# -- long reads ----------------------------------------------------------------------------


def test_long_read_joins_read_and_read_blobs() -> None:
    s = Script()
    read = s.local(att.ReadRequest(HANDLE))
    first = s.remote(att.ReadResponse(VALUE[:22]))  # ATT_MTU - 1: the value may go on
    blob1 = s.local(att.ReadBlobRequest(HANDLE, 22))
    part1 = s.remote(att.ReadBlobResponse(VALUE[22:44]))
    blob2 = s.local(att.ReadBlobRequest(HANDLE, 44))
    last = s.remote(att.ReadBlobResponse(VALUE[44:]))  # shorter: the end of the value
    analyzer = s.run()

    txn = only(analyzer.transactions())
    assert txn.kind == "long_read"
    assert txn.outcome == "ok"
    assert (txn.client, txn.server) == ("local", "remote")
    assert txn.handle == HANDLE
    assert txn.value == VALUE and len(VALUE) == 49
    assert txn.frames == (read, first, blob1, part1, blob2, last)
    assert txn.exchanges == (Exchange(read, first), Exchange(blob1, part1), Exchange(blob2, last))
    assert (txn.request_frame, txn.response_frame) == (read, last)
    assert (txn.start_us, txn.end_us) == (s.ts(read), s.ts(last))
    assert txn.latency_us == s.ts(last) - s.ts(read)
    assert isinstance(txn.request, att.ReadRequest)
    assert isinstance(txn.response, att.ReadBlobResponse)
    assert analyzer.violations == []


def test_long_read_ended_by_attribute_not_long() -> None:
    """A value of exactly ATT_MTU - 1 bytes: the client cannot tell it is whole, asks on,
    and the server says Attribute Not Long (Vol 3 Part G 4.8.3): the read is still ok."""
    s = Script()
    read = s.local(att.ReadRequest(HANDLE))
    first = s.remote(att.ReadResponse(VALUE[:22]))
    blob = s.local(att.ReadBlobRequest(HANDLE, 22))
    not_long = s.remote(att.ErrorResponse(att.AttOpcode.READ_BLOB_REQ, HANDLE, 0x0B))
    analyzer = s.run()

    txn = only(analyzer.transactions())
    assert txn.kind == "long_read"
    assert txn.outcome == "ok"
    assert txn.value == VALUE[:22]
    assert txn.frames == (read, first, blob, not_long)
    assert txn.exchanges == (Exchange(read, first), Exchange(blob, not_long))
    assert txn.latency_us == s.ts(not_long) - s.ts(read)
    assert analyzer.violations == []


def test_full_read_followed_by_another_request_stays_a_read() -> None:
    s = Script()
    read = s.local(att.ReadRequest(HANDLE))
    answer = s.remote(att.ReadResponse(VALUE[:22]))
    s.local(att.ReadRequest(OTHER_HANDLE))
    s.remote(att.ReadResponse(b"\x01"))
    analyzer = s.run()

    first, second = analyzer.transactions()
    assert (first.kind, first.frames, first.value) == ("read", (read, answer), VALUE[:22])
    assert (second.kind, second.handle, second.value) == ("read", OTHER_HANDLE, b"\x01")


# -- queued writes -------------------------------------------------------------------------


def prepare_writes(s: Script, parts: list[tuple[int, int, bytes]]) -> list[int]:
    """Prepare Write Requests, each answered by its echo; the frames, in order."""
    frames = []
    for handle, offset, value in parts:
        frames.append(s.local(att.PrepareWriteRequest(handle, offset, value)))
        frames.append(s.remote(att.PrepareWriteResponse(handle, offset, value)))
    return frames


QUEUED = VALUE[:46]
THREE_PARTS = [(HANDLE, 0, QUEUED[:18]), (HANDLE, 18, QUEUED[18:36]), (HANDLE, 36, QUEUED[36:])]


def test_queued_write_assembles_the_value() -> None:
    s = Script()
    prepared = prepare_writes(s, THREE_PARTS)
    execute = s.local(att.ExecuteWriteRequest(1))
    done = s.remote(att.ExecuteWriteResponse())
    analyzer = s.run()

    txn = only(analyzer.transactions())
    assert txn.kind == "queued_write"
    assert txn.outcome == "ok"
    assert txn.handle == HANDLE
    assert txn.value == QUEUED
    assert txn.values == {HANDLE: QUEUED}
    assert txn.frames == (*prepared, execute, done)
    assert txn.exchanges == (
        Exchange(prepared[0], prepared[1]),
        Exchange(prepared[2], prepared[3]),
        Exchange(prepared[4], prepared[5]),
        Exchange(execute, done),
    )
    assert (txn.request_frame, txn.response_frame) == (prepared[0], done)
    assert txn.latency_us == s.ts(done) - s.ts(prepared[0])
    assert analyzer.violations == []


def test_queued_write_over_two_handles_has_a_value_per_handle() -> None:
    s = Script()
    prepare_writes(s, [(HANDLE, 0, b"abc"), (OTHER_HANDLE, 0, b"xy"), (HANDLE, 3, b"def")])
    s.local(att.ExecuteWriteRequest(1))
    s.remote(att.ExecuteWriteResponse())
    txn = only(s.run().transactions())
    assert txn.kind == "queued_write"
    assert txn.values == {HANDLE: b"abcdef", OTHER_HANDLE: b"xy"}
    assert (txn.handle, txn.value) == (None, None)  # no single handle to name


def test_execute_write_cancel_is_a_cancelled_queued_write() -> None:
    s = Script()
    prepared = prepare_writes(s, THREE_PARTS)
    execute = s.local(att.ExecuteWriteRequest(0))
    done = s.remote(att.ExecuteWriteResponse())
    analyzer = s.run()

    txn = only(analyzer.transactions())
    assert txn.kind == "queued_write"
    assert txn.outcome == "cancelled"
    assert txn.values == {HANDLE: QUEUED}  # what would have been written
    assert txn.frames == (*prepared, execute, done)
    assert analyzer.violations == []


# -- single requests and indications --------------------------------------------------------


def test_error_response_ends_the_request_in_error() -> None:
    s = Script()
    read = s.local(att.ReadRequest(HANDLE))
    error = s.remote(att.ErrorResponse(att.AttOpcode.READ_REQ, HANDLE, 0x02))
    analyzer = s.run()

    txn = only(analyzer.transactions())
    assert (txn.kind, txn.outcome) == ("read", "error")
    assert (txn.error_code, txn.error_name) == (0x02, "Read Not Permitted")
    assert txn.frames == (read, error)
    assert txn.exchanges == (Exchange(read, error),)
    assert txn.latency_us == s.ts(error) - s.ts(read)
    assert isinstance(txn.response, att.ErrorResponse)
    assert analyzer.violations == []


def test_indication_is_paired_with_its_confirmation() -> None:
    s = Script()
    indication = s.remote(att.HandleValueIndication(HANDLE, b"\x2a"))
    confirmation = s.local(att.HandleValueConfirmation(), after_us=2_500)
    analyzer = s.run()

    txn = only(analyzer.transactions())
    assert (txn.kind, txn.outcome) == ("indication", "ok")
    assert (txn.server, txn.client) == ("remote", "local")
    assert (txn.handle, txn.value) == (HANDLE, b"\x2a")
    assert txn.exchanges == (Exchange(indication, confirmation),)
    assert txn.latency_us == 2_500
    assert analyzer.violations == []


def test_request_answered_after_30_s_times_out() -> None:
    s = Script()
    write = s.local(att.WriteRequest(HANDLE, b"\x01"))
    s.remote(att.WriteResponse(), after_us=ATT_TIMEOUT_US + 1_000_000)  # late: no rule
    again = s.local(att.WriteCommand(HANDLE, b"\x02"))  # the side that timed out goes on
    analyzer = s.run()

    txn = only(analyzer.transactions())
    assert (txn.kind, txn.outcome) == ("write", "timeout")
    assert txn.end_us == s.ts(write) + ATT_TIMEOUT_US
    assert txn.exchanges == (Exchange(write, None),)
    timeouts = [v for v in analyzer.violations if v.kind == "transaction_timeout"]
    after = [v for v in analyzer.violations if v.kind == "pdu_after_timeout"]
    assert len(timeouts) == 1 and len(after) == 1, kinds(analyzer)
    assert timeouts[0].frames == (write,)
    assert timeouts[0].pending_opcode == att.AttOpcode.WRITE_REQ
    assert timeouts[0].spec == after[0].spec == "Vol 3, Part F, 3.3.3"
    assert after[0].frames == (again,)


def test_late_response_is_not_also_an_orphan_response() -> None:
    s = Script()
    s.local(att.WriteRequest(HANDLE, b"\x01"))
    s.remote(att.WriteResponse(), after_us=ATT_TIMEOUT_US + 1_000_000)
    assert kinds(s.run()) == ["transaction_timeout"]


def test_request_unanswered_when_the_capture_ends_is_incomplete() -> None:
    s = Script()
    write = s.local(att.WriteRequest(HANDLE, b"\x01"))
    s.remote(att.HandleValueNotification(OTHER_HANDLE, b"\x00"), after_us=1_000_000)
    analyzer = s.run()

    txn = only(analyzer.transactions())
    assert (txn.kind, txn.outcome) == ("write", "incomplete")
    assert (txn.response_frame, txn.end_us, txn.latency_us) == (None, None, None)
    assert txn.exchanges == (Exchange(write, None),)
    assert analyzer.violations == []  # 1 s is no timeout


def test_both_devices_are_client_and_server_on_one_bearer() -> None:
    """A phone reads its peripheral while the peripheral reads the phone's server: two
    streams on one bearer, each with its own outstanding request (Vol 3 Part F 3.3.2)."""
    s = Script()
    local_read = s.local(att.ReadRequest(HANDLE))
    remote_read = s.remote(att.ReadRequest(OTHER_HANDLE))
    local_answer = s.local(att.ReadResponse(b"phone"))
    remote_answer = s.remote(att.ReadResponse(b"peripheral"))
    local_write = s.local(att.WriteRequest(HANDLE, b"\x01"))
    remote_write = s.remote(att.WriteRequest(OTHER_HANDLE, b"\x02"))
    remote_written = s.remote(att.WriteResponse())
    local_written = s.local(att.WriteResponse())
    analyzer = s.run()

    found = {(t.client, t.kind): t for t in analyzer.transactions()}
    assert len(found) == 4
    assert found["local", "read"].exchanges == (Exchange(local_read, remote_answer),)
    assert found["local", "read"].value == b"peripheral"
    assert found["remote", "read"].exchanges == (Exchange(remote_read, local_answer),)
    assert found["remote", "read"].value == b"phone"
    assert found["local", "write"].exchanges == (Exchange(local_write, remote_written),)
    assert found["remote", "write"].exchanges == (Exchange(remote_write, local_written),)
    assert found["remote", "read"].server == "local"
    assert all(t.outcome == "ok" for t in found.values())
    assert analyzer.violations == []


# -- the MTU -------------------------------------------------------------------------------


def test_mtu_exchange_sets_the_mtu_of_both_directions() -> None:
    s = Script()
    s.connect()
    early = s.remote(att.HandleValueNotification(HANDLE, bytes(27)))  # 30 bytes > 23
    request = s.local(att.ExchangeMtuRequest(247))
    response = s.remote(att.ExchangeMtuResponse(247))
    s.remote(att.HandleValueNotification(HANDLE, bytes(27)))
    s.local(att.WriteCommand(OTHER_HANDLE, bytes(27)))
    analyzer = s.run()

    txn = only(analyzer.transactions())
    assert (txn.kind, txn.exchanges) == ("exchange_mtu", (Exchange(request, response),))
    assert kinds(analyzer) == ["pdu_over_mtu"]
    (found,) = analyzer.violations
    assert found.frames == (early,)
    assert found.spec == "Vol 3, Part F, 3.2.9"


def test_mtu_is_the_smaller_of_client_and_server_in_both_directions() -> None:
    s = Script()
    s.connect()
    s.local(att.ExchangeMtuRequest(247))
    s.remote(att.ExchangeMtuResponse(100))  # ATT_MTU 100 both ways
    s.remote(att.HandleValueNotification(HANDLE, bytes(97)))  # 100 bytes: fits
    s.local(att.WriteCommand(OTHER_HANDLE, bytes(97)))
    big_notification = s.remote(att.HandleValueNotification(HANDLE, bytes(98)))
    big_write = s.local(att.WriteCommand(OTHER_HANDLE, bytes(98)))
    analyzer = s.run()

    assert kinds(analyzer) == ["pdu_over_mtu", "pdu_over_mtu"]
    assert [v.frames for v in analyzer.violations] == [(big_notification,), (big_write,)]


# -- flow violations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Breach:
    """A script that breaks one rule, and what the analyzer should say about it."""

    build: Callable[[Script], tuple[tuple[int, ...], int | None]]  # -> frames, pending
    spec: str


def request_while_pending(s: Script) -> tuple[tuple[int, ...], int | None]:
    read = s.local(att.ReadRequest(HANDLE))
    write = s.local(att.WriteRequest(HANDLE, b"\x01"))
    s.remote(att.ReadResponse(b"\x00"))
    s.remote(att.WriteResponse())
    return (read, write), att.AttOpcode.READ_REQ


def indication_while_pending(s: Script) -> tuple[tuple[int, ...], int | None]:
    first = s.remote(att.HandleValueIndication(HANDLE, b"\x01"))
    second = s.remote(att.HandleValueIndication(HANDLE, b"\x02"))
    s.local(att.HandleValueConfirmation())
    return (first, second), att.AttOpcode.HANDLE_VALUE_IND


def orphan_response(s: Script) -> tuple[tuple[int, ...], int | None]:
    s.local(att.WriteCommand(HANDLE, b"\x01"))  # a command: nothing to answer
    return (s.remote(att.WriteResponse()),), None


def mismatched_response(s: Script) -> tuple[tuple[int, ...], int | None]:
    read = s.local(att.ReadRequest(HANDLE))
    return (read, s.remote(att.WriteResponse())), att.AttOpcode.READ_REQ


def orphan_confirmation(s: Script) -> tuple[tuple[int, ...], int | None]:
    s.remote(att.HandleValueNotification(HANDLE, b"\x01"))  # needs no confirmation
    return (s.local(att.HandleValueConfirmation()),), None


def mtu_exchange_repeated(s: Script) -> tuple[tuple[int, ...], int | None]:
    s.local(att.ExchangeMtuRequest(100))
    s.remote(att.ExchangeMtuResponse(100))
    again = s.local(att.ExchangeMtuRequest(100))
    s.remote(att.ExchangeMtuResponse(100))
    return (again,), None


def client_mtu_below_minimum(s: Script) -> tuple[tuple[int, ...], int | None]:
    request = s.local(att.ExchangeMtuRequest(22))
    s.remote(att.ExchangeMtuResponse(100))
    return (request,), None


def server_mtu_below_minimum(s: Script) -> tuple[tuple[int, ...], int | None]:
    s.local(att.ExchangeMtuRequest(100))
    return (s.remote(att.ExchangeMtuResponse(22)),), None


def execute_without_queue(s: Script) -> tuple[tuple[int, ...], int | None]:
    execute = s.local(att.ExecuteWriteRequest(1))
    s.remote(att.ExecuteWriteResponse())
    return (execute,), None


def prepare_write_echo_mismatch(s: Script) -> tuple[tuple[int, ...], int | None]:
    prepare = s.local(att.PrepareWriteRequest(HANDLE, 0, b"abc"))
    echo = s.remote(att.PrepareWriteResponse(HANDLE, 0, b"abd"))
    s.local(att.ExecuteWriteRequest(1))
    s.remote(att.ExecuteWriteResponse())
    return (prepare, echo), None


BREACHES = {
    "request_while_pending": Breach(request_while_pending, "Vol 3, Part F, 3.3.2"),
    "indication_while_pending": Breach(indication_while_pending, "Vol 3, Part F, 3.3.2"),
    "orphan_response": Breach(orphan_response, "Vol 3, Part F, 3.3.2; 3.4.1.1"),
    "mismatched_response": Breach(mismatched_response, "Vol 3, Part F, 3.4.8"),
    "orphan_confirmation": Breach(orphan_confirmation, "Vol 3, Part F, 3.4.7.3"),
    "mtu_exchange_repeated": Breach(mtu_exchange_repeated, "Vol 3, Part F, 3.4.2.1"),
    "mtu_below_minimum": Breach(client_mtu_below_minimum, "Vol 3, Part F, 3.4.2.1; 5.2.1"),
    "mtu_below_minimum/server": Breach(server_mtu_below_minimum, "Vol 3, Part F, 3.4.2.1; 5.2.1"),
    "execute_without_queue": Breach(execute_without_queue, "Vol 3, Part F, 3.4.6.3; Part G, 4.9.4"),
    "prepare_write_echo_mismatch": Breach(prepare_write_echo_mismatch, "Vol 3, Part F, 3.4.6.2"),
}


@pytest.mark.parametrize(
    "name",
    list(BREACHES),
)
def test_flow_violation_is_reported_once(name: str) -> None:
    breach = BREACHES[name]
    s = Script()
    frames, pending = breach.build(s)
    analyzer = s.run()

    kind = name.split("/")[0]
    assert kinds(analyzer) == [kind]
    (found,) = analyzer.violations
    assert found.frames == frames
    assert found.pending_opcode == pending
    assert found.spec == breach.spec
    assert found.severity == "error"
    assert (found.connection, found.bearer) == ("0x0040", 0x0004)
    assert found.rule and found.message


def test_requests_sent_while_pending_are_still_answered_in_order() -> None:
    s = Script()
    (read, write), _ = request_while_pending(s)
    transactions = s.run().transactions()
    assert [(t.kind, t.request_frame, t.response_frame) for t in transactions] == [
        ("read", read, read + 2),
        ("write", write, write + 2),
    ]


def test_unconfirmed_indication_ends_incomplete_when_another_follows() -> None:
    s = Script()
    (first, second), _ = indication_while_pending(s)
    transactions = s.run().transactions()
    assert [(t.request_frame, t.response_frame, t.outcome) for t in transactions] == [
        (first, None, "incomplete"),
        (second, second + 1, "ok"),
    ]


WRONG_ANSWERS = [
    (att.ReadRequest(HANDLE), att.WriteResponse()),
    (att.ReadBlobRequest(HANDLE, 22), att.ExecuteWriteResponse()),
    (att.ExchangeMtuRequest(100), att.ReadResponse(b"x")),
    (att.FindInformationRequest(1, 5), att.ExchangeMtuResponse(100)),
    (att.PrepareWriteRequest(HANDLE, 0, b"ab"), att.ReadMultipleResponse(b"ab")),
    (att.WriteRequest(HANDLE, b"ab"), att.PrepareWriteResponse(HANDLE, 0, b"ab")),
]


@pytest.mark.parametrize(("request_pdu", "answer"), WRONG_ANSWERS, ids=lambda p: p.name)
def test_mismatched_response_ends_the_request_in_error(
    request_pdu: att.AttPdu, answer: att.AttPdu
) -> None:
    s = Script()
    request = s.local(request_pdu)
    wrong = s.remote(answer)
    analyzer = s.run()
    assert kinds(analyzer) == ["mismatched_response"]
    txn = only(analyzer.transactions())
    assert txn.exchanges == (Exchange(request, wrong),)
    assert txn.outcome == "error"  # an answer, but not one its request can take


SIDES = st.sampled_from(["local", "remote"])
ANY_PDU = st.sampled_from(
    [request for request, _ in WRONG_ANSWERS]
    + [answer for _, answer in WRONG_ANSWERS]
    + [
        att.ReadResponse(VALUE[:22]),
        att.ReadBlobResponse(b"x"),
        att.WriteResponse(),
        att.ExecuteWriteRequest(1),
        att.ExecuteWriteRequest(0),
        att.ExchangeMtuRequest(22),
        att.ExchangeMtuResponse(23),
        att.HandleValueIndication(HANDLE, b"x"),
        att.HandleValueConfirmation(),
        att.HandleValueNotification(HANDLE, bytes(40)),
        att.ErrorResponse(att.AttOpcode.READ_BLOB_REQ, HANDLE, 0x0B),
        att.ErrorResponse(att.AttOpcode.WRITE_REQ, HANDLE, 0x03),
    ]
)
PAUSES = st.sampled_from([150, STEP_US, ATT_TIMEOUT_US + 1])


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.tuples(SIDES, ANY_PDU, PAUSES), max_size=12))
def test_any_att_exchange_gives_events_not_exceptions(
    steps: list[tuple[str, att.AttPdu, int]],
) -> None:
    s = Script()
    for side, pdu, pause in steps:
        s.send(side, CID_ATT, pdu.to_bytes(), pause)
    analyzer = s.run()
    answered = [e for t in analyzer.transactions() for e in t.exchanges if e.response_frame]
    assert all(e.request_frame < (e.response_frame or 0) for e in answered)


# -- capture gaps ---------------------------------------------------------------------------


def test_response_after_a_capture_gap_answers_the_newest_request() -> None:
    """The first answer's start is captured but its continuation is not; the client asks
    again, and the loss shows only when the next answer starts (an L2CAP start while the
    previous PDU is unfinished). A client sends its next request only once answered
    (Vol 3 Part F 3.3.2): the new answer is the second request's."""
    s = Script()
    first = s.local(att.ReadRequest(HANDLE))
    whole = l2cap(CID_ATT, att.ReadResponse(VALUE[:22]).to_bytes())
    s.fragment("remote", whole[:12], first=True)  # the continuation is never captured
    second = s.local(att.ReadRequest(HANDLE))
    answer = s.remote(att.ReadResponse(b"\x01"))
    analyzer = s.run()

    assert analyzer.connections[0].missed_events == 1  # the lost fragment is seen
    found = {t.request_frame: t for t in analyzer.transactions()}
    assert found[second].exchanges == (Exchange(second, answer),)
    assert found[first].exchanges == (Exchange(first, None),)
    assert found[first].outcome == "incomplete"


# -- EATT ------------------------------------------------------------------------------------

LOCAL_CID, REMOTE_CID = 0x0040, 0x0041


def open_eatt_channel(s: Script) -> None:
    """An enhanced credit-based connection for EATT (PSM 0x0027, Vol 3 Part A 4.25-4.26):
    the local side asks with its CID 0x0040, the remote side answers with 0x0041."""
    s.signal("local", sig.CreditConnectionRequest(1, 0x0027, 100, 100, 10, (LOCAL_CID,)))
    s.signal("remote", sig.CreditConnectionResponse(1, 100, 100, 10, 0, (REMOTE_CID,)))


def test_exchange_mtu_on_an_eatt_bearer() -> None:
    s = Script()
    open_eatt_channel(s)
    # packets to a device carry that device's CID
    request = s.k_frame("local", REMOTE_CID, att.ExchangeMtuRequest(100))
    response = s.k_frame("remote", LOCAL_CID, att.ExchangeMtuResponse(100))
    analyzer = s.run()

    assert kinds(analyzer) == ["mtu_exchange_on_eatt"]
    (found,) = analyzer.violations
    assert found.frames == (request,)
    assert found.spec == "Vol 3, Part F, 3.4.2.1"
    assert found.bearer == LOCAL_CID  # the channel, named by the requester's CID
    txn = only(analyzer.transactions())
    assert (txn.kind, txn.bearer, txn.exchanges) == (
        "exchange_mtu",
        LOCAL_CID,
        (Exchange(request, response),),
    )


def test_eatt_bearer_pairs_apart_from_the_fixed_channel() -> None:
    """One client may have a request outstanding on each bearer (Vol 3 Part F 3.3.2)."""
    s = Script()
    open_eatt_channel(s)
    fixed = s.local(att.ReadRequest(HANDLE))
    enhanced = s.k_frame("local", REMOTE_CID, att.ReadRequest(OTHER_HANDLE))
    enhanced_answer = s.k_frame("remote", LOCAL_CID, att.ReadResponse(b"eatt"))
    fixed_answer = s.remote(att.ReadResponse(b"fixed"))
    analyzer = s.run()

    found = {t.bearer: t for t in analyzer.transactions()}
    assert found[0x0004].exchanges == (Exchange(fixed, fixed_answer),)
    assert found[0x0004].value == b"fixed"
    assert found[LOCAL_CID].exchanges == (Exchange(enhanced, enhanced_answer),)
    assert found[LOCAL_CID].value == b"eatt"
    assert analyzer.violations == []


# -- the real captures ----------------------------------------------------------------------


@cache
def corpus_violations(name: str) -> list[Violation]:
    analyzer = Analyzer()
    for frame in open_capture(need_corpus(name)):
        analyzer.feed(frame)
    analyzer.finish()
    return analyzer.violations


@pytest.mark.corpus
@pytest.mark.parametrize("name", corpus_files())
def test_no_real_capture_breaks_an_att_rule(name: str) -> None:
    # the direction-less air captures too: their warnings came from sides guessed by
    # timing and from answers the sniffer missed, which the link layer now shows
    assert corpus_violations(name) == []
