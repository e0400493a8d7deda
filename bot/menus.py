"""The command menus Telegram shows: per scope, set with `set_my_commands`.

Menus are cosmetic (anyone can type any command; admin handlers check
ADMIN_IDS themselves), but they are what users discover commands by. The
admin menu is scoped to each admin's private chat, which Telegram only
accepts once that admin has started the bot, so it is set again on /start.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import (Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats,
                      BotCommandScopeChat, BotCommandScopeDefault)
from telegram.error import TelegramError

from .i18n import DEFAULT, ENGLISH, LANGUAGES, Catalogue

log = logging.getLogger(__name__)

def private_commands(tr: Catalogue = ENGLISH) -> list[BotCommand]:
    return [BotCommand("ask", tr("cmd_ask")), BotCommand("help", tr("cmd_help")), BotCommand("start", tr("cmd_start"))]


def group_commands(tr: Catalogue = ENGLISH) -> list[BotCommand]:
    return [BotCommand("ask", tr("cmd_ask")), BotCommand("help", tr("cmd_help_group"))]


def admin_commands(tr: Catalogue = ENGLISH) -> list[BotCommand]:
    return private_commands(tr) + [BotCommand("reindex", tr("cmd_reindex")), BotCommand("stats", tr("cmd_stats"))]


async def set_menus(bot: Bot) -> None:
    """The default menus in English, and per shipped language for users whose Telegram is in it
    (`language_code` of set_my_commands)."""
    for lang in LANGUAGES:
        tr, code = Catalogue(lang), (None if lang == DEFAULT else lang)
        await bot.set_my_commands(group_commands(tr), scope=BotCommandScopeDefault(), language_code=code)
        await bot.set_my_commands(private_commands(tr), scope=BotCommandScopeAllPrivateChats(), language_code=code)
        await bot.set_my_commands(group_commands(tr), scope=BotCommandScopeAllGroupChats(), language_code=code)


async def set_admin_commands(bot: Bot, admin_ids: Iterable[int], tr: Catalogue = ENGLISH) -> None:
    """The admin menu in each admin's private chat (fails until that admin has started the bot)."""
    for admin_id in admin_ids:
        try:
            await bot.set_my_commands(admin_commands(tr), scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:
            log.info("Admin menu for %s not set (%s); it is set when they send /start", admin_id, exc)
