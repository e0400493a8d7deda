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

from index.service import IndexService, IngestError

from . import render
from .menus import set_admin_commands
from .replies import (FAILED_SHORT, LOADING_NOTICE, USAGE, not_ready_text, send_html, send_page,
                      suggestion_keyboard, typing_while, wait_for_index)
from .state import BotState, bot_state

log = logging.getLogger(__name__)

INLINE_RESULTS = 10
INLINE_CACHE_SECONDS = 10
INLINE_WAIT = 5.0           # seconds an inline query waits for a loading index

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
    question = " ".join(question.split())
    if not question:
        await message.reply_html(USAGE)
        return
    if await too_fast(update, state):
        return
    if state.settings.debug_fail_on and question == state.settings.debug_fail_on:
        raise RuntimeError("injected failure (DEBUG_FAIL_ON)")      # tests reach the error handler
    notice = await wait_for_index(message, state.gate)
    if not state.service.ready:
        await send_html(message, [not_ready_text(state.service)], None, notice)
        return
    started = time.perf_counter()
    async with typing_while(message):
        result = await asyncio.to_thread(state.service.search, question, state.settings.results_per_page)
    log.info("Answered in a %s chat: %d of %d hits in %.0f ms", message.chat.type, len(result.hits),
             result.total, (time.perf_counter() - started) * 1000)
    await send_page(message, state, result, question, notice=notice)


async def too_fast(update: Update, state: BotState) -> bool:
    """True when the sender is over QUESTIONS_PER_MINUTE (told once per streak, then silent)."""
    sender = update.effective_sender
    allowed, wait, tell = state.limiter.check(sender.id if sender else None)
    if allowed:
        return False
    log.info("Rate limit: %s asked more than %d questions a minute", sender.id if sender else "?",
             state.settings.questions_per_minute)
    if tell:
        await update.effective_message.reply_html(f"You are asking faster than I can keep up with. "
                                                  f"Please wait {wait} s and ask again.")
    return True


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: welcome, with an example question that works on this corpus."""
    state = bot_state(context)
    example = await asyncio.to_thread(example_question, state.service)
    lines = ["Hi! I answer questions about a collection of news articles by quoting, word for word, "
             "the sentences that answer them, best first.", ""]
    markup = None
    if example:
        lines += ["Just send me a question, for example:", f"<code>{render.escape_text(example)}</code>"]
        markup = suggestion_keyboard(state, example, label="Try: {}")
    elif not state.service.ready:
        lines.append(not_ready_text(state.service))
    else:
        lines.append("Just send me a question.")
    lines += ["", "/help explains phrases, exclusions, the buttons and inline use."]
    await update.effective_message.reply_html("\n".join(lines), reply_markup=markup)
    user = update.effective_user
    if user is not None and state.settings.is_admin(user.id):
        await set_admin_commands(context.bot, [user.id])     # now that this admin has started the bot


def example_question(service: IndexService) -> str | None:
    """A question that works on this corpus; None while loading or if finding one fails."""
    if not service.ready:
        return None
    try:
        return service.example_question()
    except Exception:  # noqa: BLE001 - /start must work even if this fails
        log.exception("example_question failed")
        return None


def help_text(is_admin: bool, username: str, private: bool) -> str:
    lines = [
        "<b>Asking</b>",
        ("Send me any question, or <code>/ask QUESTION</code>." if private else
         f"Use <code>/ask QUESTION</code>, mention me (@{render.escape_text(username)} QUESTION) "
         "or reply to one of my messages."),
        "I answer with the sentences from the articles that best match, quoted verbatim, "
        "with the matched words in bold and the article each comes from.",
        "",
        "<b>Searching</b>",
        '<code>"exact phrase"</code>: only sentences with these words in this order',
        "<code>-word</code>: leave out sentences containing this word",
        "",
        "<b>Buttons</b>",
        "<i>More</i> shows the next results; <i>Context</i> shows the sentences around each quote.",
        "",
        "<b>In any chat</b>",
        f"Type <code>@{render.escape_text(username)} question</code> and pick a quote to send it there.",
    ]
    if is_admin:
        lines += [
            "",
            "<b>Admin</b>",
            "/reindex: rebuild the index from the corpus folder (questions keep being answered meanwhile)",
            "/stats: articles, sentences, terms, index age, questions answered",
            "Send me a .txt, .md or .jsonl file (at most 20 MB) in this chat to add its articles.",
        ]
    return "\n".join(lines)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: how to ask, search syntax, buttons, inline mode (and admin commands for admins)."""
    state = bot_state(context)
    user = update.effective_user
    chat = update.effective_chat
    private = chat is not None and chat.type == Chat.PRIVATE
    text = help_text(private and state.settings.is_admin(user.id if user else None),
                     context.bot.username, private)
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
    await update.effective_message.reply_html("I don't know that command. Send me a question, or /help.")


# ----- inline mode ----------------------------------------------------------------------------
async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@ThisBot question: up to 10 quotes to pick from; an empty query gets none."""
    query = update.inline_query
    state = bot_state(context)
    question = " ".join(query.query.split())
    if not question:
        await query.answer([], cache_time=INLINE_CACHE_SECONDS)
        return
    with contextlib.suppress(TimeoutError):          # Telegram drops an inline answer after ~10 s
        await asyncio.wait_for(state.gate.wait(), INLINE_WAIT)
    if not state.service.ready:
        text = LOADING_NOTICE if state.service.phase == "loading" else FAILED_SHORT
        await query.answer([], cache_time=0,
                           button=InlineQueryResultsButton(render.shorten(text, 64), start_parameter="loading"))
        return
    result = await asyncio.to_thread(state.service.search, question, INLINE_RESULTS)
    no_preview = LinkPreviewOptions(is_disabled=True)
    results = [
        InlineQueryResultArticle(
            id=f"{hit.sentence_id}",
            title=render.shorten(hit.text, 120),
            description=render.inline_description(hit),
            input_message_content=InputTextMessageContent(
                render.inline_html(hit), parse_mode=ParseMode.HTML, link_preview_options=no_preview),
        )
        for hit in result.hits[:INLINE_RESULTS]
    ]
    await query.answer(results, cache_time=INLINE_CACHE_SECONDS)


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
