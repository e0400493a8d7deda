"""The buttons under an answer: "More", "Context" and "Did you mean".

A press carries ``action:token:page`` (`bot.button_store.Callback`); the question behind the
token is looked up in `BotState.queries` (SQLite, so buttons work across restarts). Each page
and each context is sent once: the press claims it (`ButtonStore.claim`) before its first
await, so a double tap sends nothing twice, and a used button is removed from its message.
A press that arrives while the index loads waits for it. Old or forged buttons get a polite
note, never an error.
"""
from __future__ import annotations

import asyncio
import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from index.service import NotReady

from . import render
from .button_store import Callback, decode
from .i18n import Catalogue, for_user
from .replies import MAX_PAGE, NOTICE_AFTER, send_html, send_page
from .state import BotState, bot_state

log = logging.getLogger(__name__)


class Press:
    """A button press, answered at most once: a press that waited for the index was already told
    "loading_notice", and a second answer would be refused by Telegram. Replies are in the
    presser's language (`tr`)."""

    def __init__(self, query: CallbackQuery) -> None:
        self.query = query
        self.answered = False
        self.tr: Catalogue = for_user(query.from_user)

    async def answer(self, key: str | None = None) -> None:
        """The toast: a catalogue key (None: just stop the button's spinner)."""
        if not self.answered:
            self.answered = True
            await self.query.answer(self.tr(key) if key else None)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """More / Context / Did you mean: look the question up by token; old or forged buttons get a polite note."""
    query = update.callback_query
    state = bot_state(context)
    press = Press(query)
    data = decode(query.data)
    if data is None:
        log.info("Unknown callback data %r from %s", (query.data or "")[:64], query.from_user.id)
        await press.answer("not_mine")
        return
    message = query.message
    if state.queries.get(data.token) is None or not isinstance(message, Message):
        await press.answer("too_old")
        return
    await wait_for_index(press, state)
    if not state.service.ready:
        await press.answer("failed_short")
        return
    if data.action == "c":
        await show_context(press, state, data, message)
    else:
        await show_page(press, state, data, message)


async def wait_for_index(press: Press, state: BotState) -> None:
    """While the index loads: wait; after NOTICE_AFTER s tell the presser the answer follows."""
    if state.gate.open:
        return
    waiter = asyncio.ensure_future(state.gate.wait())
    done, _ = await asyncio.wait({waiter}, timeout=NOTICE_AFTER)
    if not done:
        await press.answer("loading_notice")
        await waiter


async def show_page(press: Press, state: BotState, data: Callback, message: Message) -> None:
    """Send page `data.page` of a stored question as a reply ("More", or a "Did you mean" question)."""
    pressed = data.encode()
    store = state.queries
    asked = store.claim(data.token, "sent", data.page) if data.page <= MAX_PAGE else None
    if asked is None:                   # claimed before awaiting: a double tap sends once
        await press.answer("index_no_more" if data.page > MAX_PAGE else "already_shown")
        await drop_button(message, state, data.token, pressed)
        return
    try:
        if data.action == "d":
            result = await asyncio.to_thread(state.service.search, asked.query, asked.page_size)
        else:
            result = await asyncio.to_thread(state.service.page, asked.query, data.page, asked.page_size)
    except NotReady:
        store.release(data.token, "sent", data.page)
        await press.answer("loading")
        return
    if not result.hits and data.action == "m":
        await press.answer("index_no_more")
        await drop_button(message, state, data.token, pressed)
        return
    await press.answer()
    await send_page(message, state, result, asked.query, data.page, data.token, tr=press.tr)
    await drop_button(message, state, data.token, pressed)


async def show_context(press: Press, state: BotState, data: Callback, message: Message) -> None:
    """Reply with the neighbouring sentences of the hits a page showed."""
    pressed = data.encode()
    store = state.queries
    known = store.get(data.token)
    was_shown = known.pages.get(data.page) if known is not None else None
    if not was_shown:
        await press.answer("too_old")
        return
    asked = store.claim(data.token, "context_shown", data.page)
    if asked is None:
        await press.answer("context_already_shown")
        await drop_button(message, state, data.token, pressed)
        return
    try:
        items = await asyncio.to_thread(state.service.context, asked.query, data.page, asked.page_size,
                                        was_shown)
    except NotReady:
        store.release(data.token, "context_shown", data.page)
        await press.answer("loading")
        return
    if items is None:
        await press.answer("articles_changed")
        await drop_button(message, state, data.token, pressed)
        return
    await press.answer()
    await send_html(message, render.context_html(items, tr=press.tr), None)
    await drop_button(message, state, data.token, pressed)


def without_buttons(markup: InlineKeyboardMarkup | None, gone: set[str]) -> InlineKeyboardMarkup | None:
    """`markup` minus the buttons whose callback data is in `gone` (None when none is left)."""
    if markup is None:
        return None
    rows = [[b for b in row if b.callback_data not in gone] for row in markup.inline_keyboard]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


async def drop_button(message: Message, state: BotState, token: str, data: str) -> None:
    """Remove a used button once: a double tap, or a stale copy of the message, edits nothing."""
    asked = state.queries.claim(token, "dropped", data)
    if asked is None:
        return
    new = without_buttons(message.reply_markup, asked.dropped)
    if new == message.reply_markup:
        return
    try:
        await message.edit_reply_markup(new)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise
