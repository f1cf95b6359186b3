"""Identity resolving keys: the spec's ah example, key stores, keys learnt from SMP, and
a resolvable private address shown with its device's identity in the connection, and
the device's GATT database kept under that identity."""

from __future__ import annotations

import pytest
from air_script import C2P, P2C, AirScript, l2cap
from corpus import need_corpus

from attscope.capture import open_capture
from attscope.cli.key_args import keys_of
from attscope.cli.main import build_parser
from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.decoding import att_pdus as att
from attscope.dissector.decoding.le_crypto import ah
from attscope.dissector.decoding.le_keys import (
    Irk,
    Keys,
    parse_bluez_info,
    parse_bt_config,
    parse_irk,
    parse_key_file,
)

IRK = "ec0234a357c8ad05341010a60a397d9b"  # Core 5.4 Vol 3 Part H, the ah example
RPA = "70:81:94:0D:FB:AA"  # prand 0x708194 (its two top bits 01), hash ah(IRK, prand)
IDENTITY = "C0:FF:EE:00:00:01"


def test_the_spec_ah_example_and_resolution() -> None:
    assert ah(bytes.fromhex(IRK)[::-1], bytes.fromhex("708194")[::-1])[::-1].hex() == "0dfbaa"
    keys = Keys(irks=[parse_irk(f"{IRK}@{IDENTITY.lower()}")])
    assert keys.resolve(RPA) == IDENTITY
    assert keys.resolve("70:81:94:0D:FB:AB") is None  # the hash does not match
    assert keys.resolve("30:81:94:0D:FB:AA") is None  # not a resolvable private address
    reversed_key = Keys(irks=[parse_irk(bytes.fromhex(IRK)[::-1].hex())])
    assert reversed_key.resolve(RPA) == f"IRK {bytes.fromhex(IRK)[::-1].hex()}"  # either order


def test_irks_from_every_key_store() -> None:
    (from_file,) = parse_key_file(f"irk {IRK}@{IDENTITY}\n", "k")
    assert isinstance(from_file, Irk) and from_file.identity == IDENTITY
    identity_le = bytes.fromhex(IDENTITY.replace(":", ""))[::-1]
    pid = (bytes.fromhex(IRK)[::-1] + b"\x00" + identity_le).hex()
    (android,) = parse_bt_config(f"[{IDENTITY}]\nLE_KEY_PID = {pid}\n", "bt_config.conf")
    assert isinstance(android, Irk) and android.identity == IDENTITY
    assert Keys(irks=[android]).resolve(RPA) == IDENTITY
    (bluez,) = parse_bluez_info(f"[IdentityResolvingKey]\nKey={IRK}\n", "info", IDENTITY)
    assert isinstance(bluez, Irk) and Keys(irks=[bluez]).resolve(RPA) == IDENTITY
    args = build_parser().parse_args(["dump", "--irk", f"{IRK}@{IDENTITY}", "x.pcap"])
    assert keys_of(args).resolve(RPA) == IDENTITY


def _private_link(air: AirScript) -> None:
    air.connect(peripheral=bytes.fromhex(RPA.replace(":", ""))[::-1], random=True)
    air.send(C2P, 2, l2cap(4, att.ReadRequest(0x0003).to_bytes()))
    air.send(P2C, 2, l2cap(4, att.ReadResponse(b"Lock").to_bytes()))


@pytest.mark.parametrize("given", [True, False])
def test_a_private_address_shows_its_identity(given: bool) -> None:
    air = AirScript()
    _private_link(air)
    if not given:  # the peripheral distributes its IRK and identity over SMP
        irk_le = bytes.fromhex(IRK)[::-1]
        identity_le = bytes.fromhex(IDENTITY.replace(":", ""))[::-1]
        air.send(P2C, 2, l2cap(6, b"\x08" + irk_le))
        air.send(P2C, 2, l2cap(6, b"\x09\x00" + identity_le))
    keys = Keys(irks=[parse_irk(f"{IRK}@{IDENTITY}")]) if given else None
    analyzer = Analyzer(keys=keys)
    for frame in air.frames:
        analyzer.feed(frame)
    analyzer.finish()
    (conn,) = analyzer.connections
    assert conn.peripheral_address == RPA and conn.identities == {"peripheral": IDENTITY}
    if given:  # known from the start: the server's database is the device's
        assert analyzer.gatt(IDENTITY) is not None and analyzer.gatt(RPA) is None
    else:
        assert conn.security is not None
        assert [k.what for k in conn.security.keys_found] == [
            f"IRK distributed by the peripheral (identity {IDENTITY})"
        ]


@pytest.mark.corpus
def test_the_mouse_captures_phone_resolves_with_the_irk_it_distributed() -> None:
    """nrf3_hid_mouse: after pairing, the phone (the central, at the resolvable private
    address 70:BD:85:30:35:56) distributes its IRK and identity address 6C:7E:67:80:C5:37;
    ah() with that IRK gives the address's hash, so its GATT server is the identity's."""
    analyzer = Analyzer()
    for frame in open_capture(need_corpus("nrf3_hid_mouse.pcapng")):
        analyzer.feed(frame)
    analyzer.finish()
    (conn,) = analyzer.connections
    assert conn.central_address == "70:BD:85:30:35:56"
    assert conn.identities == {"central": "6C:7E:67:80:C5:37"}
    assert analyzer.gatt("6C:7E:67:80:C5:37") is not None
    assert analyzer.gatt("70:BD:85:30:35:56") is None
