"""`?`: every key, and the filter bar's language."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from attscope.tui.filter_query import __doc__ as FILTER_HELP

LIST_KEYS = [
    ("up/down, j/k", "move the cursor"),
    ("page up/down, home/end", "move by a page, to the first or last row"),
    ("enter", "choose: focus a connection, open a transaction or violation at its frames"),
    ("mouse", "click a row to select it, double-click to choose; wheel scrolls; click tabs"),
    ("tab / shift+tab", "move between the filter bar and the panel"),
]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; height: 90%; border: round $accent;
                                  background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(
        self,
        bindings: list[BindingType],
        panel_keys: list[tuple[str, list[BindingType]]] | None = None,
        legends: list[tuple[str, str]] | None = None,
    ) -> None:
        """`bindings`: the App's keys; `panel_keys`: each panel's title and own keys;
        `legends`: each panel's title and what its markers mean."""
        super().__init__()
        self._bindings_shown = bindings
        self._panel_keys = panel_keys or []
        self._legends = legends or []

    def compose(self) -> ComposeResult:
        text = Text()
        text.append("attscope keys\n\n", "bold")
        _keys(text, self._bindings_shown)
        for title, bindings in self._panel_keys:
            if bindings:
                text.append(f"\nIn {title.split(' ', 1)[-1]}\n", "bold")
                _keys(text, bindings)
        text.append("\nIn the lists\n", "bold")
        for keys, what in LIST_KEYS:
            text.append(f"  {keys:<22}", "bold cyan")
            text.append(f"{what}\n")
        if self._legends:
            text.append("\nMarkers\n", "bold")
            for title, legend in self._legends:
                text.append(f"  {title.split(' ', 1)[-1]:<22}", "bold cyan")
                text.append(f"{legend}\n")
        text.append("\nThe filter bar\n", "bold")
        text.append((FILTER_HELP or "").strip() + "\n")
        text.append(
            "\nTransactions: s cycles the sort (time, latency, handle, outcome); "
            "space opens a long read or queued write into its exchanges.\n"
            "Devices: s cycles the order (first heard, signal, packets, name); the filter's "
            "free words, name: and uuid: narrow them.\n"
            "Security: each link's pairing, the keys found and what was decrypted, or what "
            "is missing; enter focuses every view on the link.\n"
        )
        with VerticalScroll():
            yield Static(text)


def _keys(text: Text, bindings: list[BindingType]) -> None:
    for binding in bindings:
        if isinstance(binding, Binding):
            keys = binding.key.replace("question_mark", "?").replace("slash", "/")
            keys = keys.replace("colon", ":")
            text.append(f"  {keys:<22}", "bold cyan")
            text.append(f"{binding.description}\n")
