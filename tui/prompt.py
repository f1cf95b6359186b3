"""A one-line question at the bottom of the screen (search text, frame number, file)."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input


class Prompt(Input):
    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._answer: Callable[[str], None] | None = None
        self._back_to: Widget | None = None

    def ask(self, what: str, prefix: str, answer: Callable[[str], None], value: str = "") -> None:
        self._back_to = self.app.focused
        self._answer = answer
        self.placeholder = f"{prefix}{what} (enter to confirm, escape to cancel)"
        self.value = value
        self.display = True
        # focused at once, not after the keys already queued (focus() waits for them):
        # what is typed right after the key that asked goes into the answer
        self.screen.set_focus(self)

    def _close(self) -> None:
        self.display = False
        if self._back_to is not None:
            self._back_to.focus()

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
