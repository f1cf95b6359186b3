"""Writing an output file so that nothing half-written passes for complete: the data goes
to a temporary file beside the target, renamed over it only when everything succeeded."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def error_text(exc: BaseException) -> str:
    """An OSError's reason without its repr noise ("No such file or directory")."""
    return str(getattr(exc, "strerror", None) or exc)


def _same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file (the same path, a symlink to it, a hard link)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): they cannot be one file
        return False


@contextlib.contextmanager
def replaced_on_success(
    target: str | os.PathLike[str], *, inputs: Iterable[str | os.PathLike[str]] = ()
) -> Iterator[Path]:
    """A temporary path in `target`'s folder; when the block ends normally the file there
    becomes `target` (with the permissions of any new file), otherwise it is removed, also
    on Ctrl-C. Creating it raises OSError (a missing folder, no permission), and so does a
    `target` that is one of the `inputs` being read (shutil.SameFileError): an output
    never replaces what it is made from."""
    out = Path(target)
    for source in inputs:
        if _same_file(source, out):
            raise shutil.SameFileError(
                f"is the same file as the input {source}; not overwriting it"
            )
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    tmp = Path(name)
    done = False
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 is not what a new file gets
        os.replace(tmp, out)
        done = True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                tmp.unlink()
