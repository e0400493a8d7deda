"""Telegram handlers for asking: one async function per kind of update.

Handlers stay thin: decide whether the update is a question for us, take the
question text out of it, run the blocking search in a worker thread
(`asyncio.to_thread`, so one slow question never holds up other chats) and
send the page (`bot.replies.send_page`). Who may do what is decided here
too, never by the command menu. Shared objects live in one `BotState` in
``application.bot_data`` (`bot.state`); the buttons are `bot.buttons`.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time

from telegram import (
    Bot,
    Chat,
    InlineQueryResultsButton,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes, filters

from index.hits import SearchResult
from index.service import IndexService, IngestError

from . import render
from .button_store import Asked
from .i18n import Catalogue, for_user
from .menus import set_admin_commands
from .replies import MAX_PAGE, not_ready_text, send_html, send_page, suggestion_keyboard, typing_while, wait_for_index
from .state import BotState, bot_state

log = logging.getLogger(__name__)

INLINE_RESULTS = 10
INLINE_CACHE_SECONDS = 10
INLINE_WAIT = 5.0           # seconds an inline query waits for a loading index
HELP_SECTIONS = ("help_search_html", "help_dates_html", "help_order_html", "help_sources_html", "help_buttons_html")

# ----- filters that need to know who "we" are ------------------------------------------------
class AddressedToBot(filters.MessageFilter):
    """A group message that mentions this bot or replies to one of its messages."""

    def filter(self, message: Message) -> bool:
        me = message.get_bot()
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.id == me.id:
            return True
        return any(value.lower() == f"@{me.username}".lower()
                   for value in message.parse_entities([MessageEntity.MENTION]).values())


class ViaThisBot(filters.MessageFilter):
    """A message sent through this bot's inline mode (a chosen quote, not a question)."""

    def filter(self, message: Message) -> bool:
        return message.via_bot is not None and message.via_bot.id == message.get_bot().id


def strip_mention(text: str, username: str) -> str:
    """The question without '@ThisBot' (wherever it was in the message)."""
    return " ".join(re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE).split())


# ----- asking -----------------------------------------------------------------------------
async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    """Answer `question` with the first page of hits, replying to the asking message; while the
    index loads, the question waits for it (`wait_for_index`), it is never turned away."""
    state = bot_state(context)
    message = update.effective_message
    if message is None:
        return
    tr = for_user(update.effective_user)
    question = " ".join(question.split())
    if not question:
        await message.reply_html(tr("usage_html"))
        return
    if await too_fast(update, state, tr):
        return
    if state.settings.debug_fail_on and question == state.settings.debug_fail_on:
        raise RuntimeError("injected failure (DEBUG_FAIL_ON)")      # tests reach the error handler
    notice = await wait_for_index(message, state.gate, tr=tr)
    if not state.service.ready:
        await send_html(message, [not_ready_text(state.service, tr)], None, notice)
        return
    started = time.perf_counter()
    async with typing_while(message):
        result = await asyncio.to_thread(state.service.search, question, state.settings.results_per_page)
    log.info("Answered in a %s chat: %d of %d hits in %.0f ms", message.chat.type, len(result.hits),
             result.total, (time.perf_counter() - started) * 1000)
    await send_page(message, state, result, question, notice=notice, tr=tr)


async def too_fast(update: Update, state: BotState, tr: Catalogue) -> bool:
    """True when the sender is over QUESTIONS_PER_MINUTE (told once per streak, then silent)."""
    sender = update.effective_sender
    allowed, wait, tell = state.limiter.check(sender.id if sender else None)
    if allowed:
        return False
    log.info("Rate limit: %s asked more than %d questions a minute", sender.id if sender else "?",
             state.settings.questions_per_minute)
    if tell:
        await update.effective_message.reply_html(render.escape_text(tr("too_fast", wait=wait)))
    return True


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: welcome, with an example question that works on this corpus; /start TOKEN (the
    inline mode's "Full answer in a private chat") answers the question stored under TOKEN."""
    state = bot_state(context)
    asked = state.queries.get(context.args[0]) if context.args else None
    if asked is not None:
        await answer(update, context, asked.query)
        return
    tr = for_user(update.effective_user)
    example = await asyncio.to_thread(example_question, state.service)
    lines = [render.escape_text(tr("start_intro")), ""]
    markup = None
    if example:
        lines += [render.escape_text(tr("start_example")), f"<code>{render.escape_text(example)}</code>"]
        markup = suggestion_keyboard(state, example, tr, key="button_try")
    elif not state.service.ready:
        lines.append(not_ready_text(state.service, tr))
    else:
        lines.append(render.escape_text(tr("start_plain")))
    lines += ["", render.escape_text(tr("start_help"))]
    await update.effective_message.reply_html("\n".join(lines), reply_markup=markup)
    user = update.effective_user
    if user is not None and state.settings.is_admin(user.id):
        await set_admin_commands(context.bot, [user.id], tr)     # now that this admin has started the bot


def example_question(service: IndexService) -> str | None:
    """A question that works on this corpus; None while loading or if finding one fails."""
    if not service.ready:
        return None
    try:
        return service.example_question()
    except Exception:  # noqa: BLE001 - /start must work even if this fails
        log.exception("example_question failed")
        return None


def help_text(is_admin: bool, username: str, private: bool, tr: Catalogue) -> str:
    """/help in the reader's language: asking, searching, dates, order, sources, buttons, inline."""
    name = render.escape_text(username)
    asking = tr("help_asking_private_html") if private else tr("help_asking_group_html", username=name)
    blocks = [tr("help_asking_title_html") + "\n" + asking + "\n" + tr("help_answer_html")]
    blocks += [tr(key) for key in HELP_SECTIONS]
    blocks.append(tr("help_inline_html", username=name))
    if is_admin:
        blocks.append(tr("help_admin_html"))
    return "\n\n".join(blocks)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: how to ask, search syntax, buttons, inline mode (and admin commands for admins)."""
    state = bot_state(context)
    user = update.effective_user
    chat = update.effective_chat
    private = chat is not None and chat.type == Chat.PRIVATE
    text = help_text(private and state.settings.is_admin(user.id if user else None),
                     context.bot.username, private, for_user(user))
    await update.effective_message.reply_html(text)


async def ask_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask QUESTION in any chat (and in ingest channels)."""
    await answer(update, context, " ".join(context.args or ()))


async def private_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat is a question."""
    await answer(update, context, update.effective_message.text or "")


async def group_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group message that mentions the bot or replies to it: the rest of the text is the question."""
    message = update.effective_message
    await answer(update, context, strip_mention(message.text or "", context.bot.username))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An unknown /command in a private chat."""
    tr = for_user(update.effective_user)
    await update.effective_message.reply_html(render.escape_text(tr("unknown_command")))


# ----- inline mode ----------------------------------------------------------------------------
async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@ThisBot question: 10 quotes a page (Telegram asks for the next with `offset`), and a
    button above them that opens the whole answer in a private chat (/start TOKEN)."""
    query = update.inline_query
    state = bot_state(context)
    tr = for_user(query.from_user)
    question = " ".join(query.query.split())
    if not question:
        await query.answer([], cache_time=INLINE_CACHE_SECONDS)
        return
    with contextlib.suppress(TimeoutError):          # Telegram drops an inline answer after ~10 s
        await asyncio.wait_for(state.gate.wait(), INLINE_WAIT)
    if not state.service.ready:
        key = "loading_notice" if state.service.phase == "loading" else "failed_short"
        await query.answer([], cache_time=0, button=InlineQueryResultsButton(
            render.shorten(tr(key), 64), start_parameter="loading"))
        return
    offset = inline_offset(query.offset)
    result = await asyncio.to_thread(state.service.page, question, offset // INLINE_RESULTS, INLINE_RESULTS)
    token = state.queries.put(Asked(question, state.settings.results_per_page)) if result.hits else None
    more = result.has_more and offset // INLINE_RESULTS < MAX_PAGE
    next_offset = str(offset + INLINE_RESULTS) if more else None      # None: no more pages
    await query.answer(inline_results(result, tr), cache_time=INLINE_CACHE_SECONDS, next_offset=next_offset,
                       button=InlineQueryResultsButton(tr("inline_full_answer"), start_parameter=token)
                       if token else None)


def inline_offset(offset: str | None) -> int:
    """The `offset` Telegram sends back (ours: "10", "20"…); anything else starts at the first page."""
    value = int(offset) if offset and offset.isdigit() and len(offset) < 8 else 0
    return value - value % INLINE_RESULTS


def inline_results(result: SearchResult, tr: Catalogue) -> list[InlineQueryResultArticle]:
    """One pickable quote per hit: the sentence as title, who/where/when under it."""
    no_preview = LinkPreviewOptions(is_disabled=True)
    return [
        InlineQueryResultArticle(
            id=f"{hit.sentence_id}",
            title=render.shorten(hit.text, 120),
            description=render.inline_description(hit, tr),
            input_message_content=InputTextMessageContent(
                render.inline_html(hit, tr=tr), parse_mode=ParseMode.HTML, link_preview_options=no_preview),
        )
        for hit in result.hits[:INLINE_RESULTS]
    ]


# ----- channels -------------------------------------------------------------------------------
async def channel_post(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A post (or an edit) in an ingest channel becomes an article; an edit replaces it."""
    state = bot_state(context)
    post = update.effective_message
    body = post.text or post.caption
    if not body or not body.strip():
        return
    await state.gate.wait()
    if not state.service.ready:
        log.warning("Channel post %s/%s not saved: the index is not loaded", post.chat_id, post.message_id)
        return
    chat = post.chat
    edited = update.edited_channel_post is not None
    try:
        added = await asyncio.to_thread(
            state.service.save_post, chat.id, post.message_id, body,
            channel=chat.title or str(chat.id), published=post.date.isoformat() if post.date else None,
            url=post.link, edited=edited)
    except IngestError as exc:
        log.warning("Channel post %s/%s not saved: %s", chat.id, post.message_id, exc)
        await tell_admins(context.bot, state, f"A post in {chat.title or chat.id} (message {post.message_id}) "
                                              f"was not added: {exc}")
        return
    log.info("Saved channel post %s/%s (%s): %d sentences", chat.id, post.message_id,
             "edit" if edited else "new", added.sentences)


async def tell_admins(bot: Bot, state: BotState, text: str, html: bool = False) -> None:
    """A private message to every admin (`text` is escaped unless `html`); one who never started
    the bot cannot get it (logged)."""
    body = text if html else render.escape_text(render.shorten(text, 4000))
    for admin_id in sorted(state.settings.admin_ids):
        try:
            await bot.send_message(admin_id, body)
        except TelegramError as exc:
            log.info("Could not tell admin %s: %s", admin_id, exc)
