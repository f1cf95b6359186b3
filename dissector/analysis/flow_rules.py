"""The rules a violation can cite: one line each, kind -> severity, where the Core
specification (5.4) states the rule, and what it says. Section numbers as in
../shared/docs/att-rules.md."""

from __future__ import annotations

from typing import NamedTuple


class Rule(NamedTuple):
    severity: str  # "error": the specification forbids it; "warning": suspicious or optional
    spec: str
    text: str


RULES: dict[str, Rule] = {
    # ATT flow control: one outstanding request per client and bearer, one indication
    "request_while_pending": Rule("error", "Vol 3, Part F, 3.3.2",
        "a client sends no further request on a bearer until the previous one is answered"),
    "indication_while_pending": Rule("error", "Vol 3, Part F, 3.3.2",
        "a server sends no further indication on a bearer until the previous is confirmed"),
    "orphan_response": Rule("error", "Vol 3, Part F, 3.3.2; 3.4.1.1",
        "a response answers an outstanding request: none was outstanding"),
    "mismatched_response": Rule("error", "Vol 3, Part F, 3.4.8",
        "a response is of the type that answers the outstanding request"),
    "orphan_confirmation": Rule("error", "Vol 3, Part F, 3.4.7.3",
        "a confirmation answers an outstanding indication: none was outstanding"),
    # sizes
    "pdu_over_mtu": Rule("error", "Vol 3, Part F, 3.2.9",
        "no ATT PDU is longer than the bearer's ATT_MTU"),
    # MTU exchange
    "mtu_exchange_repeated": Rule("error", "Vol 3, Part F, 3.4.2.1",
        "a client sends Exchange MTU at most once per connection"),
    "mtu_exchange_on_eatt": Rule("error", "Vol 3, Part F, 3.4.2.1",
        "Exchange MTU is not used on an enhanced ATT bearer"),
    "mtu_below_minimum": Rule("error", "Vol 3, Part F, 3.4.2.1; 5.2.1",
        "an exchanged MTU is never below the default ATT_MTU (23 on LE)"),
    # timeout
    "transaction_timeout": Rule("error", "Vol 3, Part F, 3.3.3",
        "a request not answered within 30 s has timed out"),
    "pdu_after_timeout": Rule("error", "Vol 3, Part F, 3.3.3",
        "after a transaction times out, the side that timed out sends no further request, "
        "command, notification or indication on that bearer"),
    # subscriptions and features
    "notification_without_cccd": Rule("warning", "Vol 3, Part G, 3.3.3.3; 4.10; 4.11",
        "a server notifies or indicates only when the client's CCCD enables it"),
    "feature_not_negotiated": Rule("warning", "Vol 3, Part F, 3.4.4.11, 3.4.7.4; Part G, 7.2",
        "Read Multiple Variable and Multiple Handle Value Notification need both sides' "
        "support in Client/Server Supported Features"),
    # queued writes
    "execute_without_queue": Rule("error", "Vol 3, Part F, 3.4.6.3; Part G, 4.9.4",
        "Execute Write writes values queued by Prepare Write: nothing was queued"),
    "prepare_write_echo_mismatch": Rule("error", "Vol 3, Part F, 3.4.6.2",
        "a Prepare Write Response echoes the request's handle, offset and value"),
    # L2CAP LE credit-based channels
    "kframe_without_credit": Rule("error", "Vol 3, Part A, 10.1",
        "a K-frame is sent only with a credit from the receiver"),
    "sdu_over_mtu": Rule("error", "Vol 3, Part A, 3.4.3",
        "an SDU is not longer than the receiving channel's MTU"),
    "kframe_over_mps": Rule("error", "Vol 3, Part A, 3.4.3",
        "a K-frame payload is not longer than the receiving channel's MPS"),
    # host to controller flow control
    "acl_buffer_overflow": Rule("error", "Vol 4, Part E, 4.1; 7.7.19",
        "the host sends no more ACL packets than the controller has free buffers for"),
}  # fmt: skip
