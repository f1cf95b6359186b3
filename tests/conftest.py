"""Shared fixtures; the corpus and tshark helpers live in corpus.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import need_corpus, need_tshark


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden/ from today's output instead of comparing with it "
        "(review the diff before committing it)",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture
def captures() -> Path:
    return need_corpus()


@pytest.fixture
def tshark() -> str:
    return need_tshark()
