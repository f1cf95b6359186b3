"""What an HCI log shows of each link's security: the pairing (SMP travels in the clear
between host and controller), the keys the host gives its controller and the keys SMP
distributes, and whether the controller encrypted the link.

The host hands the controller the LTK in clear: HCI_LE_Enable_Encryption when it is the
central (with the EDIV and Rand naming the key), HCI_LE_Long_Term_Key_Request_Reply when
it is the peripheral (Core 5.4 Vol 4 Part E 7.8.24-7.8.25). These are the keys an air
capture of the same devices needs, so they are reported like the keys an air capture's
pairing gives. An IRK distributed over SMP resolves the peer's private addresses, as on
the air.
"""

from __future__ import annotations

from attscope.capture.frame import Direction
from attscope.dissector.decoding import smp_pdus as smp
from attscope.dissector.decoding.hci_commands import (
    LeEnableEncryption,
    LeLongTermKeyRequestReply,
)
from attscope.dissector.decoding.hci_events import LeLongTermKeyRequest
from attscope.dissector.decoding.le_keys import Irk, Keys
from attscope.dissector.decoding.le_pairing import Pairing, PairingResult, debug_key_users
from attscope.dissector.decoding.ll_encryption import FoundKey, LinkSecurity

MAX_FOUND = 64  # keys listed per link; a log that hands over more is not believed
_SENT = Direction.HOST_TO_CONTROLLER


class _HciLink:
    __slots__ = ("encrypted", "found", "paired", "pairing", "pending_irk", "pending_ltk",
                 "requested")  # fmt: skip

    def __init__(self) -> None:
        self.pairing: Pairing | None = None
        self.paired: PairingResult | None = None
        self.encrypted = False
        self.found: list[FoundKey] = []
        self.pending_ltk: dict[bool, tuple[bytes, int]] = {}  # by "sent by the local host"
        self.pending_irk: dict[bool, tuple[bytes, int]] = {}
        self.requested: tuple[int, bytes] | None = None  # the LTK Request's EDIV and Rand


class HciSecurity:
    """Every HCI link's security, by connection id."""

    def __init__(self, keys: Keys) -> None:
        self.keys = keys  # IRKs learnt here resolve addresses, as an air capture's do
        self._links: dict[str, _HciLink] = {}

    def security(self, conn_id: str) -> LinkSecurity | None:
        """What the log shows of a link's security, when it shows anything."""
        link = self._links.get(conn_id)
        if link is None:
            return None
        return LinkSecurity(link.paired, link.encrypted, None, 0, 0, 0, 0, 0, None,
                            tuple(link.found))  # fmt: skip

    def _link(self, conn_id: str) -> _HciLink:
        link = self._links.get(conn_id)
        if link is None:
            link = self._links[conn_id] = _HciLink()
        return link

    def encryption(self, conn_id: str, enabled: bool) -> None:
        """HCI_Encryption_Change: the controller encrypted the link (or stopped)."""
        self._link(conn_id).encrypted = enabled

    def command(self, conn_id: str, record: object, frame: int) -> None:
        """A command that hands the controller a link's key, or the peripheral's
        controller asking its host for one (its EDIV and Rand name the key)."""
        link = self._link(conn_id)
        if isinstance(record, LeLongTermKeyRequest):
            link.requested = (record.encrypted_diversifier, record.random_number)
        elif isinstance(record, LeEnableEncryption):
            ediv, rand = record.encrypted_diversifier, record.random_number
            what = (f"{_kind(link, ediv, rand)} the host gave its controller as central (HCI "
                    f"LE Enable Encryption, EDIV 0x{ediv:04x}, Rand {rand[::-1].hex()})")  # fmt: skip
            self._found(link, record.long_term_key, what, frame)
        elif isinstance(record, LeLongTermKeyRequestReply):
            named = ""
            kind = "LTK"
            if link.requested is not None:
                ediv, rand = link.requested
                kind = _kind(link, ediv, rand)
                named = f", EDIV 0x{ediv:04x}, Rand {rand[::-1].hex()}"
            what = (f"{kind} the host gave its controller as peripheral (HCI LE LTK Request "
                    f"Reply{named})")  # fmt: skip
            self._found(link, record.long_term_key, what, frame)

    def smp(
        self, conn_id: str, pdu: object, direction: Direction, local_role: str | None, frame: int
    ) -> None:
        """An SMP PDU on an HCI link; `local_role` the logging device's, when known."""
        link = self._link(conn_id)
        sent = direction == _SENT
        if isinstance(pdu, smp.PairingRequest):
            link.pairing, link.paired = Pairing(pdu), None
            return
        pairing = link.pairing
        if isinstance(pdu, smp.PairingResponse) and pairing is not None:
            pairing.response, pairing.pres = pdu, pdu.to_bytes()
            link.paired = pairing.result(None, None, None)
        elif isinstance(pdu, smp.PairingPublicKey) and pairing is not None:
            pairing.public_keys.append(pdu)
            if pairing.response is not None:
                link.paired = pairing.result(None, None, None, None, debug_key_users(pairing))
        elif isinstance(pdu, smp.PairingFailed) and pairing is not None:
            if pairing.response is not None:
                link.paired = pairing.result(None, None, f"pairing failed: {pdu.summary()}")
            link.pairing = None
        elif isinstance(pdu, smp.EncryptionInformation):
            link.pending_ltk[sent] = (pdu.ltk, frame)
            self._found(link, pdu.ltk, f"LTK distributed by the {_who(sent, local_role)}", frame)
        elif isinstance(pdu, smp.CentralIdentification):
            ltk = link.pending_ltk.pop(sent, None)
            if ltk is not None:
                what = (f"LTK distributed by the {_who(sent, local_role)} (EDIV "
                        f"0x{pdu.ediv:04x}, Rand {pdu.rand[::-1].hex()})")  # fmt: skip
                link.found[:] = [k for k in link.found if k.frame != ltk[1]]
                self._found(link, ltk[0], what, ltk[1])
        elif isinstance(pdu, smp.IdentityInformation):
            link.pending_irk[sent] = (pdu.irk, frame)
        elif isinstance(pdu, smp.IdentityAddressInformation):
            irk = link.pending_irk.pop(sent, None)
            if irk is not None:
                identity = pdu.address
                what = f"IRK distributed by the {_who(sent, local_role)} (identity {identity})"
                self.keys.add_irk(Irk(irk[0], what, identity, learnt=True, frame=irk[1]))
                self._found(link, irk[0], what, irk[1])

    @staticmethod
    def _found(link: _HciLink, key: bytes, what: str, frame: int) -> None:
        """A key seen on the link, as on the air (least significant octet first)."""
        if len(link.found) < MAX_FOUND:
            link.found.append(FoundKey(key[::-1], what, frame))


def _kind(link: _HciLink, ediv: int, rand: bytes) -> str:
    """What a key with this EDIV and Rand is: a legacy pairing's first encryption uses the
    STK, named by zeros (Vol 3 Part H 2.4.4.1); Secure Connections' LTK is named by zeros
    too."""
    paired = link.paired
    legacy = paired is not None and not paired.secure_connections
    return "STK" if legacy and ediv == 0 and not any(rand) else "LTK"


def _who(sent: bool, local_role: str | None) -> str:
    """The side that sent a PDU, by the log's direction and the local device's role."""
    if local_role not in ("central", "peripheral"):
        return "local device" if sent else "remote device"
    other = "peripheral" if local_role == "central" else "central"
    return f"{local_role} (local)" if sent else f"{other} (remote)"
