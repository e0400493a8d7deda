"""Admin actions: /reindex, /stats and adding articles by uploading a file.

Every handler checks the sender against ADMIN_IDS itself: the per-chat
command menu only hides commands, it does not stop anyone from typing them.
Refusals are logged with the user id so an admin can see who tried. The
work (rebuild, parsing an upload) runs in a worker thread; a rebuild runs
as a background task so the admin's chat, and everyone else's questions,
keep being answered from the old index until the new one is swapped in.
"""
from __future__ import annotations

import asyncio
import logging
import time
from pathlib import PurePath

from telegram import Update
from telegram.ext import ContextTypes

from index.service import Added, BuildReport, Busy, IngestError
from index.config import EXTENSIONS, MAX_UPLOAD_BYTES

from . import render
from .replies import not_ready_text, typing_while, wait_for_index
from .state import BotState, bot_state

log = logging.getLogger(__name__)

MAX_SKIPPED_SHOWN = 30


def admin_only(state: BotState, update: Update, what: str) -> bool:
    """True for admins; for anyone else log the attempt and say no."""
    user = update.effective_user
    if user is not None and state.settings.is_admin(user.id):
        return True
    log.warning("Refused %s from user %s (not in ADMIN_IDS)", what, user.id if user else "unknown")
    return False


async def refuse(update: Update, what: str) -> None:
    await update.effective_message.reply_html(f"Sorry, {what} is only for the bot's admins.")


async def admitted(update: Update, context: ContextTypes.DEFAULT_TYPE, what: str,
                   refusal: str | None = None) -> BotState | None:
    """The bot's state for an admin; for anyone else the attempt is logged, refused, and None."""
    state = bot_state(context)
    if admin_only(state, update, what):
        return state
    await refuse(update, refusal or what)
    return None


def report_html(report: BuildReport) -> list[str]:
    """The rebuild summary: counts, seconds, and each skipped file with its reason."""
    head = render.text(
        f"Reindex done in {report.seconds:.1f} s: {report.articles} articles, {report.sentences} sentences, "
        f"{report.terms} terms from {report.files} files.")
    blocks = [head]
    if report.skipped:
        lines = [render.text(f"Skipped {len(report.skipped)}:")]
        for skipped in report.skipped[:MAX_SKIPPED_SHOWN]:
            lines.append(render.text("• ") + render.tag("code", render.text(render.shorten(str(skipped), 300))))
        if len(report.skipped) > MAX_SKIPPED_SHOWN:
            lines.append(render.text(f"… and {len(report.skipped) - MAX_SKIPPED_SHOWN} more (see the log)."))
        blocks += lines
    else:
        blocks.append(render.text("No file was skipped."))
    return render.pack(blocks, sep=render.NEWLINE)


def added_html(added: Added, root: str) -> str:
    try:
        where = PurePath(added.path).relative_to(root).as_posix()
    except ValueError:
        where = PurePath(added.path).name
    titles = ", ".join(f"“{render.shorten(t, 80)}”" for t in added.titles[:5])
    more = f" and {len(added.titles) - 5} more" if len(added.titles) > 5 else ""
    text = (f"Added {added.articles} article{'s' if added.articles != 1 else ''} "
            f"({added.sentences} sentences) as {where}" + (f": {titles}{more}" if titles else "") +
            ". They can be asked about now.")
    return render.escape_text(render.shorten(text, 4000))


async def reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reindex (admins): rebuild from CORPUS_DIR in the background and report when done."""
    state = await admitted(update, context, "/reindex")
    if state is None:
        return
    message = update.effective_message
    if not state.service.reserve_rebuild():      # claimed at once: a second /reindex sees it
        await message.reply_html("A reindex is already running; I will report when it finishes.")
        return
    await message.reply_html(
        f"Reindexing {render.escape_text(str(state.settings.corpus_dir))} … "
        "Questions are answered from the current index until the new one is ready.")
    context.application.create_task(run_reindex(update, state), update=update)


async def run_reindex(update: Update, state: BotState) -> None:
    """The rebuild itself (reserved by `reindex`), in a worker thread; tells the admin how it went."""
    try:
        report = await asyncio.to_thread(state.service.rebuild, True)
    except Busy:
        texts = ["A reindex (or the first load of the index) is already running; "
                 "try again when it has finished."]
    except Exception as exc:  # noqa: BLE001 - reported to the admin, the old index keeps serving
        log.exception("Reindex failed")
        texts = ["Reindex failed: " + render.escape_text(render.shorten(f"{type(exc).__name__}: {exc}", 3000)) +
                 "\nThe previous index keeps answering questions."]
    else:
        log.info("Reindex done: %d articles, %d sentences, %d skipped, %.2f s",
                 report.articles, report.sentences, len(report.skipped), report.seconds)
        texts = report_html(report)
    for text in texts:
        await update.effective_message.reply_html(text)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats (admins): articles, sentences, terms, index age, questions answered since start."""
    state = await admitted(update, context, "/stats")
    if state is None:
        return
    service = state.service
    if not service.ready:
        await update.effective_message.reply_html(not_ready_text(service))
        return
    info = await asyncio.to_thread(service.stats)
    lines = [
        f"Articles: {info.articles}",
        f"Sentences: {info.sentences}",
        f"Terms: {info.terms}",
        f"Index built {age(time.time() - info.built_at)} ago, in {info.build_seconds:.1f} s "
        f"({info.bytes_on_disk / 1e6:.1f} MB on disk)",
        f"Questions answered since start: {service.questions_answered}",
        f"Running for {age(time.time() - service.started_at)}",
    ]
    if service.rebuilding:
        lines.append("A reindex is running.")
    await update.effective_message.reply_html(render.escape_text("\n".join(lines)))


def age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A document sent in a private chat: admins add articles (.txt/.md/.jsonl ≤ 20 MB); others are refused."""
    state = await admitted(update, context, "an upload", "adding articles")
    if state is None:
        return
    message = update.effective_message
    document = message.document
    name = document.file_name or "upload.txt"
    if not name.lower().endswith(EXTENSIONS):
        await message.reply_html(f"I can only add .txt, .md or .jsonl files; "
                                 f"{render.escape_text(render.shorten(name, 100))} is not one. Nothing was added.")
        return
    if document.file_size is not None and document.file_size > MAX_UPLOAD_BYTES:
        await message.reply_html(f"This file is {document.file_size / 1e6:.1f} MB; bots can only download "
                                 f"files up to 20 MB. Nothing was added.")
        return
    await wait_for_index(message, state.gate)
    if not state.service.ready:
        await message.reply_html(not_ready_text(state.service))
        return
    async with typing_while(message):
        file = await document.get_file()
        data = bytes(await file.download_as_bytearray())
        if len(data) > MAX_UPLOAD_BYTES:
            await message.reply_html("This file is larger than 20 MB. Nothing was added.")
            return
        try:
            added = await asyncio.to_thread(state.service.add_upload, name, data)
        except IngestError as exc:
            log.info("Upload %r rejected: %s", name, exc)
            await message.reply_html("Not added: " + render.escape_text(render.shorten(str(exc), 3500)))
            return
    log.info("Upload %r added as %s: %d articles, %d sentences", name, added.path, added.articles, added.sentences)
    await message.reply_html(added_html(added, str(state.settings.corpus_dir)))
