"""A chat on the terminal, for when there is no bot token yet.

A newcomer who runs `make run` before talking to @BotFather should still see
the product work, so without TELEGRAM_BOT_TOKEN the bot answers on
stdin/stdout through the same pipeline as in Telegram (`bot.answers`), only
rendered as plain text (`bot.render.answer_plain`). "more" and "context" play
the part of the buttons.
"""
from __future__ import annotations

import signal
import sys
from typing import TextIO

from index.service import IndexService

from . import answers, render
from .config import Settings

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
        index = service.start()
    except Exception as exc:  # noqa: BLE001 - shown to the user, not a traceback
        say(f"The index could not be loaded: {exc}")
        return 1
    info = index.stats()
    say(f"Ready: {info.articles} articles, {info.sentences} sentences.")
    example = answers.example_question(service)
    say(CONSOLE_HELP + (f'\nFor example: {example}' if example else ""))
    bold = (lambda s: f"\033[1m{s}\033[0m") if stdout.isatty() else (lambda s: s)
    echo = not stdin.isatty()
    size = settings.results_per_page
    last: tuple[str, int, tuple[tuple[int, str], ...]] | None = None   # question, page, what it showed
    suggestion: str | None = None                                        # "yes" asks it (the button)
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
            if not line:
                continue
            command = line.lower().lstrip("/")
            if command in ("quit", "exit", "q"):
                break
            if command in ("help", "start"):
                say(CONSOLE_HELP)
                continue
            if command == "more" or command == "context":
                if last is None:
                    say("bot> Ask a question first.")
                    continue
                question, number, shown = last
                if command == "more":
                    result = answers.page(service, question, number + 1, size)
                    if not result.hits:
                        say("bot> No more results.")
                        continue
                    last = (question, number + 1, answers.shown(result))
                    say("bot> " + render.answer_plain(result, bold=bold))
                else:
                    items = answers.context(service, question, number, size, shown)
                    say("bot> " + (render.context_plain(items, bold) if items is not None
                                   else "The articles changed since; ask again."))
                continue
            if command in ("y", "yes") and suggestion:
                line = suggestion
            elif line.lower().startswith("/ask "):
                line = line[5:]
            answer = answers.ask(service, line, size)
            last = (line, 0, answer.shown) if answer.result.hits else None
            suggestion = answer.suggestion
            say("bot> " + render.answer_plain(answer.result, answer.suggestion, bold=bold))
    except KeyboardInterrupt:
        say()
    say("Bye.")
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
