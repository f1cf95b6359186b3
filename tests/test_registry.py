"""One registry convention for every layer (pdu.Registry): each PDU class is registered by
its code once, carries it as `CODE`, and the code-byte layers share one decoding
boundary that never raises."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

import attscope.dissector.decoding as decoding
from attscope.dissector.decoding.att_pdus import decode_att
from attscope.dissector.decoding.ll_control import decode_ll_control
from attscope.dissector.decoding.pdu import Malformed, Pdu, Registry
from attscope.dissector.decoding.smp_pdus import decode_smp


def registries() -> list[Registry[Pdu]]:
    found = []
    for module in pkgutil.iter_modules(decoding.__path__):
        loaded = importlib.import_module(f"{decoding.__name__}.{module.name}")
        found += [v for v in vars(loaded).values() if isinstance(v, Registry)]
    return found


def test_every_layer_registers_the_same_way() -> None:
    found = registries()
    layers = {r.layer for r in found}
    assert {"att", "smp", "ll_control", "hci command", "hci event", "l2cap signalling"} <= layers
    for registry in found:
        for code, cls in registry.classes.items():
            assert issubclass(cls, Pdu)
            single = [c for c, k in registry.classes.items() if k is cls]
            if len(single) == 1:
                assert code == cls.CODE, (registry.layer, cls.__name__)


def test_a_code_registered_twice_fails_at_import() -> None:
    from attscope.dissector.decoding.att_pdus import ATT, ReadRequest

    with pytest.raises(ValueError, match="att code 0x0a"):
        ATT.register(0x0A)(type("Again", (ReadRequest,), {}))


@given(st.binary(max_size=64))
def test_the_code_byte_layers_never_raise(data: bytes) -> None:
    for decode in (decode_att, decode_smp, decode_ll_control):
        record = decode(data)
        assert isinstance(record, Pdu | Malformed)
        if isinstance(record, Malformed):
            assert record.raw == data
