"""`attscope export --fail-on EXPR`: conditions on each connection's figures that make the
export exit 1, for CI jobs. An expression is `METRIC OP VALUE`, e.g.

    att.write.p95 > 100ms        the 95th-percentile write latency above 100 ms
    violations.error > 0         any error-severity violation on the connection
    supervision_margin < 500ms   the longest silence came within 500 ms of the timeout
    att_rate.peripheral < 2000   the peripheral sent under 2,000 ATT bytes/s

OP is one of > >= < <= == !=. Times take ms (the default), s or us. A connection whose
capture does not give the figure (no writes, an HCI log's air events) does not match. The
metrics are in METRICS; `any` in place of a transaction kind matches any kind."""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from attscope.dissector.analysis.analysis_records import Connection, LatencyStats, Violation

OPS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
    "==": operator.eq, "!=": operator.ne,
}  # fmt: skip
UNITS = {"ms": 1.0, "s": 1000.0, "us": 0.001}  # to milliseconds
STATS = ("count", "min", "median", "p95", "max")
METRICS = {
    "att.KIND.STAT": "ATT transaction latency (ms) of a kind (read, write, ... or any); "
    "STAT is count, min, median, p95 or max",
    "host.STAT": "HCI host-to-controller latency (ms): min, median, p95, max",
    "violations[.SEVERITY|.KIND]": "violations on the connection: all, error, warning, or one kind",
    "missed_events": "connection events (or packets) the capture lost",
    "crc_errors": "air packets with a failed CRC",
    "retransmissions": "air data and control PDUs sent again",
    "silence": "the longest time (ms) between two packets of an air link",
    "supervision_margin": "the supervision timeout minus the longest silence (ms)",
    "att_rate.SIDE": "ATT bytes per second a side sent (central, peripheral, local, remote)",
    "att_bytes.SIDE": "ATT bytes a side sent",
    "notifications.SIDE": "notifications a side sent",
    "procedures.OUTCOME": "link-layer procedures with an outcome (rejected, timeout ...)",
}
_SYNTAX = re.compile(
    r"^\s*([a-z_][a-z0-9_.*]*)\s*(>=|<=|==|!=|>|<)\s*([-+]?[0-9.]+)\s*(ms|s|us)?\s*$"
)


class FailOnError(ValueError):
    """An expression attscope cannot read."""


@dataclass(frozen=True)
class Condition:
    text: str
    metric: str
    op: str
    bound: float  # in the metric's unit (ms for times)

    @classmethod
    def parse(cls, text: str) -> Condition:
        found = _SYNTAX.match(text)
        if found is None:
            raise FailOnError(f"{text!r}: write METRIC OP VALUE, e.g. 'att.write.p95 > 100ms'")
        metric, op, number, unit = found.groups()
        try:
            bound = float(number) * UNITS.get(unit or "ms", 1.0)
        except ValueError:
            raise FailOnError(f"{text!r}: {number!r} is not a number") from None
        head = metric.split(".")[0]
        known = {name.split(".")[0].split("[")[0] for name in METRICS}
        if head not in known:
            raise FailOnError(
                f"{text!r}: unknown metric {head!r}; known: {', '.join(sorted(known))}"
            )
        if head in ("att", "host") and metric.split(".")[-1] not in STATS:
            raise FailOnError(f"{text!r}: the statistic is one of {', '.join(STATS)}")
        return cls(text.strip(), metric, op, bound)

    @property
    def unit(self) -> str:
        """How a value of the metric is said."""
        parts = self.metric.split(".")
        if parts[0] in ("att", "host") and parts[-1] != "count":
            return " ms"
        if parts[0] in ("silence", "supervision_margin"):
            return " ms"
        return " bytes/s" if parts[0] == "att_rate" else ""

    def values(self, conn: Connection, violations: Counter[str]) -> list[float]:
        """The connection's values of the metric (none: the capture does not give it)."""
        parts = self.metric.split(".")
        head = parts[0]
        health = conn.health
        if head == "att" and len(parts) == 3:
            kind, stat = parts[1], parts[2]
            return [_stat(s, stat) for s in conn.latency if kind in ("any", "*", s.kind)]
        if head == "host" and len(parts) == 2 and health and health.host_latency:
            host = health.host_latency
            value = getattr(host, f"{parts[1]}_us", None) if parts[1] != "count" else host.completed
            if value is None:
                return []
            return [value / 1000 if parts[1] != "count" else float(value)]
        if head == "violations":
            what = parts[1] if len(parts) > 1 else "all"
            return [float(violations[what])]
        if head == "missed_events":
            return [float(conn.missed_events)]
        if health is None:
            return []
        air = health.air
        if head in ("crc_errors", "retransmissions"):
            return [float(getattr(air, head))] if air else []
        if head == "silence":
            silence = air.longest_silence if air else None
            return [silence.us / 1000] if silence else []
        if head == "supervision_margin":
            margin = air.supervision_margin_us if air else None
            return [margin / 1000] if margin is not None else []
        if head == "procedures" and len(parts) == 2:
            return [float(sum(1 for p in health.procedures if p.outcome == parts[1]))]
        if head in ("att_rate", "att_bytes", "notifications") and len(parts) == 2:
            for side in health.sides:
                if side.sender != parts[1]:
                    continue
                if head == "att_bytes":
                    return [float(side.att_bytes)]
                if head == "notifications":
                    return [float(side.notifications)]
                rate = side.mean_att_bytes_per_s()
                return [rate] if rate is not None else []
        return []


def _stat(stats: LatencyStats, stat: str) -> float:
    if stat == "count":
        return float(stats.count)
    return float(getattr(stats, f"{stat}_us")) / 1000


class FailOn:
    """Conditions checked on every connection as the export writes it."""

    def __init__(self, conditions: list[Condition]) -> None:
        self.conditions = conditions
        self.failures: list[str] = []
        self._violations: dict[str | None, Counter[str]] = {}

    def violation(self, found: Violation) -> None:
        counts = self._violations.setdefault(found.connection, Counter())
        counts["all"] += 1
        counts[found.severity] += 1
        counts[found.kind] += 1

    def connection(self, conn: Connection) -> None:
        counts = self._violations.pop(conn.id, Counter())
        for condition in self.conditions:
            compare = OPS[condition.op]
            for value in condition.values(conn, counts):
                if compare(value, condition.bound):
                    said = f"{round(value, 3):g}{condition.unit}"
                    self.failures.append(f"{condition.text}: connection {conn.id}: {said}")
                    break
