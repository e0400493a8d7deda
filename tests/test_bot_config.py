"""bot.config (environment and .env parsing) and bot.logs (the token never reaches a log line)."""
from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from bot.config import DEFAULT_API_BASE_URL, DEFAULT_API_FILE_URL, ConfigError, load_settings, parse_dotenv
from bot.logs import REDACTED, RedactingFormatter, secrets_of

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_defaults(tmp_path: Path) -> None:
    s = load_settings({}, dotenv=tmp_path / "missing")
    assert s.token is None and s.admin_ids == frozenset() and s.webhook_url is None
    assert (s.api_base_url, s.api_file_url) == (DEFAULT_API_BASE_URL, DEFAULT_API_FILE_URL)
    assert s.corpus_dir.name == "seeds" and s.index_path.name == ".index"
    assert (s.port, s.results_per_page, s.questions_per_minute, s.rate_limiter, s.log_level) == \
        (8080, 3, 20, True, "INFO")
    assert len(s.webhook_secret) >= 32                     # a random one when none is configured


def test_every_variable(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "ADMIN_IDS": "1, 2;3", "CORPUS_DIR": "/c", "INDEX_PATH": "/i",
           "TELEGRAM_API_BASE_URL": "http://h/bot", "TELEGRAM_API_FILE_URL": "http://h/file/bot",
           "WEBHOOK_URL": "https://x.example/tg/hook", "WEBHOOK_SECRET": "abc_DEF-1", "PORT": "443",
           "WEBHOOK_LISTEN": "127.0.0.1", "INGEST_CHANNEL_IDS": "-1001,-1002", "RESULTS_PER_PAGE": "5",
           "QUESTIONS_PER_MINUTE": "0", "RATE_LIMITER": "off", "LOG_LEVEL": "debug"}
    s = load_settings(env, dotenv=tmp_path / "missing")
    assert s.token == TOKEN and s.admin_ids == {1, 2, 3} and s.ingest_channel_ids == {-1001, -1002}
    assert str(s.corpus_dir) == "/c" and str(s.index_path) == "/i"
    assert s.webhook_path == "tg/hook" and s.webhook_secret == "abc_DEF-1" and s.port == 443
    assert (s.results_per_page, s.questions_per_minute, s.rate_limiter, s.log_level) == (5, 0, False, "DEBUG")
    assert s.is_admin(2) and not s.is_admin(4) and not s.is_admin(None)


def test_dotenv_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text('# comment\nexport TELEGRAM_BOT_TOKEN="from-file"\nADMIN_IDS=7 # inline comment\n'
                      "RESULTS_PER_PAGE='4'\n\nnot a line\n", encoding="utf-8")
    s = load_settings({"RESULTS_PER_PAGE": "6"}, dotenv=dotenv)
    assert (s.token, s.admin_ids, s.results_per_page) == ("from-file", {7}, 6)
    s = load_settings({"ENV_FILE": str(dotenv)})
    assert s.token == "from-file"


def test_parse_dotenv() -> None:
    assert parse_dotenv("A=1\nB = two words \nC=\"x=y\"\n=bad\nD=#x\n") == {"A": "1", "B": "two words",
                                                                              "C": "x=y", "D": "#x"}


@pytest.mark.parametrize("name, value, message", [
    ("ADMIN_IDS", "alice", "ADMIN_IDS must be comma-separated numeric ids"),
    ("INGEST_CHANNEL_IDS", "@news", "INGEST_CHANNEL_IDS must be"),
    ("PORT", "70000", "PORT must be between"),
    ("RESULTS_PER_PAGE", "many", "RESULTS_PER_PAGE must be a whole number"),
    ("RATE_LIMITER", "maybe", "RATE_LIMITER must be on or off"),
    ("LOG_LEVEL", "LOUD", "LOG_LEVEL must be one of"),
    ("WEBHOOK_URL", "example.com", "WEBHOOK_URL must be an http(s) URL"),
    ("WEBHOOK_SECRET", "has space", "WEBHOOK_SECRET may only hold"),
])
def test_bad_values_name_the_variable(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings({name: value}, dotenv=tmp_path / "missing")


def test_token_is_redacted_from_messages_args_and_tracebacks() -> None:
    formatter = RedactingFormatter("%(message)s", secrets_of(TOKEN))
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN.replace(':', '%3A')}/getMe failed")
    except RuntimeError as exc:
        record = logging.LogRecord("httpx", logging.ERROR, __file__, 1, "HTTP Request: %s %s", ("POST",
                                   f"https://api.telegram.org/bot{TOKEN}/sendMessage"), (type(exc), exc,
                                                                                         exc.__traceback__))
    out = formatter.format(record)
    assert REDACTED in out and TOKEN not in out and TOKEN.split(":")[1] not in out
    assert "https://api.telegram.org/bot" in out


def test_boilerplate_file_reaches_the_index_configuration(tmp_path: Path) -> None:
    patterns = tmp_path / "boilerplate.txt"
    patterns.write_text("# ours\n^Promoted by .*$\n", encoding="utf-8")
    (tmp_path / ".env").write_text(f"BOILERPLATE_FILE={patterns}\n", encoding="utf-8")
    s = load_settings({}, dotenv=tmp_path / ".env")
    assert s.index_config.boilerplate[-1] == "^Promoted by .*$"
    with pytest.raises(ConfigError, match="BOILERPLATE_FILE"):
        load_settings({"BOILERPLATE_FILE": str(tmp_path / "missing.txt")}, dotenv=tmp_path / "none")
