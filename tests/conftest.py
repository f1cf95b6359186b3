"""Shared fixtures; the corpus and tshark helpers live in corpus.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus import need_corpus, need_tshark


@pytest.fixture
def captures() -> Path:
    return need_corpus()


@pytest.fixture
def tshark() -> str:
    return need_tshark()
