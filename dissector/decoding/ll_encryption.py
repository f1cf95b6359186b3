"""Link-layer encryption of air captures: which data PDUs are ciphertext, and their
plaintext when a key is known (Core 5.4 Vol 6 Part B 5.1.3, Part E).

The encryption start procedure gives the session: LL_ENC_REQ (the central's SKDc and IVc,
and the EDIV and Rand naming the key), LL_ENC_RSP (the peripheral's SKDp and IVp), then
LL_START_ENC_REQ in the clear, and from there every non-empty PDU in both directions is
encrypted, with a 39-bit packet counter per direction that starts at 0 and advances on
each new PDU (a retransmission reuses its counter). The MIC proves the key, the counter
and the direction together, so each is tried, within bounds, until it verifies:
the key (every known key that fits, in both byte orders), a counter that skipped packets
the sniffer missed (up to COUNTER_WINDOW ahead), and, when the capture does not record who
sent a packet, the direction, which the MIC then proves.

Nothing here guesses: a PDU from the encryption start on that cannot be decrypted is an
`LlEncrypted` record with the reason, never read as plaintext.
"""

from __future__ import annotations

from typing import Final

import msgspec

from attscope.capture.frame import Direction
from attscope.dissector.decoding import ll_control as llc
from attscope.dissector.decoding import smp_pdus as smp
from attscope.dissector.decoding.le_crypto import (
    DEBUG_PRIVATE_KEY,
    MIC_LENGTH,
    LinkCipher,
    session_key,
)
from attscope.dissector.decoding.le_keys import (
    OOB_KEY,
    PASSKEY,
    PRIVATE_KEY,
    Irk,
    Keys,
    Ltk,
    PairingSecret,
)
from attscope.dissector.decoding.le_pairing import (
    JUST_WORKS,
    MAX_PASSKEY,
    OOB,
    Pairing,
    PairingResult,
    debug_key_users,
    find_tk,
    sc_ltk,
    stk_for,
    tk_from_mic,
)
from attscope.dissector.decoding.ll_adv import Address, address_bytes
from attscope.dissector.decoding.ll_data import (
    DataHeader,
    LlEncrypted,
    LlPacket,
    crc24,
    data_payload,
)

C2P, P2C = Direction.CENTRAL_TO_PERIPHERAL, Direction.PERIPHERAL_TO_CENTRAL
OTHER: Final = {C2P: P2C, P2C: C2P}
COUNTER_WINDOW = 32  # new PDUs a sniffer may miss in a row before the counter is lost
START_TRIES = 4  # counters tried per key on the first encrypted PDUs (some may be missed)
KEY_TRIES = 8  # encrypted PDUs every key is tried on before the link is given up
# control PDUs a side sends in the clear while the encryption starts or pauses
# (5.1.3.1-5.1.3.2): the peripheral's LL_START_ENC_REQ, a refusal, the central's last
# LL_PAUSE_ENC_RSP
_CLEAR_OPCODES = frozenset({0x05, 0x0B, 0x0D, 0x11})

# the control PDUs that start, refuse and pause encryption (5.1.3): `_observe` follows them
_PROCEDURE_PDUS = frozenset({llc.EncReq, llc.EncRsp, llc.StartEncReq, llc.RejectInd,
                             llc.RejectExtInd, llc.PauseEncReq, llc.PauseEncRsp})  # fmt: skip

NO_KEY = "no key for this link: give its LTK (--ltk), or capture its pairing"
NO_KEY_SC = (
    "LE Secure Connections: give the LTK (--ltk), or one side's private key "
    "(--sc-private-key) with the pairing in the capture"
)
NO_START = "the encryption start (LL_ENC_REQ, LL_ENC_RSP) is not in the capture"
MIC_FAILED = "MIC check failed: a damaged packet, or the packet counter was lost"
DAMAGED = "damaged on the air: its CRC does not match"
WRONG_KEY = "no known key verifies: the keys given are not this link's"
COUNTER_LOST = (
    "no MIC verifies, though the pairing's DHKey Check proves the link's key: the packet "
    "counter was lost (packets missed) or the packets are damaged"
)


class FoundKey(msgspec.Struct, frozen=True, gc=False):
    """A key the capture itself gave: a cracked pairing's STK, a distributed LTK."""

    key: bytes  # most significant octet first (as the spec writes it)
    what: str  # "STK (Just Works, TK 0)", "LTK distributed by the peripheral" ...
    frame: int  # the frame that gave it


class Decrypted(msgspec.Struct, frozen=True, gc=False):
    """How a link's encryption was broken: the key that verified and where it came from."""

    key: bytes  # the LTK or STK, most significant octet first (as the spec writes it)
    source: str  # "--ltk", "pairing cracked (Just Works)" ...
    order: str  # how the key was written: "as written", "byte-reversed", "as found"
    frame: int | None = None  # a key the capture gave: the frame it came in


class LinkSecurity(msgspec.Struct, frozen=True, gc=False):
    """What an air capture shows of one link's security, for the connection's record."""

    pairing: PairingResult | None  # the last pairing seen on the link
    encrypted: bool  # the link encrypted (its encryption start, or ciphertext, was seen)
    decrypted_with: Decrypted | None  # the key whose MIC verified
    decrypted_pdus: int  # PDUs attscope decrypted
    sniffer_decrypted_pdus: int  # PDUs the sniffer had decrypted itself
    ciphertext_pdus: int  # PDUs that stay ciphertext (see `why`)
    mic_failures: int  # of those, PDUs whose MIC failed once the key was known
    damaged_pdus: int  # of those, PDUs whose CRC failed too: damaged on the air
    why: str | None  # why PDUs stay ciphertext
    keys_found: tuple[FoundKey, ...]  # keys the link's pairing gave


class _Session:
    """One encryption start's session: SKD and IV halves, and the cipher once known."""

    __slots__ = ("attempts", "cipher", "ediv", "iv_c", "iv_p", "rand", "skd_c", "skd_p")

    def __init__(self, request: llc.EncReq) -> None:
        self.ediv, self.rand = request.ediv, request.rand
        self.skd_c, self.iv_c = request.skd_c, request.iv_c
        self.skd_p: bytes | None = None
        self.iv_p: bytes | None = None
        self.cipher: LinkCipher | None = None
        self.attempts = 0  # PDUs the keys were tried on, so far without success


class LinkEncryption:
    """The encryption state of one link (access address)."""

    __slots__ = (
        "addresses",
        "ciphertext",
        "clear",
        "crc_init",
        "damaged",
        "decrypted",
        "failures",
        "found",
        "initiator",
        "last",
        "next",
        "on",
        "paired",
        "pairing",
        "pending_irk",
        "pending_ltk",
        "plaintext",
        "proven",
        "responder",
        "session",
        "sniffer_plaintext",
        "started",
        "unconfirmed",
        "why",
    )

    def __init__(
        self,
        initiator: Address | None = None,
        responder: Address | None = None,
        crc_init: int | None = None,
    ) -> None:
        self.initiator, self.responder = initiator, responder  # from CONNECT_IND
        self.crc_init = crc_init  # the link's CRCInit, for checking and rewriting CRCs
        # the central's and the peripheral's addresses, upper case, for keys tied to one
        self.addresses = tuple(a.addr.upper() for a in (initiator, responder) if a)
        self.session: _Session | None = None
        self.on: dict[Direction, bool] = {C2P: False, P2C: False}
        self.next: dict[Direction, int] = {C2P: 0, P2C: 0}  # the next new PDU's counter
        self.last: dict[Direction, tuple[int, int]] = {}  # (SN, counter) of the last PDU
        self.started = False  # an encryption start was seen (LL_START_ENC_REQ)
        self.decrypted: Decrypted | None = None
        self.failures = 0  # PDUs whose MIC did not verify once the key was known
        self.why: str | None = None  # why PDUs stay ciphertext, while they do
        self.clear = False  # decrypted before: the capture holds plaintext (see data_pdu)
        self.pairing: Pairing | None = None  # the pairing in progress
        self.paired: PairingResult | None = None  # the last pairing's outcome
        self.pending_ltk: dict[Direction, bytes] = {}  # Encryption Information, by sender
        self.pending_irk: dict[Direction, tuple[bytes, int]] = {}  # Identity Information
        self.plaintext = 0  # PDUs decrypted here
        self.ciphertext = 0  # PDUs left as LlEncrypted
        self.damaged = 0  # of those, PDUs whose CRC shows they were damaged on the air
        self.sniffer_plaintext = 0  # PDUs the sniffer decrypted
        self.found: list[FoundKey] = []  # keys the link's pairing gave
        self.proven = False  # the pairing's DHKey Check proves the key it gave
        # a legacy pairing whose confirm values were not captured: its TK is searched on
        # the first encrypted PDU instead, (the pairing, the frame of its last random)
        self.unconfirmed: tuple[Pairing, int] | None = None

    def security(self) -> LinkSecurity:
        """The link's security so far, as a record."""
        return LinkSecurity(
            self.paired,
            self.started or self.plaintext + self.sniffer_plaintext + self.ciphertext > 0,
            self.decrypted,
            self.plaintext,
            self.sniffer_plaintext,
            self.ciphertext,
            self.failures,
            self.damaged,
            self.why if self.ciphertext else None,
            tuple(self.found),
        )

    @property
    def expecting(self) -> bool:
        """Whether a PDU may be ciphertext now."""
        return (self.session is not None and self.session.skd_p is not None) or any(
            self.on.values()
        )


class Encryption:
    """Every link's encryption, fed the data PDUs of an air capture in order."""

    def __init__(self, keys: Keys | None = None) -> None:
        self.keys = keys if keys is not None else Keys()
        self.links: dict[int, LinkEncryption] = {}

    def connect(
        self, access_address: int, central: Address, peripheral: Address, crc_init: int
    ) -> None:
        """A CONNECT_IND: a new link, in the clear."""
        self.links[access_address] = LinkEncryption(central, peripheral, crc_init)

    def crc_init(self, access_address: int) -> int | None:
        """A link's CRCInit, when its CONNECT_IND is in the capture."""
        state = self.links.get(access_address)
        return state.crc_init if state is not None else None

    def security(self, access_address: int | None) -> LinkSecurity | None:
        """What the capture shows of a link's security, when it shows anything."""
        state = self.links.get(access_address) if access_address is not None else None
        if state is None or not (state.paired or state.pairing or state.started or state.plaintext
                                 or state.sniffer_plaintext or state.ciphertext
                                 or state.found):  # fmt: skip
            return None
        return state.security()

    def forget(self, access_address: int) -> None:
        self.links.pop(access_address, None)

    def link(self, access_address: int) -> LinkEncryption:
        found = self.links.get(access_address)
        if found is None:
            found = self.links[access_address] = LinkEncryption()
        return found

    def concerns(self, ll: LlPacket, sniffer_says: bool | None) -> bool:
        """Whether a non-empty data PDU needs `data_pdu` (a cheap test made first for
        every one): the sniffer says something of its encryption, it is a PDU of the
        encryption procedures, or its link may be encrypted now."""
        if sniffer_says is not None or type(ll.pdu) in _PROCEDURE_PDUS:
            return True
        state = self.links.get(ll.access_address)
        return state is not None and state.expecting

    def data_pdu(
        self,
        ll: LlPacket,
        body: bytes,
        direction: Direction,
        guessed: bool,
        sniffer_says: bool | None = None,
    ) -> tuple[LlPacket, Direction]:
        """A data PDU (header, payload as captured): its plaintext record when it was
        encrypted and a key verifies, an `LlEncrypted` when it was and none does, else
        the packet as decoded; and who sent it, which a verified MIC may correct when
        the direction was `guessed`. `sniffer_says`: the sniffer's word on this packet,
        True ciphertext, False plaintext the sniffer decrypted, None when it does not
        say."""
        header = ll.header
        assert isinstance(header, DataHeader)
        state = self.links.get(ll.access_address)
        if sniffer_says is False:
            state = state or self.link(ll.access_address)
            if header.length and state.session is not None and state.session.skd_p:
                _advance_unseen(state, direction, header.sn)  # the sniffer decrypted it
                state.sniffer_plaintext += 1
            self._observe(state, ll, direction)
            return ll, direction
        if sniffer_says and state is None:
            state = self.link(ll.access_address)
            state.why = NO_START
        if state is None or not header.length or not (state.expecting or sniffer_says):
            if state is not None or isinstance(ll.pdu, llc.EncReq):
                self._observe(self.link(ll.access_address), ll, direction)
            return ll, direction
        found = self._decrypt(state, header, body, direction, guessed)
        if found is not None:
            plain, sender = found
            state.plaintext += 1
            record = _plain_packet(ll, header, plain)
            self._observe(state, record, sender)
            return record, sender
        if sniffer_says is None and len(body) <= MIC_LENGTH:
            self._observe(state, ll, direction)  # too short for ciphertext and a MIC
            return ll, direction
        if sniffer_says is None and not state.on[direction] and _clear_control(header, body):
            self._observe(state, ll, direction)  # a PDU the procedure sends in the clear
            return ll, direction
        if (
            sniffer_says is None
            and state.decrypted is None
            and (state.clear or _looks_clear(header, body))
        ):
            # no key verifies, yet an L2CAP PDU's own lengths agree: plaintext, as in a
            # capture another tool decrypted (with the MIC's 4 octets removed, or kept
            # and counted in the length); the rest of the link is taken as such
            state.clear = True
            return ll, direction
        if state.session is None or state.session.skd_p is None:
            state.why = state.why or NO_START
        state.on[direction] = True
        why = state.why or (MIC_FAILED if state.decrypted else _no_key(state))
        crc_bad = state.crc_init is not None and ll.crc != crc24(
            state.crc_init, header.to_bytes() + body
        )
        if crc_bad:
            why = DAMAGED  # the CRC says so: the key and counter are not in question
            state.damaged += 1
        if state.decrypted is not None:
            state.failures += 1
        state.ciphertext += 1
        return _encrypted_packet(ll, header, body, why), direction

    # -- pairing ------------------------------------------------------------------------

    def smp(self, access_address: int, pdu: object, direction: Direction, frame: int) -> None:
        """An SMP PDU on an air link: the pairing, and the keys it distributes."""
        state = self.link(access_address)
        if isinstance(pdu, smp.PairingRequest):
            state.pairing, state.paired = Pairing(pdu), None
            return
        pairing = state.pairing
        if pairing is not None:
            pairing.frame = frame
        if isinstance(pdu, smp.PairingResponse) and pairing is not None:
            pairing.response, pairing.pres = pdu, pdu.to_bytes()
        elif isinstance(pdu, smp.PairingConfirm) and pairing is not None:
            pairing.confirms.append(pdu.confirm_value)
        elif isinstance(pdu, smp.PairingPublicKey) and pairing is not None:
            pairing.public_keys.append(pdu)
        elif isinstance(pdu, smp.PairingRandom) and pairing is not None:
            pairing.randoms.append(pdu.random_value)
            if pairing.ready:
                self._paired(state, pairing, frame)
        elif isinstance(pdu, smp.PairingDhkeyCheck) and pairing is not None:
            pairing.checks.append(pdu.dhkey_check)
            if pairing.secure_connections:  # the nonces are all in: the LTK
                self._sc_paired(state, pairing, frame)
        elif isinstance(pdu, smp.PairingFailed) and pairing is not None:
            if pairing.response is not None:
                state.paired = pairing.result(None, None, f"pairing failed: {pdu.summary()}")
            state.pairing = None
        elif isinstance(pdu, smp.EncryptionInformation):
            state.pending_ltk[direction] = pdu.ltk
            sender = "central" if direction == C2P else "peripheral"
            source = f"LTK distributed by the {sender}"
            self.keys.add(Ltk(pdu.ltk, source, learnt=True, frame=frame))
            state.found.append(FoundKey(pdu.ltk[::-1], source, frame))
        elif isinstance(pdu, smp.IdentityInformation):
            state.pending_irk[direction] = (pdu.irk, frame)
        elif isinstance(pdu, smp.IdentityAddressInformation):
            irk = state.pending_irk.pop(direction, None)
            if irk is not None:  # the device's IRK and the identity it resolves to
                identity = pdu.address
                sender = "central" if direction == C2P else "peripheral"
                what = f"IRK distributed by the {sender} (identity {identity})"
                self.keys.add_irk(Irk(irk[0], what, identity, learnt=True, frame=irk[1]))
                state.found.append(FoundKey(irk[0][::-1], what, irk[1]))
        elif isinstance(pdu, smp.CentralIdentification):
            ltk = state.pending_ltk.pop(direction, None)
            if ltk is not None:  # the key a later LL_ENC_REQ names by this EDIV and Rand
                sender = "central" if direction == C2P else "peripheral"
                source = f"LTK distributed by the {sender}"
                self.keys.add(Ltk(ltk, source, None, pdu.ediv, pdu.rand, True, frame))

    def _paired(self, state: LinkEncryption, pairing: Pairing, frame: int) -> None:
        """Both random values are in: for legacy pairing, the TK and the STK."""
        if pairing.secure_connections:  # more rounds may follow; the LTK comes after them
            state.paired = pairing.result(None, None, None, None, debug_key_users(pairing))
            return
        state.pairing = None
        initiator, responder = state.initiator, state.responder
        if initiator is None or responder is None:
            why = "the CONNECT_IND (the two addresses) is not in the capture"
            state.paired = pairing.result(None, None, why)
            return
        given, search = self._tks(state, pairing)
        if not pairing.confirms:
            state.unconfirmed = (pairing, frame)
            why = "confirm values not captured: the TK is searched with the first encrypted PDU"
            state.paired = pairing.result(None, None, why)
            return
        tk = find_tk(pairing, address_bytes(initiator.addr), initiator.random,
                     address_bytes(responder.addr), responder.random, given,
                     search)  # fmt: skip
        if tk is None:
            why = (
                "no TK from 0 to 999999 gives the central's confirm value"
                if search
                else "Out of Band: no OOB key given (--oob) gives the central's confirm value"
            )
            state.paired = pairing.result(None, None, why)
            return
        self._cracked(state, pairing, tk, stk_for(tk, pairing), frame, "")

    def _given_tks(self, state: LinkEncryption) -> dict[int, PairingSecret]:
        """The TKs the user's passkeys and OOB keys (in both byte orders) stand for on this
        link, each with the secret it came from."""
        given: dict[int, PairingSecret] = {}
        for secret in self.keys.secrets_for(PASSKEY, state.addresses):
            given.setdefault(secret.value, secret)
        for secret in self.keys.secrets_for(OOB_KEY, state.addresses):
            given.setdefault(secret.value, secret)
            given.setdefault(int.from_bytes(secret.value.to_bytes(16, "big"), "little"), secret)
        return given

    def _tks(self, state: LinkEncryption, pairing: Pairing) -> tuple[tuple[int, ...], bool]:
        """The TKs to try first, and whether to search every passkey after them (not for
        OOB, whose TK is 128 random bits)."""
        return tuple(self._given_tks(state)), pairing.method() != OOB

    def _sc_paired(self, state: LinkEncryption, pairing: Pairing, frame: int) -> None:
        """A Secure Connections pairing's nonces are all in: its LTK, when one side's
        private key is known (the debug key, or one the user gave)."""
        state.pairing = None
        debug = debug_key_users(pairing)
        private_keys = [(DEBUG_PRIVATE_KEY, "the debug key")] if debug else []
        private_keys += [(k.value, k.source) for k in
                         self.keys.secrets_for(PRIVATE_KEY, state.addresses)]  # fmt: skip
        initiator, responder = state.initiator, state.responder
        why = None
        if not private_keys:
            state.paired = pairing.result(None, None, None, None, debug)
            return
        if initiator is None or responder is None:
            why = "the CONNECT_IND (the two addresses) is not in the capture"
        elif not pairing.sc_ready:
            why = "the public keys or the random values are not all in the capture"
        else:
            a = address_bytes(initiator.addr) + bytes([initiator.random])
            b = address_bytes(responder.addr) + bytes([responder.random])
            passkeys = tuple(k.value for k in self.keys.secrets_for(PASSKEY, state.addresses))
            found = sc_ltk(pairing, private_keys, a, b, passkeys)
            if found is None:
                why = "no private key given is either side's (their public keys differ)"
            else:
                checked = {True: ", the central's DHKey Check agrees",
                           False: ", but the central's DHKey Check does not agree",
                           None: ""}[found.checked]  # fmt: skip
                source = (f"LTK of the LE Secure Connections pairing, from the "
                          f"{found.private_key_of}'s private key ({found.source}{checked})")  # fmt: skip
                address = responder.addr.upper()
                self.keys.add(Ltk(found.ltk, source, address, 0, bytes(8), True, frame))
                state.found.append(FoundKey(found.ltk[::-1], source, frame))
                state.proven = found.checked is True
                state.paired = pairing.result(None, None, None, found.ltk[::-1], debug)
                return
        state.paired = pairing.result(None, None, why, None, debug)

    def _cracked(
        self, state: LinkEncryption, pairing: Pairing, tk: int, stk: bytes, frame: int, how: str
    ) -> Ltk:
        """A legacy pairing's TK found: its STK becomes a key for the link."""
        state.paired = pairing.result(tk if tk <= MAX_PASSKEY else None, stk[::-1], None)
        method = state.paired.method
        if tk > MAX_PASSKEY:
            what = f"OOB key {tk.to_bytes(16, 'big').hex()}"
        else:
            what = "TK 0" if method == JUST_WORKS and tk == 0 else f"passkey {tk:06d}"
        given = self._given_tks(state).get(tk)
        verb = f"found with {given.source}" if given is not None else f"cracked{how}"
        source = f"STK of the legacy pairing {verb} ({method}, {what})"
        responder = state.responder
        address = responder.addr.upper() if responder is not None else None
        key = Ltk(stk, source, address, 0, bytes(8), True, frame)
        self.keys.add(key)
        state.found.append(FoundKey(stk[::-1], source, frame))
        return key

    # -- the procedure ------------------------------------------------------------------

    def _observe(self, state: LinkEncryption, ll: LlPacket, direction: Direction) -> None:
        pdu = ll.pdu
        if isinstance(pdu, llc.EncReq):
            state.session = _Session(pdu)
            state.why = None
        elif isinstance(pdu, llc.EncRsp) and state.session is not None:
            state.session.skd_p, state.session.iv_p = pdu.skd_p, pdu.iv_p
            self._start(state)
        elif isinstance(pdu, llc.StartEncReq):
            state.started = True
        elif isinstance(pdu, llc.RejectInd | llc.RejectExtInd) and not any(state.on.values()):
            state.session = None  # the peripheral refused: the link stays in the clear
        elif isinstance(pdu, llc.PauseEncReq) and ll.decrypted:
            state.on[direction] = False  # the central's next PDUs are in the clear
        elif isinstance(pdu, llc.PauseEncRsp) and ll.decrypted:
            state.on = {C2P: False, P2C: False}
            state.session = None  # a new LL_ENC_REQ follows, with a new session

    def _start(self, state: LinkEncryption) -> None:
        """LL_ENC_RSP: a new session; counters start again at 0 in both directions."""
        if state.pairing is not None and state.pairing.secure_connections:
            self._sc_paired(state, state.pairing, state.pairing.frame)  # DHKey checks missed
        state.next = {C2P: 0, P2C: 0}
        state.last = {}
        state.why = None
        session = state.session
        assert session is not None
        if not self.keys.for_link(session.ediv, session.rand, state.addresses):
            state.why = _no_key(state)

    # -- decrypting ---------------------------------------------------------------------

    def _decrypt(
        self,
        state: LinkEncryption,
        header: DataHeader,
        body: bytes,
        direction: Direction,
        guessed: bool,
    ) -> tuple[bytes, Direction] | None:
        session = state.session
        if session is None or session.skd_p is None or len(body) <= MIC_LENGTH:
            return None
        first = _header_octet(header)
        sides = (direction, OTHER[direction]) if guessed else (direction,)
        if session.cipher is None and not self._find_key(state, session, first, body, sides):
            return None
        cipher = session.cipher
        assert cipher is not None
        for side in sides:
            for counter in _counters(state, side, header.sn):
                plain = cipher.decrypt(first, body, counter, side == C2P)
                if plain is not None:
                    _advance(state, side, header.sn, counter)
                    return plain, side
        return None

    def _find_key(
        self,
        state: LinkEncryption,
        session: _Session,
        first: int,
        body: bytes,
        sides: tuple[Direction, ...],
    ) -> bool:
        """Try every key that fits the LL_ENC_REQ on the session's first PDUs (a few:
        one may be damaged; past KEY_TRIES the keys are not this link's)."""
        assert session.skd_p is not None and session.iv_p is not None
        if session.attempts >= KEY_TRIES:
            return False
        session.attempts += 1
        iv = session.iv_c + session.iv_p
        for key in self.keys.for_link(session.ediv, session.rand, state.addresses):
            for value, order in key.orders():
                cipher = LinkCipher(session_key(value, session.skd_c, session.skd_p), iv)
                for side in sides:
                    for counter in range(state.next[side], state.next[side] + START_TRIES):
                        if cipher.decrypt(first, body, counter, side == C2P) is not None:
                            session.cipher = cipher
                            state.decrypted = _found(key, value, order)
                            state.why = None
                            return True
        cracked = self._crack_by_mic(state, session, first, body, sides)
        if cracked is not None:  # its MIC verified: the key, in air order, is the STK
            session.cipher = LinkCipher(session_key(cracked.value, session.skd_c,
                                                    session.skd_p), iv)  # fmt: skip
            state.decrypted = _found(cracked, cracked.value, "as found")
            state.why = None
            return True
        if state.why is None:
            state.why = (
                COUNTER_LOST if state.proven else WRONG_KEY if self.keys.ltks else _no_key(state)
            )
        return False

    def _crack_by_mic(
        self,
        state: LinkEncryption,
        session: _Session,
        first: int,
        body: bytes,
        sides: tuple[Direction, ...],
    ) -> Ltk | None:
        """A legacy pairing without its confirm values, and now its first encryption
        (with the STK: EDIV and Rand zero): the STK, of the TK whose STK verifies this
        PDU's MIC."""
        if state.unconfirmed is None or session.ediv or any(session.rand):
            return None
        pairing, frame = state.unconfirmed
        state.unconfirmed = None  # searched once, found or not
        assert session.skd_p is not None and session.iv_p is not None
        given, search = self._tks(state, pairing)
        found = tk_from_mic(
            pairing.randoms[0], pairing.randoms[1], session.skd_c,
            session.skd_p, session.iv_c + session.iv_p, first, body,
            tuple(side == C2P for side in sides), given, search,
        )  # fmt: skip
        if found is None:
            return None
        return self._cracked(state, pairing, found[0], found[1], frame, " from the MIC")


def _no_key(state: LinkEncryption) -> str:
    paired = state.paired
    return NO_KEY_SC if paired is not None and paired.secure_connections else NO_KEY


def _found(key: Ltk, value: bytes, order: str) -> Decrypted:
    return Decrypted(value[::-1], key.source, order, key.frame)


def _counters(state: LinkEncryption, side: Direction, sn: int) -> list[int]:
    """The packet counters a PDU may have, most likely first: its last PDU's again when
    it repeats that PDU's SN (a retransmission), else the next ones."""
    start = state.next[side]
    ahead = list(range(start, start + COUNTER_WINDOW))
    last = state.last.get(side)
    if last is not None and last[0] == sn:
        return [last[1], *ahead]
    return ahead if last is None else [*ahead, last[1]]


def _advance(state: LinkEncryption, side: Direction, sn: int, counter: int) -> None:
    state.on[side] = True
    state.last[side] = (sn, counter)
    state.next[side] = max(state.next[side], counter + 1)


def _advance_unseen(state: LinkEncryption, side: Direction, sn: int) -> None:
    """A PDU the sniffer decrypted itself: its counter is used, though not seen here."""
    last = state.last.get(side)
    if last is not None and last[0] == sn:
        return  # a retransmission: the same counter
    _advance(state, side, sn, state.next[side])


def _header_octet(header: DataHeader) -> int:
    return header.to_bytes()[0]


def _clear_control(header: DataHeader, body: bytes) -> bool:
    """A control PDU the encryption procedures send unencrypted."""
    return header.llid == 3 and len(body) <= 3 and bool(body) and body[0] in _CLEAR_OPCODES


def _looks_clear(header: DataHeader, body: bytes) -> bool:
    """Whether a PDU reads as plaintext by its own lengths: an L2CAP start on a fixed LE
    channel whose basic header gives the PDU's length (with or without a MIC after it).
    Ciphertext agrees by chance about once in 2^29."""
    if header.llid != 2 or len(body) < 4:
        return False
    length = int.from_bytes(body[:2], "little")
    cid = int.from_bytes(body[2:4], "little")
    return cid in (0x0004, 0x0005, 0x0006) and length + 4 in (len(body), len(body) - 4)


def _plain_packet(ll: LlPacket, header: DataHeader, plain: bytes) -> LlPacket:
    shorter = msgspec.structs.replace(header, length=len(plain))
    pdu = data_payload(header.llid, plain)
    return msgspec.structs.replace(ll, header=shorter, pdu=pdu, decrypted=True)


def _encrypted_packet(ll: LlPacket, header: DataHeader, body: bytes, why: str) -> LlPacket:
    return msgspec.structs.replace(ll, pdu=LlEncrypted(header.llid, body, None, why))
