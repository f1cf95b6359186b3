"""SMP commands: byte vectors built from Core 5.4 Vol 3 Part H 3.5-3.6 for every code,
malformed input, the flag records, hypothesis round trips, and agreement with tshark (a
btsnoop written here, and every SMP command of the shared corpus)."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import msgspec
import pytest
from corpus import corpus_files, need_corpus, need_tshark, tshark_fields, tshark_pdus
from hypothesis import given, settings
from hypothesis import strategies as st

from attscope.capture import Direction, Encap, Frame, HciType, write_capture
from attscope.dissector.decoding.pdu import Fixed, Int, Malformed
from attscope.dissector.decoding.smp_pdus import (
    SMP_PDUS,
    AuthReq,
    CentralIdentification,
    EncryptionInformation,
    IdentityAddressInformation,
    IdentityInformation,
    KeyDistribution,
    PairingConfirm,
    PairingDhkeyCheck,
    PairingFailed,
    PairingKeypressNotification,
    PairingPublicKey,
    PairingRandom,
    PairingRequest,
    PairingResponse,
    SecurityRequest,
    SigningInformation,
    SmpCode,
    SmpPdu,
    SmpUnknown,
    decode_smp,
)

K16 = bytes(range(0x10, 0x20))
X32, Y32 = bytes(range(32)), bytes(range(32, 64))
# AuthReq 0x2d: bonding, MITM, SC, CT2; keys 0x0d: EncKey, SignKey, LinkKey
AUTH_2D = AuthReq(bonding_flags=1, mitm=True, sc=True, keypress=False, ct2=True)
KEYS_0D = KeyDistribution(enc_key=True, id_key=False, sign_key=True, link_key=True)
KEYS_07 = KeyDistribution(enc_key=True, id_key=True, sign_key=True, link_key=False)

VECTORS: list[tuple[str, SmpPdu]] = [
    ("01 04 00 2d 10 0d 07", PairingRequest(0x04, 0x00, AUTH_2D, 16, KEYS_0D, KEYS_07)),
    (
        "02 03 01 c1 07 00 f0",
        PairingResponse(
            0x03,
            0x01,
            AuthReq(1, False, False, False, False, rfu=3),
            7,
            KeyDistribution(False, False, False, False),
            KeyDistribution(False, False, False, False, rfu=0xF),
        ),
    ),
    ("03" + K16.hex(), PairingConfirm(K16)),
    ("04" + K16.hex(), PairingRandom(K16)),
    ("05 04", PairingFailed(0x04)),
    ("05 10", PairingFailed(0x10)),
    ("06" + K16.hex(), EncryptionInformation(K16)),
    ("07 3412 0102030405060708", CentralIdentification(0x1234, bytes(range(1, 9)))),
    ("08" + K16.hex(), IdentityInformation(K16)),
    ("09 01 665544332211", IdentityAddressInformation(1, bytes.fromhex("665544332211"))),
    ("0a" + K16.hex(), SigningInformation(K16)),
    ("0b 05", SecurityRequest(AuthReq(1, True, False, False, False))),
    ("0c" + X32.hex() + Y32.hex(), PairingPublicKey(X32, Y32)),
    ("0d" + K16.hex(), PairingDhkeyCheck(K16)),
    ("0e 04", PairingKeypressNotification(4)),
]


@pytest.mark.parametrize(("text", "pdu"), VECTORS, ids=[v[0][:2] for v in VECTORS])
def test_known_vectors(text: str, pdu: SmpPdu) -> None:
    data = bytes.fromhex(text.replace(" ", ""))
    assert decode_smp(data) == pdu
    assert pdu.to_bytes() == data
    assert type(pdu).from_bytes(data) == pdu


def test_every_code_has_a_vector_and_a_class() -> None:
    assert {v[1].code for v in VECTORS} == set(SMP_PDUS) == {int(c) for c in SmpCode}
    tags = [cls.__struct_config__.tag for cls in SMP_PDUS.values()]
    assert len(set(tags)) == len(tags) and all(str(t).startswith("smp_") for t in tags)
    assert PairingRequest.name == "SMP_PAIRING_REQUEST"
    assert CentralIdentification.title == "Central Identification"


def test_flag_records() -> None:
    for byte in range(256):
        assert AuthReq.from_byte(byte).value == byte
        assert KeyDistribution.from_byte(byte).value == byte
    auth = AuthReq.from_byte(0x2D)
    assert auth == AUTH_2D and auth.bonding and auth.mitm and auth.sc and auth.ct2
    assert not auth.keypress and auth.rfu == 0
    assert not AuthReq.from_byte(0x02).bonding  # 0b10 is reserved, not bonding
    keys = KeyDistribution.from_byte(0x0D)
    assert keys == KEYS_0D


SUMMARIES = [
    (
        "01 04 00 2d 10 0d 07",
        "Pairing Request IO KeyboardDisplay (0x04), OOB absent,"
        " AuthReq 0x2d (Bonding, MITM, SC, CT2), max key size 16,"
        " initiator keys 0x0d (EncKey, SignKey, LinkKey),"
        " responder keys 0x07 (EncKey, IdKey, SignKey)",
    ),
    ("05 04", "Pairing Failed: Confirm Value Failed (0x04)"),
    ("05 42", "Pairing Failed: Reserved (0x42)"),
    ("0b 05", "Security Request AuthReq 0x05 (Bonding, MITM)"),
    ("09 00 665544332211", "Identity Address Information public 11:22:33:44:55:66"),
    ("07 3412 0102030405060708", "Central Identification EDIV 0x1234 Rand 0102030405060708"),
    ("0e 01", "Pairing Keypress Notification: Passkey Digit Entered (0x01)"),
    ("1f 00", "Unknown SMP command 0x1f params 00"),
]


@pytest.mark.parametrize(("text", "line"), SUMMARIES)
def test_summary(text: str, line: str) -> None:
    pdu = decode_smp(bytes.fromhex(text.replace(" ", "")))
    assert isinstance(pdu, SmpPdu)
    assert pdu.summary() == line


MALFORMED = [
    ("", "empty"),
    ("01 04 00 2d 10 0d", "not 5"),
    ("01 04 00 2d 10 0d 07 00", "not 7"),
    ("02", "not 0"),
    ("03 0011", "needs 16 bytes"),
    ("05", "needs 1 bytes"),
    ("05 04 00", "more than its fields"),
    ("07 3412 01020304050607", "needs 10 bytes"),
    ("09 00 6655443322", "needs 7 bytes"),
    ("0b", "not 0"),
    ("0b 05 00", "not 2"),
    ("0c" + "00" * 63, "needs 64 bytes"),
    ("0e", "needs 1 bytes"),
]


@pytest.mark.parametrize(("text", "why"), MALFORMED)
def test_malformed(text: str, why: str) -> None:
    data = bytes.fromhex(text.replace(" ", ""))
    out = decode_smp(data)
    assert isinstance(out, Malformed), out
    assert out.layer == "smp" and out.raw == data and why in out.reason


def test_unknown_code_is_kept() -> None:
    out = decode_smp(b"\x1f\x01")
    assert out == SmpUnknown(0x1F, b"\x01")
    assert isinstance(out, SmpUnknown)
    assert out.to_bytes() == b"\x1f\x01" and out.name == "SMP_0x1F"


# -- hypothesis --------------------------------------------------------------------------

auth_reqs = st.integers(0, 255).map(AuthReq.from_byte)
key_dists = st.integers(0, 255).map(KeyDistribution.from_byte)
u8 = st.integers(0, 255)


def _compiled(cls: type[SmpPdu]) -> st.SearchStrategy[SmpPdu]:
    fields = []
    for name, hint in typing.get_type_hints(cls, include_extras=True).items():
        if name not in cls.__struct_fields__:
            continue
        codec = hint.__metadata__[0]
        if isinstance(codec, Int):
            fields.append(st.integers(0, (1 << (8 * codec.size)) - 1))
        else:
            assert isinstance(codec, Fixed)
            fields.append(st.binary(min_size=codec.size, max_size=codec.size))
    return st.tuples(*fields).map(lambda args: cls(*args))


HAND_CODED: dict[type[SmpPdu], st.SearchStrategy[Any]] = {
    cls: st.builds(cls, u8, u8, auth_reqs, u8, key_dists, key_dists)
    for cls in (PairingRequest, PairingResponse)
} | {SecurityRequest: st.builds(SecurityRequest, auth_reqs)}


def strategy_for(cls: type[SmpPdu]) -> st.SearchStrategy[Any]:
    if cls in HAND_CODED:
        return HAND_CODED[cls]
    assert cls.encode_body is SmpPdu.encode_body, f"{cls.__name__} needs a hand-written strategy"
    return _compiled(cls)


CODES = sorted(SMP_PDUS)


@settings(max_examples=500)
@given(st.binary(max_size=100))
def test_any_bytes_decode_without_raising(data: bytes) -> None:
    out = decode_smp(data)
    assert isinstance(out, SmpPdu | Malformed)
    if isinstance(out, SmpPdu):
        assert out.to_bytes() == data
        assert isinstance(out.summary(), str)


@pytest.mark.parametrize("code", CODES, ids=[f"0x{c:02x}" for c in CODES])
@given(body=st.binary(max_size=70))
def test_random_body_round_trips(code: int, body: bytes) -> None:
    data = bytes((code,)) + body
    out = decode_smp(data)
    if not isinstance(out, Malformed):
        assert type(out) is SMP_PDUS[code]
        assert out.to_bytes() == data


@pytest.mark.parametrize("code", CODES, ids=[f"0x{c:02x}" for c in CODES])
@given(data=st.data())
def test_valid_fields_round_trip(code: int, data: st.DataObject) -> None:
    cls = SMP_PDUS[code]
    pdu = data.draw(strategy_for(cls))
    raw = pdu.to_bytes()
    assert raw[0] == code
    assert decode_smp(raw) == pdu
    assert msgspec.json.decode(msgspec.json.encode(pdu), type=cls) == pdu
    assert pdu.summary().startswith(cls.title)


# -- against tshark ----------------------------------------------------------------------

TSHARK_FIELDS = [
    "btsmp.opcode",
    "btsmp.io_capability",
    "btsmp.oob_data_flags",
    "btsmp.authreq",
    "btsmp.bonding_flags",
    "btsmp.mitm_flag",
    "btsmp.sc_flag",
    "btsmp.keypress_flag",
    "btsmp.max_enc_key_size",
    "btsmp.initiator_key_distribution",
    "btsmp.responder_key_distribution",
    "btsmp.reason",
    "btsmp.cfm_value",
    "btsmp.random_value",
    "btsmp.long_term_key",
    "btsmp.ediv",
    "btsmp.id_resolving_key",
    "btsmp.address_type",
    "btsmp.bd_addr",
    "btsmp.signature_key",
    "btsmp.public_key_x",
    "btsmp.public_key_y",
    "btsmp.dhkey_check",
    "btsmp.notification_type",
    "_ws.malformed",
]


def _expected_fields(pdu: SmpPdu) -> dict[str, str]:
    want = {"btsmp.opcode": f"0x{pdu.code:02x}"}
    if isinstance(pdu, PairingRequest | PairingResponse | SecurityRequest):
        auth = pdu.auth_req
        want["btsmp.authreq"] = f"0x{auth.value:02x}"
        want["btsmp.bonding_flags"] = f"0x{auth.bonding_flags:02x}"
        for flag in ("mitm", "sc", "keypress"):
            want[f"btsmp.{flag}_flag"] = str(int(getattr(auth, flag)))
    if isinstance(pdu, PairingRequest | PairingResponse):
        want["btsmp.io_capability"] = f"0x{pdu.io_capability:02x}"
        want["btsmp.oob_data_flags"] = f"0x{pdu.oob_data_flag:02x}"
        want["btsmp.max_enc_key_size"] = str(pdu.max_encryption_key_size)
        want["btsmp.initiator_key_distribution"] = f"0x{pdu.initiator_key_distribution.value:02x}"
        want["btsmp.responder_key_distribution"] = f"0x{pdu.responder_key_distribution.value:02x}"
    simple = {
        PairingFailed: ("btsmp.reason", lambda p: f"0x{p.reason:02x}"),
        PairingConfirm: ("btsmp.cfm_value", lambda p: p.confirm_value.hex()),
        PairingRandom: ("btsmp.random_value", lambda p: p.random_value.hex()),
        EncryptionInformation: ("btsmp.long_term_key", lambda p: p.ltk.hex()),
        IdentityInformation: ("btsmp.id_resolving_key", lambda p: p.irk.hex()),
        SigningInformation: ("btsmp.signature_key", lambda p: p.csrk.hex()),
        PairingDhkeyCheck: ("btsmp.dhkey_check", lambda p: p.dhkey_check.hex()),
        PairingKeypressNotification: (
            "btsmp.notification_type",
            lambda p: f"0x{p.notification_type:02x}",
        ),
    }
    if type(pdu) in simple:
        field, show = simple[type(pdu)]
        want[field] = show(pdu)
    if isinstance(pdu, CentralIdentification):
        want["btsmp.ediv"] = f"0x{pdu.ediv:04x}"
        want["btsmp.random_value"] = pdu.rand.hex()
    if isinstance(pdu, IdentityAddressInformation):
        want["btsmp.address_type"] = f"0x{pdu.addr_type:02x}"
        want["btsmp.bd_addr"] = pdu.address.lower()
    if isinstance(pdu, PairingPublicKey):
        want["btsmp.public_key_x"] = pdu.x.hex()
        want["btsmp.public_key_y"] = pdu.y.hex()
    return want


def _acl_smp(payload: bytes) -> bytes:
    """An HCI ACL packet carrying an L2CAP B-frame on the LE SMP channel 0x0006."""
    l2cap = len(payload).to_bytes(2, "little") + b"\x06\x00" + payload
    return (0x0040 | 0x2000).to_bytes(2, "little") + len(l2cap).to_bytes(2, "little") + l2cap


@pytest.mark.tshark
def test_vectors_agree_with_tshark(tmp_path: Path) -> None:
    need_tshark()
    frames = [
        Frame(
            index=i + 1,
            ts_us=1_700_000_000_000_000 + i * 1000,
            linktype=1002,
            encap=Encap.HCI,
            direction=Direction.HOST_TO_CONTROLLER,
            payload=_acl_smp(pdu.to_bytes()),
            hci_type=HciType.ACL,
        )
        for i, (_, pdu) in enumerate(VECTORS)
    ]
    path = tmp_path / "smp_vectors.btsnoop"
    write_capture(path, frames, "btsnoop", 1002)
    rows = tshark_fields(path, TSHARK_FIELDS)
    assert len(rows) == len(VECTORS)
    for (text, pdu), row in zip(VECTORS, rows, strict=True):
        got = dict(zip(TSHARK_FIELDS, row, strict=True))
        assert not got["_ws.malformed"], (text, got)
        for field, value in _expected_fields(pdu).items():
            assert got[field].split(",")[0] == value, (text, field, got)


@pytest.mark.corpus
@pytest.mark.tshark
@pytest.mark.parametrize("name", corpus_files())
def test_corpus_smp_agrees_with_tshark(name: str) -> None:
    """Every SMP command tshark finds in a corpus capture decodes, round-trips, and has
    tshark's values."""
    path = need_corpus(name)
    for number, data, got in tshark_pdus(path, "btsmp", TSHARK_FIELDS):
        out = decode_smp(data)
        where = f"{name} frame {number}: {data.hex()}"
        if got["_ws.malformed"]:
            continue
        assert isinstance(out, SmpPdu), (where, out)
        assert out.to_bytes() == data, where
        for field, value in _expected_fields(out).items():
            assert got[field].split(",")[0] == value, (where, field, got[field])
