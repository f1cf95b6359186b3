"""The pairing of a link as entries of its timeline: who asked for security, the pairing
features each side offered and the method they select, a failure and its reason, and the
keys each side distributed (Core 5.4 Vol 3 Part H 2.3, 3.5, 3.6). The encryption itself
(start, refresh) is on the timeline from the link layer and HCI (connections.py)."""

from __future__ import annotations

from attscope.dissector.decoding import smp_pdus as smp
from attscope.dissector.decoding.le_pairing import Pairing

# the key distribution PDUs (3.6) that open a key: the LTK's EDIV and Rand, and the IRK's
# identity address, follow in PDUs of their own and are named with it
_KEYS: dict[type, str] = {
    smp.EncryptionInformation: "LTK (with EDIV and Rand)",
    smp.IdentityInformation: "IRK (with its identity address)",
    smp.SigningInformation: "CSRK",
}
# who sent it, as a sentence names it: an HCI log's own host and its peer, or an air
# capture's central and peripheral
_WHO = {"local": "the local host", "remote": "the peer", "central": "the central",
        "peripheral": "the peripheral", "?": "an unknown side"}  # fmt: skip


def _features(pdu: smp.PairingRequest | smp.PairingResponse) -> str:
    return (
        f"IO {pdu.io_capability_name}, AuthReq {pdu.auth_req.describe()}, "
        f"max key size {pdu.max_encryption_key_size}"
    )


class SecurityTimeline:
    """Per link, the pairing under way; `smp` gives the timeline entry an SMP PDU makes."""

    def __init__(self) -> None:
        self._pairings: dict[str, Pairing] = {}

    def smp(self, link: str, pdu: object, side: str) -> tuple[str, str] | None:
        """(kind, detail) for the timeline, or None for a PDU it need not show (confirm
        and random values, public keys: the Security panel says what they gave). `side`:
        the sender's (local, remote, central, peripheral or ?)."""
        sender = _WHO.get(side, side)
        if isinstance(pdu, smp.SecurityRequest):
            return "security_request", f"{sender} asks for security ({pdu.auth_req.describe()})"
        if isinstance(pdu, smp.PairingRequest):
            self._pairings[link] = Pairing(pdu)
            return "pairing", f"pairing requested by {sender}: {_features(pdu)}"
        if isinstance(pdu, smp.PairingResponse):
            pairing = self._pairings.get(link)
            detail = f"pairing response from {sender}: {_features(pdu)}"
            if pairing is not None:
                pairing.response = pdu
                kind = "LE Secure Connections" if pairing.secure_connections else "legacy pairing"
                detail += f"; {kind}, {pairing.method()}"
            return "pairing", detail
        if isinstance(pdu, smp.PairingFailed):
            self._pairings.pop(link, None)
            return "pairing_failed", f"pairing failed, said by {sender}: {pdu.reason_name}"
        key = _KEYS.get(type(pdu))
        if key is not None:
            return "key_distribution", f"{sender} distributes its {key}"
        return None
