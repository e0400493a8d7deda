"""Where things are by default, and the environment variables that move them.

One place for paths and limits, so the CLI, the bot and the tests agree.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def corpus_dir(value: str | os.PathLike | None = None) -> Path:
    """`value`, else $CORPUS_DIR, else seeds/ at the repo root."""
    return Path(value or os.environ.get("CORPUS_DIR") or REPO_ROOT / "seeds")


def index_path(value: str | os.PathLike | None = None) -> Path:
    """`value`, else $INDEX_PATH, else .index/ at the repo root."""
    return Path(value or os.environ.get("INDEX_PATH") or REPO_ROOT / ".index")


def boilerplate_patterns() -> tuple[str, ...] | None:
    """Extra boilerplate regexes, one per line, from the file named by $BOILERPLATE_FILE."""
    path = os.environ.get("BOILERPLATE_FILE")
    if not path:
        return None
    from .sentences import DEFAULT_BOILERPLATE
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    extra = tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))
    return DEFAULT_BOILERPLATE + extra
