"""Import contracts: which package may import which (the layering of README's Layout).

Every import statement of every module is read from the source (functions included, so a
lazy import counts), mapped to the installed module name through pyproject's folders, and
checked against the rules below. The dissector rule is transitive: nothing the dissector
imports, directly or through another attscope module, may do file, serial or terminal I/O.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FOLDERS = {  # package -> folder, as pyproject.toml maps them
    "attscope": REPO / "attscope",
    "attscope.capture": REPO / "capture",
    "attscope.dissector": REPO / "dissector",
    "attscope.tui": REPO / "tui",
}

# Modules whose import means I/O or a user interface; none may be reachable from the
# dissector.
IO_MODULES = frozenset(
    {
        "asyncio",
        "curses",
        "dpkt",
        "io",
        "logging",
        "os",
        "pathlib",
        "pyshark",
        "rich",
        "serial",
        "shutil",
        "socket",
        "subprocess",
        "sys",
        "tempfile",
        "textual",
        "threading",
    }
)
IO_CALLS = frozenset({"open", "print", "input"})


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            # `from attscope.capture import linktypes` imports the module linktypes; the
            # package's __init__ re-exports are a convenience for users and not followed.
            names = [f"{module}.{alias.name}" for alias in node.names]
            submodules = [n for n in names if n in known]
            yield from submodules or [module]
            yield from (n for n in names if n not in known)


def calls_of(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            yield node.func.id


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _project(module: str, known: dict[str, Path]) -> str | None:
    """The project module an imported name refers to (a module, not a name inside one)."""
    while module:
        if module in known:
            return module
        module = module.rpartition(".")[0]
    return None


def broken_contracts(known: dict[str, Path]) -> list[str]:
    graph = {name: sorted(set(imports_of(name, path, known))) for name, path in known.items()}
    broken: list[str] = []

    def forbid(importer: str, forbidden: str, why: str) -> None:
        for name, imported in graph.items():
            if not _within(name, importer):
                continue
            for target in imported:
                if _within(target, forbidden):
                    broken.append(f"{name} imports {target}: {why}")

    forbid("attscope.capture", "attscope.dissector", "capture is below the dissector")
    forbid("attscope.capture", "attscope.tui", "capture is below the TUI")
    for above in ("attscope.cli", "attscope.export", "attscope.text"):
        forbid("attscope.capture", above, "capture is below the command line and output")
        forbid("attscope.dissector", above, "the dissector is below the command line and output")
    forbid("attscope.dissector", "attscope.tui", "the dissector knows no user interface")
    forbid(
        "attscope.dissector.decoding", "attscope.dissector.analysis", "decoding is below analysis"
    )
    for name in graph:
        if name.startswith("attscope.cli") or name == "attscope.__main__":
            continue
        for target in graph[name]:
            if _within(target, "attscope.cli"):
                broken.append(
                    f"{name} imports {target}: only the entry point uses the command line"
                )
    for name in graph:  # export and text renderings are library code for the CLI and the TUI
        if _within(name, "attscope.export") or _within(name, "attscope.text"):
            broken.extend(
                f"{name} imports {t}: output code is below the TUI"
                for t in graph[name]
                if _within(t, "attscope.tui")
            )

    # The dissector, and every project module it reaches, does no I/O.
    seen: set[str] = set()
    todo = [name for name in graph if _within(name, "attscope.dissector")]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for target in graph[name]:
            top = target.split(".")[0]
            if top in IO_MODULES:
                broken.append(f"{name} (reached from the dissector) imports {target}")
            inner = _project(target, known)
            if inner is not None:
                todo.append(inner)
        broken.extend(
            f"{name} (reached from the dissector) calls {call}()"
            for call in calls_of(known[name])
            if call in IO_CALLS
        )
    return sorted(set(broken))


def test_every_package_imports_only_what_its_layer_may() -> None:
    known = modules()
    assert "attscope.dissector.analysis.analyzer" in known
    assert "attscope.cli.main" in known
    assert broken_contracts(known) == []


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        (
            "attscope.capture.frame",
            "from attscope.dissector.decoding import pdu",
            "capture is below",
        ),
        ("attscope.dissector.decoding.pdu", "import textual", "imports textual"),
        ("attscope.dissector.decoding.pdu", "def f():\n    import serial", "imports serial"),
        ("attscope.dissector.decoding.pdu", "def f():\n    open('x')", "calls open()"),
        (
            "attscope.dissector.decoding.pdu",
            "from attscope.dissector.analysis import analyzer",
            "decoding is below analysis",
        ),
        ("attscope.tui.rows", "from attscope.cli.commands import dump_cmd", "entry point"),
        ("attscope.export.writer", "from attscope.tui import model", "below the TUI"),
        # reached through a capture module: the contract is transitive
        ("attscope.capture.frame", "import subprocess", "reached from the dissector"),
    ],
)
def test_a_broken_contract_is_caught(tmp_path: Path, module: str, line: str, expected: str) -> None:
    known = modules()
    copy = tmp_path / "module.py"
    copy.write_text(known[module].read_text() + "\n" + line + "\n")
    known[module] = copy
    found = broken_contracts(known)
    assert any(expected in problem for problem in found), found


def test_the_command_line_is_only_reached_from_the_entry_point() -> None:
    # Loading the TUI, the exporter and the renderings loads no command-line module.
    code = (
        "import sys, attscope.tui.app, attscope.export.stream, attscope.text.packet_text;"
        "print(sorted(m for m in sys.modules if m.startswith('attscope.cli')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
