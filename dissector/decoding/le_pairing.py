"""LE pairing as seen on one link, and breaking LE legacy pairing from the captured
exchange (Core 5.4 Vol 3 Part H 2.3.5, 2.3.5.5, 2.2.3-2.2.4).

Legacy pairing protects its short-term key with a temporary key (TK) of 0 for Just
Works and at most 999,999 for Passkey Entry: the confirm value c1(TK, Mrand, ...) the
central sent proves which TK it was, and STK = s1(TK, Srand, Mrand) encrypts the link
until the keys are distributed. LE Secure Connections derives its key from an ECDH
exchange instead, which the capture does not break.

SMP PDUs are taken in protocol order, not by the direction the capture records (a
sniffer may not record it): the first Pairing Confirm and Pairing Random after the
Pairing Response are the central's, the second the peripheral's (2.3.5.5).
"""

from __future__ import annotations

from functools import lru_cache

import msgspec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from attscope.dissector.decoding import smp_pdus as smp
from attscope.dissector.decoding.le_crypto import LinkCipher, s1, session_key

MAX_PASSKEY = 999_999
# IO capabilities (3.5.1, Table 3.4)
DISPLAY_ONLY, DISPLAY_YES_NO, NO_INPUT_NO_OUTPUT, KEYBOARD_DISPLAY = 0x00, 0x01, 0x03, 0x04

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


class Pairing:
    """One pairing's PDUs on a link, in order."""

    __slots__ = ("confirms", "preq", "pres", "randoms", "request", "response")

    def __init__(self, request: smp.PairingRequest) -> None:
        self.request = request
        self.preq = request.to_bytes()
        self.response: smp.PairingResponse | None = None
        self.pres = b""
        self.confirms: list[bytes] = []
        self.randoms: list[bytes] = []

    @property
    def secure_connections(self) -> bool:
        return bool(self.response and self.request.auth_req.sc and self.response.auth_req.sc)

    @property
    def ready(self) -> bool:
        """The legacy exchange is complete enough to look for the TK."""
        return self.response is not None and len(self.randoms) == 2

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

    def result(self, tk: int | None, stk: bytes | None, failed: str | None) -> PairingResult:
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
        )


# The TKs to try, whatever the method: Just Works' 0 comes first, then every passkey (a
# device may show a passkey where its features say Just Works, or the reverse)
TK_CANDIDATES = range(MAX_PASSKEY + 1)


def find_tk(pairing: Pairing, ia: bytes, iat: int, ra: bytes, rat: int) -> int | None:
    """The TK whose c1 confirm value equals the central's, or None. Addresses as on the
    air; `iat`/`rat` 1 for a random address."""
    if not pairing.ready or not pairing.confirms:
        return None
    confirm, rand = pairing.confirms[0], pairing.randoms[0]  # the central's
    # c1 = e(TK, e(TK, r XOR p1) XOR p2), computed most significant octet first
    p1 = bytes([iat, rat]) + pairing.preq + pairing.pres
    p2 = ra + ia + bytes(4)
    first = (int.from_bytes(rand, "little") ^ int.from_bytes(p1, "little")).to_bytes(16, "big")
    return _search(first, int.from_bytes(p2, "little"), confirm[::-1])


@lru_cache(maxsize=16)  # a view decoding the capture again asks again
def _search(first: bytes, p2_value: int, wanted: bytes) -> int | None:
    for tk in TK_CANDIDATES:
        encryptor = Cipher(algorithms.AES(tk.to_bytes(16, "big")), modes.ECB()).encryptor()
        inner = int.from_bytes(encryptor.update(first), "big")
        if encryptor.update((inner ^ p2_value).to_bytes(16, "big")) == wanted:
            return tk
    return None


def stk_for(tk: int, pairing: Pairing) -> bytes:
    """STK = s1(TK, Srand, Mrand), as on the air (least significant octet first)."""
    return s1(tk.to_bytes(16, "little"), pairing.randoms[1], pairing.randoms[0])


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
) -> tuple[int, bytes] | None:
    """When the confirm values were not captured: the TK (and its STK, as on the air)
    whose STK decrypts the link's first encrypted PDU (`header` octet, `body` ciphertext
    and MIC, packet counter 0, sent by the central or not as `central_sent` allows)."""
    for tk in TK_CANDIDATES:
        stk = s1(tk.to_bytes(16, "little"), srand, mrand)
        cipher = LinkCipher(session_key(stk, skd_c, skd_p), iv)
        for central in central_sent:
            if cipher.decrypt(header, body, 0, central) is not None:
                return tk, stk
    return None
