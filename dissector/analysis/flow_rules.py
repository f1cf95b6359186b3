"""The rules a violation can cite: one line each, kind -> severity, where the Core
specification (5.4) states the rule, and what it says. Section numbers as in
../shared/docs/att-rules.md.

A kind is a `ViolationKind` member, so a mistyped kind fails when the module that names it
is imported, not when the violation first fires; every kind has exactly one rule (checked
below at import)."""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import Literal, NamedTuple

# "error": the specification forbids it; "warning": suspicious, or a rule of an option
Severity = Literal["error", "warning"]


class Rule(NamedTuple):
    severity: Severity
    spec: str
    text: str


class ViolationKind(StrEnum):
    """What a violation is; its value is the `kind` of the export."""

    REQUEST_WHILE_PENDING = "request_while_pending"
    INDICATION_WHILE_PENDING = "indication_while_pending"
    ORPHAN_RESPONSE = "orphan_response"
    MISMATCHED_RESPONSE = "mismatched_response"
    ORPHAN_CONFIRMATION = "orphan_confirmation"
    PDU_OVER_MTU = "pdu_over_mtu"
    MTU_EXCHANGE_REPEATED = "mtu_exchange_repeated"
    MTU_EXCHANGE_ON_EATT = "mtu_exchange_on_eatt"
    MTU_BELOW_MINIMUM = "mtu_below_minimum"
    TRANSACTION_TIMEOUT = "transaction_timeout"
    PDU_AFTER_TIMEOUT = "pdu_after_timeout"
    NOTIFICATION_WITHOUT_CCCD = "notification_without_cccd"
    FEATURE_NOT_NEGOTIATED = "feature_not_negotiated"
    EXECUTE_WITHOUT_QUEUE = "execute_without_queue"
    PREPARE_WRITE_ECHO_MISMATCH = "prepare_write_echo_mismatch"
    KFRAME_WITHOUT_CREDIT = "kframe_without_credit"
    SDU_OVER_MTU = "sdu_over_mtu"
    KFRAME_OVER_MPS = "kframe_over_mps"
    ACL_BUFFER_OVERFLOW = "acl_buffer_overflow"
    # link-layer procedures (Core 5.4 Vol 6 Part B 5.1)
    LL_INSTANT_PASSED = "ll_instant_passed"
    LL_UPDATE_NOT_APPLIED = "ll_update_not_applied"
    LL_PROCEDURE_COLLISION = "ll_procedure_collision"
    LL_PROCEDURE_UNKNOWN = "ll_procedure_unknown"
    LL_PROCEDURE_REJECTED = "ll_procedure_rejected"
    LL_RESPONSE_TIMEOUT = "ll_response_timeout"


K = ViolationKind
RULES: dict[ViolationKind, Rule] = {
    # ATT flow control: one outstanding request per client and bearer, one indication
    K.REQUEST_WHILE_PENDING: Rule("error", "Vol 3, Part F, 3.3.2",
        "a client sends no further request on a bearer until the previous one is answered"),
    K.INDICATION_WHILE_PENDING: Rule("error", "Vol 3, Part F, 3.3.2",
        "a server sends no further indication on a bearer until the previous is confirmed"),
    K.ORPHAN_RESPONSE: Rule("error", "Vol 3, Part F, 3.3.2; 3.4.1.1",
        "a response answers an outstanding request: none was outstanding"),
    K.MISMATCHED_RESPONSE: Rule("error", "Vol 3, Part F, 3.4.8",
        "a response is of the type that answers the outstanding request"),
    K.ORPHAN_CONFIRMATION: Rule("error", "Vol 3, Part F, 3.4.7.3",
        "a confirmation answers an outstanding indication: none was outstanding"),
    # sizes
    K.PDU_OVER_MTU: Rule("error", "Vol 3, Part F, 3.2.9",
        "no ATT PDU is longer than the bearer's ATT_MTU"),
    # MTU exchange
    K.MTU_EXCHANGE_REPEATED: Rule("error", "Vol 3, Part F, 3.4.2.1",
        "a client sends Exchange MTU at most once per connection"),
    K.MTU_EXCHANGE_ON_EATT: Rule("error", "Vol 3, Part F, 3.4.2.1",
        "Exchange MTU is not used on an enhanced ATT bearer"),
    K.MTU_BELOW_MINIMUM: Rule("error", "Vol 3, Part F, 3.4.2.1; 5.2.1",
        "an exchanged MTU is never below the default ATT_MTU (23 on LE)"),
    # timeout
    K.TRANSACTION_TIMEOUT: Rule("error", "Vol 3, Part F, 3.3.3",
        "a request not answered within 30 s has timed out"),
    K.PDU_AFTER_TIMEOUT: Rule("error", "Vol 3, Part F, 3.3.3",
        "after a transaction times out, the side that timed out sends no further request, "
        "command, notification or indication on that bearer"),
    # subscriptions and features
    K.NOTIFICATION_WITHOUT_CCCD: Rule("warning", "Vol 3, Part G, 3.3.3.3; 4.10; 4.11",
        "a server notifies or indicates only when the client's CCCD enables it"),
    K.FEATURE_NOT_NEGOTIATED: Rule("warning", "Vol 3, Part F, 3.4.4.11, 3.4.7.4; Part G, 7.2",
        "Read Multiple Variable and Multiple Handle Value Notification need both sides' "
        "support in Client/Server Supported Features"),
    # queued writes
    K.EXECUTE_WITHOUT_QUEUE: Rule("error", "Vol 3, Part F, 3.4.6.3; Part G, 4.9.4",
        "Execute Write writes values queued by Prepare Write: nothing was queued"),
    K.PREPARE_WRITE_ECHO_MISMATCH: Rule("error", "Vol 3, Part F, 3.4.6.2",
        "a Prepare Write Response echoes the request's handle, offset and value"),
    # L2CAP LE credit-based channels
    K.KFRAME_WITHOUT_CREDIT: Rule("error", "Vol 3, Part A, 10.1",
        "a K-frame is sent only with a credit from the receiver"),
    K.SDU_OVER_MTU: Rule("error", "Vol 3, Part A, 3.4.3",
        "an SDU is not longer than the receiving channel's MTU"),
    K.KFRAME_OVER_MPS: Rule("error", "Vol 3, Part A, 3.4.3",
        "a K-frame payload is not longer than the receiving channel's MPS"),
    # host to controller flow control
    K.ACL_BUFFER_OVERFLOW: Rule("error", "Vol 4, Part E, 4.1; 7.7.19",
        "the host sends no more ACL packets than the controller has free buffers for"),
    # link-layer procedures
    K.LL_INSTANT_PASSED: Rule("error", "Vol 6, Part B, 5.5",
        "a procedure's instant lies in the future when its PDU is sent; one already "
        "passed ((Instant - connEventCounter) mod 65536 >= 32767) loses the link"),
    K.LL_UPDATE_NOT_APPLIED: Rule("error", "Vol 6, Part B, 5.1.1; 5.1.2; 5.1.10",
        "a connection, channel map or PHY update takes effect at its instant"),
    K.LL_PROCEDURE_COLLISION: Rule("warning", "Vol 6, Part B, 5.3",
        "only one procedure with an instant is in progress on a link at a time; a "
        "collision is resolved by rejecting one (0x23 LL Procedure Collision, 0x2A "
        "Different Transaction Collision)"),
    K.LL_PROCEDURE_UNKNOWN: Rule("warning", "Vol 6, Part B, 2.4.2.8; 5.1",
        "a procedure is started only when the peer supports it (LL_UNKNOWN_RSP: it did "
        "not)"),
    K.LL_PROCEDURE_REJECTED: Rule("warning", "Vol 6, Part B, 2.4.2.14; 2.4.2.18; 5.1",
        "the peer rejected a procedure (LL_REJECT_IND, LL_REJECT_EXT_IND, or a failed "
        "HCI update event)"),
    K.LL_RESPONSE_TIMEOUT: Rule("error", "Vol 6, Part B, 5.2",
        "a link-layer procedure's response comes within 40 s (the LL response timeout)"),
}  # fmt: skip


# -- the ATT flow state -------------------------------------------------------------------
#
# A bearer carries, for each side, a stream of its requests (answered by the other side's
# responses) and a stream of its indications (confirmed by the other side). Each stream
# is in one of two states; each ATT PDU steps the stream it belongs to, and a step that
# breaks a rule names it. The tracker (transactions.py) keeps the outstanding transactions
# themselves and reads the steps from here; a passive analyzer records the broken rule and
# goes on as the devices did.


class Role(Enum):
    """What an ATT PDU is to flow control (Vol 3 Part F 3.3, 3.4.8)."""

    REQUEST = "request"
    RESPONSE = "response"
    INDICATION = "indication"
    CONFIRMATION = "confirmation"
    OTHER = "other"  # commands and notifications: no answer, no stream


class Stream(Enum):
    """One stream of a bearer: a side's requests, or its indications."""

    IDLE = "idle"  # nothing outstanding
    WAITING = "waiting"  # a request (indication) is outstanding


# (what arrives, the state of the stream it belongs to) -> (the state after, rule broken)
STEPS: dict[tuple[Role, Stream], tuple[Stream, ViolationKind | None]] = {
    (Role.REQUEST, Stream.IDLE): (Stream.WAITING, None),
    (Role.REQUEST, Stream.WAITING): (Stream.WAITING, K.REQUEST_WHILE_PENDING),
    (Role.RESPONSE, Stream.WAITING): (Stream.IDLE, None),  # WAITING if more are outstanding
    (Role.RESPONSE, Stream.IDLE): (Stream.IDLE, K.ORPHAN_RESPONSE),
    (Role.INDICATION, Stream.IDLE): (Stream.WAITING, None),
    (Role.INDICATION, Stream.WAITING): (Stream.WAITING, K.INDICATION_WHILE_PENDING),
    (Role.CONFIRMATION, Stream.WAITING): (Stream.IDLE, None),
    (Role.CONFIRMATION, Stream.IDLE): (Stream.IDLE, K.ORPHAN_CONFIRMATION),
}
# Two things make the tracker hold back a step's rule, since the capture cannot show it
# broken: the sniffer missed packets since the bearer's last PDU (the request, or the
# answer, may be among them), and an answer that comes after its transaction timed out.

# After a transaction times out, the side that waited in vain sends nothing more on that
# bearer but answers (3.3.3): what it may still send, and the rule anything else breaks.
AFTER_TIMEOUT: dict[Role, ViolationKind | None] = {
    Role.REQUEST: K.PDU_AFTER_TIMEOUT,
    Role.INDICATION: K.PDU_AFTER_TIMEOUT,
    Role.OTHER: K.PDU_AFTER_TIMEOUT,
    Role.RESPONSE: None,
    Role.CONFIRMATION: None,
}

if set(RULES) != set(ViolationKind):  # a kind without its rule, or a rule without its kind
    raise ImportError(f"flow_rules: kinds without a rule: {set(ViolationKind) - set(RULES)}")
if set(STEPS) != {(role, state) for role in Role for state in Stream if role is not Role.OTHER}:
    raise ImportError("flow_rules: a step of the ATT flow state is missing")
