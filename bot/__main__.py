"""`python -m bot`: the Telegram bot when a token is set, the console chat otherwise.

The index loads in PTB's `post_init` (a thread, see `bot.app`) *after* the
process is up, so a webhook binds its port at once (Heroku kills a web dyno
that has not bound within 60 s) and polling starts at once; questions that
arrive before the index is ready wait for it (`bot.waiting`).
"""
from __future__ import annotations

import dataclasses
import logging
import os
import sys

from .config import ConfigError, Settings, load_settings
from .logs import setup_logging

log = logging.getLogger("bot")

USAGE = """usage: python -m bot [--polling | --webhook]

  (no option)  webhook mode when WEBHOOK_URL is set, polling otherwise
  --polling    poll for updates even if WEBHOOK_URL is set (Procfile `worker:`)
  --webhook    serve the webhook; WEBHOOK_URL must be set (Procfile `web:`)
Everything else is configured by environment variables (see README)."""


def main(argv: list[str] | None = None) -> int:
    # PTB 22 warns on every RetryAfter unless opted in to its future timedelta type; the
    # bot never reads retry_after itself (AIORateLimiter does, and handles both).
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    args = sys.argv[1:] if argv is None else argv
    if args not in ([], ["--polling"], ["--webhook"]):
        print(USAGE, file=sys.stderr)
        return 0 if args in (["-h"], ["--help"]) else 2
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 2
    if args == ["--polling"]:
        settings = dataclasses.replace(settings, webhook_url=None)
    elif args == ["--webhook"] and not settings.webhook_url:
        print("Configuration error: --webhook needs WEBHOOK_URL (the public https URL Telegram posts to)",
              file=sys.stderr)
        return 2
    setup_logging(settings.log_level, settings.token, [settings.webhook_secret])
    if not settings.token:
        from .console import run_console
        return run_console(settings)
    return run_telegram(settings)


def run_telegram(settings: Settings) -> int:
    from telegram.error import InvalidToken

    from index.service import IndexService

    from .app import build_application, run

    service = IndexService(settings.corpus_dir, settings.index_path, settings.search_processes, settings.index_config,
                           build_in_child=True)
    application = build_application(settings, service)
    try:
        run(application, settings)
    except InvalidToken:
        log.error("Telegram rejected TELEGRAM_BOT_TOKEN; check it with @BotFather (/mybots → API Token).")
        return 1
    log.info("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
