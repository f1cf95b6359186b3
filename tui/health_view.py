"""What the Health panel shows of a link: one row per connection, and for the highlighted
one the series its charts draw (pure functions of the records, tested without a screen)."""

from __future__ import annotations

from rich.text import Text

from attscope.dissector.analysis.analysis_records import Connection
from attscope.dissector.analysis.health.records import LinkHealth
from attscope.dissector.analysis.latency import HISTOGRAM_EDGES_US
from attscope.text.health_text import att_rate, end_summary
from attscope.tui.model import CaptureModel
from attscope.tui.rows import ERROR, WARNING, connection_width, safe


def health_header(width: int, conn_col: int = 12) -> str:
    return (
        f"{'connection':<{conn_col}} {'interval':>9} {'PHY':<9} {'octets':>7} {'ATT B/s':>8} "
        f"{'margin':>9}  end"
    )


def _phy(health: LinkHealth) -> str:
    phys = set(health.parameters.phy.values())
    if not phys:
        return "?"
    if len(phys) == 1:
        return phys.pop().replace("LE ", "")
    return "/".join(sorted(p.replace("LE ", "") for p in phys))


def _octets(health: LinkHealth) -> str:
    lengths = [d.max_octets for d in health.parameters.data_length.values()]
    if not lengths:
        return "?"
    return str(lengths[0]) if len(set(lengths)) == 1 else f"{min(lengths)}/{max(lengths)}"


def end_word(health: LinkHealth) -> tuple[str, str]:
    """The ending in a few words, and its style."""
    word = end_summary(health)
    if word == "supervision timeout":
        return word, ERROR
    return word, WARNING if word.startswith("lost") else ""


def health_row(model: CaptureModel, conn: Connection) -> Text:
    health = conn.health
    row = Text(no_wrap=True)
    row.append(f"{safe(conn.id):<{max(12, connection_width(model))}} ")
    if health is None:
        return row
    interval = health.parameters.interval_ms
    row.append(f"{f'{interval:.2f}ms' if interval is not None else '?':>9} ")
    row.append(f"{_phy(health):<9} {_octets(health):>7} ")
    rate = att_rate(health)
    row.append(f"{f'{rate:.0f}' if rate is not None else '-':>8} ")
    margin = health.air.supervision_margin_us if health.air else None
    text = f"{margin / 1000:.0f}ms" if margin is not None else "-"
    row.append(f"{text:>9}", ERROR if margin is not None and margin < 0 else "")
    word, style = end_word(health)
    row.append("  ")
    row.append(word, style)
    return row


def filled(values: tuple[float | None, ...]) -> list[float]:
    """A series with its gaps (None) at the series' lowest value, for a sparkline."""
    known = [v for v in values if v is not None]
    low = min(known, default=0.0)
    return [low if v is None else v for v in values]


def latency_bins(conn: Connection) -> tuple[list[int], str]:
    """ATT latency counts per histogram bin, all kinds together, cut to the bins in use,
    and the range they span in words."""
    totals = [0] * (len(HISTOGRAM_EDGES_US) + 1)
    for stats in conn.latency:
        for i, count in enumerate(stats.histogram):
            totals[i] += count
    used = [i for i, count in enumerate(totals) if count]
    if not used:
        return [], ""
    first, last = used[0], used[-1]
    edges = (0, *HISTOGRAM_EDGES_US)
    low = edges[first] / 1000
    high = f"{HISTOGRAM_EDGES_US[last] / 1000:g} ms" if last < len(HISTOGRAM_EDGES_US) else "more"
    return totals[first : last + 1], f"{low:g} ms to {high}"
