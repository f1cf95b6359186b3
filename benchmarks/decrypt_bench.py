"""What decryption costs: the full analysis of an encrypted air capture with its key,
beside the same analysis of the same capture already decrypted, and the worst case of
cracking an LE legacy pairing's passkey (999,999, the last one tried).

    /work/venv/bin/python benchmarks/decrypt_bench.py [--frames 200000] [--repeat 3]

The capture is built here: one link whose encryption starts with the Core's sample
session (Vol 6 Part C 1), then ATT reads and notifications both ways, every data PDU
encrypted (AES-CCM, the CRC recomputed), written with the LE pseudo-header (256).
`attscope convert --decrypt` makes its plaintext twin. Both are analysed by
`attscope dump --transactions --violations`, best wall time of --repeat runs.

Targets (issue 15): decryption adds at most half to the analysis (ratio <= 1.5), and
the worst-case passkey takes under 10 s, from the confirm value or from the first MIC. Exit status 0 when both are met, 1 when not,
2 on bad usage or a failed command.
"""

from __future__ import annotations

import argparse
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from bench import DEFAULT_OUT, fresh_dir, progress
from childrun import ChildFailed, run_measured

from attscope.capture import Direction, Encap, Frame, write_capture
from attscope.capture.frame import LE_ADVERTISING_AA, SnifferInfo
from attscope.capture.linktypes import BLUETOOTH_LE_LL_WITH_PHDR
from attscope.dissector.decoding.att_pdus import HandleValueNotification, ReadRequest, ReadResponse
from attscope.dissector.decoding.le_crypto import LinkCipher, c1, s1, session_key
from attscope.dissector.decoding.le_pairing import Pairing, find_tk, tk_from_mic
from attscope.dissector.decoding.ll_data import ADV_CRC_INIT, crc24
from attscope.dissector.decoding.smp_pdus import PairingRequest, PairingResponse, decode_smp

MAX_RATIO = 1.5
MAX_CRACK_S = 10.0
LTK = "4C68384139F574D836BCF34E9DFB01BF"  # the Core's sample LTK
AA, CRC_INIT = 0x50654CA7, 0x5BC1D2
SKD_C, IV_C = bytes.fromhex("ACBDCEDFE0F10213")[::-1], bytes.fromhex("BADCAB24")[::-1]
SKD_P, IV_P = bytes.fromhex("0213243546576879")[::-1], bytes.fromhex("DEAFBABE")[::-1]
C2P, P2C = Direction.CENTRAL_TO_PERIPHERAL, Direction.PERIPHERAL_TO_CENTRAL


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="What decrypting an air capture costs.")
    p.add_argument("--frames", type=int, default=200_000, help="capture size (200,000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per command (3)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT / "decrypt", help="work folder")
    args = p.parse_args(argv)
    if args.frames < 100 or args.repeat < 1:
        p.error("--frames must be at least 100 and --repeat at least 1")
    return args


def _frames(count: int) -> Iterator[Frame]:
    """A CONNECT_IND, the encryption start in the clear, then encrypted traffic."""
    ts = 1_700_000_000_000_000
    sn = {C2P: 0, P2C: 0}
    counter = {C2P: 0, P2C: 0}
    cipher = LinkCipher(session_key(bytes.fromhex(LTK)[::-1], SKD_C, SKD_P), IV_C + IV_P)
    ll_data = struct.pack("<I", AA) + CRC_INIT.to_bytes(3, "little") + bytes([2])
    ll_data += struct.pack("<HHHH", 0, 24, 0, 72) + b"\xff\xff\xff\xff\x1f\x05"
    body = bytes(range(6)) + bytes(range(6, 12)) + ll_data
    adv = bytes([0x05, len(body)]) + body
    yield Frame(1, ts, BLUETOOTH_LE_LL_WITH_PHDR, Encap.LE_LL, Direction.UNKNOWN,
                struct.pack("<I", LE_ADVERTISING_AA) + adv + crc24(ADV_CRC_INIT, adv),
                sniffer=SnifferInfo(channel=37))  # fmt: skip
    clear = [(C2P, bytes([3, 0x03]) + bytes(10) + SKD_C + IV_C),
             (P2C, bytes([3, 0x04]) + SKD_P + IV_P), (P2C, bytes([3, 0x05]))]  # fmt: skip
    att = [(C2P, ReadRequest(0x0003).to_bytes()), (P2C, ReadResponse(b"Northwind").to_bytes()),
           (P2C, HandleValueNotification(0x000E, b"\x16\x48\x03\x02").to_bytes())]  # fmt: skip
    index = 1
    while index < count:
        if index <= len(clear):
            side, payload = clear[index - 1]
            llid, data, encrypt = payload[0], payload[1:], False
        elif index <= len(clear) + 2:
            side = C2P if index == len(clear) + 1 else P2C
            llid, data, encrypt = 3, b"\x06", True  # LL_START_ENC_RSP both ways
        else:
            side, pdu = att[index % len(att)]
            llid, data, encrypt = 2, struct.pack("<HH", len(pdu), 4) + pdu, True
        index += 1
        ts += 150 if side == P2C else 7_500
        sn[side] ^= 1
        first = llid | sn[side] << 3
        if encrypt:
            data = cipher.encrypt(first, data, counter[side], side == C2P)
            counter[side] += 1
        pdu_bytes = bytes([first, len(data)]) + data
        payload = struct.pack("<I", AA) + pdu_bytes + crc24(CRC_INIT, pdu_bytes)
        yield Frame(index, ts, BLUETOOTH_LE_LL_WITH_PHDR, Encap.LE_LL, side, payload,
                    sniffer=SnifferInfo(channel=5, crc_checked=True, crc_ok=True))  # fmt: skip


def crack_seconds(run: int) -> float:
    """Wall time to find passkey 999,999 from a Passkey Entry pairing's confirm value
    (new random values each run: a result found before is remembered)."""
    tk = (999_999).to_bytes(16, "little")
    preq = bytes([0x01, 0x04, 0, 0x05, 16, 0x01, 0x01])
    pres = bytes([0x02, 0x00, 0, 0x05, 16, 0x01, 0x01])
    ia, ra = bytes(range(6)), bytes(range(6, 12))
    mrand, srand = bytes([run]) + bytes(range(1, 16)), bytes(range(16, 32))
    request, response = decode_smp(preq), decode_smp(pres)
    assert isinstance(request, PairingRequest) and isinstance(response, PairingResponse)
    pairing = Pairing(request)
    pairing.response, pairing.pres = response, pres
    pairing.confirms = [c1(tk, mrand, preq, pres, 0, ia, 0, ra)]
    pairing.randoms = [mrand, srand]
    start = time.perf_counter()
    found = find_tk(pairing, ia, 0, ra, 0)
    took = time.perf_counter() - start
    assert found == 999_999
    return took


def mic_crack_seconds(run: int) -> float:
    """The same passkey when the confirm values were not captured: each candidate STK
    is tried on the first encrypted PDU (the central's LL_START_ENC_RSP) instead."""
    tk = (999_999).to_bytes(16, "little")
    mrand, srand = bytes([run]) + bytes(range(1, 16)), bytes(range(16, 32))
    stk = s1(tk, srand, mrand)
    cipher = LinkCipher(session_key(stk, SKD_C, SKD_P), IV_C + IV_P)
    body = cipher.encrypt(0x0F, b"\x06", 0, True)
    start = time.perf_counter()
    found = tk_from_mic(mrand, srand, SKD_C, SKD_P, IV_C + IV_P, 0x0F, body, (True,))
    took = time.perf_counter() - start
    assert found is not None and found[0] == 999_999
    return took


def best(argv: list[str], repeat: int) -> float:
    return min(run_measured(argv).wall_s for _ in range(repeat))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    attscope = Path(sys.executable).with_name("attscope")
    folder = fresh_dir(args.out)
    encrypted, plain = folder / "encrypted.pcap", folder / "plaintext.pcap"
    progress(f"building {args.frames:,} frames of one encrypted link")
    write_capture(encrypted, _frames(args.frames), "pcap", BLUETOOTH_LE_LL_WITH_PHDR)
    try:
        run_measured([str(attscope), "convert", "--decrypt", "--ltk", LTK, str(encrypted),
                      str(plain)])  # fmt: skip
        dump = [str(attscope), "dump", "--transactions", "--violations"]
        progress("analysing the plaintext twin")
        clear_s = best([*dump, str(plain)], args.repeat)
        progress("analysing the encrypted capture with its key")
        keyed_s = best([*dump, "--ltk", LTK, str(encrypted)], args.repeat)
    except ChildFailed as exc:
        print(f"decrypt_bench: {exc}", file=sys.stderr)
        return 2
    progress("cracking passkey 999999")
    crack_s = min(crack_seconds(run) for run in range(args.repeat))
    progress("cracking passkey 999999 from the first MIC (no confirm values)")
    mic_s = min(mic_crack_seconds(run) for run in range(args.repeat))
    ratio = keyed_s / clear_s
    print(f"analysis, {args.frames:,} frames: plaintext {clear_s:.2f} s, encrypted with its "
          f"key {keyed_s:.2f} s: ratio {ratio:.2f} (target <= {MAX_RATIO})")  # fmt: skip
    print(
        f"legacy pairing, passkey 999999 (the worst case): {crack_s:.2f} s "
        f"(target < {MAX_CRACK_S:.0f} s)"
    )
    print(
        f"the same without its confirm values, from the first MIC: {mic_s:.2f} s "
        f"(target < {MAX_CRACK_S:.0f} s)"
    )
    return 0 if ratio <= MAX_RATIO and max(crack_s, mic_s) < MAX_CRACK_S else 1


if __name__ == "__main__":
    sys.exit(main())
