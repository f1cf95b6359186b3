"""LE Secure Connections and the pairing secrets a user gives: f5 and f6 against the spec's
sample data, the debug key pair, `--sc-private-key`, `--passkey` and `--oob`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from air_script import (
    C2P,
    AirScript,
    l2cap,
    legacy_pairing,
    public_key,
    secure_connections_pairing,
)
from corpus import need_corpus

from attscope.capture import open_capture
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding.decoder import Decoder, Packet
from attscope.dissector.decoding.le_crypto import DEBUG_PRIVATE_KEY, f5, f6
from attscope.dissector.decoding.le_keys import (
    BadKey,
    Keys,
    PairingSecret,
    parse_key_file,
    parse_oob,
    parse_passkey,
    parse_private_key,
)
from attscope.dissector.decoding.ll_encryption import NO_KEY_SC

CENTRAL_KEY = 0x1D4A2C7F_00112233_44556677_8899AABB_CCDDEEFF_01020304_05060708_090A0B0C
PERIPHERAL_KEY = 0x2E5B3D80_10213243_54657687_98A9BACB_DCEDFE0F_11223344_55667788_99AABBCC


def _msb(text: str) -> bytes:
    """A value as the spec writes it, turned to air order."""
    return bytes.fromhex(text.replace(" ", ""))[::-1]


def test_f5_and_f6_give_the_spec_sample_data() -> None:
    # Core 5.4 Vol 3 Part H Appendix D.3 and D.4
    w = _msb("ec0234a3 57c8ad05 341010a6 0a397d9b 99796b13 b4f866f1 868d34f3 73bfa698")
    n1, n2 = (
        _msb("d5cb8454 d177733e ffffb2ec 712baeab"),
        _msb("a6e8e7cc 25a75f6e 216583f7 ff3dc4cf"),
    )
    a1, a2 = _msb("00561237 37bfce"), _msb("00a71370 2dcfc1")
    mac_key, ltk = f5(w, n1, n2, a1, a2)
    assert mac_key[::-1].hex() == "2965f176a1084a02fd3f6a20ce636e20"
    assert ltk[::-1].hex() == "6986791169d7cd23980522b594750a38"
    r, io_cap = _msb("12a3343b b453bb54 08da42d2 0c2d0fc8"), _msb("010102")
    check = f6(mac_key, n1, n2, r, io_cap, a1, a2)
    assert check[::-1].hex() == "e3c473989cd0e8c5d26c0b09da958f61"


def test_the_debug_key_pair_is_the_specs() -> None:
    # 2.3.5.6.1: the debug public key, most significant octet first
    x, y = public_key(DEBUG_PRIVATE_KEY)
    assert x[::-1].hex() == "20b003d2f297be2c5e2c83a7e9f9a5b9eff49111acf4fddbcc0301480e359de6"
    assert y[::-1].hex() == "dc809c49652aeb6d63329abf5a52155c766345c28fed3024741c8ed01589d28b"


def _secure_link(central_key: int, peripheral_key: int) -> tuple[AirScript, bytes]:
    air = AirScript()
    air.connect()
    ltk = secure_connections_pairing(air, central_key, peripheral_key)
    air.start_encryption(ltk.hex())
    air.send(C2P, 2, l2cap(4, att.ReadRequest(0x0003).to_bytes()), encrypt=True)
    return air, ltk


def _decode(air: AirScript, keys: Keys | None = None) -> tuple[Decoder, list[Packet]]:
    decoder = Decoder(keys=keys)
    return decoder, [decoder.decode(frame) for frame in air.frames]


def test_a_side_using_the_debug_key_is_decrypted_with_no_key_given() -> None:
    air, ltk = _secure_link(CENTRAL_KEY, DEBUG_PRIVATE_KEY)
    decoder, packets = _decode(air)
    (state,) = decoder.encryption.links.values()
    assert state.paired is not None and state.paired.debug_key == "peripheral"
    assert state.paired.ltk == ltk
    (found,) = state.found
    assert found.key == ltk and "the central's DHKey Check agrees" in found.what
    assert isinstance(packets[-1].pdu, att.ReadRequest)


def test_a_private_key_given_for_either_side_decrypts_the_link() -> None:
    air, ltk = _secure_link(CENTRAL_KEY, PERIPHERAL_KEY)
    for private_key in (CENTRAL_KEY, PERIPHERAL_KEY):
        secret = parse_private_key(f"{private_key:064x}")
        decoder, packets = _decode(air, Keys(secrets=[secret]))
        (state,) = decoder.encryption.links.values()
        assert state.decrypted is not None and state.decrypted.key == ltk
        assert state.paired is not None and state.paired.debug_key is None
        assert isinstance(packets[-1].pdu, att.ReadRequest)


def test_without_a_private_key_a_secure_link_says_what_to_give() -> None:
    air, _ = _secure_link(CENTRAL_KEY, PERIPHERAL_KEY)
    decoder, packets = _decode(air)
    assert packets[-1].pdu is None or not isinstance(packets[-1].pdu, att.ReadRequest)
    (state,) = decoder.encryption.links.values()
    assert state.why == NO_KEY_SC
    other = parse_private_key(f"{CENTRAL_KEY + 1:064x}")
    decoder, _ = _decode(air, Keys(secrets=[other]))
    (state,) = decoder.encryption.links.values()
    assert state.paired is not None and state.paired.failed is not None
    assert "no private key given is either side's" in state.paired.failed


def test_a_given_passkey_is_used_before_the_search() -> None:
    air = AirScript()
    air.connect()
    stk = legacy_pairing(air, 731902, (0x04, 0x00))
    air.start_encryption(stk.hex())
    decoder, _ = _decode(air, Keys(secrets=[parse_passkey("731902")]))
    (state,) = decoder.encryption.links.values()
    assert state.paired is not None and state.paired.tk == 731902
    assert "found with --passkey" in state.found[0].what


@pytest.mark.parametrize("written", ["as written", "byte-reversed"])
def test_a_legacy_oob_pairing_decrypts_with_its_oob_key(written: str) -> None:
    oob = int.from_bytes(bytes(range(0xA0, 0xB0)), "big")
    air = AirScript()
    air.connect()
    stk = legacy_pairing(air, oob, oob=True)
    air.start_encryption(stk.hex())
    air.send(C2P, 2, l2cap(4, att.ReadRequest(0x0003).to_bytes()), encrypt=True)
    text = oob.to_bytes(16, "big").hex()
    given = text if written == "as written" else bytes.fromhex(text)[::-1].hex()
    decoder, packets = _decode(air, Keys(secrets=[parse_oob(given)]))
    (state,) = decoder.encryption.links.values()
    assert state.paired is not None and state.paired.method == "Out of Band"
    assert state.paired.stk == stk
    assert isinstance(packets[-1].pdu, att.ReadRequest)
    decoder, _ = _decode(air)  # without it: no passkey search, and it says why
    (state,) = decoder.encryption.links.values()
    assert state.paired is not None and state.paired.failed is not None
    assert "no OOB key given" in state.paired.failed


@pytest.mark.parametrize(
    "text", ["1000000", "12a", f"{0:064x}", f"{(1 << 256) - 1:064x}", "00" * 31]
)
def test_a_secret_that_cannot_be_one_is_refused(text: str) -> None:
    with pytest.raises(BadKey):
        parse_passkey(text) if len(text) < 10 else parse_private_key(text)


def test_the_key_file_holds_every_kind_of_secret() -> None:
    text = (
        "passkey 123456@AA:BB:CC:DD:EE:FF\n"
        f"oob {'11' * 16}\n"
        f"sc-private-key {CENTRAL_KEY:064x}  # the phone's\n"
    )
    found = parse_key_file(text, "keys.txt")
    assert [k.kind for k in found if isinstance(k, PairingSecret)] == [
        "passkey", "oob", "private key"
    ]  # fmt: skip
    assert found[0].address == "AA:BB:CC:DD:EE:FF" and found[2].value == CENTRAL_KEY


def test_a_bad_secret_on_the_command_line_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "attscope", "dump", "--sc-private-key", "00", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "--sc-private-key" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.corpus
def test_the_nrf2_capture_debug_key_gives_the_ltk_its_dhkey_check_proves() -> None:
    # frame 198: the peripheral's Pairing Public Key is the spec's debug key
    decoder = Decoder()
    for frame in open_capture(need_corpus("bsniffhub_nrf2_encrypted_missing.pcap")):
        decoder.decode(frame)
    (state,) = decoder.encryption.links.values()
    assert state.paired is not None and state.paired.debug_key == "peripheral"
    (found,) = state.found
    assert found.key.hex() == "fc4091878a54c22cb58488b88608b5e2"
    assert found.frame == 205 and "DHKey Check agrees" in found.what
