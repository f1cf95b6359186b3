"""The HTML report: one file with everything inline (plotly.js included), so it opens with
no network. Connection summaries and charts, the violations, the GATT databases.

Every chart is drawn by one script at the end; when all are drawn, `<body>` gets
`data-rendered` (the number drawn), and a script error is written into
`<pre id="script-errors">` and `data-errors`, so a headless browser can check it."""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator

import msgspec
from plotly.offline import get_plotlyjs

from attscope import __version__
from attscope.dissector.analysis.analysis_records import Connection, Violation
from attscope.dissector.analysis.gatt_db import GattDatabase
from attscope.report.charts import figures
from attscope.text.analysis_text import gatt_lines, latency_line, security_lines
from attscope.text.health_text import att_rate, end_summary, health_lines

MAX_VIOLATIONS = 2_000  # rows in the report's table; the rest are counted
MAX_CHARTED = 50  # connections drawn as charts, the busiest; every one is described

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { border: 1px solid #ddd; padding: 0.2em 0.5em; text-align: left; }
th { background: #f4f4f4; }
pre { background: #f8f8f8; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); }
.error { color: #b00; } .warning { color: #a60; }
#script-errors:empty { display: none; }
"""
ON_ERROR = """
window.addEventListener("error", function (e) {
  var out = document.getElementById("script-errors");
  out.textContent += (e.message || "error") + "\\n";
  document.body.dataset.errors = (Number(document.body.dataset.errors || 0) + 1);
});
"""
DRAW = """
Promise.all(FIGURES.map(function (f) {
  return Plotly.newPlot(f.id, f.figure.data, f.figure.layout, {responsive: true});
})).then(function () { document.body.dataset.rendered = String(FIGURES.length); },
         function (e) { throw e; });
"""


def _table(header: list[str], rows: Iterable[list[str]], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        css = f' class="{classes[i]}"' if classes and classes[i] else ""
        body.append(f"<tr{css}>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _summary_row(conn: Connection) -> list[str]:
    health = conn.health
    ends = conn.central_address or conn.local_address or "?"
    peer = conn.peripheral_address or conn.peer_address or "?"
    if health is None:
        return [conn.id, conn.transport, f"{ends} / {peer}", "", "", "", "", ""]
    p = health.parameters
    rate = att_rate(health)
    margin = health.air.supervision_margin_us if health.air else None
    return [
        conn.id, conn.transport, f"{ends} / {peer}",
        f"{p.interval_ms:.2f} ms" if p.interval_ms is not None else "?",
        ", ".join(f"{s} {v}" for s, v in p.phy.items()) or "?",
        ", ".join(f"{s} {d.max_octets}" for s, d in p.data_length.items()) or "?",
        f"{rate:.0f}" if rate is not None else "-",
        f"{margin / 1000:.0f} ms" if margin is not None else "-",
        end_summary(health),
    ]  # fmt: skip


def report_parts(
    name: str,
    detail: str,
    frames: int,
    start_us: int,
    connections: list[Connection],
    violations: list[Violation],
    found: int,
    databases: Iterable[GattDatabase],
    warnings: list[str],
) -> Iterator[str]:
    """The HTML document in pieces, to be written one after the other (it holds the
    charting library, megabytes that need not be copied into one string);
    `violations` are the first of the `found`."""
    esc = html.escape
    parts = [f"<h1>attscope report: {esc(name)}</h1>",
             f"<p>{esc(detail)}; {frames:,} frames; {len(connections)} connections; "
             f"{found} violations. Made by attscope {esc(__version__)}.</p>",
             '<pre id="script-errors" class="error"></pre>']  # fmt: skip
    if warnings:
        parts.append(
            "<ul>" + "".join(f'<li class="warning">{esc(w)}</li>' for w in warnings) + "</ul>"
        )
    parts.append("<h2>Connections</h2>")
    parts.append(_table(["connection", "transport", "ends", "interval", "PHY", "data length",
                         "ATT bytes/s", "silence margin", "end"],
                        [_summary_row(c) for c in connections]))  # fmt: skip
    shown = violations[:MAX_VIOLATIONS]
    parts.append(f"<h2>Violations ({found})</h2>")
    if shown:
        parts.append(_table(["severity", "kind", "connection", "frames", "what", "rule"],
                            [[v.severity, v.kind, v.connection or "", ",".join(map(str, v.frames)),
                              v.message, f"{v.rule} (Core 5.4 {v.spec})"] for v in shown],
                            [v.severity for v in shown]))  # fmt: skip
        if found > len(shown):
            parts.append(f"<p>{found - len(shown):,} more are in the export.</p>")
    else:
        parts.append("<p>None found.</p>")
    specs = []
    charted = _busiest(connections)
    if len(charted) < len(connections):
        parts.append(f"<p>Charts are drawn for the {len(charted)} busiest of the "
                     f"{len(connections)} connections; each is described below.</p>")  # fmt: skip
    for n, conn in enumerate(connections):
        parts.append(f"<h2>Connection {esc(conn.id)} ({esc(conn.transport)})</h2>")
        lines = [latency_line(s) for s in conn.latency]
        if conn.security is not None:
            lines += security_lines(conn.security)
        if conn.health is not None:
            lines += health_lines(conn.health, start_us)
        lines += [f"{e.frame:>7} {(e.ts_us - start_us) / 1e6:>11.6f} {e.kind}: {e.detail}"
                  for e in conn.timeline]  # fmt: skip
        parts.append(f"<pre>{esc(chr(10).join(lines))}</pre>")
        charts = []
        for kind, fig in figures(conn) if conn.id in charted else ():
            chart_id = f"chart-{n}-{kind}"
            charts.append(f'<div id="{chart_id}" class="chart"></div>')
            spec = msgspec.json.encode({"id": chart_id, "figure": fig}).decode()
            specs.append(spec)
        if charts:
            parts.append(f'<div class="charts">{"".join(charts)}</div>')
    parts.append("<h2>GATT databases</h2>")
    trees = ["\n".join(gatt_lines(db)) for db in databases]
    parts.append(f"<pre>{esc(chr(10).join(trees))}</pre>" if trees else "<p>None seen.</p>")
    figures_js = "var FIGURES = [" + ",\n".join(specs) + "];"
    yield '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">\n'
    yield f"<title>attscope report: {esc(name)}</title>\n<style>{STYLE}</style>\n"
    yield f"<script>{ON_ERROR}</script>\n<script>"
    yield get_plotlyjs()
    yield "</script>\n</head><body>\n"
    yield "\n".join(parts)
    yield f"\n<script>{_script_text(figures_js)}\n{DRAW}</script>\n</body></html>\n"


def _busiest(connections: list[Connection]) -> set[str]:
    """The ids of the MAX_CHARTED connections that sent the most packets."""

    def packets(conn: Connection) -> int:
        return sum(s.packets for s in conn.health.sides) if conn.health else 0

    ranked = sorted(connections, key=packets, reverse=True)
    return {conn.id for conn in ranked[:MAX_CHARTED]}


def _script_text(text: str) -> str:
    """Text safe inside a <script> element: no "</" can end it early."""
    return text.replace("</", "<\\/")
