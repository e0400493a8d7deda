"""Settings from the environment (and an optional `.env` file), checked once at start.

Every knob the bot has is an environment variable so the same code runs on a
laptop, on Heroku-like hosts and in the tests (which start `python -m bot` as
a subprocess). A bad value stops the start with a message naming the
variable instead of failing later inside a handler. The `.env` parser (`index.config`) is ten
lines on purpose: no extra dependency for `KEY=value` lines.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from index.config import DEFAULT_CORPUS, DEFAULT_INDEX, IndexConfig, environment, parse_dotenv  # noqa: F401 (its .env parser)

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_API_FILE_URL = "https://api.telegram.org/file/bot"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Searches run in this many worker processes (0: in the bot's own threads). One is enough to take
# them off the event loop's GIL; on a single CPU it would only add overhead.
DEFAULT_SEARCH_PROCESSES = 1 if (os.cpu_count() or 1) > 1 else 0


class ConfigError(ValueError):
    """A setting has a value the bot cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment."""

    token: str | None = None
    admin_ids: frozenset[int] = frozenset()
    corpus_dir: Path = DEFAULT_CORPUS
    index_path: Path = DEFAULT_INDEX
    api_base_url: str = DEFAULT_API_BASE_URL
    api_file_url: str = DEFAULT_API_FILE_URL
    webhook_url: str | None = None
    webhook_secret: str = ""
    webhook_listen: str = "0.0.0.0"
    port: int = 8080
    ingest_channel_ids: frozenset[int] = frozenset()
    results_per_page: int = 3
    questions_per_minute: int = 20
    rate_limiter: bool = True
    log_level: str = "INFO"
    search_processes: int = DEFAULT_SEARCH_PROCESSES
    index_config: IndexConfig = IndexConfig()   # BOILERPLATE_FILE and the index defaults
    # Tests only (DEBUG_FAIL_ON): a question exactly equal to this raises in the handler, so the
    # error handler's path (log, admin report, apology) can be tried on the real bot process.
    debug_fail_on: str | None = None

    @property
    def webhook_path(self) -> str:
        """The path part of WEBHOOK_URL: where the webhook server listens."""
        from urllib.parse import urlsplit
        return urlsplit(self.webhook_url or "").path.strip("/")

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admin_ids


def _ints(name: str, value: str) -> frozenset[int]:
    try:
        return frozenset(int(part) for part in value.replace(";", ",").split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name} must be comma-separated numeric ids, got {value!r}") from None


def _int(name: str, value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
    if not low <= number <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {number}")
    return number


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be on or off, got {value!r}")


def load_settings(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Settings from `environ` (default os.environ) over the `.env` file (default $ENV_FILE or ./.env)."""
    env = environment(environ, dotenv)   # (index.config: the CLI reads them the same way)

    def get(name: str) -> str:
        return env.get(name, "").strip()

    level = (get("LOG_LEVEL") or "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    webhook_url = get("WEBHOOK_URL") or None
    if webhook_url and not webhook_url.startswith(("https://", "http://")):
        raise ConfigError(f"WEBHOOK_URL must be an http(s) URL, got {webhook_url!r}")
    secret = get("WEBHOOK_SECRET")
    if secret and not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret) or len(secret) > 256:
        raise ConfigError("WEBHOOK_SECRET may only hold A-Z, a-z, 0-9, _ and - (at most 256)")
    return Settings(
        token=get("TELEGRAM_BOT_TOKEN") or None,
        admin_ids=_ints("ADMIN_IDS", get("ADMIN_IDS")),
        corpus_dir=Path(get("CORPUS_DIR")) if get("CORPUS_DIR") else DEFAULT_CORPUS,
        index_path=Path(get("INDEX_PATH")) if get("INDEX_PATH") else DEFAULT_INDEX,
        api_base_url=get("TELEGRAM_API_BASE_URL") or DEFAULT_API_BASE_URL,
        api_file_url=get("TELEGRAM_API_FILE_URL") or DEFAULT_API_FILE_URL,
        webhook_url=webhook_url,
        # Telegram sends the secret back on every webhook call; without one set, a
        # random one per process still keeps strangers from posting updates.
        webhook_secret=secret or secrets.token_urlsafe(32),
        webhook_listen=get("WEBHOOK_LISTEN") or "0.0.0.0",
        port=_int("PORT", get("PORT") or "8080", 1, 65535),
        ingest_channel_ids=_ints("INGEST_CHANNEL_IDS", get("INGEST_CHANNEL_IDS")),
        results_per_page=_int("RESULTS_PER_PAGE", get("RESULTS_PER_PAGE") or "3", 1, 10),
        questions_per_minute=_int("QUESTIONS_PER_MINUTE", get("QUESTIONS_PER_MINUTE") or "20", 0, 10_000),
        rate_limiter=_bool("RATE_LIMITER", get("RATE_LIMITER") or "on"),
        log_level=level,
        search_processes=_int("SEARCH_PROCESSES", get("SEARCH_PROCESSES") or str(DEFAULT_SEARCH_PROCESSES),
                              0, 16),
        index_config=_index_config(env),
        debug_fail_on=get("DEBUG_FAIL_ON") or None,
    )


def _index_config(env: Mapping[str, str]) -> IndexConfig:
    try:
        return IndexConfig.from_env(env)
    except OSError as exc:
        raise ConfigError(f"BOILERPLATE_FILE cannot be read: {exc.strerror or exc}") from None
    except ValueError as exc:   # INDEX_LANGUAGE, INDEX_STEMMING, BUILD_MEMORY_MB, ... (named in the message)
        raise ConfigError(str(exc)) from None
