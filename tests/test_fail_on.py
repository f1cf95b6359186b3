"""`attscope export --fail-on EXPR`: a CI job fails on a connection's figure; an
expression attscope cannot read is a usage error (exit 2) naming what is wrong."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from corpus import SAMPLES
from frames import Script

from attscope.cli.main import main
from attscope.dissector.decoding import att_pdus as att
from attscope.export.fail_on import Condition, FailOn, FailOnError

SAMPLE = str(SAMPLES / "heart_rate.btsnoop")


def export(tmp_path: Path, *conditions: str) -> int:
    args = ["export", SAMPLE, "-o", str(tmp_path / "out.jsonl")]
    for condition in conditions:
        args += ["--fail-on", condition]
    return main(args)


def test_a_bound_the_sample_breaks_fails_the_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the sample's writes take 53.9 to 66.9 ms, p95 66.9 ms
    assert export(tmp_path, "att.write.p95 > 60ms") == 1
    assert "fail-on: att.write.p95 > 60ms: connection 0x0040: 66.889 ms" in capsys.readouterr().err
    assert (tmp_path / "out.jsonl").is_file()  # the export is written all the same


def test_bounds_the_sample_keeps_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert export(tmp_path, "att.write.p95 > 0.1s", "violations.error > 0",
                  "att.indication.max > 1ms", "host.max > 50ms") == 0  # fmt: skip
    assert "fail-on" not in capsys.readouterr().err


def test_each_metric_family_reads_the_connection(tmp_path: Path) -> None:
    script = Script()
    script.connect()
    for _ in range(3):
        script.local(att.WriteRequest(0x0012, b"\x01"))
        script.remote(att.WriteResponse(), after_us=20_000)
    script.remote(att.HandleValueNotification(0x0014, b"\x01\x02"))
    script.disconnect(reason=0x08, after_us=1_000_000)
    analyzer = script.run()
    (conn,) = analyzer.connections
    values = {
        text: Condition.parse(text).values(conn, Counter())
        for text in ("att.write.count > 0", "att.write.median > 0", "att.any.max > 0",
                     "notifications.remote > 0", "att_bytes.local > 0", "missed_events > 0",
                     "procedures.applied > 0", "silence > 0", "host.max > 0")
    }  # fmt: skip
    assert values["att.write.count > 0"] == [3.0]
    assert values["att.write.median > 0"] == [20.0]
    assert values["att.any.max > 0"] == [20.0]
    assert values["notifications.remote > 0"] == [1.0]
    assert values["att_bytes.local > 0"] == [3 * 4.0]
    assert values["missed_events > 0"] == [0.0]
    assert values["procedures.applied > 0"] == [0.0]
    assert values["silence > 0"] == []  # an HCI log has no air events: no value, no match
    assert values["host.max > 0"] == []  # no completions in this log


def test_violations_count_per_connection() -> None:
    script = Script()
    script.connect()
    script.remote(att.ReadResponse(b"x"))  # answers nothing: an orphan response
    script.disconnect()
    analyzer = script.run()
    fail_on = FailOn([Condition.parse("violations.orphan_response >= 1"),
                      Condition.parse("violations.warning > 0")])  # fmt: skip
    for found in analyzer.violations:
        fail_on.violation(found)
    (conn,) = analyzer.connections
    fail_on.connection(conn)
    assert fail_on.failures == ["violations.orphan_response >= 1: connection 0x0040: 1"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("att.write.p95 100", "write METRIC OP VALUE"),
        ("latency > 1", "unknown metric 'latency'"),
        ("att.write.p99 > 1", "the statistic is one of"),
        ("att.write.p95 > 1.2.3", "is not a number"),
    ],
)
def test_an_unreadable_expression_says_why(
    text: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(FailOnError, match=said):
        Condition.parse(text)
    with pytest.raises(SystemExit) as exited:
        export(tmp_path, text)
    assert exited.value.code == 2
    assert said in capsys.readouterr().err
