"""Wiring: one `Application` with every handler registered in one visible block.

Reading `build_application` top to bottom tells which update goes where.
Within group 0 the first matching handler wins, so the order matters: the
commands first, then channel ingestion, uploads, private questions, group
questions. Edited messages reach no asking handler (`filters.UpdateType.MESSAGE`
only), so an edited /ask is not answered twice; edited channel posts do reach
ingestion (an edit replaces the article).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from typing import TypeVar

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from index.service import IndexService, stop_children

from . import admin, buttons, errors, handlers
from .config import Settings
from .handlers import AddressedToBot, ViaThisBot
from .menus import set_admin_commands, set_menus
from .retry import RetryingRateLimiter
from .transport import AiohttpRequest
from .state import BotState
from .webhook import serve_webhook

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "channel_post", "edited_channel_post",
                   "callback_query", "inline_query"]
# Connections for Bot API calls (getUpdates has its own). PTB's default is 256; with its httpx
# client, httpcore's pool walked every connection on each request and each response, and under
# a burst of replies that walk became the bot's main cost (bench/bot_load.py); bot.transport's
# aiohttp pool does not, but a bound still keeps a burst from opening hundreds. 8 connections carry 80 calls/s even at
# 100 ms per call to Telegram, which allows 30 messages/s; a call finding all 8 busy waits
# for one (up to POOL_TIMEOUT, then it is retried like a timeout, see bot.retry).
CONNECTION_POOL = 8
POOL_TIMEOUT = 10.0
# Updates handled at once (PTB's `True` means 256). More do not answer sooner -- the searches
# queue for the search process and the replies for the connections -- but under a backlog each
# waiting reply made httpcore's pool bookkeeping slower for all (it scanned every queued request
# on every event): at 256 the bot's CPU per answer rose ~40% and its throughput collapsed. A
# backlog waits in PTB's update queue instead, where it costs nothing.
CONCURRENT_UPDATES = 32
# Seconds a Bot API call waits for Telegram's answer once sent (PTB's default: 5). A call that
# times out is sent again (bot.retry), but it may have been carried out: a reply whose answer
# was merely late then reaches the chat twice. Late answers come from stalls of a few seconds
# (a busy machine, an overloaded Telegram front; bench/bot_load.py saw a 5.7 s one during a
# 1M rebuild, and each reply in flight was sent twice); a lost one is rare. So a late answer is
# waited for longer, and a lost one is retried a little later. getUpdates has its own timeout.
READ_TIMEOUT = 20.0
# getUpdates: PTB's defaults (its long-poll timeout is added to the read timeout by PTB itself).
GET_UPDATES_READ_TIMEOUT = 5.0
GET_UPDATES_POOL_TIMEOUT = 1.0


def build_application(settings: Settings, service: IndexService) -> Application:
    """The bot, ready for `run_polling`/`run_webhook`: `post_init` starts loading the index,
    `post_shutdown` stops the service (the rules-bot model: one search object, started and
    stopped by the application, everything else calls it)."""
    builder = (
        Application.builder()
        .token(settings.token or "")
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, allow_sending_without_reply=True,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .concurrent_updates(CONCURRENT_UPDATES)
        .request(AiohttpRequest(CONNECTION_POOL, READ_TIMEOUT, POOL_TIMEOUT))
        .get_updates_request(AiohttpRequest(1, GET_UPDATES_READ_TIMEOUT, GET_UPDATES_POOL_TIMEOUT))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    # Throttled to Telegram's flood limits unless RATE_LIMITER=off; 429s, 5xx and timeouts retried always.
    builder = builder.rate_limiter(RetryingRateLimiter(throttle=settings.rate_limiter))
    application = builder.build()
    application.bot_data["state"] = BotState(settings, service)

    new = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE & new
    groups = filters.ChatType.GROUPS & new
    ingest = filters.Chat(chat_id=settings.ingest_channel_ids)
    channel_ask = filters.UpdateType.CHANNEL_POST & ingest

    application.add_handlers([
        CommandHandler("start", handlers.start, filters=private),
        CommandHandler("help", handlers.help_command, filters=new),
        CommandHandler("ask", handlers.ask_command, filters=new | channel_ask),
        CommandHandler("reindex", admin.reindex, filters=new),
        CommandHandler("stats", admin.stats, filters=new),
        MessageHandler(filters.UpdateType.CHANNEL_POSTS & ingest & (filters.TEXT | filters.CAPTION)
                       & ~filters.COMMAND, handlers.channel_post),
        MessageHandler(private & filters.Document.ALL, admin.upload),
        MessageHandler(private & filters.TEXT & ~filters.COMMAND & ~ViaThisBot(), handlers.private_question),
        MessageHandler(private & filters.COMMAND, handlers.unknown_command),
        MessageHandler(groups & filters.TEXT & ~filters.COMMAND & AddressedToBot(), handlers.group_question),
        CallbackQueryHandler(buttons.button),
        InlineQueryHandler(handlers.inline_query),
    ])
    application.add_error_handler(errors.on_error)
    return application


async def post_init(application: Application) -> None:
    """Start loading the index (in a thread: polling starts and a webhook binds its port at
    once), then set the command menus (cosmetic: every admin command checks ADMIN_IDS itself)."""
    bot = application.bot
    state: BotState = application.bot_data["state"]
    state.loader = asyncio.get_running_loop().create_task(load_index(application))
    state.queries.clean_in_background()         # the button store's bounds, off the event loop
    log.info("Running as @%s", bot.username)
    if not state.settings.webhook_url:   # (webhook mode: bot.webhook's own handler stops them)
        stop_children_on_signals()
    try:
        await set_menus(bot)
    except TelegramError as exc:
        log.warning("Could not set the command menu: %s", exc)
    await set_admin_commands(bot, sorted(state.settings.admin_ids))


def stop_children_on_signals() -> None:
    """On SIGINT/SIGTERM stop the reindex child and the search workers at once, then stop as PTB
    does: PTB's stop waits for a running /reindex to end, so a host's stop signal would wait for
    a whole rebuild. The child removes its half-written generation and the admin is told."""
    def stop() -> None:
        if stop_children():
            log.info("Stopping: child processes told to stop")
        raise SystemExit  # what PTB's own stop-signal handler does
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop)


async def post_shutdown(application: Application) -> None:
    """Stop the search processes (a load still running in its thread is abandoned with the process)."""
    state: BotState = application.bot_data["state"]
    if state.loader is not None and not state.loader.done():
        state.loader.cancel()
    state.queries.close()
    await asyncio.to_thread(state.service.close)


async def load_index(application: Application) -> None:
    """Load (or build) the index; a failure is kept by the service, so questions say why, and
    the admins are told."""
    state: BotState = application.bot_data["state"]
    try:
        await in_daemon_thread(state.service.start, "index-loader")
    except Exception:  # noqa: BLE001 - the service keeps the reason; questions and /stats say it
        log.exception("The index could not be loaded")
        await handlers.tell_admins(application.bot, state, f"The index could not be loaded: {state.service.load_error}. "
                                   "Questions are told so; fix the corpus and send /reindex.")
        return
    info = await asyncio.to_thread(state.service.stats)
    log.info("Index ready: %d articles, %d sentences, %d terms", info.articles, info.sentences, info.terms)


T = TypeVar("T")


async def in_daemon_thread(fn: Callable[[], T], name: str) -> T:
    """`fn()` in a daemon thread, awaited. Unlike `asyncio.to_thread`, the process does not wait
    for it at exit: SIGTERM during a long first build stops the bot at once."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if not future.done():
            future.set_exception(error) if error is not None else future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = fn(), None
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            result, error = None, exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:        # the loop closed meanwhile: nobody waits any more
            pass

    threading.Thread(target=run, name=name, daemon=True).start()
    return await future


def run(application: Application, settings: Settings) -> None:
    """Poll, or serve the webhook when WEBHOOK_URL is set; both stop cleanly on SIGINT/SIGTERM."""
    if settings.webhook_url:
        log.info("Webhook mode: listening on %s:%d/%s (and /healthz)", settings.webhook_listen, settings.port,
                 settings.webhook_path)
        asyncio.run(serve_webhook(application, settings, ALLOWED_UPDATES))
    else:
        log.info("Polling for updates")
        application.run_polling(allowed_updates=ALLOWED_UPDATES)

