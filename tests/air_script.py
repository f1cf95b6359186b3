"""Build small air captures (link-layer packets as a sniffer gives them) for decoder and
analyzer tests, encrypting data PDUs the way a link does (Core 5.4 Vol 6 Part E).

    air = AirScript()
    air.connect()
    air.send(C2P, 3, bytes([0x06]))              # an LL control PDU in the clear
    air.start_encryption(ltk)                     # LL_ENC_REQ, LL_ENC_RSP, LL_START_ENC_REQ
    air.send(C2P, 2, l2cap(4, pdu), encrypt=True)  # an encrypted ATT PDU
"""

from __future__ import annotations

import struct

from cryptography.hazmat.primitives.asymmetric import ec

from attscope.capture import Direction, Encap, Frame
from attscope.capture.frame import LE_ADVERTISING_AA
from attscope.dissector.decoding.le_crypto import LinkCipher, c1, dhkey, f5, f6, s1, session_key
from attscope.dissector.decoding.ll_data import ADV_CRC_INIT, crc24

C2P, P2C = Direction.CENTRAL_TO_PERIPHERAL, Direction.PERIPHERAL_TO_CENTRAL
ACCESS_ADDRESS = 0x50654CA7
CRC_INIT = 0x5BC1D2  # the link's, in its CONNECT_IND
CENTRAL = bytes.fromhex("A1A2A3A4A5A6")[::-1]  # as on the air
PERIPHERAL = bytes.fromhex("B1B2B3B4B5B6")[::-1]
LINKTYPE_LE_LL = 251
START_US = 1_700_000_000_000_000
# the spec's sample session (Vol 6 Part C 1): SKDc, IVc, SKDp, IVp as on the air
SKD_C = bytes.fromhex("ACBDCEDFE0F10213")[::-1]
IV_C = bytes.fromhex("BADCAB24")[::-1]
SKD_P = bytes.fromhex("0213243546576879")[::-1]
IV_P = bytes.fromhex("DEAFBABE")[::-1]
SAMPLE_LTK = "4C68384139F574D836BCF34E9DFB01BF"  # as the spec writes it


def l2cap(cid: int, payload: bytes) -> bytes:
    return struct.pack("<HH", len(payload), cid) + payload


class AirScript:
    """The packets of one air capture of one link, in order."""

    def __init__(self, direction_known: bool = True) -> None:
        self.frames: list[Frame] = []
        self.ts_us = START_US
        self.direction_known = direction_known
        self.sn = {C2P: 0, P2C: 0}
        self.counter = {C2P: 0, P2C: 0}
        self.cipher: LinkCipher | None = None

    def _add(self, payload: bytes, direction: Direction, step_us: int) -> int:
        self.ts_us += step_us
        index = len(self.frames) + 1
        shown = direction if self.direction_known else Direction.UNKNOWN
        frame = Frame(index, self.ts_us, LINKTYPE_LE_LL, Encap.LE_LL, shown, payload)
        self.frames.append(frame)
        return index

    def connect(self, peripheral: bytes = PERIPHERAL, random: bool = False) -> int:
        """CONNECT_IND from CENTRAL (public) to `peripheral` (as on the air; `random`:
        a random address), 30 ms interval."""
        ll_data = struct.pack("<I", ACCESS_ADDRESS) + CRC_INIT.to_bytes(3, "little") + bytes([2])
        ll_data += struct.pack("<HHHH", 0, 24, 0, 72) + b"\xff\xff\xff\xff\x1f" + bytes([5])
        body = CENTRAL + peripheral + ll_data
        header = bytes([0x05 | random << 7, len(body)])  # RxAdd: the advertiser's type
        adv = struct.pack("<I", LE_ADVERTISING_AA) + header + body
        adv += crc24(ADV_CRC_INIT, header + body)
        return self._add(adv, Direction.UNKNOWN, 0)

    def send(
        self,
        direction: Direction,
        llid: int,
        payload: bytes,
        *,
        encrypt: bool = False,
        again: bool = False,
        skip: int = 0,
        step_us: int = 30_000,
    ) -> int:
        """One data PDU; `again`: a retransmission (same SN, same counter); `skip`: this
        many PDUs of the side were sent and not captured before it."""
        if not again:
            self.sn[direction] ^= 1 ^ (skip & 1)
            self.counter[direction] += skip
        body = payload
        first = llid | self.sn[direction] << 3
        if encrypt:
            assert self.cipher is not None
            counter = self.counter[direction]
            body = self.cipher.encrypt(first, payload, counter, direction == C2P)
        if encrypt and not again:
            self.counter[direction] += 1
        pdu = bytes([first, len(body)]) + body
        pdu = struct.pack("<I", ACCESS_ADDRESS) + pdu + crc24(CRC_INIT, pdu)
        step = step_us if direction == C2P else 150
        return self._add(pdu, direction, step)

    def start_encryption(self, ltk_msb_first: str, ediv: int = 0, rand: bytes = bytes(8)) -> None:
        """The encryption start procedure (Vol 6 Part B 5.1.3.1) with the sample session;
        the two LL_START_ENC_RSPs are the first encrypted PDUs."""
        self.send(C2P, 3, bytes([0x03]) + rand + struct.pack("<H", ediv) + SKD_C + IV_C)
        self.send(P2C, 3, bytes([0x04]) + SKD_P + IV_P)
        self.send(P2C, 3, bytes([0x05]), step_us=30_000)
        ltk = bytes.fromhex(ltk_msb_first)[::-1]
        self.cipher = LinkCipher(session_key(ltk, SKD_C, SKD_P), IV_C + IV_P)
        self.counter = {C2P: 0, P2C: 0}
        self.send(C2P, 3, bytes([0x06]), encrypt=True)
        self.send(P2C, 3, bytes([0x06]), encrypt=True)


def legacy_pairing(
    air: AirScript, tk: int, io: tuple[int, int] = (0x04, 0x00), oob: bool = False
) -> bytes:
    """LE legacy pairing in the clear (Core 5.4 Vol 3 Part H 2.3.5.5) with MITM on both
    sides, so the IO capabilities (central, peripheral) choose the method, or OOB data on
    both (`oob`, `tk` the 128-bit OOB key); returns the STK, most significant octet
    first, as a key is written."""
    preq = bytes([0x01, io[0], oob, 0x05, 16, 0x01, 0x01])  # bonding + MITM, EncKey
    pres = bytes([0x02, io[1], oob, 0x05, 16, 0x01, 0x01])
    key = tk.to_bytes(16, "little")
    mrand, srand = bytes(range(16)), bytes(range(16, 32))
    mconfirm = c1(key, mrand, preq, pres, 0, CENTRAL, 0, PERIPHERAL)
    sconfirm = c1(key, srand, preq, pres, 0, CENTRAL, 0, PERIPHERAL)
    for direction, pdu in ((C2P, preq), (P2C, pres), (C2P, b"\x03" + mconfirm),
                           (P2C, b"\x03" + sconfirm), (C2P, b"\x04" + mrand),
                           (P2C, b"\x04" + srand)):  # fmt: skip
        air.send(direction, 2, l2cap(6, pdu))
    return s1(key, srand, mrand)[::-1]


def public_key(private_key: int) -> tuple[bytes, bytes]:
    """A P-256 private key's public key, X and Y as SMP carries them."""
    numbers = ec.derive_private_key(private_key, ec.SECP256R1()).public_key().public_numbers()
    return numbers.x.to_bytes(32, "little"), numbers.y.to_bytes(32, "little")


def secure_connections_pairing(air: AirScript, central_key: int, peripheral_key: int) -> bytes:
    """LE Secure Connections Just Works pairing in the clear (Vol 3 Part H 2.3.5.6) with
    these private keys; returns the LTK, most significant octet first."""
    preq = bytes([0x01, 0x03, 0, 0x09, 16, 0x01, 0x01])  # NoInputNoOutput, SC + bonding
    pres = bytes([0x02, 0x03, 0, 0x09, 16, 0x01, 0x01])
    pka, pkb = public_key(central_key), public_key(peripheral_key)
    na, nb = bytes(range(32, 48)), bytes(range(48, 64))
    shared = dhkey(central_key, *pkb)
    assert shared is not None and shared == dhkey(peripheral_key, *pka)
    a, b = CENTRAL + b"\x00", PERIPHERAL + b"\x00"
    mac_key, ltk = f5(shared, na, nb, a, b)  # IOcap: IO capability, OOB flag, AuthReq
    ea = f6(mac_key, na, nb, bytes(16), preq[1:4], a, b)
    eb = f6(mac_key, nb, na, bytes(16), pres[1:4], b, a)
    cb = bytes(16)  # f4's value: attscope does not check it
    for direction, pdu in ((C2P, preq), (P2C, pres), (C2P, b"\x0c" + pka[0] + pka[1]),
                           (P2C, b"\x0c" + pkb[0] + pkb[1]), (P2C, b"\x03" + cb),
                           (C2P, b"\x04" + na), (P2C, b"\x04" + nb), (C2P, b"\x0d" + ea),
                           (P2C, b"\x0d" + eb)):  # fmt: skip
        air.send(direction, 2, l2cap(6, pdu))
    return ltk[::-1]
