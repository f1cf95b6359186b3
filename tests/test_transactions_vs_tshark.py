"""ATT request/response pairing against Wireshark's, on every corpus capture.

Each (request, answer) exchange of every transaction the analyzer reports (a long read or
a queued write has several; an indication pairs with its confirmation) is compared with
tshark's pairs: `btatt.request_in_frame` on an answer. tshark 4.0 runs one pass, so it puts
`btatt.response_in_frame` on a request never; it shows up on an answer whose request was
already answered, naming the earlier answer (a repeat, not a pair).

Every pair on one side only must be explained by one of the rules below, each pinned by a
named test with its frames; `pytest -s` prints the agreement per file:

* tshark 4.0 gives an Error Response no `request_in_frame` although it decodes the
  request opcode in error (and uses the request to name the UUID): the analyzer's pair
  stands when that opcode is the request's;
* tshark dissects an LL retransmission (the same bytes again, nothing but Empty PDUs in
  between, CRC included) as a second PDU and pairs it: the analyzer drops the copy;
* tshark keys its requests by interface and frame only, so it pairs an answer with the
  latest request of the right opcode even when that request went the same way as the
  answer (the other ATT role on the link).

Two direction-less air captures once differed for a bug of the analyzer (after a capture
gap it paired an answer with the oldest outstanding request); they agree since its fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pytest
from corpus import corpus_files, need_corpus, tshark_fields

from attscope.capture import Direction, Encap, Frame, open_capture
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding.ll_data import DataHeader, decode_ll_frame

pytestmark = [pytest.mark.corpus, pytest.mark.tshark]

FIELDS = [
    "frame.number",
    "btatt.opcode",
    "btatt.request_in_frame",
    "btatt.response_in_frame",
    "btatt.req_opcode_in_error",
]
Pair = tuple[int, int]  # (request or indication frame, answer frame)

ERROR_RESPONSE = "tshark gives an Error Response no request_in_frame"
RETRANSMITTED_ANSWER = "tshark pairs an LL retransmission of the answer"
RETRANSMITTED_REQUEST = "tshark pairs the answer with an LL retransmission of the request"
SAME_SIDE = "tshark pairs the answer with a request sent the same way"

# captures where the analyzer pairs wrongly, named after the bug: none at present
KNOWN_BUGS: dict[str, pytest.MarkDecorator] = {}


def numbers(text: str) -> list[int]:
    return [int(v, 0) for v in text.split(",") if v]


@dataclass
class Capture:
    """One corpus file as the analyzer and tshark see it."""

    name: str
    frames: dict[int, Frame]
    att_frames: set[int]  # frames whose ATT PDU reached the analyzer
    ours: set[Pair]
    opcodes: dict[int, list[int]]  # tshark: the ATT opcodes in each frame
    request_in: dict[int, list[int]]
    response_in: dict[int, list[int]]
    opcode_in_error: dict[int, list[int]]
    analyzer: Analyzer
    theirs: set[Pair] = field(default_factory=set)

    def __post_init__(self) -> None:
        pairs = {(q, r) for r, requests in self.request_in.items() for q in requests}
        for q, answers in self.response_in.items():  # on a request: a pair (never in 4.0)
            if any(asks(op) for op in self.opcodes[q]):
                pairs |= {(q, r) for r in answers}
        self.theirs = pairs


def asks(opcode: int) -> bool:
    """A request or an indication: a PDU that waits for an answer."""
    return att.is_request(opcode) or opcode == att.AttOpcode.HANDLE_VALUE_IND


@cache
def capture(name: str) -> Capture:
    path = need_corpus(name)
    analyzer = Analyzer()
    frames: dict[int, Frame] = {}
    att_frames: set[int] = set()
    for frame in open_capture(path):
        frames[frame.index] = frame
        packet = analyzer.feed(frame).packet
        if isinstance(packet.pdu, att.AttPdu):
            att_frames.add(frame.index)
    analyzer.finish()
    ours = {
        (e.request_frame, e.response_frame)
        for t in analyzer.transactions()
        for e in t.exchanges
        if e.response_frame is not None
    }
    opcodes: dict[int, list[int]] = {}
    request_in: dict[int, list[int]] = {}
    response_in: dict[int, list[int]] = {}
    in_error: dict[int, list[int]] = {}
    for number, opcode, req_in, rsp_in, error_op in tshark_fields(path, FIELDS):
        n = int(number)
        opcodes[n], request_in[n] = numbers(opcode), numbers(req_in)
        response_in[n], in_error[n] = numbers(rsp_in), numbers(error_op)
    request_in = {n: v for n, v in request_in.items() if v}
    response_in = {n: v for n, v in response_in.items() if v}
    return Capture(
        name, frames, att_frames, ours, opcodes, request_in, response_in, in_error, analyzer
    )


# -- the rules that explain a difference ------------------------------------------------------


def ll_length(frame: Frame) -> int | None:
    """An air data packet's payload length (0: an Empty PDU); None for anything else."""
    ll = decode_ll_frame(frame)
    if ll is None or not isinstance(ll.header, DataHeader):
        return None
    return ll.header.length


def retransmitted(cap: Capture, number: int) -> int | None:
    """The frame `number` repeats (an LL retransmission the analyzer drops), if it is one:
    the same link-layer bytes, SN and CRC included, with only Empty PDUs in between."""
    frame = cap.frames[number]
    if frame.encap != Encap.LE_LL or number in cap.att_frames:
        return None
    for earlier in range(number - 1, 0, -1):
        other = cap.frames[earlier]
        if other.encap != Encap.LE_LL:
            continue
        if other.payload == frame.payload:
            return retransmitted(cap, earlier) or earlier  # the first of the copies
        if other.payload[:4] == frame.payload[:4] and ll_length(other) != 0:
            return None  # something new on the link in between
    return None


def same_way(cap: Capture, request: int, answer: int) -> bool:
    """Both went the same way, as the capture file says (an answer goes the other way)."""
    a, b = cap.frames[request].direction, cap.frames[answer].direction
    return a == b != Direction.UNKNOWN


def explain(cap: Capture, pair: Pair) -> str | None:
    """Why tshark and the analyzer differ on `pair`, or None."""
    ours, theirs = cap.ours, cap.theirs
    q, r = pair
    if pair in ours:  # tshark lacks it
        if (
            cap.opcodes[r] == [att.AttOpcode.ERROR_RSP]
            and r not in cap.request_in
            and cap.opcode_in_error[r] == cap.opcodes[q]
        ):
            return ERROR_RESPONSE
        for other, _ in (p for p in theirs if p[1] == r):
            if retransmitted(cap, other) == q:
                return RETRANSMITTED_REQUEST
            if same_way(cap, other, r) and not same_way(cap, q, r):
                return SAME_SIDE
        return None
    original = retransmitted(cap, r)
    if original is not None and (q, original) in ours:
        return RETRANSMITTED_ANSWER
    original = retransmitted(cap, q)
    if original is not None and (original, r) in ours:
        return RETRANSMITTED_REQUEST
    if same_way(cap, q, r):
        return SAME_SIDE
    return None


@dataclass
class Agreement:
    name: str
    tshark: int
    ours: int
    agree: int
    explained: dict[Pair, str] = field(default_factory=dict)
    unexplained: list[Pair] = field(default_factory=list)

    def line(self) -> str:
        counts: dict[str, int] = {}
        for reason in self.explained.values():
            counts[reason] = counts.get(reason, 0) + 1
        reasons = "; ".join(f"{n} {reason}" for reason, n in sorted(counts.items()))
        return (
            f"{self.name}: tshark {self.tshark}, ours {self.ours}, agree {self.agree}"
            + (f" | explained: {reasons}" if reasons else "")
            + (f" | UNEXPLAINED {sorted(self.unexplained)}" if self.unexplained else "")
        )


def agreement(name: str) -> Agreement:
    cap = capture(name)
    ours, theirs = cap.ours, cap.theirs
    found = Agreement(name, len(theirs), len(ours), len(ours & theirs))
    for pair in sorted(ours ^ theirs):
        reason = explain(cap, pair)
        if reason is None:
            found.unexplained.append(pair)
        else:
            found.explained[pair] = reason
    return found


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=KNOWN_BUGS[n]) if n in KNOWN_BUGS else n for n in corpus_files()],
)
def test_pairing_agrees_with_tshark(name: str) -> None:
    found = agreement(name)
    print(found.line())
    assert found.unexplained == []


@pytest.mark.parametrize("name", corpus_files())
def test_tshark_response_in_frame_marks_only_repeated_answers(name: str) -> None:
    """tshark 4.0 sets response_in_frame in its one pass only on an answer to a request
    it has already seen answered; each such answer is one of the explained pairs."""
    cap = capture(name)
    found = agreement(name)
    for number, earlier in cap.response_in.items():
        assert not any(asks(op) for op in cap.opcodes[number])
        (request,) = cap.request_in[number]
        (first,) = earlier
        assert {(request, number), (request, first)} & set(found.explained), number


# -- tshark's mistakes, frame by frame --------------------------------------------------------


def test_tshark_gives_error_responses_no_request_in_frame() -> None:
    """Frame 8 of the revcar log is the Error Response (Attribute Not Found) to the Read By
    Type Request of frame 7: tshark decodes "Request Opcode in Error: Read By Type Request"
    and names the UUID of frame 7's request, yet gives frame 8 no request_in_frame."""
    cap = capture("android_revcar_acl_only.btsnoop")
    assert cap.opcodes[7] == [att.AttOpcode.READ_BY_TYPE_REQ]
    assert cap.opcodes[8] == [att.AttOpcode.ERROR_RSP]
    assert cap.opcode_in_error[8] == [att.AttOpcode.READ_BY_TYPE_REQ]
    assert 8 not in cap.request_in
    (txn,) = [t for t in cap.analyzer.transactions() if t.request_frame == 7]
    assert (txn.response_frame, txn.outcome, txn.error_name) == (8, "error", "Attribute Not Found")
    assert txn.request.start_handle <= txn.response.handle <= txn.request.end_handle
    # none in any capture: every Error Response of the corpus lacks it
    errors = [
        n
        for name in corpus_files()
        for n, ops in capture(name).opcodes.items()
        if att.AttOpcode.ERROR_RSP in ops and n in capture(name).request_in
    ]
    assert errors == []


@pytest.mark.parametrize(
    ("name", "asked", "answer", "copies"),
    [
        ("nrf3_hid_mouse.pcapng", 1306, 1309, [1310, 1311, 1312, 1313, 1314]),
        ("nrf3_hid_mouse.pcapng", 1011, 1014, [1016]),
        ("bsniffhub_lesc_jw_fragments_ltk.pcap", 46, 49, [50]),
    ],
)
def test_tshark_pairs_a_retransmitted_answer_again(
    name: str, asked: int, answer: int, copies: list[int]
) -> None:
    """The answering end sent its answer again (same SN, same bytes, same CRC) because the
    other end did not acknowledge it: the sniffer caught each copy, tshark dissects each as
    a new ATT answer to the request (and marks it response_in_frame = the first copy); the
    analyzer drops the repeats (Core 5.4 Vol 6 Part B 4.5.9) and pairs the first."""
    cap = capture(name)
    for copy in copies:
        assert cap.frames[copy].payload == cap.frames[answer].payload
        assert retransmitted(cap, copy) == answer
        assert copy not in cap.att_frames
        assert cap.request_in[copy] == [asked]
        assert cap.response_in[copy] == [answer]
    assert (asked, answer) in cap.ours
    assert not any(
        e.response_frame in copies for t in cap.analyzer.transactions() for e in t.exchanges
    )


def test_tshark_pairs_the_answer_with_a_retransmitted_request() -> None:
    """Frame 60 repeats the Exchange MTU Request of frame 59 byte for byte (SN 0, CRC
    0xe66220, no packet between): tshark pairs the response of frame 68 with the copy."""
    cap = capture("crackle_lesc_pairing.pcapng")
    assert cap.frames[60].payload == cap.frames[59].payload
    assert retransmitted(cap, 60) == 59
    assert cap.request_in[68] == [60]
    assert (59, 68) in cap.ours
    assert explain(cap, (60, 68)) == explain(cap, (59, 68)) == RETRANSMITTED_REQUEST


@pytest.mark.parametrize(
    ("central_request", "peripheral_request", "answer", "peripheral_answered"),
    [(1238, 1241, 1243, 1244), (1246, 1249, 1251, 1252)],
)
def test_tshark_pairs_an_answer_with_a_request_sent_the_same_way(
    central_request: int, peripheral_request: int, answer: int, peripheral_answered: int
) -> None:
    """Both ends of the HID mouse link discover each other at once. The central asks
    Find Information 0x0023..0x0024, the peripheral asks 0x004b..0x004b, the peripheral
    answers the central with handles 0x0023 and 0x0024, the central answers the peripheral.
    tshark pairs the peripheral's answer with the peripheral's own request (the latest of
    that opcode); the analyzer keeps the two ATT roles apart."""
    cap = capture("nrf3_hid_mouse.pcapng")
    c2p, p2c = Direction.CENTRAL_TO_PERIPHERAL, Direction.PERIPHERAL_TO_CENTRAL
    assert cap.frames[central_request].direction == cap.frames[peripheral_answered].direction == c2p
    assert cap.frames[peripheral_request].direction == cap.frames[answer].direction == p2c
    assert cap.request_in[answer] == [peripheral_request]
    assert cap.request_in[peripheral_answered] == [peripheral_request]
    assert cap.response_in[peripheral_answered] == [answer]
    found = {t.request_frame: t for t in cap.analyzer.transactions()}
    asked = found[central_request]
    assert asked.exchanges[0].response_frame == answer
    assert (asked.client, asked.server) == ("central", "peripheral")
    handles = [entry.handle for entry in asked.response.entries]
    assert all(asked.request.start_handle <= h <= asked.request.end_handle for h in handles)
    theirs = found[peripheral_request]
    assert theirs.exchanges[0].response_frame == peripheral_answered
    assert (theirs.client, theirs.server) == ("peripheral", "central")
