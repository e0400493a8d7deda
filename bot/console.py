"""A chat on the terminal, for when there is no bot token yet.

A newcomer who runs `make run` before talking to @BotFather should still see
the product work, so without TELEGRAM_BOT_TOKEN the bot answers on
stdin/stdout through the same service calls as in Telegram (`IndexService`), only
rendered as plain text (`bot.render.answer_plain`). "more" and "context" play
the part of the buttons.
"""
from __future__ import annotations

import signal
import sys
from typing import TextIO

from index.service import IndexService

from . import render
from .config import Settings
from .handlers import example_question
from .state import shown

BOTFATHER_STEPS = """\
No TELEGRAM_BOT_TOKEN is set, so here is the bot as a console chat instead.

To run it on Telegram:
  1. Open https://t.me/BotFather, send /newbot, pick a name and a username ending in "bot".
  2. Copy the token it gives you (it looks like 123456789:AA...).
  3. Put TELEGRAM_BOT_TOKEN=<that token> in .env (or the environment) and run `make run` again.
"""

CONSOLE_HELP = """\
Type a question and press Enter. "phrases in quotes" must match exactly, -word leaves
sentences with that word out. "more" shows the next results, "context" the sentences
around the last results shown, "yes" asks a "Did you mean" question, "quit" (or Ctrl-D) ends the chat."""


def run_console(settings: Settings, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Load the index, then answer one question per line until EOF or "quit"."""
    def say(text: str = "") -> None:
        print(text, file=stdout, flush=True)

    signal.signal(signal.SIGTERM, _interrupt)
    say(BOTFATHER_STEPS)
    service = IndexService(settings.corpus_dir, settings.index_path, config=settings.index_config)
    say(f"Loading the index of {settings.corpus_dir} …")
    try:
        service.start()
    except Exception as exc:  # noqa: BLE001 - shown to the user, not a traceback
        say(f"The index could not be loaded: {exc}")
        return 1
    info = service.stats()
    say(f"Ready: {info.articles} articles, {info.sentences} sentences.")
    example = example_question(service)
    say(CONSOLE_HELP + (f'\nFor example: {example}' if example else ""))
    chat = ConsoleChat(service, settings.results_per_page, stdout.isatty())
    echo = not stdin.isatty()
    try:
        while True:
            print("\nyou> ", end="", file=stdout, flush=True)
            line = stdin.readline()
            if not line:
                say()
                break
            line = " ".join(line.split())
            if echo:
                say(line)
            if line.lower().lstrip("/") in ("quit", "exit", "q"):
                break
            if line:
                say(chat.reply(line))
    except KeyboardInterrupt:
        say()
    say("Bye.")
    return 0


class ConsoleChat:
    """One console conversation: the last page shown (for "more" and "context") and the last
    "Did you mean" (for "yes"), the parts the buttons' memory plays in Telegram."""

    def __init__(self, service: IndexService, page_size: int, tty: bool) -> None:
        self.service = service
        self.size = page_size
        self.bold: render.Marker = (lambda s: f"\033[1m{s}\033[0m") if tty else (lambda s: s)
        self.last: tuple[str, int, tuple[tuple[int, str], ...]] | None = None   # question, page, shown
        self.suggestion: str | None = None

    def reply(self, line: str) -> str:
        command = line.lower().lstrip("/")
        if command in ("help", "start"):
            return CONSOLE_HELP
        if command in ("more", "context"):
            return self.more() if command == "more" else self.context()
        if command in ("y", "yes") and self.suggestion:
            line = self.suggestion
        elif line.lower().startswith("/ask "):
            line = line[5:]
        result = self.service.search(line, self.size)
        self.last = (line, 0, shown(result)) if result.hits else None
        self.suggestion = None if result.hits else result.suggestion
        return "bot> " + render.answer_plain(result, self.suggestion, bold=self.bold)

    def more(self) -> str:
        if self.last is None:
            return "bot> Ask a question first."
        question, number, _ = self.last
        result = self.service.page(question, number + 1, self.size)
        if not result.hits:
            return "bot> No more results."
        self.last = (question, number + 1, shown(result))
        return "bot> " + render.answer_plain(result, bold=self.bold)

    def context(self) -> str:
        if self.last is None:
            return "bot> Ask a question first."
        question, number, was_shown = self.last
        items = self.service.context(question, number, self.size, was_shown)
        return "bot> " + (render.context_plain(items, self.bold) if items is not None
                          else "The articles changed since; ask again.")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
