"""The TUI's model, without Textual: spilled lists, re-decoding, the filter language."""

from __future__ import annotations

import pytest
from corpus import SAMPLES, need_corpus
from frames import Script
from frames import run as analyse
from hypothesis import given, settings
from hypothesis import strategies as st
from sample_facts import facts

from attscope.capture import open_capture, write_capture
from attscope.dissector.decoding.att_pdus import (
    AttOpcode,
    ErrorResponse,
    ReadByTypeRequest,
    ReadRequest,
)
from attscope.dissector.decoding.decoder import Decoder
from attscope.dissector.decoding.hci_commands import Disconnect
from attscope.dissector.decoding.hci_events import DisconnectionComplete
from attscope.tui import model as model_module
from attscope.tui.filter_query import FilterError, opcodes_named, parse_filter
from attscope.tui.model import CaptureModel
from attscope.tui.spill import SpillList
from attscope.tui.views import flow_view, frame_view, transaction_view

SAMPLE = str(SAMPLES / "heart_rate.btsnoop")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=300), st.integers(0, 299), st.integers(1, 50))
def test_spill_list_gives_back_what_went_in(blobs, start, span):
    spill: SpillList[bytes] = SpillList(bytes)
    for i, blob in enumerate(blobs):
        spill.append(blob)
        if i % 37 == 0:
            spill.flush()
    spill.flush()
    assert len(spill) == len(blobs)
    assert spill.slice(start, start + span) == blobs[start : start + span]
    assert [b for _, b in spill.scan(chunk=7)] == blobs
    if blobs:
        assert spill[-1] == blobs[-1]
    spill.close()


def test_spilled_records_are_unreadable_until_flushed():
    spill: SpillList[int] = SpillList(int)
    spill.append(1)
    assert len(spill) == 0
    spill.flush()
    assert spill[0] == 1
    with pytest.raises(IndexError):
        spill[1]


def _model(path: str) -> CaptureModel:
    model = CaptureModel(path)
    model.ingest(open_capture(path))
    return model


def test_rows_decoded_again_equal_the_first_pass(monkeypatch):
    every = 64  # checkpoints this often, so the sample's frames cross several
    monkeypatch.setattr(model_module, "CHECKPOINT_EVERY", every)
    model = _model(SAMPLE)
    decoder = Decoder()
    first_pass = [decoder.decode(frame) for frame in open_capture(SAMPLE)]
    last = len(first_pass) - 1
    assert last > 2 * every
    for start in (last - 40, 3, every, 0, last, every + 36):  # jumps back and forth
        assert model.packets(start, start + 20) == first_pass[start : start + 20]


def test_model_counts_equal_the_analyzers():
    model = _model(SAMPLE)
    known = facts(SAMPLE)
    assert len(model.frames) == known.frames
    assert len(model.transactions) == known.transactions
    assert len(model.flows) == known.att_pdus  # every ATT PDU of the sample
    counts = model.counts["0x0040"]
    # the sample's Error Responses all end a discovery: counted apart from the errors
    assert (counts.errors, counts.expected) == (0, known.error_responses["0x0040"])
    assert counts.expected > 0
    assert model.attribute_name(0, "remote", 0x000E) == "Heart Rate Measurement"


def test_views_narrow_by_connection_and_filter():
    model = _model(SAMPLE)
    notifications = flow_view(model, None, parse_filter("op:ntf handle:0x000e"))
    notifications.advance(10**6)
    records = [model.flows[notifications[i]] for i in range(len(notifications))]
    assert records and all(r.opcode == 0x1B and r.handle == 0x0E for r in records)
    errors = transaction_view(model, 0, parse_filter("errors"))
    errors.advance(10**6)
    assert facts(SAMPLE).not_ok["0x0040"] > 0
    assert len(errors) == 0  # they are all the expected ends of discovery
    named = transaction_view(model, None, parse_filter('name:"battery level"'))
    named.advance(10**6)
    assert len(named) >= 1
    frames = frame_view(model, 0, parse_filter("Disconnect"))
    frames.advance(10**6)
    conn = model.connection_ids[0]
    ending = [
        p.frame for p in map(Decoder().decode, open_capture(SAMPLE))
        if p.connection == conn and isinstance(p.layers[-1], Disconnect | DisconnectionComplete)
    ]  # fmt: skip
    assert len(ending) == 2  # the host's command and the controller's event
    assert [frames[i] + 1 for i in range(len(frames))] == ending


def test_filter_language():
    wanted = parse_filter('conn:0x40 h:0x0e op:write name:"heart rate" errors is:violation boo')
    assert wanted.conn == ("0x40",)
    assert wanted.handles == (0x0E,)
    assert {0x12, 0x13, 0x52, 0xD2} <= wanted.opcodes
    assert wanted.names == ("heart rate",)
    assert wanted.text == ("boo",)
    assert wanted.errors and wanted.violations
    assert parse_filter("").empty
    assert opcodes_named("read_req") == {0x0A}
    for bad in ("handle:zz", 'name:"open', "op:nosuchthing", "conn:"):
        with pytest.raises(FilterError):
            parse_filter(bad)


def test_multiconnection_capture_model():
    path = str(need_corpus("android_blefun_multiconn.btsnoop"))
    model = _model(path)
    assert len(model.connection_ids) == len(analyse(open_capture(path)).connections) > 1
    assert sum(c.transactions for c in model.counts.values()) == len(model.transactions)


def test_a_real_error_counts_and_filters_apart_from_a_discovery_end(tmp_path):
    script = Script()
    script.connect()
    script.local(ReadByTypeRequest(0x0001, 0xFFFF, "2803"))
    script.remote(ErrorResponse(AttOpcode.READ_BY_TYPE_REQ, 0x0001, 0x0A))  # the end
    script.local(ReadRequest(0x0003))
    script.remote(ErrorResponse(AttOpcode.READ_REQ, 0x0003, 0x02))  # Read Not Permitted
    path = tmp_path / "errors.btsnoop"
    write_capture(path, script.frames, "btsnoop", 1002)
    model = _model(path)
    counts = model.counts["0x0040"]
    assert (counts.errors, counts.expected) == (1, 1)
    errors = transaction_view(model, 0, parse_filter("errors"))
    errors.advance(10**6)
    assert [model.transactions[errors[i]].kind for i in range(len(errors))] == ["read"]
    flows = flow_view(model, 0, parse_filter("errors"))
    flows.advance(10**6)
    assert [model.flows[flows[i]].error for i in range(len(flows))] == [
        "Read Request: Read Not Permitted"
    ]


@pytest.mark.parametrize("query", ['name:"device name"', "handle:0x000e", "name:battery"])
def test_a_name_or_handle_term_narrows_packets_and_flow_alike(query):
    model = _model(SAMPLE)
    wanted = parse_filter(query)
    flows = flow_view(model, None, wanted)
    flows.advance(10**6)
    frames = frame_view(model, None, wanted)
    frames.advance(10**6)
    flow_frames = [model.flows[flows[i]].frame for i in range(len(flows))]
    assert flow_frames and flow_frames == [frames[i] + 1 for i in range(len(frames))]
