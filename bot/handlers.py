"""Telegram handlers for asking: one async function per kind of update.

Handlers stay thin: decide whether the update is a question for us, take the
question text out of it, run the blocking search in a worker thread
(`asyncio.to_thread`, so one slow question never holds up other chats) and
send what `bot.render` made of the hits. Who may do what is decided here
too, never by the command menu. Shared objects live in one `BotState` in
``application.bot_data`` (see `bot.app`).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes, filters

from index.ingest import IngestError
from index.service import IndexService, NotReady

from . import answers, render
from .config import Settings
from .menus import set_admin_commands
from .state import Asked, Callback, QueryStore, QuestionLimiter, decode

log = logging.getLogger(__name__)

TYPING_AFTER = 0.5          # seconds before a typing indicator is worth showing
TYPING_EVERY = 4.5          # Telegram shows "typing" for 5 s
INLINE_RESULTS = 10
INLINE_CACHE_SECONDS = 10
MAX_PAGE = 1000
READY_WAIT_SECONDS = 600

LOADING = "The index is loading; please ask again in a moment."
FAILED = "The index could not be loaded ({reason}). An admin can fix the corpus and send /reindex."
SOMETHING_WRONG = "Sorry, something went wrong while answering. Please try again."
USAGE = "Ask me like this: <code>/ask what did Lavrov say about mediation</code>"


@dataclass
class BotState:
    """Everything the handlers share; one per Application."""

    settings: Settings
    service: IndexService
    queries: QueryStore = field(default_factory=QueryStore)
    limiter: QuestionLimiter | None = None
    load_error: str | None = None
    reindexing: bool = False

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = QuestionLimiter(self.settings.questions_per_minute)


def bot_state(context: ContextTypes.DEFAULT_TYPE) -> BotState:
    return context.application.bot_data["state"]


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


# ----- small helpers ------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def typing_while(message: Message) -> AsyncIterator[None]:
    """Show "typing…" in the chat only if the block takes longer than TYPING_AFTER."""
    async def pulse() -> None:
        await asyncio.sleep(TYPING_AFTER)
        while True:
            with contextlib.suppress(TelegramError):
                await message.chat.send_action(ChatAction.TYPING,
                                               message_thread_id=message.message_thread_id
                                               if message.is_topic_message else None)
            await asyncio.sleep(TYPING_EVERY)

    task = asyncio.create_task(pulse())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def keyboard(token: str, asked: Asked, page: int, has_more: bool) -> InlineKeyboardMarkup | None:
    """"More" (next page) and "Context" buttons under a page of hits."""
    row = []
    if has_more and page + 1 not in asked.sent and page + 1 <= MAX_PAGE:
        row.append(InlineKeyboardButton("More ›", callback_data=Callback("m", token, page + 1).encode()))
    if asked.pages.get(page) and page not in asked.context_shown:
        row.append(InlineKeyboardButton("Context", callback_data=Callback("c", token, page).encode()))
    return InlineKeyboardMarkup([row]) if row else None


def suggestion_keyboard(state: BotState, suggestion: str, label: str = "Did you mean: {}?") -> InlineKeyboardMarkup:
    token = state.queries.put(Asked(suggestion, state.settings.results_per_page))
    text = label.format(render.shorten(suggestion, 48))
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=Callback("d", token, 0).encode())]])


def without_buttons(markup: InlineKeyboardMarkup | None, gone: set[str]) -> InlineKeyboardMarkup | None:
    """`markup` minus the buttons whose callback data is in `gone` (None when none is left)."""
    if markup is None:
        return None
    rows = [[b for b in row if b.callback_data not in gone] for row in markup.inline_keyboard]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


async def drop_button(message: Message, asked: Asked, data: str) -> None:
    """Remove a used button once: a double tap, or a stale copy of the message, edits nothing."""
    if data in asked.dropped:
        return
    asked.dropped.add(data)
    new = without_buttons(message.reply_markup, asked.dropped)
    if new == message.reply_markup:
        return
    try:
        await message.edit_reply_markup(new)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def send_html(message: Message, texts: list[str], markup: InlineKeyboardMarkup | None) -> Message:
    """Reply with each text in turn (quoting the question in groups); buttons on the last one."""
    sent = message
    for n, text in enumerate(texts):
        last = n == len(texts) - 1
        sent = await message.reply_html(text, reply_markup=markup if last else None,
                                        do_quote=None if n == 0 else False)
    return sent


def not_ready_text(state: BotState) -> str:
    if state.load_error:
        return FAILED.format(reason=render.escape_text(state.load_error))
    return LOADING


async def wait_ready(state: BotState, seconds: float = READY_WAIT_SECONDS) -> bool:
    """Wait (without blocking the loop) until the index has loaded; False if loading failed."""
    for _ in range(int(seconds / 0.25)):
        if state.service.ready or state.load_error:
            break
        await asyncio.sleep(0.25)
    return state.service.ready


# ----- asking -----------------------------------------------------------------------------
async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE, question: str) -> None:
    """Answer `question` with the first page of hits, replying to the asking message."""
    state = bot_state(context)
    message = update.effective_message
    if message is None:
        return
    question = " ".join(question.split())
    if not question:
        await message.reply_html(USAGE)
        return
    sender = update.effective_sender
    allowed, wait, tell = state.limiter.check(sender.id if sender else None)
    if not allowed:
        log.info("Rate limit: %s asked more than %d questions a minute", sender.id if sender else "?",
                 state.settings.questions_per_minute)
        if tell:
            await message.reply_html(f"You are asking faster than I can keep up with. "
                                     f"Please wait {wait} s and ask again.")
        return
    if not state.service.ready:
        await message.reply_html(not_ready_text(state))
        return
    started = time.perf_counter()
    async with typing_while(message):
        try:
            result = await asyncio.to_thread(answers.ask, state.service, question,
                                             state.settings.results_per_page)
        except NotReady:
            await message.reply_html(not_ready_text(state))
            return
    log.info("Answered in a %s chat: %d of %d hits in %.0f ms", message.chat.type, len(result.result.hits),
             result.result.total, (time.perf_counter() - started) * 1000)
    await send_answer(message, state, result, question)


async def send_answer(message: Message, state: BotState, result: answers.Answer, question: str) -> None:
    """Send the first page of an answer (or "nothing found" with a "Did you mean" button)."""
    if not result.result.hits:
        markup = suggestion_keyboard(state, result.suggestion) if result.suggestion else None
        await send_html(message, [render.no_hits_html(result.result, result.suggestion)], markup)
        return
    asked = Asked(question, state.settings.results_per_page)
    asked.pages[0] = result.shown
    asked.sent.add(0)
    token = state.queries.put(asked)
    await send_html(message, render.answer_html(result.result),
                    keyboard(token, asked, 0, result.result.has_more))


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: welcome, with an example question that works on this corpus."""
    state = bot_state(context)
    example = await asyncio.to_thread(answers.example_question, state.service)
    lines = ["Hi! I answer questions about a collection of news articles by quoting, word for word, "
             "the sentences that answer them, best first.", ""]
    markup = None
    if example:
        lines += ["Just send me a question, for example:", f"<code>{render.escape_text(example)}</code>"]
        markup = suggestion_keyboard(state, example, label="Try: {}")
    elif not state.service.ready:
        lines.append(not_ready_text(state))
    else:
        lines.append("Just send me a question.")
    lines += ["", "/help explains phrases, exclusions, the buttons and inline use."]
    await update.effective_message.reply_html("\n".join(lines), reply_markup=markup)
    user = update.effective_user
    if user is not None and state.settings.is_admin(user.id):
        await set_admin_commands(context.bot, [user.id])     # now that this admin has started the bot


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


# ----- buttons --------------------------------------------------------------------------------
async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """More / Context / Did you mean: look the question up by token; old or forged buttons get a polite note."""
    query = update.callback_query
    state = bot_state(context)
    data = decode(query.data)
    if data is None:
        log.info("Unknown callback data %r from %s", (query.data or "")[:64], query.from_user.id)
        await query.answer("This button is not one of mine.")
        return
    asked = state.queries.get(data.token)
    message = query.message
    if asked is None or not isinstance(message, Message):
        await query.answer("This answer is too old for its buttons; please ask again.", show_alert=False)
        return
    if not state.service.ready:
        await query.answer(LOADING)
        return
    if data.action == "c":
        await show_context(query, state, asked, data, message)
    else:
        await show_page(query, state, asked, data, message)


async def show_page(query: CallbackQuery, state: BotState, asked: Asked, data: Callback, message: Message) -> None:
    """Send page `data.page` of a stored question as a reply ("More", or a "Did you mean" question)."""
    pressed = data.encode()
    if data.page in asked.sent or data.page > MAX_PAGE:
        await query.answer("Already shown." if data.page in asked.sent else "No more results.")
        await drop_button(message, asked, pressed)
        return
    asked.sent.add(data.page)           # claimed before awaiting: a double tap sends once
    try:
        if data.action == "d":
            result = await asyncio.to_thread(answers.ask, state.service, asked.query, asked.page_size)
        else:
            result = answers.Answer(await asyncio.to_thread(answers.page, state.service, asked.query,
                                                            data.page, asked.page_size))
    except NotReady:
        asked.sent.discard(data.page)
        await query.answer(LOADING)
        return
    if not result.result.hits and data.action == "m":
        await query.answer("No more results.")
        await drop_button(message, asked, pressed)
        return
    await query.answer()
    if not result.result.hits:
        markup = suggestion_keyboard(state, result.suggestion) if result.suggestion else None
        await send_html(message, [render.no_hits_html(result.result, result.suggestion)], markup)
    else:
        asked.pages[data.page] = result.shown
        token = data.token
        await send_html(message, render.answer_html(result.result),
                        keyboard(token, asked, data.page, result.result.has_more))
    await drop_button(message, asked, pressed)


async def show_context(query: CallbackQuery, state: BotState, asked: Asked, data: Callback, message: Message) -> None:
    """Reply with the neighbouring sentences of the hits a page showed."""
    pressed = data.encode()
    was_shown = asked.pages.get(data.page)
    if not was_shown:
        await query.answer("This answer is too old for its buttons; please ask again.")
        return
    if data.page in asked.context_shown:
        await query.answer("The context is already shown.")
        await drop_button(message, asked, pressed)
        return
    asked.context_shown.add(data.page)
    try:
        items = await asyncio.to_thread(answers.context, state.service, asked.query, data.page,
                                        asked.page_size, was_shown)
    except NotReady:
        asked.context_shown.discard(data.page)
        await query.answer(LOADING)
        return
    if items is None:
        await query.answer("The articles changed since this answer; please ask again.")
        await drop_button(message, asked, pressed)
        return
    await query.answer()
    await send_html(message, render.context_html(items), None)
    await drop_button(message, asked, pressed)


# ----- inline mode ----------------------------------------------------------------------------
async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """@ThisBot question: up to 10 quotes to pick from; an empty query gets none."""
    query = update.inline_query
    state = bot_state(context)
    question = " ".join(query.query.split())
    if not question or not state.service.ready:
        await query.answer([], cache_time=0 if question else INLINE_CACHE_SECONDS)
        return
    try:
        result = await asyncio.to_thread(state.service.search, question, INLINE_RESULTS, 0)
    except NotReady:
        await query.answer([], cache_time=0)
        return
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
    if not await wait_ready(state):
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
        await tell_admins(context, f"A post in {chat.title or chat.id} (message {post.message_id}) was not "
                                   f"added: {exc}")
        return
    log.info("Saved channel post %s/%s (%s): %d sentences", chat.id, post.message_id,
             "edit" if edited else "new", added.sentences)


async def tell_admins(context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """A private message to every admin; one who never started the bot cannot get it (logged)."""
    for admin_id in sorted(bot_state(context).settings.admin_ids):
        try:
            await context.bot.send_message(admin_id, render.escape_text(render.shorten(text, 4000)))
        except TelegramError as exc:
            log.info("Could not tell admin %s: %s", admin_id, exc)


# ----- errors ---------------------------------------------------------------------------------
async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the traceback and tell the user something went wrong; never re-raise."""
    if update is None and isinstance(context.error, (NetworkError, RetryAfter)):
        # getUpdates failed (a 5xx, a 429, a timeout): PTB's polling loop retries it by itself
        log.warning("Getting updates failed (%s: %s); polling retries", type(context.error).__name__, context.error)
        return
    log.error("Error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    with contextlib.suppress(Exception):
        if update.callback_query is not None:
            await update.callback_query.answer("Sorry, something went wrong.")
        elif update.inline_query is not None:
            await update.inline_query.answer([], cache_time=0)
        elif update.message is not None or (
                update.channel_post is not None and (update.channel_post.text or "").startswith("/ask")):
            await update.effective_message.reply_html(SOMETHING_WRONG)
