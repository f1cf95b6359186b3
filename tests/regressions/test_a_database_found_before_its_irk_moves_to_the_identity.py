"""A server at a resolvable private address whose IRK the capture gives only after GATT
traffic (devices distribute keys after pairing, past the discovery) kept its database
under the private address: the same device showed as two servers across reconnections.
Its database now moves to the identity address once the IRK resolves the address."""

from __future__ import annotations

from air_script import C2P, P2C, AirScript, l2cap

from attscope.dissector.analysis.analyzer import Analyzer
from attscope.dissector.decoding import att_pdus as att

IRK = "ec0234a357c8ad05341010a60a397d9b"  # Core 5.4 Vol 3 Part H, the ah example
RPA = "70:81:94:0D:FB:AA"  # resolves with IRK
IDENTITY = "C0:FF:EE:00:00:01"


def test_a_database_found_before_its_irk_moves_to_the_identity() -> None:
    air = AirScript()
    air.connect(peripheral=bytes.fromhex(RPA.replace(":", ""))[::-1], random=True)
    air.send(C2P, 2, l2cap(4, att.ReadRequest(0x0003).to_bytes()))
    air.send(P2C, 2, l2cap(4, att.ReadResponse(b"Lock").to_bytes()))
    # then the peripheral distributes its IRK and identity address over SMP
    air.send(P2C, 2, l2cap(6, b"\x08" + bytes.fromhex(IRK)[::-1]))
    air.send(P2C, 2, l2cap(6, b"\x09\x00" + bytes.fromhex(IDENTITY.replace(":", ""))[::-1]))
    analyzer = Analyzer()
    for frame in air.frames:
        analyzer.feed(frame)
    analyzer.finish()
    assert list(analyzer.gatt_databases) == [IDENTITY]
    db = analyzer.gatt(IDENTITY)
    assert db is not None and db.address == IDENTITY
    (conn,) = analyzer.connections
    assert analyzer.gatt_for(conn.id, "peripheral") is db
