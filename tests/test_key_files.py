"""Key files: attscope's own, Android's bt_config.conf and BlueZ's device info files,
each decrypting crackle's known-LTK capture through `dump --keys`; a bad file is one
line and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import need_corpus

from attscope.cli.main import main
from attscope.dissector.decoding.le_keys import (
    BadKey,
    parse_bluez_info,
    parse_bt_config,
    parse_key_file,
)

LTK = "7f62c053f104a5bbe68b1d896a2ed49c"  # crackle's known-LTK capture's key
# what its LL_ENC_REQ (frame 82) names the key by: Rand as on the air, and EDIV
RAND, EDIV = bytes.fromhex("0f15e386f54b4007"), 0xCDE8


def test_attscope_key_file_lines() -> None:
    text = f"# comment\n\nltk {LTK}@AA:BB:CC:DD:EE:FF\nLTK {LTK},1,0000000000000001\n"
    keys = parse_key_file(text, "k")
    assert [(k.address, k.ediv, k.source) for k in keys] == [
        ("AA:BB:CC:DD:EE:FF", None, "k line 3"), (None, 1, "k line 4")
    ]  # fmt: skip
    for bad in ("irk 00", f"ltk {LTK[:-2]}", "ltk"):
        with pytest.raises(BadKey, match="line 1"):
            parse_key_file(bad, "k")


def test_android_bt_config_le_keys() -> None:
    ltk = bytes.fromhex(LTK)[::-1]  # kept as in memory: least significant octet first
    penc = (ltk + bytes(range(8)) + (0x1234).to_bytes(2, "little") + b"\x04\x10").hex()
    text = f"[Adapter]\nAddress = 11:22:33:44:55:66\n[78:c5:e5:6e:dd:e8]\nLE_KEY_PENC = {penc}\n"
    (key,) = parse_bt_config(text, "bt_config.conf")
    assert (key.value, key.address, key.ediv, key.rand) == (
        ltk, "78:C5:E5:6E:DD:E8", 0x1234, bytes(range(8))
    )  # fmt: skip
    with pytest.raises(BadKey):
        parse_bt_config("[78:c5:e5:6e:dd:e8]\nLE_KEY_PENC = 00\n", "x")


def test_bluez_info_long_term_keys() -> None:
    text = (
        f"[General]\nName=lock\n\n[LongTermKey]\nKey={LTK.upper()}\nAuthenticated=0\n"
        "EncSize=16\nEDiv=4660\nRand=72623859790382856\n"
    )
    (key,) = parse_bluez_info(text, "info", "78:C5:E5:6E:DD:E8")
    assert key.ediv == 4660 and key.rand == (72623859790382856).to_bytes(8, "little")
    assert key.value.hex() == LTK and key.address == "78:C5:E5:6E:DD:E8"


def _decrypted(capsys: pytest.CaptureFixture[str], *args: str) -> int:
    path = str(need_corpus("crackle_known_ltk_encrypted.pcap"))
    assert main(["dump", "--connections", *args, path]) == 0
    out = capsys.readouterr().out
    line = next(li for li in out.splitlines() if "decrypted:" in li)
    return int(line.split("decrypted:")[1].split()[0])


@pytest.mark.corpus
def test_every_key_file_format_decrypts_through_dump(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "keys.txt"
    mine.write_text(f"ltk {LTK}\n")
    android = tmp_path / "bt_config.conf"
    penc = (bytes.fromhex(LTK)[::-1] + RAND + EDIV.to_bytes(2, "little") + b"\x04\x10").hex()
    android.write_text(f"[08:3e:8e:e1:0b:3e]\nLE_KEY_PENC = {penc}\n")
    bluez = tmp_path / "78:C5:E5:6E:DD:E8"
    bluez.mkdir()
    rand = int.from_bytes(RAND, "little")
    (bluez / "info").write_text(f"[LongTermKey]\nKey={LTK}\nEDiv={EDIV}\nRand={rand}\n")
    counts = [_decrypted(capsys, "--keys", str(path)) for path in (mine, android, bluez / "info")]
    assert counts == [7, 7, 7]


def test_a_bad_key_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "keys.txt"
    bad.write_text("ltk nothex\n")
    capture = tmp_path / "empty.btsnoop"
    capture.write_bytes(b"btsnoop\x00" + (1).to_bytes(4, "big") + (1002).to_bytes(4, "big"))
    for keys in (str(bad), str(tmp_path / "missing.txt")):
        assert main(["dump", "--keys", keys, str(capture)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("attscope: ") and keys in err[0]
