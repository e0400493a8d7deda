"""The index configuration: where the corpus and the index are, and how articles are read and analysed.

One object, `IndexConfig`, so the CLI, the bot, the tests and a rebuild in a
child process agree: whatever builds an index or adds articles to it gets
one, and nothing in `index/` reads the environment except
`IndexConfig.from_env`. What changes the index's content (analyzer options,
boilerplate patterns, file-size limits: `IndexConfig.identity`) is stored in
the index metadata; an index built with another one is stale
(`SearchIndex.stale_reason`), and articles added later are split and
analysed with the configuration the index was built with.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .sentences import DEFAULT_BOILERPLATE

if TYPE_CHECKING:
    from .analysis import Analyzer, AnalyzerOptions

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO_ROOT / "seeds"
DEFAULT_INDEX = REPO_ROOT / ".index"

EXTENSIONS = (".txt", ".md", ".jsonl")        # the article file types, in the corpus and as uploads
UPLOAD_EXTENSIONS = EXTENSIONS + (".json",)   # uploads also take a Telegram export (result.json)
MAX_TEXT_FILE_BYTES = 10 * 1024 * 1024        # an article over 10 MB is not an article
MAX_JSONL_FILE_BYTES = 1024 * 1024 * 1024     # JSONL is streamed line by line
MAX_UPLOAD_BYTES = 20 * 1024 * 1024           # what Telegram lets a bot download
UPLOAD_DIR = "uploads"                        # corpus subfolders for uploaded files and channel posts
CHANNEL_DIR = "channels"


@dataclass(frozen=True)
class Limits:
    """How large an input may be; a larger one is skipped (corpus) or refused (upload) with a reason."""

    text_file_bytes: int = MAX_TEXT_FILE_BYTES     # a .txt/.md article, and one JSONL line
    jsonl_file_bytes: int = MAX_JSONL_FILE_BYTES
    upload_bytes: int = MAX_UPLOAD_BYTES


@dataclass(frozen=True)
class IndexConfig:
    """Where the corpus and the index live, and how articles become sentences and terms."""

    corpus: Path = DEFAULT_CORPUS
    root: Path = DEFAULT_INDEX
    analyzer: "AnalyzerOptions" = field(default_factory=lambda: _options())
    boilerplate: tuple[str, ...] = DEFAULT_BOILERPLATE   # regexes of lines that are not article text
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, corpus: str | Path | None = None,
                 root: str | Path | None = None) -> "IndexConfig":
        """The configuration `environ` (default: this process's environment) asks for.

        `corpus`/`root` (a CLI flag), else $CORPUS_DIR/$INDEX_PATH, else seeds/ and .index/ at
        the repo root; $BOILERPLATE_FILE names a file of extra boilerplate regexes, one per line.
        """
        environ = os.environ if environ is None else environ
        extra: tuple[str, ...] = ()
        if environ.get("BOILERPLATE_FILE"):
            extra = boilerplate_lines(Path(environ["BOILERPLATE_FILE"]).read_text(encoding="utf-8"))
        return cls(corpus=Path(corpus or environ.get("CORPUS_DIR") or DEFAULT_CORPUS),
                   root=Path(root or environ.get("INDEX_PATH") or DEFAULT_INDEX),
                   boilerplate=DEFAULT_BOILERPLATE + extra)

    def at(self, corpus: Path, root: Path) -> "IndexConfig":
        """The same configuration for another corpus and index folder."""
        return replace(self, corpus=Path(corpus), root=Path(root))

    def identity(self) -> dict:
        """What the index's content depends on (stored in its metadata; JSON-compatible)."""
        limits = asdict(self.limits)
        del limits["upload_bytes"]                 # refuses uploads, changes nothing indexed
        return {"analyzer": asdict(self.analyzer), "boilerplate": list(self.boilerplate), "limits": limits}

    def difference(self, stored: object) -> str | None:
        """Which part of the configuration differs from an index's stored `identity` (None: none)."""
        mine = self.identity()
        if not isinstance(stored, dict):
            return "it was built without a stored configuration"
        changed = [name for name in mine if stored.get(name) != mine[name]]
        return f"its {', '.join(changed)} configuration changed" if changed else None

    @classmethod
    def of_identity(cls, stored: dict, corpus: Path, root: Path) -> "IndexConfig":
        """The configuration an index was built with, from its stored `identity`."""
        return cls(corpus=corpus, root=root, analyzer=_options(**stored["analyzer"]),
                   boilerplate=tuple(stored["boilerplate"]), limits=Limits(**stored["limits"]))

    def make_analyzer(self) -> "Analyzer":
        return analyzer_for(self.analyzer)


def _options(**values: object) -> "AnalyzerOptions":
    from .analysis import AnalyzerOptions  # imported when needed: an upload writer never is

    return AnalyzerOptions(**values)


@lru_cache(maxsize=8)
def analyzer_for(options: "AnalyzerOptions") -> "Analyzer":
    """One analyzer per options (an analyzer caches what it computed: share it)."""
    from .analysis import DEFAULT_ANALYZER, Analyzer

    return DEFAULT_ANALYZER if options == DEFAULT_ANALYZER.options else Analyzer(options)


def boilerplate_lines(text: str) -> tuple[str, ...]:
    """The patterns of a boilerplate file: one regex per line; blank lines and # comments skipped."""
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


DEFAULT_BUILD_MEMORY_MB = 1024
MIN_BUILD_MEMORY_MB = 1   # tiny budgets are for tests: many runs on a small corpus


def build_memory_mb(value: int | str | None = None) -> int:
    """The memory a full build may use for its own data, in MB: `value`, else $BUILD_MEMORY_MB, else 1024.

    The build spills sorted runs of postings to disk whenever the articles and
    postings it holds reach about half of this, so its peak memory follows the
    budget, not the corpus size (`index.pipeline`). The interpreter with numpy,
    numba and nltk (about 190 MB), the vocabulary and the written-word counts
    come on top; those grow slowly with the corpus.
    """
    return _whole_number("BUILD_MEMORY_MB", value, DEFAULT_BUILD_MEMORY_MB, MIN_BUILD_MEMORY_MB, " of megabytes")


def _whole_number(name: str, value: int | str | None, default: int, minimum: int, unit: str = "") -> int:
    """`value`, else $`name`, else `default`, as an integer of at least `minimum` (a clear error else)."""
    raw = value if value is not None else os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number{unit}, not {raw!r}") from None
    if n < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {n}")
    return n


def time_zone() -> tzinfo:
    """$TIMEZONE (an IANA name such as Europe/Moscow), else UTC: what "today" and "last week" mean.

    An unknown name falls back to UTC with a warning, so a typo in a setting never stops a search.
    """
    from datetime import timezone
    name = os.environ.get("TIMEZONE", "").strip()
    if not name or name.upper() == "UTC":
        return timezone.utc
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(name)
    except (ValueError, OSError, ImportError) as exc:
        import logging
        logging.getLogger(__name__).warning("TIMEZONE=%r is not a known time zone (%s); using UTC", name, exc)
        return timezone.utc


def today() -> date:
    """The current date where the bot's users are ($TIMEZONE, default UTC)."""
    from datetime import datetime
    return datetime.now(time_zone()).date()


def export_usernames() -> dict[str, str]:
    """$TELEGRAM_EXPORT_USERNAMES: "chat_id=username,..." for exports that do not say the channel's username."""
    out = {}
    for item in os.environ.get("TELEGRAM_EXPORT_USERNAMES", "").split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip() and value.strip():
            out[key.strip()] = value.strip().lstrip("@")
    return out


def index_language() -> str | None:
    """$INDEX_LANGUAGE: the language of every article without its own `lang` ("ru"), instead of
    detecting it; unset or empty: detect each article's language (`index.detect`)."""
    return os.environ.get("INDEX_LANGUAGE", "").strip() or None


DEFAULT_MERGE_SENTENCES = 50_000


def merge_sentences(value: int | str | None = None) -> int:
    """How many sentences the delta segment of added articles may hold before it is merged into the
    main one in the background (`index.delta`): `value`, else $INDEX_MERGE_SENTENCES, else 50,000.

    An add rewrites the delta (its arrays and database), so its cost grows with the delta, not the
    archive; a merge rewrites everything, so it runs rarely and never in the way of a search."""
    return _whole_number("INDEX_MERGE_SENTENCES", value, DEFAULT_MERGE_SENTENCES, 1)
