"""Issue 12, item 7: `op:` narrowed the Transactions panel to nothing, on every capture.

The transactions come back from the model's spill file; their request and response must
come back as the ATT records they were, or nothing can ask them their opcode."""

from __future__ import annotations

from corpus import SAMPLES
from textual.widgets import Input
from tui_helpers import run_async, settle

from attscope.capture import open_capture
from attscope.dissector.decoding.att_pdus import AttOpcode, AttPdu
from attscope.tui.app import make_app
from attscope.tui.filter_query import parse_filter
from attscope.tui.model import CaptureModel
from attscope.tui.views import transaction_view

SAMPLE = str(SAMPLES / "heart_rate.btsnoop")
WRITES = {AttOpcode.WRITE_REQ, AttOpcode.WRITE_RSP}


def _model() -> CaptureModel:
    model = CaptureModel(SAMPLE)
    model.ingest(open_capture(SAMPLE))
    return model


def test_spilled_transactions_keep_their_att_records() -> None:
    model = _model()
    for position in range(len(model.transactions)):
        txn = model.transactions[position]
        assert isinstance(txn.request, AttPdu), txn.request
        assert txn.response is None or isinstance(txn.response, AttPdu), txn.response


def test_op_filter_matches_transactions() -> None:
    model = _model()
    writes = transaction_view(model, None, parse_filter("op:write_req"))
    writes.advance(10**6)
    kinds = [model.transactions[writes[i]] for i in range(len(writes))]
    assert kinds, "op:write_req matched no transaction"
    assert all(t.request.opcode == AttOpcode.WRITE_REQ for t in kinds)
    # every write of the sample (the CCCD writes) and nothing else
    expected = [t for _, t in model.transactions.scan() if t.kind == "write"]
    assert len(kinds) == len(expected)
    # a response's name finds its transaction too
    mtu = transaction_view(model, None, parse_filter("op:exchange_mtu_rsp"))
    mtu.advance(10**6)
    assert len(mtu) == 1


@run_async
async def test_op_filter_narrows_the_transactions_panel() -> None:
    app = make_app(SAMPLE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("3", "f")
        assert isinstance(app.focused, Input)
        await pilot.press(*"op:read_req", "enter")
        await settle(pilot, app)
        rows = app.list_of("transactions").source
        found = [rows.transaction(i) for i in range(len(rows))]
        assert found and all(t is not None and t.kind == "read" for t in found)
