"""The benchmark's cases: one row each, an attscope command beside the tshark command that
does the nearest equivalent work on the same file.

A new benchmark (export, dump, TUI time-to-first-screen, live throughput) is one more `Case`
here. Arguments are the command line after the executable; these placeholders are replaced in
every argument:

* `{capture}`: the synthetic capture of the size being measured;
* `{scratch}`: an empty directory the command may write into (an export's output), made
  afresh for every run so no run finds the previous one's files.

A case whose work tshark has no counterpart for sets `tshark=None` and gets no ratio.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    name: str
    what: str  # one line for the report: what the row measures
    attscope: tuple[str, ...]
    tshark: tuple[str, ...] | None


# tshark decoding every frame down to the ATT fields
ATT_FIELDS = (
    "-r",
    "{capture}",
    "-T",
    "fields",
    "-e",
    "btatt.opcode",
    "-e",
    "btatt.handle",
    "-e",
    "btatt.value",
)
# tshark's nearest to attscope's full analysis: those fields and request/answer pairing
ATT_ANALYSIS = (*ATT_FIELDS, "-e", "btatt.request_in_frame", "-e", "btatt.error_code")

CASES: tuple[Case, ...] = (
    Case(
        name="info",
        what="read every frame once and summarize (format, counts, time span)",
        attscope=("info", "{capture}"),
        # Printing one field per frame is the cheapest way to make tshark read every frame.
        tshark=("-r", "{capture}", "-T", "fields", "-e", "frame.number"),
    ),
    Case(
        name="decode",
        what="decode every frame (HCI, L2CAP with reassembly, ATT ...) and count PDUs by kind",
        attscope=("stats", "{capture}"),
        tshark=ATT_FIELDS,
    ),
    Case(
        name="analyze",
        what="full analysis: connections, transactions, GATT, violations, printed as found",
        attscope=("dump", "--transactions", "--violations", "{capture}"),
        tshark=ATT_ANALYSIS,
    ),
    Case(
        name="export",
        what="full analysis written as JSON Lines (connections, transactions, violations, GATT)",
        attscope=("export", "{capture}", "-o", "{scratch}/out.jsonl"),
        # tshark's JSON of every ATT frame (to /dev/null, as every command's stdout)
        tshark=("-r", "{capture}", "-Y", "btatt", "-T", "json", "-J", "frame btatt"),
    ),
    Case(
        name="tui-first-screen",
        what="TUI: start, open the capture and draw the first screen (analysis goes on)",
        attscope=("open", "{capture}", "--exit-after", "first-screen"),
        tshark=("-r", "{capture}", "-c", "40"),  # tshark's first screenful of summary lines
    ),
    Case(
        name="tui-analysed",
        what="TUI: open the capture and analyse all of it in the worker, screen updating",
        attscope=("open", "{capture}", "--exit-after", "analysed"),
        tshark=("-r", "{capture}"),  # tshark's summary of every frame
    ),
    Case(
        name="report",
        what="full analysis with link health, written as the HTML report with its charts",
        attscope=("report", "{capture}", "-o", "{scratch}/report.html"),
        tshark=ATT_ANALYSIS,
    ),
    Case(
        name="dump",
        what="decode every frame and print one summary line for each",
        attscope=("dump", "{capture}"),
        tshark=("-r", "{capture}"),  # tshark's one-line-per-frame summary
    ),
)


def case_named(name: str) -> Case:
    for case in CASES:
        if case.name == name:
            return case
    raise KeyError(name)


def expand(args: Sequence[str], values: Mapping[str, str]) -> list[str]:
    """Substitute placeholders with str.replace, not str.format: tshark display filters use
    braces of their own (`btatt.opcode in {0x0a 0x0b}`)."""
    out = []
    for arg in args:
        for key, value in values.items():
            arg = arg.replace("{" + key + "}", value)
        out.append(arg)
    return out
