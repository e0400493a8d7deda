"""Shared by the bot tests: a private copy of the seed corpus; `BotProcess` (in
`tests/botprocess.py`) starts `python -m bot` as a subprocess."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.botprocess import REPO, SEEDS, BotProcess

__all__ = ["REPO", "SEEDS", "BotProcess"]


@pytest.fixture(scope="module")
def seed_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the seed corpus (the bot writes uploads and channel posts into it)."""
    target = tmp_path_factory.mktemp("corpus")
    shutil.copytree(SEEDS, target, dirs_exist_ok=True)
    return target
