"""The command menus Telegram shows: per scope, set with `set_my_commands`.

Menus are cosmetic (anyone can type any command; admin handlers check
ADMIN_IDS themselves), but they are what users discover commands by. The
admin menu is scoped to each admin's private chat, which Telegram only
accepts once that admin has started the bot, so it is set again on /start.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

log = logging.getLogger(__name__)

PRIVATE_COMMANDS = [BotCommand("ask", "Ask a question about the articles"),
                    BotCommand("help", "How to ask, search tips, buttons"),
                    BotCommand("start", "Welcome and an example question")]
GROUP_COMMANDS = [BotCommand("ask", "Ask a question about the articles"),
                  BotCommand("help", "How to ask")]
ADMIN_COMMANDS = PRIVATE_COMMANDS + [BotCommand("reindex", "Rebuild the index from the corpus folder"),
                                     BotCommand("stats", "What the index holds")]


async def set_admin_commands(bot: Bot, admin_ids: Iterable[int]) -> None:
    """The admin menu in each admin's private chat (fails until that admin has started the bot)."""
    for admin_id in admin_ids:
        try:
            await bot.set_my_commands(ADMIN_COMMANDS, scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:
            log.info("Admin menu for %s not set (%s); it is set when they send /start", admin_id, exc)
