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
from index.config import MAX_UPLOAD_BYTES, UPLOAD_EXTENSIONS

from . import render
from .i18n import ENGLISH, Catalogue, for_user
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
    tr = for_user(update.effective_user)
    await update.effective_message.reply_html(render.escape_text(tr("refused", what=what)))


async def admitted(update: Update, context: ContextTypes.DEFAULT_TYPE, what: str,
                   refusal: str | None = None) -> BotState | None:
    """The bot's state for an admin; for anyone else the attempt is logged, refused (naming
    `what`, or the catalogue's `refusal` key), and None."""
    state = bot_state(context)
    if admin_only(state, update, what):
        return state
    await refuse(update, for_user(update.effective_user)(refusal) if refusal else what)
    return None


def report_html(report: BuildReport, tr: Catalogue = ENGLISH) -> list[str]:
    """The rebuild summary: counts, seconds, and each skipped file with its reason."""
    head = render.text(tr("reindex_done", seconds=f"{report.seconds:.1f}", articles=report.articles,
                          sentences=report.sentences, terms=report.terms, files=report.files))
    blocks = [head]
    if report.skipped:
        lines = [render.text(tr("reindex_skipped", count=len(report.skipped)))]
        for skipped in report.skipped[:MAX_SKIPPED_SHOWN]:
            lines.append(render.text("• ") + render.tag("code", render.text(render.shorten(str(skipped), 300))))
        if len(report.skipped) > MAX_SKIPPED_SHOWN:
            lines.append(render.text(tr("reindex_skipped_more", count=len(report.skipped) - MAX_SKIPPED_SHOWN)))
        blocks += lines
    else:
        blocks.append(render.text(tr("reindex_none_skipped")))
    return render.pack(blocks, sep=render.NEWLINE)


def added_html(added: Added, root: str, tr: Catalogue = ENGLISH) -> str:
    try:
        where = PurePath(added.path).relative_to(root).as_posix()
    except ValueError:
        where = PurePath(added.path).name
    named = [t for t in added.titles if t]
    titles = ", ".join(f"{tr('quote_open')}{render.shorten(t, 80)}{tr('quote_close')}" for t in named[:5])
    more = tr("upload_more_titles", count=len(named) - 5) if len(named) > 5 else ""
    text = tr("upload_added_one" if added.articles == 1 else "upload_added_many", articles=added.articles,
              sentences=added.sentences, where=where, titles=f": {titles}{more}" if titles else "")
    return render.escape_text(render.shorten(text, 4000))


async def reindex(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reindex (admins): rebuild from CORPUS_DIR in the background and report when done."""
    state = await admitted(update, context, "/reindex")
    if state is None:
        return
    message = update.effective_message
    tr = for_user(update.effective_user)
    if not state.service.reserve_rebuild():      # claimed at once: a second /reindex sees it
        await message.reply_html(render.escape_text(tr("reindex_running")))
        return
    await message.reply_html(render.escape_text(tr("reindex_started", corpus=str(state.settings.corpus_dir))))
    context.application.create_task(run_reindex(update, state), update=update)


async def run_reindex(update: Update, state: BotState) -> None:
    """The rebuild itself (reserved by `reindex`), in a worker thread; tells the admin how it went."""
    tr = for_user(update.effective_user)
    try:
        report = await asyncio.to_thread(state.service.rebuild, True)
    except Busy:
        texts = [render.escape_text(tr("reindex_busy"))]
    except Exception as exc:  # noqa: BLE001 - reported to the admin, the old index keeps serving
        log.exception("Reindex failed")
        texts = [render.escape_text(tr("reindex_failed",
                                       error=render.shorten(f"{type(exc).__name__}: {exc}", 3000)))]
    else:
        log.info("Reindex done: %d articles, %d sentences, %d skipped, %.2f s",
                 report.articles, report.sentences, len(report.skipped), report.seconds)
        texts = report_html(report, tr)
    for text in texts:
        await update.effective_message.reply_html(text)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats (admins): articles, sentences, terms, index age, questions answered since start."""
    state = await admitted(update, context, "/stats")
    if state is None:
        return
    service = state.service
    tr = for_user(update.effective_user)
    if not service.ready:
        await update.effective_message.reply_html(not_ready_text(service, tr))
        return
    info = await asyncio.to_thread(service.stats)
    lines = [
        tr("stats_articles", count=info.articles),
        tr("stats_sentences", count=info.sentences),
        tr("stats_terms", count=info.terms),
        tr("stats_built", age=age(time.time() - info.built_at, tr), seconds=f"{info.build_seconds:.1f}",
           mb=f"{info.bytes_on_disk / 1e6:.1f}"),
        tr("stats_answered", count=service.questions_answered),
        tr("stats_running", age=age(time.time() - service.started_at, tr)),
    ]
    if service.rebuilding:
        lines.append(tr("stats_rebuilding"))
    await update.effective_message.reply_html(render.escape_text("\n".join(lines)))


def age(seconds: float, tr: Catalogue = ENGLISH) -> str:
    seconds = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return tr(f"age_{unit}", count=seconds // size)
    return tr("age_s", count=seconds)


async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A document sent in a private chat: admins add articles (.txt/.md/.jsonl ≤ 20 MB); others are refused."""
    state = await admitted(update, context, "an upload", "what_upload")
    if state is None:
        return
    message = update.effective_message
    tr = for_user(update.effective_user)
    document = message.document
    name = document.file_name or "upload.txt"
    if not name.lower().endswith(UPLOAD_EXTENSIONS):
        await message.reply_html(render.escape_text(tr("upload_wrong_type", name=render.shorten(name, 100))))
        return
    if document.file_size is not None and document.file_size > MAX_UPLOAD_BYTES:
        await message.reply_html(render.escape_text(tr("upload_too_big", mb=f"{document.file_size / 1e6:.1f}")))
        return
    await wait_for_index(message, state.gate, tr=tr)
    if not state.service.ready:
        await message.reply_html(not_ready_text(state.service, tr))
        return
    async with typing_while(message):
        file = await document.get_file()
        data = bytes(await file.download_as_bytearray())
        if len(data) > MAX_UPLOAD_BYTES:
            await message.reply_html(render.escape_text(tr("upload_too_big_short")))
            return
        try:
            added = await asyncio.to_thread(state.service.add_upload, name, data)
        except IngestError as exc:
            log.info("Upload %r rejected: %s", name, exc)
            await message.reply_html(render.escape_text(tr("upload_rejected", reason=render.shorten(str(exc), 3500))))
            return
    log.info("Upload %r added as %s: %d articles, %d sentences", name, added.path, added.articles, added.sentences)
    await message.reply_html(added_html(added, str(state.settings.corpus_dir), tr))
