"""The buttons under an answer: "More", "Context" and "Did you mean".

A press carries ``action:token:page`` (`bot.state.Callback`); the question behind the token is
looked up in `BotState.queries`. Each page and each context is sent once: the press claims it
before the first await, so a double tap sends nothing twice, and a used button is removed
from its message. Old or forged buttons get a polite note, never an error.
"""
from __future__ import annotations

import asyncio
import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from index.service import NotReady

from . import render
from .replies import LOADING, MAX_PAGE, send_html, send_page
from .state import Asked, BotState, Callback, bot_state, decode

log = logging.getLogger(__name__)

TOO_OLD = "This answer is too old for its buttons; please ask again."


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
        await query.answer(TOO_OLD, show_alert=False)
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
            result = await asyncio.to_thread(state.service.search, asked.query, asked.page_size)
        else:
            result = await asyncio.to_thread(state.service.page, asked.query, data.page, asked.page_size)
    except NotReady:
        asked.sent.discard(data.page)
        await query.answer(LOADING)
        return
    if not result.hits and data.action == "m":
        await query.answer("No more results.")
        await drop_button(message, asked, pressed)
        return
    await query.answer()
    await send_page(message, state, result, asked.query, data.page, data.token)
    await drop_button(message, asked, pressed)


async def show_context(query: CallbackQuery, state: BotState, asked: Asked, data: Callback, message: Message) -> None:
    """Reply with the neighbouring sentences of the hits a page showed."""
    pressed = data.encode()
    was_shown = asked.pages.get(data.page)
    if not was_shown:
        await query.answer(TOO_OLD)
        return
    if data.page in asked.context_shown:
        await query.answer("The context is already shown.")
        await drop_button(message, asked, pressed)
        return
    asked.context_shown.add(data.page)
    try:
        items = await asyncio.to_thread(state.service.context, asked.query, data.page, asked.page_size,
                                        was_shown)
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
