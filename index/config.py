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

from .languages import FALLBACK, LanguageSettings
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


DEFAULT_BUILD_MEMORY_MB = 1024
MIN_BUILD_MEMORY_MB = 1   # tiny budgets are for tests: many runs on a small corpus


@dataclass(frozen=True)
class RuntimeSettings:
    """Settings that change how this process builds or searches, not what an index holds
    (so they are not part of `IndexConfig.identity`: changing one makes no index stale)."""

    timezone: str = "UTC"        # $TIMEZONE: what "today" and "last week" mean in questions
    build_memory_mb: int = DEFAULT_BUILD_MEMORY_MB      # $BUILD_MEMORY_MB (index.pipeline)
    export_usernames: tuple[tuple[str, str], ...] = ()  # $TELEGRAM_EXPORT_USERNAMES: (chat id, username)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], strict: bool = True) -> "RuntimeSettings":
        """The settings `environ` asks for. A bad $BUILD_MEMORY_MB raises ValueError naming it
        (`strict`; else the default is used: a search never stops over a build setting)."""
        try:
            memory = parse_build_memory_mb(environ.get("BUILD_MEMORY_MB"))
        except ValueError:
            if strict:
                raise
            memory = DEFAULT_BUILD_MEMORY_MB
        return cls(timezone=environ.get("TIMEZONE", "").strip() or "UTC", build_memory_mb=memory,
                   export_usernames=parse_usernames(environ.get("TELEGRAM_EXPORT_USERNAMES", "")))

    @property
    def usernames(self) -> dict[str, str]:
        return dict(self.export_usernames)

    def tz(self) -> tzinfo:
        """The time zone (an IANA name such as Europe/Moscow), else UTC.

        An unknown name falls back to UTC with a warning, so a typo in a setting never stops a search."""
        return _time_zone(self.timezone)

    def today(self) -> date:
        """The current date where the bot's users are."""
        from datetime import datetime
        return datetime.now(self.tz()).date()


@dataclass(frozen=True)
class IndexConfig:
    """Where the corpus and the index live, and how articles become sentences and terms."""

    corpus: Path = DEFAULT_CORPUS
    root: Path = DEFAULT_INDEX
    analyzer: "AnalyzerOptions" = field(default_factory=lambda: _options())
    boilerplate: tuple[str, ...] = DEFAULT_BOILERPLATE   # regexes of lines that are not article text
    limits: Limits = field(default_factory=Limits)
    language: str | None = None    # $INDEX_LANGUAGE: the language of articles without their own `lang`
    languages: LanguageSettings = LanguageSettings()     # per-language analysis choices ($INDEX_CJK, ...)
    runtime: RuntimeSettings = RuntimeSettings()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, corpus: str | Path | None = None,
                 root: str | Path | None = None) -> "IndexConfig":
        """The configuration `environ` (default: this process's environment over the `.env` file,
        `environment()`) asks for; a bad value raises ValueError naming its variable.

        `corpus`/`root` (a CLI flag), else $CORPUS_DIR/$INDEX_PATH, else seeds/ and .index/ at
        the repo root; $BOILERPLATE_FILE names a file of extra boilerplate regexes, one per line;
        $INDEX_LANGUAGE the language of untagged articles instead of detecting it; $INDEX_CJK,
        $INDEX_THAI, $INDEX_STOPWORDS and $INDEX_STEMMING (``tr=prefix5,ar=light10``) the
        per-language choices of `index.languages.LanguageSettings`; `RuntimeSettings` the rest.
        """
        environ = environment() if environ is None else environ
        extra: tuple[str, ...] = ()
        if environ.get("BOILERPLATE_FILE"):
            extra = boilerplate_lines(Path(environ["BOILERPLATE_FILE"]).read_text(encoding="utf-8"))
        return cls(corpus=Path(corpus or environ.get("CORPUS_DIR") or DEFAULT_CORPUS),
                   root=Path(root or environ.get("INDEX_PATH") or DEFAULT_INDEX),
                   boilerplate=DEFAULT_BOILERPLATE + extra,
                   language=_language(environ.get("INDEX_LANGUAGE", "")),
                   languages=language_settings(environ), runtime=RuntimeSettings.from_env(environ))

    def at(self, corpus: Path, root: Path) -> "IndexConfig":
        """The same configuration for another corpus and index folder."""
        return replace(self, corpus=Path(corpus), root=Path(root))

    def identity(self) -> dict:
        """What the index's content depends on (stored in its metadata; JSON-compatible)."""
        limits = asdict(self.limits)
        del limits["upload_bytes"]                 # refuses uploads, changes nothing indexed
        return {"analyzer": asdict(self.analyzer), "boilerplate": list(self.boilerplate), "limits": limits,
                "language": self.language, "languages": _settings_identity(self.languages)}

    def difference(self, stored: object) -> str | None:
        """Which part of the configuration differs from an index's stored `identity` (None: none)."""
        mine = self.identity()
        if not isinstance(stored, dict):
            return "it was built without a stored configuration"
        changed = [name for name in mine if stored.get(name) != mine[name]]
        return f"its {', '.join(changed)} configuration changed" if changed else None

    @classmethod
    def of_identity(cls, stored: dict, corpus: Path, root: Path,
                    runtime: RuntimeSettings | None = None) -> "IndexConfig":
        """The configuration an index was built with, from its stored `identity` (an index from
        before a part was stored gets that part's default: it is stale, see `difference`)."""
        languages = stored.get("languages") or {}
        return cls(corpus=corpus, root=root, analyzer=_options(**stored["analyzer"]),
                   boilerplate=tuple(stored["boilerplate"]), limits=Limits(**stored["limits"]),
                   language=stored.get("language"),
                   languages=LanguageSettings(**{**languages, "stemming": tuple(
                       (languages.get("stemming") or dict(LanguageSettings().stemming)).items())}),
                   runtime=runtime or RuntimeSettings())

    def make_analyzer(self) -> "Analyzer":
        return analyzer_for(self.analyzer, self.languages)


def _options(**values: object) -> "AnalyzerOptions":
    from .analysis import AnalyzerOptions  # imported when needed: an upload writer never is

    return AnalyzerOptions(**values)


@lru_cache(maxsize=8)
def analyzer_for(options: "AnalyzerOptions", languages: LanguageSettings = LanguageSettings()) -> "Analyzer":
    """One analyzer per options (an analyzer caches what it computed: share it)."""
    from .analysis import DEFAULT_ANALYZER, Analyzer

    if options == DEFAULT_ANALYZER.options and languages == DEFAULT_ANALYZER.segmentation:
        return DEFAULT_ANALYZER
    return Analyzer(options, segmentation=languages)


def _settings_identity(settings: LanguageSettings) -> dict:
    return {"cjk": settings.cjk, "thai": settings.thai, "stopwords": settings.stopwords,
            "stemming": dict(settings.stemming)}


def language_settings(environ: Mapping[str, str]) -> LanguageSettings:
    """$INDEX_CJK, $INDEX_THAI, $INDEX_STOPWORDS and $INDEX_STEMMING ("tr=prefix5,ar=light10":
    those languages' stemming instead of the defaults); ValueError naming the variable when bad."""
    default = LanguageSettings()
    values = {field: environ.get(f"INDEX_{field.upper()}", "").strip() or getattr(default, field)
              for field in ("cjk", "thai", "stopwords")}
    try:
        settings = LanguageSettings(**values)
    except ValueError as exc:
        raise ValueError(f"INDEX_{str(exc).split()[1].upper()}: {exc}") from None
    raw = environ.get("INDEX_STEMMING", "").strip()
    if not raw:
        return settings
    pairs = [item.partition("=") for item in raw.split(",") if item.strip()]
    if any(not sep or not code.strip() or not mode.strip() for code, sep, mode in pairs):
        raise ValueError(f"INDEX_STEMMING must be code=mode pairs separated by commas, not {raw!r}")
    try:
        return settings.with_stemming({code.strip(): mode.strip() for code, _, mode in pairs})
    except ValueError as exc:
        raise ValueError(f"INDEX_STEMMING: {exc}") from None


def _language(raw: str) -> str | None:
    from .languages import normalize_code

    raw = raw.strip()
    if not raw:
        return None
    code = normalize_code(raw)
    if code == FALLBACK:
        raise ValueError(f"INDEX_LANGUAGE must be a language code such as ru or pt-BR, not {raw!r}")
    return code


def boilerplate_lines(text: str) -> tuple[str, ...]:
    """The patterns of a boilerplate file: one regex per line; blank lines and # comments skipped."""
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def parse_build_memory_mb(raw: str | None) -> int:
    """$BUILD_MEMORY_MB: the memory a full build may use for its own data, in MB (default 1024).

    The build spills sorted runs of postings to disk whenever the articles and
    postings it holds reach about half of this, so its peak memory follows the
    budget, not the corpus size (`index.pipeline`). The interpreter with numpy,
    numba and nltk (about 190 MB), the vocabulary and the written-word counts
    come on top; those grow slowly with the corpus.
    """
    return _whole_number("BUILD_MEMORY_MB", raw, DEFAULT_BUILD_MEMORY_MB, MIN_BUILD_MEMORY_MB, " of megabytes")


def _whole_number(name: str, raw: str | int | None, default: int, minimum: int, unit: str = "") -> int:
    """`raw` (the setting's text) as an integer of at least `minimum`; unset or blank: `default`."""
    if raw is None or not str(raw).strip():
        return default
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number{unit}, not {raw!r}") from None
    if n < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {n}")
    return n


def parse_usernames(raw: str) -> tuple[tuple[str, str], ...]:
    """$TELEGRAM_EXPORT_USERNAMES: "chat_id=username,..." for exports that do not say the channel's username."""
    out = {}
    for item in raw.split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip() and value.strip():
            out[key.strip()] = value.strip().lstrip("@")
    return tuple(out.items())


def _time_zone(name: str) -> tzinfo:
    from datetime import timezone
    name = name.strip()
    if not name or name.upper() == "UTC":
        return timezone.utc
    try:
        from zoneinfo import ZoneInfo
        return ZoneInfo(name)
    except (ValueError, OSError, ImportError) as exc:
        import logging
        logging.getLogger(__name__).warning("TIMEZONE=%r is not a known time zone (%s); using UTC", name, exc)
        return timezone.utc


def parse_dotenv(text: str) -> dict[str, str]:
    """`KEY=value` lines; `#` comments, blank lines, `export ` and matching quotes allowed."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        if key:
            values[key] = value
    return values


def environment(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> dict[str, str]:
    """The settings of this process: `environ` (default os.environ) over the `.env` file
    (default $ENV_FILE, else ./.env), the way the bot and the CLI both read them."""
    env = dict(os.environ if environ is None else environ)
    path = dotenv if dotenv is not None else Path(env.get("ENV_FILE") or ".env")
    if path.is_file():
        env = {**parse_dotenv(path.read_text(encoding="utf-8")), **env}
    return env


def current_runtime() -> RuntimeSettings:
    """This process's `RuntimeSettings` (environment over `.env`), for code that is handed no
    `IndexConfig`: an index loaded in a search process, a Telegram export read from the corpus."""
    return RuntimeSettings.from_env(environment(), strict=False)


DEFAULT_MERGE_SENTENCES = 50_000


def merge_sentences(value: int | str | None = None) -> int:
    """How many sentences the delta segment of added articles may hold before it is merged into the
    main one in the background (`index.delta`): `value`, else $INDEX_MERGE_SENTENCES, else 50,000.

    An add rewrites the delta (its arrays and database), so its cost grows with the delta, not the
    archive; a merge rewrites everything, so it runs rarely and never in the way of a search."""
    raw = value if value is not None else environment().get("INDEX_MERGE_SENTENCES")
    return _whole_number("INDEX_MERGE_SENTENCES", raw, DEFAULT_MERGE_SENTENCES, 1)
