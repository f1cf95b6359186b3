"""An HCI log's security: the pairing SMP carries in the clear, the keys the host hands
its controller and the keys SMP distributes, and the controller's encryption."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import need_corpus, tshark_fields
from frames import ACL_HANDLE, Script

from attscope.capture import open_capture
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.decoding.hci_commands import (
    LeEnableEncryption,
    LeLongTermKeyRequestReply,
)
from attscope.dissector.decoding.hci_events import (
    EncryptionChange,
    LeConnectionComplete,
    LeLongTermKeyRequest,
)

CID_SMP = 0x0006
LTK = bytes(range(16))  # as HCI carries it, least significant octet first
RAND = bytes.fromhex("0102030405060708")


def _connected(role: int) -> Script:
    script = Script()
    script.event(LeConnectionComplete(0, ACL_HANDLE, role, 1, bytes(6), 24, 0, 72, 0))
    return script


def test_the_ltk_a_peripheral_host_gives_its_controller_is_reported_with_its_ediv(
    tmp_path: Path,
) -> None:
    script = _connected(role=1)  # the local device is the peripheral
    script.event(LeLongTermKeyRequest(ACL_HANDLE, RAND, 0x1234))
    reply = script.command(LeLongTermKeyRequestReply(ACL_HANDLE, LTK))
    script.event(EncryptionChange(0, ACL_HANDLE, 1))
    (conn,) = script.analyse(tmp_path).connections
    assert conn.security is not None and conn.security.encrypted
    (found,) = conn.security.keys_found
    assert found.key == LTK[::-1] and found.frame == reply
    assert "as peripheral" in found.what and "EDIV 0x1234, Rand 0807060504030201" in found.what


def test_a_legacy_pairings_first_key_is_named_the_stk(tmp_path: Path) -> None:
    script = _connected(role=0)
    script.send("local", CID_SMP, bytes([0x01, 0x03, 0, 0x01, 16, 0x07, 0x07]))
    script.send("remote", CID_SMP, bytes([0x02, 0x03, 0, 0x01, 16, 0x07, 0x07]))
    script.command(LeEnableEncryption(ACL_HANDLE, bytes(8), 0, LTK))
    script.send("remote", CID_SMP, b"\x06" + LTK)  # Encryption Information
    script.send("remote", CID_SMP, b"\x07" + (0x00C0).to_bytes(2, "little") + RAND)
    (conn,) = script.analyse(tmp_path).connections
    assert conn.security is not None and conn.security.pairing is not None
    assert conn.security.pairing.method == "Just Works"
    assert not conn.security.encrypted  # no Encryption Change in the log
    stk, ltk = conn.security.keys_found
    assert stk.what.startswith("STK the host gave its controller as central")
    assert ltk.what.startswith("LTK distributed by the peripheral (remote) (EDIV 0x00c0")


@pytest.mark.corpus
@pytest.mark.tshark
def test_the_ec521_log_gives_the_keys_tshark_shows() -> None:
    path = need_corpus("android_ec521_smp.btsnoop")
    analyzer = Analyzer()
    for frame in open_capture(path):
        analyzer.feed(frame)
    analyzer.finish()
    found = {
        k.frame: k.key
        for conn in analyzer.connections
        if conn.security is not None
        for k in conn.security.keys_found
    }
    fields = ["frame.number", "bthci_cmd.le_long_term_key", "btsmp.long_term_key",
              "btsmp.id_resolving_key"]  # fmt: skip
    rows = tshark_fields(Path(path), fields)
    # tshark writes keys as they travel (least significant octet first)
    expected = {int(r[0]): bytes.fromhex("".join(r[1:]))[::-1] for r in rows if "".join(r[1:])}
    assert expected and found == expected
    # the phone's IRK resolves its private addresses from here on
    assert analyzer.decoder.encryption.keys.irks
