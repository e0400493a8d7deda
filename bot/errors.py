"""Unexpected errors in handlers: the traceback in the log, a short report to the admins, an
apology to the asker (in the style of PTB's ``examples/errorhandlerbot.py``).

The report says what kind of update failed, in which kind of chat, and the exception (type
and message, HTML-escaped), never the update's content; it is passed through the same
redaction as the log, so neither the bot token nor the webhook secret can reach a chat. One
report per kind of error (exception type and the line that raised it) per `REPORT_EVERY`
seconds: a failure that hits every question tells the admins once, not a thousand times.
"""
from __future__ import annotations

import contextlib
import html
import logging
import time
import traceback

from telegram import Update
from telegram.error import NetworkError, RetryAfter
from telegram.ext import ContextTypes

from . import render
from .handlers import tell_admins
from .logs import redact, secrets_of
from .i18n import for_user
from .state import BotState, bot_state

log = logging.getLogger(__name__)

REPORT_EVERY = 600.0
UPDATE_KINDS = ("message", "edited_message", "channel_post", "edited_channel_post", "callback_query",
                "inline_query")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the traceback, tell the admins (rate-limited) and apologise to the user; never re-raise."""
    error = context.error
    if update is None and isinstance(error, (NetworkError, RetryAfter)):
        # getUpdates failed (a 5xx, a 429, a timeout): PTB's polling loop retries it by itself
        log.warning("Getting updates failed (%s: %s); polling retries", type(error).__name__, error)
        return
    log.error("Error while handling an update", exc_info=error)
    state = bot_state(context)
    if error is not None and should_report(state, error_kind(error)):
        await tell_admins(context.bot, state, report_html(state, update, error), html=True)
    if isinstance(update, Update):
        await apologise(update)


def error_kind(error: BaseException) -> str:
    """The exception type and where it was raised: what "the same error" means for the rate limit."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    return f"{type(error).__module__}.{type(error).__qualname__}@{where}"


def should_report(state: BotState, kind: str, now: float | None = None) -> bool:
    now = time.monotonic() if now is None else now
    last = state.reported.get(kind)
    if last is not None and now - last < REPORT_EVERY:
        return False
    state.reported[kind] = now
    return True


def describe(update: object) -> tuple[str, str]:
    """(update kind, chat type) of what failed: ("message", "private"), ("inline_query", "none")..."""
    if not isinstance(update, Update):
        return ("job or startup" if update is None else type(update).__name__), "none"
    kind = next((k for k in UPDATE_KINDS if getattr(update, k) is not None), "other update")
    chat = update.effective_chat
    return kind, chat.type if chat is not None else "none"


def report_html(state: BotState, update: object, error: BaseException) -> str:
    kind, chat_type = describe(update)
    settings = state.settings
    hidden = [s for s in secrets_of(settings.token) + [settings.webhook_secret] if len(s) >= 8]
    exception = redact(f"{type(error).__name__}: {error}", hidden)
    return (f"<b>Error</b> while handling a {html.escape(kind)} in a {html.escape(chat_type)} chat:\n"
            f"<code>{render.escape_text(render.shorten(exception, 3000))}</code>\n"
            f"The traceback is in the log. (At most one report per kind of error per "
            f"{int(REPORT_EVERY // 60)} minutes.)")


async def apologise(update: Update) -> None:
    """A polite word, in their language, to whoever was waiting for an answer; nothing about
    the error itself. (The admins' report stays English: it goes to every admin at once.)"""
    tr = for_user(update.effective_user)
    with contextlib.suppress(Exception):
        if update.callback_query is not None:
            await update.callback_query.answer(tr("sorry_short"))
        elif update.inline_query is not None:
            await update.inline_query.answer([], cache_time=0)
        elif update.message is not None or (
                update.channel_post is not None and (update.channel_post.text or "").startswith("/ask")):
            await update.effective_message.reply_html(render.escape_text(tr("something_wrong")))
