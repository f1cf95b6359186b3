"""LE pairing as seen on one link, and breaking LE legacy pairing from the captured
exchange (Core 5.4 Vol 3 Part H 2.3.5, 2.3.5.5, 2.2.3-2.2.4).

Legacy pairing protects its short-term key with a temporary key (TK) of 0 for Just
Works and at most 999,999 for Passkey Entry: the confirm value c1(TK, Mrand, ...) the
central sent proves which TK it was, and STK = s1(TK, Srand, Mrand) encrypts the link
until the keys are distributed. LE Secure Connections derives its LTK from an ECDH
exchange instead (2.3.5.6): the capture breaks it only when one side's private key is
known, given by the user or because the side used the spec's debug key pair, and then
LTK = f5(DHKey, Na, Nb, A, B).

SMP PDUs are taken in protocol order, not by the direction the capture records (a
sniffer may not record it): the first Pairing Confirm and Pairing Random after the
Pairing Response are the central's, the second the peripheral's (2.3.5.5).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from itertools import chain

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

from attscope.dissector.decoding import smp_pdus as smp
from attscope.dissector.decoding.le_crypto import (
    AAD_MASK,
    DEBUG_PRIVATE_KEY,
    MIC_LENGTH,
    dhkey,
    f5,
    f6,
    nonce,
    public_x,
    s1,
)

MAX_PASSKEY = 999_999
# IO capabilities (3.5.1, Table 3.4)
DISPLAY_ONLY, DISPLAY_YES_NO, NO_INPUT_NO_OUTPUT, KEYBOARD_DISPLAY = 0x00, 0x01, 0x03, 0x04

LLID_CONTROL = 0x03
_START_ENC_RSP = b"\x06"  # LL_START_ENC_RSP's opcode: its whole payload

JUST_WORKS = "Just Works"
PASSKEY = "Passkey Entry"
OOB = "Out of Band"
NUMERIC_COMPARISON = "Numeric Comparison"


class PairingResult(msgspec.Struct, frozen=True, gc=False):
    """What a pairing on a link was and what attscope found of its keys."""

    secure_connections: bool
    method: str  # JUST_WORKS, PASSKEY ...
    initiator_io: str
    responder_io: str
    bonding: bool
    key_size: int
    tk: int | None = None  # legacy: the temporary key found (passkey or 0)
    stk: bytes | None = None  # legacy: most significant octet first
    failed: str | None = None  # SMP Pairing Failed's reason, or why nothing was found
    ltk: bytes | None = None  # Secure Connections: the LTK derived, most significant first
    debug_key: str | None = None  # Secure Connections: "central", "peripheral" or "both"


class Pairing:
    """One pairing's PDUs on a link, in order."""

    __slots__ = ("checks", "confirms", "frame", "preq", "pres", "public_keys", "randoms",
                 "request", "response")  # fmt: skip

    def __init__(self, request: smp.PairingRequest) -> None:
        self.request = request
        self.preq = request.to_bytes()
        self.response: smp.PairingResponse | None = None
        self.pres = b""
        self.confirms: list[bytes] = []
        self.randoms: list[bytes] = []
        self.public_keys: list[smp.PairingPublicKey] = []  # initiator's first (2.3.5.6.1)
        self.checks: list[bytes] = []  # DHKey Check values, Ea then Eb (2.3.5.6.5)
        self.frame = 0  # the frame of its last PDU so far

    @property
    def secure_connections(self) -> bool:
        return bool(self.response and self.request.auth_req.sc and self.response.auth_req.sc)

    @property
    def ready(self) -> bool:
        """The legacy exchange is complete enough to look for the TK."""
        return self.response is not None and len(self.randoms) == 2

    @property
    def sc_ready(self) -> bool:
        """The Secure Connections exchange holds both public keys and the last nonces."""
        return self.response is not None and len(self.public_keys) >= 2 and len(self.randoms) >= 2

    def method(self) -> str:
        """The pairing method the two sides' features select (2.3.5.1, Tables 2.6-2.8)."""
        request, response = self.request, self.response
        assert response is not None
        if self.secure_connections:
            if request.oob_data_flag or response.oob_data_flag:
                return OOB
        elif request.oob_data_flag and response.oob_data_flag:
            return OOB
        if not (request.auth_req.mitm or response.auth_req.mitm):
            return JUST_WORKS
        io = {request.io_capability, response.io_capability}
        if NO_INPUT_NO_OUTPUT in io:
            return JUST_WORKS
        if self.secure_connections and io <= {DISPLAY_YES_NO, KEYBOARD_DISPLAY}:
            return NUMERIC_COMPARISON
        if io <= {DISPLAY_ONLY, DISPLAY_YES_NO}:
            return JUST_WORKS
        return PASSKEY

    def result(
        self,
        tk: int | None,
        stk: bytes | None,
        failed: str | None,
        ltk: bytes | None = None,
        debug_key: str | None = None,
    ) -> PairingResult:
        response = self.response
        assert response is not None
        return PairingResult(
            self.secure_connections,
            self.method(),
            self.request.io_capability_name,
            response.io_capability_name,
            bool(self.request.auth_req.bonding_flags and response.auth_req.bonding_flags),
            min(self.request.max_encryption_key_size, response.max_encryption_key_size),
            tk,
            stk,
            failed,
            ltk,
            debug_key,
        )


# The TKs to try, whatever the method: Just Works' 0 comes first, then every passkey (a
# device may show a passkey where its features say Just Works, or the reverse)
TK_CANDIDATES = range(MAX_PASSKEY + 1)


def tk_candidates(given: tuple[int, ...], search: bool) -> Iterable[int]:
    """The TKs to try: the ones given first (the user's passkeys and OOB keys), then,
    when `search`, every passkey."""
    return chain(given, TK_CANDIDATES) if search else given


def find_tk(
    pairing: Pairing,
    ia: bytes,
    iat: int,
    ra: bytes,
    rat: int,
    given: tuple[int, ...] = (),
    search: bool = True,
) -> int | None:
    """The TK whose c1 confirm value equals the central's, or None. Addresses as on the
    air; `iat`/`rat` 1 for a random address; TKs as numbers (most significant octet
    first), `given` ones tried before the search."""
    if not pairing.ready or not pairing.confirms:
        return None
    confirm, rand = pairing.confirms[0], pairing.randoms[0]  # the central's
    # c1 = e(TK, e(TK, r XOR p1) XOR p2), computed most significant octet first
    p1 = bytes([iat, rat]) + pairing.preq + pairing.pres
    p2 = ra + ia + bytes(4)
    first = (int.from_bytes(rand, "little") ^ int.from_bytes(p1, "little")).to_bytes(16, "big")
    return _search(first, int.from_bytes(p2, "little"), confirm[::-1], given, search)


@lru_cache(maxsize=16)  # a view decoding the capture again asks again
def _search(
    first: bytes, p2_value: int, wanted: bytes, given: tuple[int, ...], search: bool
) -> int | None:
    for tk in tk_candidates(given, search):
        encryptor = Cipher(algorithms.AES(tk.to_bytes(16, "big")), modes.ECB()).encryptor()
        inner = int.from_bytes(encryptor.update(first), "big")
        if encryptor.update((inner ^ p2_value).to_bytes(16, "big")) == wanted:
            return tk
    return None


def stk_for(tk: int, pairing: Pairing) -> bytes:
    """STK = s1(TK, Srand, Mrand), as on the air (least significant octet first)."""
    return s1(tk.to_bytes(16, "little"), pairing.randoms[1], pairing.randoms[0])


class ScKey(msgspec.Struct, frozen=True, gc=False):
    """A Secure Connections pairing's LTK, and the private key that gave it."""

    ltk: bytes  # as on the air
    private_key_of: str  # "central" or "peripheral"
    source: str  # where the private key came from: "the debug key", "--sc-private-key"
    checked: bool | None  # the central's DHKey Check agrees (None: not captured, or its
    # r value is not known: a passkey not given, OOB)


def debug_key_users(pairing: Pairing) -> str | None:
    """Which side sent the debug public key (2.3.5.6.1): "central", "peripheral",
    "both" or None."""
    debug_x = _public_x(DEBUG_PRIVATE_KEY)
    users = [side for side, key in zip(("central", "peripheral"), pairing.public_keys[:2],
                                       strict=False) if key.x == debug_x]  # fmt: skip
    return "both" if len(users) == 2 else users[0] if users else None


def sc_ltk(
    pairing: Pairing,
    private_keys: Iterable[tuple[int, str]],
    a: bytes,
    b: bytes,
    passkeys: tuple[int, ...] = (),
) -> ScKey | None:
    """The LTK of a Secure Connections pairing, from the first private key (with where it
    came from) that is one side's; `a`/`b` the initiator's and the responder's addresses
    as f5 takes them (as on the air, then the type); `passkeys` the ones given, to check
    a Passkey Entry pairing's DHKey Check with."""
    if not pairing.sc_ready:
        return None
    keys = pairing.public_keys[:2]  # the initiator's, then the responder's
    na, nb = pairing.randoms[-2], pairing.randoms[-1]  # the last round's (2.3.5.6.3)
    for private_key, source in private_keys:
        own = _public_x(private_key)
        for index, side in enumerate(("central", "peripheral")):
            if keys[index].x != own:
                continue
            peer = keys[1 - index]
            shared = dhkey(private_key, peer.x, peer.y)
            if shared is not None:
                mac_key, ltk = f5(shared, na, nb, a, b)
                checked = _check(pairing, mac_key, na, nb, a, b, passkeys)
                return ScKey(ltk, side, source, checked)
    return None


def _check(
    pairing: Pairing,
    mac_key: bytes,
    na: bytes,
    nb: bytes,
    a: bytes,
    b: bytes,
    passkeys: tuple[int, ...],
) -> bool | None:
    """Whether the central's DHKey Check Ea = f6(MacKey, Na, Nb, rb, IOcapA, A, B) agrees
    (2.3.5.6.5): rb is 0 for Just Works and Numeric Comparison, the passkey for Passkey
    Entry; None when Ea or rb is not known."""
    method = pairing.method()
    if not pairing.checks or method == OOB:
        return None
    zero = [bytes(16)]
    values = [p.to_bytes(16, "little") for p in passkeys] if method == PASSKEY else zero
    if not values:
        return None
    request = pairing.request
    io_cap = bytes([request.io_capability, request.oob_data_flag, request.auth_req.value])
    return any(f6(mac_key, na, nb, r, io_cap, a, b) == pairing.checks[0] for r in values)


@lru_cache(maxsize=64)
def _public_x(private_key: int) -> bytes:
    return public_x(private_key)


@lru_cache(maxsize=16)  # a view decoding the capture again asks again
def tk_from_mic(
    mrand: bytes,
    srand: bytes,
    skd_c: bytes,
    skd_p: bytes,
    iv: bytes,
    header: int,
    body: bytes,
    central_sent: tuple[bool, ...],
    given: tuple[int, ...] = (),
    search: bool = True,
) -> tuple[int, bytes] | None:
    """When the confirm values were not captured: the TK (and its STK, as on the air)
    whose STK decrypts the link's first encrypted PDU (`header` octet, `body` ciphertext
    and MIC, packet counter 0, sent by the central or not as `central_sent` allows).

    Each candidate costs two AES key schedules (s1, then the session key) and a CCM
    check. The first PDU each side encrypts is its LL_START_ENC_RSP (Vol 6 Part B
    5.1.3.1), whose plaintext is known: when the PDU has its size, each candidate
    encrypts that plaintext and compares, which is cheaper than a failed decryption."""
    block = (mrand[:8] + srand[:8])[::-1]  # s1's, most significant octet first
    skd = (skd_c + skd_p)[::-1]  # SKD = SKDp || SKDc, likewise
    aad = bytes([header & AAD_MASK])
    nonces = [nonce(0, central, iv) for central in central_sent]
    known = header & 0x03 == LLID_CONTROL and len(body) == len(_START_ENC_RSP) + MIC_LENGTH
    aes, ecb = algorithms.AES, modes.ECB()
    for tk in tk_candidates(given, search):
        stk = Cipher(aes(tk.to_bytes(16, "big")), ecb).encryptor().update(block)
        ccm = AESCCM(Cipher(aes(stk), ecb).encryptor().update(skd), MIC_LENGTH)
        for once in nonces:
            if known:
                if ccm.encrypt(once, _START_ENC_RSP, aad) == body:
                    return tk, stk[::-1]
                continue
            try:
                ccm.decrypt(once, body, aad)
            except InvalidTag:
                continue
            return tk, stk[::-1]
    return None
