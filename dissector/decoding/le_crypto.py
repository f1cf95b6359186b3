"""The LE security functions a capture's keys go through: the AES-128 block function `e`,
the link layer's session key and AES-CCM (Core 5.4 Vol 6 Part B 5.1.3, Part E), and LE
legacy pairing's c1 and s1 (Vol 3 Part H 2.2.3-2.2.4), and LE Secure Connections' P-256
Diffie-Hellman key and f5 (2.2.7, 2.3.5.6). AES, AES-CMAC and the elliptic curve are the
`cryptography` package's.

Byte order: every value here is as it travels on the air, least significant octet first
(an LTK as HCI carries it, SKDm as LL_ENC_REQ carries it); the spec writes them most
significant octet first, and `e` takes its key and block that way, so each function turns
its inputs around once.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM

MIC_LENGTH = 4  # Vol 6 Part E 1
COUNTER_MASK = (1 << 39) - 1  # the packet counter is 39 bits (Part E 2.1)
AAD_MASK = 0xE3  # the header's first octet with NESN, SN and MD set to zero (Part E 2.2)


def e(key: bytes, block: bytes) -> bytes:
    """The security function e (Vol 3 Part H 2.2.1): AES-128 of one block, both given
    and returned most significant octet first."""
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def e_le(key: bytes, block: bytes) -> bytes:
    """`e` with key, block and result least significant octet first."""
    return e(key[::-1], block[::-1])[::-1]


def ah(irk: bytes, prand: bytes) -> bytes:
    """The random address hash (Vol 3 Part H 2.2.2): the low 24 bits of e(IRK, prand
    padded with zeros), everything least significant octet first."""
    return e_le(irk, prand + bytes(13))[:3]


def session_key(ltk: bytes, skd_central: bytes, skd_peripheral: bytes) -> bytes:
    """SK = e(LTK, SKD) with SKD = SKDp || SKDc (Vol 6 Part B 5.1.3.1). Inputs as on the
    air; the result most significant octet first, as AES-CCM takes its key."""
    return e(ltk[::-1], (skd_central + skd_peripheral)[::-1])


def nonce(counter: int, central_sent: bool, iv: bytes) -> bytes:
    """The CCM nonce (Vol 6 Part E 2.1): the 39-bit packet counter with the direction bit
    (1: central to peripheral) in five octets, then IV = IVp || IVc as on the air
    (`iv` is IVc followed by IVp, 8 octets)."""
    word = counter & COUNTER_MASK | (1 << 39 if central_sent else 0)
    return word.to_bytes(5, "little") + iv


class LinkCipher:
    """AES-CCM for one encrypted link: a session key and IV, decrypting and encrypting
    data channel PDU payloads by packet counter and direction."""

    __slots__ = ("_ccm", "iv", "key")

    def __init__(self, key: bytes, iv: bytes) -> None:
        self.key = key  # the session key, most significant octet first
        self.iv = iv
        self._ccm = AESCCM(key, tag_length=MIC_LENGTH)

    def __deepcopy__(self, memo: dict[int, object]) -> LinkCipher:
        return self  # never changes: a decoder checkpoint shares it

    def decrypt(
        self, header: int, payload: bytes, counter: int, central_sent: bool
    ) -> bytes | None:
        """The plaintext of `payload` (ciphertext then MIC), or None when the MIC does
        not verify; `header` is the PDU header's first octet."""
        if len(payload) <= MIC_LENGTH:
            return None
        aad = bytes([header & AAD_MASK])
        try:
            return self._ccm.decrypt(nonce(counter, central_sent, self.iv), payload, aad)
        except InvalidTag:
            return None

    def encrypt(self, header: int, plaintext: bytes, counter: int, central_sent: bool) -> bytes:
        """Ciphertext and MIC of a payload (for tests and for writing captures back)."""
        aad = bytes([header & AAD_MASK])
        return self._ccm.encrypt(nonce(counter, central_sent, self.iv), plaintext, aad)


def c1(
    tk: bytes, rand: bytes, preq: bytes, pres: bytes, iat: int, ia: bytes, rat: int, ra: bytes
) -> bytes:
    """The legacy pairing confirm value (Vol 3 Part H 2.2.3); `preq` and `pres` are the
    Pairing Request and Response PDUs as sent (7 octets), addresses as on the air, the
    address types 0 (public) or 1 (random). Every value least significant octet first."""
    p1 = bytes([iat, rat]) + preq + pres
    p2 = ra + ia + bytes(4)
    inner = e_le(tk, _xor(rand, p1))
    return e_le(tk, _xor(inner, p2))


def s1(tk: bytes, srand: bytes, mrand: bytes) -> bytes:
    """The legacy pairing short-term key STK = s1(TK, Srand, Mrand) (Vol 3 Part H
    2.2.4): the low halves of the two random values, least significant octet first."""
    return e_le(tk, mrand[:8] + srand[:8])


def _xor(a: bytes, b: bytes) -> bytes:
    return (int.from_bytes(a, "little") ^ int.from_bytes(b, "little")).to_bytes(16, "little")


# -- LE Secure Connections ----------------------------------------------------------------

# The debug key pair a device in debug mode uses (Vol 3 Part H 2.3.5.6.1): anyone who sees
# its public key in a capture can derive the link's key
DEBUG_PRIVATE_KEY = 0x3F49F6D4_A3C55F38_74C9B3E3_D2103F50_4AFF607B_EB40B799_5899B8A6_CD3C1ABD
_F5_SALT = bytes.fromhex("6c888391aaf5a53860370bdb5a6083be")
_F5_KEY_ID = b"btle"


def public_x(private_key: int) -> bytes:
    """The X coordinate of a P-256 private key's public key, as SMP carries it (least
    significant octet first). ValueError when the number is not a private key."""
    from cryptography.hazmat.primitives.asymmetric import ec  # see dhkey

    key = ec.derive_private_key(private_key, ec.SECP256R1())
    return key.public_key().public_numbers().x.to_bytes(32, "little")


def dhkey(private_key: int, peer_x: bytes, peer_y: bytes) -> bytes | None:
    """The Diffie-Hellman key (the X coordinate of the shared point) of a private key and
    the peer's public key as SMP carries it; None when that is not a point of the curve
    (a damaged or hostile Pairing Public Key). Least significant octet first."""
    # imported here: the elliptic-curve module adds a tenth of a second to every start
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        peer = ec.EllipticCurvePublicNumbers(
            int.from_bytes(peer_x, "little"), int.from_bytes(peer_y, "little"), ec.SECP256R1()
        ).public_key()
    except ValueError:
        return None
    shared = ec.derive_private_key(private_key, ec.SECP256R1()).exchange(ec.ECDH(), peer)
    return shared[::-1]


def aes_cmac(key: bytes, message: bytes) -> bytes:
    """AES-CMAC (RFC 4493), key, message and result most significant octet first."""
    from cryptography.hazmat.primitives.cmac import CMAC  # see dhkey

    mac = CMAC(algorithms.AES(key))
    mac.update(message)
    return mac.finalize()


def f5(w: bytes, n1: bytes, n2: bytes, a1: bytes, a2: bytes) -> tuple[bytes, bytes]:
    """The LE Secure Connections key generation function (Vol 3 Part H 2.2.7): (MacKey,
    LTK) of the DHKey `w` and the two nonces. `a1`/`a2` are the initiator's and the
    responder's addresses with their type after them (7 octets: the address as on the
    air, then 0 public or 1 random). Every value least significant octet first."""
    t = aes_cmac(_F5_SALT, w[::-1])
    body = _F5_KEY_ID + n1[::-1] + n2[::-1] + a1[::-1] + a2[::-1] + b"\x01\x00"
    mac_key = aes_cmac(t, b"\x00" + body)
    ltk = aes_cmac(t, b"\x01" + body)
    return mac_key[::-1], ltk[::-1]


def f6(w: bytes, n1: bytes, n2: bytes, r: bytes, io_cap: bytes, a1: bytes, a2: bytes) -> bytes:
    """The LE Secure Connections check value function (Vol 3 Part H 2.2.8): a DHKey Check
    value. `io_cap` is IOcap as on the air (IO capability, OOB flag, AuthReq); the rest as
    for `f5`, least significant octet first."""
    message = n1[::-1] + n2[::-1] + r[::-1] + io_cap[::-1] + a1[::-1] + a2[::-1]
    return aes_cmac(w[::-1], message)[::-1]
