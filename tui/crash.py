"""Running the TUI so that a crash cannot pass for success: an unhandled exception (in a
handler or a worker) ends the app with exit status 70 and its traceback in a file whose
path is printed on stderr. Textual itself prints the traceback and leaves the process's
status to its caller, who would exit 0."""

from __future__ import annotations

import sys
import tempfile
import traceback
from typing import TYPE_CHECKING, Any

from textual.worker import WorkerFailed

from attscope.tui.rows import safe

if TYPE_CHECKING:
    from attscope.tui.app import AttscopeApp

EXIT_CRASHED = 70  # EX_SOFTWARE (sysexits.h): an internal error


def cause(error: BaseException) -> BaseException:
    """The exception itself: a worker's failure is reported wrapped."""
    return error.error if isinstance(error, WorkerFailed) else error


def report_crash(error: BaseException) -> str:
    """The traceback written to a new temporary file; its path."""
    with tempfile.NamedTemporaryFile(
        "w", prefix="attscope-crash-", suffix=".txt", delete=False, encoding="utf-8"
    ) as out:
        out.write("".join(traceback.format_exception(error)))
    return out.name


def run_app(app: AttscopeApp, **options: Any) -> int:
    """`app.run(**options)`; the exit status: 0, or EXIT_CRASHED after a crash (its
    traceback written to a file that stderr names)."""
    crashed: BaseException | None = None
    try:
        app.run(**options)
    except Exception as error:  # the app could not even start or stop
        crashed = error
    crashed = crashed or app.crash
    if crashed is None:
        return app.return_code or 0
    path = report_crash(crashed)
    what = safe(f"{type(crashed).__name__}: {crashed}")
    print(f"attscope: the terminal UI stopped on an internal error ({what}); "
          f"the traceback is in {path}", file=sys.stderr)  # fmt: skip
    return EXIT_CRASHED
