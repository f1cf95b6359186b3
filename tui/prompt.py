"""A one-line question at the bottom of the screen (search text, frame number, file): a
label saying what is asked, and what the answer will do, above the line typed into."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Static

from attscope.tui.rows import safe


class Prompt(Input):
    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._answer: Callable[[str], None] | None = None
        self._back_to: Widget | None = None
        self._what = ""
        self._explain: Callable[[str], str] | None = None

    def ask(
        self,
        what: str,
        prefix: str,
        answer: Callable[[str], None],
        value: str = "",
        explain: Callable[[str], str] | None = None,
    ) -> None:
        """Ask `what`; `answer` gets the text confirmed. `explain` says, as the text
        changes, what the answer will do (the export's full path)."""
        self._back_to = self.app.focused
        self._answer = answer
        self._what, self._explain = what, explain
        self.placeholder = f"{prefix}{what} (enter to confirm, escape to cancel)"
        self.value = value
        self._label()
        self.bar().display = True
        # focused at once, not after the keys already queued (focus() waits for them):
        # what is typed right after the key that asked goes into the answer
        self.screen.set_focus(self)

    def bar(self) -> Widget:
        return self.parent if isinstance(self.parent, PromptBar) else self

    def _label(self) -> None:
        if not isinstance(self.parent, PromptBar):
            return
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(self._what, "bold")
        if self._explain is not None:
            text.append(f": {safe(self._explain(self.value))}")
        text.append("  (enter to confirm, escape to cancel)", "dim")
        self.parent.query_one("#prompt-label", Static).update(text)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if self._answer is not None:
            self._label()

    def _close(self) -> None:
        self.bar().display = False
        if self._back_to is not None:
            # at once: where the answer then moves the focus (another panel) wins
            self.screen.set_focus(self._back_to)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        answer, self._answer = self._answer, None
        self._close()
        if answer is not None:
            answer(event.value)

    def action_cancel(self) -> None:
        self._answer = None
        self._close()


class PromptBar(Vertical):
    """The prompt and its label, docked at the bottom while a question is open."""

    DEFAULT_CSS = """
    PromptBar { dock: bottom; height: auto; display: none; }
    PromptBar > #prompt-label { height: 1; padding: 0 1; background: $boost; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text(""), id="prompt-label")
        yield Prompt(id="search")
