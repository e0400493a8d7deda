"""Sending: the texts the bot says, the typing indicator, and the one helper that sends a page
of hits with its buttons (or "nothing found" with a "Did you mean" button).

The asking handlers, the buttons and the admin commands all reply through here, so a page
looks and behaves the same whichever way it was asked for.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ChatAction
from telegram.error import TelegramError

from index.hits import SearchResult
from index.service import IndexService

from . import render
from .button_store import Asked, Callback
from .i18n import ENGLISH, Catalogue
from .state import BotState, shown
from .waiting import ReadyGate

TYPING_AFTER = 0.5          # seconds before a typing indicator is worth showing
TYPING_EVERY = 4.5          # Telegram shows "typing" for 5 s
MAX_PAGE = 1000

NOTICE_AFTER = 3.0          # seconds a question waits for the index before it is told why
BY_DATE = " sort:date"      # what "Newest first" adds to a question (index.filters)


def not_ready_text(service: IndexService, tr: Catalogue = ENGLISH) -> str:
    """Why there is no answer yet (HTML): loading, or the load's error."""
    if service.load_error:
        return render.escape_text(tr("failed", reason=service.load_error))
    return render.escape_text(tr("loading"))


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


def keyboard(token: str, asked: Asked, page: int, has_more: bool, tr: Catalogue = ENGLISH,
             newest: InlineKeyboardButton | None = None) -> InlineKeyboardMarkup | None:
    """"More" (next page) and "Context" buttons under a page of hits, and "Newest first" below."""
    row = []
    if has_more and page + 1 not in asked.sent and page + 1 <= MAX_PAGE:
        row.append(InlineKeyboardButton(tr("button_more"), callback_data=Callback("m", token, page + 1).encode()))
    if asked.pages.get(page) and page not in asked.context_shown:
        row.append(InlineKeyboardButton(tr("button_context"), callback_data=Callback("c", token, page).encode()))
    rows = [r for r in (row, [newest] if newest else []) if r]
    return InlineKeyboardMarkup(rows) if rows else None


def ask_button(state: BotState, question: str, text: str, page_size: int | None = None) -> InlineKeyboardButton:
    """A button that asks `question` (stored under a new token; pressed, it is answered like "Did you mean")."""
    token = state.queries.put(Asked(question, page_size or state.settings.results_per_page))
    return InlineKeyboardButton(text, callback_data=Callback("d", token, 0).encode())


def suggestion_keyboard(state: BotState, suggestion: str, tr: Catalogue = ENGLISH,
                        key: str = "button_did_you_mean") -> InlineKeyboardMarkup:
    """One button that asks `suggestion` (a corrected question, or /start's example)."""
    text = tr(key, suggestion=render.shorten(suggestion, 48))
    return InlineKeyboardMarkup([[ask_button(state, suggestion, text)]])


def newest_button(state: BotState, result: SearchResult, asked: Asked, tr: Catalogue) -> InlineKeyboardButton | None:
    """"Newest first" under an answer whose hits span more than one day: the same question with
    sort:date, the same page size (offered once, on the question's first page)."""
    if not render.newest_first_offered(result) or result.offset:
        return None
    return ask_button(state, asked.query + BY_DATE, tr("button_newest"), asked.page_size)


async def wait_for_index(message: Message, gate: ReadyGate, notice_after: float = NOTICE_AFTER,
                         tr: Catalogue = ENGLISH) -> Message | None:
    """Wait, typing in the chat, until the index has loaded (or failed to); if that takes more
    than `notice_after` s, one LOADING_NOTICE is sent, which the answer then replaces. The notice."""
    if gate.open:
        return None
    waiter = asyncio.ensure_future(gate.wait())
    notice = None
    async with typing_while(message):
        done, _ = await asyncio.wait({waiter}, timeout=notice_after)
        if not done:
            notice = await message.reply_html(render.escape_text(tr("loading_notice")))
            await waiter
    return notice


async def send_html(message: Message, texts: list[str], markup: InlineKeyboardMarkup | None,
                    notice: Message | None = None) -> Message:
    """Reply with each text in turn (quoting the question in groups); buttons on the last one.
    With a `notice` (the "loading" message), the first text replaces it."""
    sent = message
    for n, text in enumerate(texts):
        last = n == len(texts) - 1
        if n == 0 and notice is not None:
            edited = await notice.edit_text(text, reply_markup=markup if last else None)
            sent = edited if isinstance(edited, Message) else notice
            continue
        sent = await message.reply_html(text, reply_markup=markup if last else None,
                                        do_quote=None if n == 0 else False)
    return sent


async def send_page(message: Message, state: BotState, result: SearchResult, question: str,
                    page: int = 0, token: str | None = None, notice: Message | None = None,
                    tr: Catalogue = ENGLISH) -> None:
    """Page `page` of `question`'s hits with "More"/"Context" buttons, remembered under `token`
    (a new one for a question asked now); no hits: why, and "Did you mean" when the index has one.
    A `notice` ("Loading the archive…") becomes the first message of the page."""
    if not result.hits:
        markup = suggestion_keyboard(state, result.suggestion, tr) if result.suggestion else None
        await send_html(message, [render.no_hits_html(result, result.suggestion, tr)], markup, notice)
        return
    asked = state.queries.get(token) if token is not None else None
    if asked is None:
        asked = Asked(question, state.settings.results_per_page)
        asked.sent.add(page)
    asked.pages[page] = shown(result)
    if token is None:
        token = state.queries.put(asked)
    else:
        state.queries.save(token, asked)
    markup = keyboard(token, asked, page, result.has_more, tr, newest_button(state, result, asked, tr))
    await send_html(message, render.answer_html(result, tr=tr), markup, notice)
