"""A list of any length drawn one line at a time: only the rows on screen are ever built.

The rows come from a `RowSource` (a length and a way to build rows start..stop); the
widget keeps a cursor, a small cache of built rows and a column header that scrolls
sideways with the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

_CURSOR = Style(reverse=True)
_CURSOR_BLURRED = Style(bgcolor="grey30")
_HEADER = Style(bold=True, underline=True)


class RowSource(Protocol):
    def __len__(self) -> int: ...

    def rows(self, start: int, stop: int, width: int) -> list[Text]: ...


class _Empty:
    def __len__(self) -> int:
        return 0

    def rows(self, start: int, stop: int, width: int) -> list[Text]:
        return []


class _RowMessage(Message):
    def __init__(self, widget: VirtualList, index: int) -> None:
        super().__init__()
        self.widget = widget
        self.index = index

    @property
    def control(self) -> VirtualList:
        return self.widget


class VirtualList(ScrollView, can_focus=True):
    """Rows from a source, a cursor over them, Enter to choose one."""

    DEFAULT_CSS = """
    VirtualList { height: 1fr; scrollbar-size-vertical: 1; }
    """
    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter", "choose", "Choose", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True)

    class Highlighted(_RowMessage):
        """The cursor moved onto a row."""

    class Chosen(_RowMessage):
        """Enter (or a double click) on a row."""

    def __init__(
        self,
        header: str | Text | Callable[[int], str | Text] = "",
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.source: RowSource = _Empty()
        self.header = header
        self._cache: dict[int, Text] = {}
        self._known = 0  # rows in the source at the last refresh
        self.empty_text = "(nothing here)"
        self.follow = False  # keep the cursor on the last row as rows arrive (live)

    # -- data ---------------------------------------------------------------------------

    def set_source(self, source: RowSource, keep_cursor: bool = False) -> None:
        self.source = source
        self._cache.clear()
        self._known = -1
        if not keep_cursor:
            self.cursor = 0
        self.update_rows()
        if len(source):
            self.post_message(self.Highlighted(self, self.cursor))

    def update_rows(self, changed: bool = False) -> None:
        """The source grew (or its rows changed): resize and redraw."""
        n = len(self.source)
        if n == self._known and not changed:
            return
        if changed:
            self._cache.clear()
        first_rows = self._known <= 0 < n
        self._known = n
        self.virtual_size = Size(self._width(), n + self._header_lines)
        if (self.follow and n) or self.cursor >= n > 0:
            self.cursor = n - 1
        elif first_rows:
            self.post_message(self.Highlighted(self, self.cursor))
        self.refresh()

    @property
    def _header_lines(self) -> int:
        return 1 if self.header else 0

    def _width(self) -> int:
        return max(self.size.width, 160)

    # -- drawing ------------------------------------------------------------------------

    def _row(self, index: int) -> Text | None:
        cached = self._cache.get(index)
        if cached is not None:
            return cached
        if not 0 <= index < len(self.source):
            return None
        height = max(self.size.height, 1)
        start = max(0, index - 2)
        built = self.source.rows(start, start + height + 4, max(self.size.width, 40))
        if len(self._cache) > 2000:
            self._cache.clear()
        for offset, row in enumerate(built):
            self._cache[start + offset] = row
        return self._cache.get(index)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        style = self.rich_style
        if self.header and y == 0:
            head = self.header(width) if callable(self.header) else self.header
            head = head if isinstance(head, Text) else Text(head)
            segments = list(head.render(self.app.console))
            strip = Strip(segments).apply_style(style + _HEADER)
            return strip.crop_extend(scroll_x, scroll_x + width, style + _HEADER)
        index = scroll_y + y - self._header_lines
        row = self._row(index)
        if row is None:
            if index == 0 and not len(self.source):
                empty = Strip(list(Text(self.empty_text, "dim").render(self.app.console)))
                return empty.crop_extend(0, width, style)
            return Strip.blank(width, style)
        strip = Strip(list(row.render(self.app.console)))
        strip = strip.crop_extend(scroll_x, scroll_x + width, style)
        if index == self.cursor:
            cursor = _CURSOR if self.has_focus else _CURSOR_BLURRED
            strip = Strip([Segment(s.text, (s.style or style) + cursor) for s in strip])
        return strip.apply_style(style)

    def on_resize(self) -> None:
        self._cache.clear()
        self.virtual_size = Size(self._width(), len(self.source) + self._header_lines)

    # -- cursor -------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        n = len(self.source)
        if n and not 0 <= new < n:
            self.cursor = max(0, min(new, n - 1))
            return
        self._scroll_to_cursor()
        self.refresh()
        if n:
            self.post_message(self.Highlighted(self, new))

    def _scroll_to_cursor(self) -> None:
        top = self.scroll_offset.y
        visible = max(1, self.size.height - self._header_lines - 1)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)

    def action_cursor(self, step: int) -> None:
        self.follow = False
        self.cursor = max(0, min(self.cursor + step, len(self.source) - 1))

    def action_page(self, step: int) -> None:
        self.action_cursor(step * max(1, self.size.height - self._header_lines - 1))

    def action_first(self) -> None:
        self.action_cursor(-self.cursor)

    def action_last(self) -> None:
        self.action_cursor(len(self.source))

    def action_choose(self) -> None:
        if len(self.source):
            self.post_message(self.Chosen(self, self.cursor))

    def move_to(self, index: int) -> None:
        """Put the cursor on a row and show it near the middle."""
        self.follow = False
        self.cursor = max(0, min(index, len(self.source) - 1))
        self.scroll_to(y=max(0, self.cursor - self.size.height // 2), animate=False)

    async def _on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y - self._header_lines
        if 0 <= index < len(self.source):
            self.focus()
            self.follow = False
            self.cursor = index
            if event.chain >= 2:
                self.action_choose()
