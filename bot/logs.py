"""Logging that never shows the bot token.

The token is part of every Bot API URL (``…/bot<token>/sendMessage``), and
httpx logs request URLs at INFO, exceptions quote URLs, and a traceback may
hold either. So the formatter of the one root handler redacts the token (and
its secret half, and its URL-quoted form) from the *final* text of every
record, tracebacks included, whatever logger it came from; httpx is turned
down to WARNING on top, because a line per request is noise anyway. The
webhook secret is redacted the same way (PTB logs setWebhook's parameters
at DEBUG).
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from urllib.parse import quote

REDACTED = "[REDACTED]"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def secrets_of(token: str | None) -> list[str]:
    """The strings to hide for a token: itself, URL-quoted, and its part after ':'."""
    if not token:
        return []
    forms = {token, quote(token, safe=""), quote(token)}
    _, _, secret = token.partition(":")
    if len(secret) >= 8:
        forms.add(secret)
    return sorted(forms, key=len, reverse=True)


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


def setup_logging(level: str, token: str | None, others: Iterable[str] = ()) -> None:
    """One stderr handler on the root logger, redacting the token (and `others`); httpx at WARNING."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(FORMAT, secrets_of(token) + [s for s in others if len(s) >= 8]))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
