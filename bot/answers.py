"""The answer pipeline shared by Telegram and the console chat: question in, hits out.

These functions block (the index reads SQLite and scores with numpy), so the
Telegram handlers call them through ``asyncio.to_thread`` and the console
calls them directly. They only use the public API of `index.service` and
`index.engine`; rendering is `bot.render`'s job.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.hits import Hit, SearchResult

if TYPE_CHECKING:
    from index.service import IndexService

log = logging.getLogger(__name__)
CONTEXT_WIDTH = 2


@dataclass(frozen=True, slots=True)
class Answer:
    """The first page for a question, and a corrected question when nothing matched."""

    result: SearchResult
    suggestion: str | None = None

    @property
    def shown(self) -> tuple[tuple[int, str], ...]:
        return shown(self.result)


def shown(result: SearchResult) -> tuple[tuple[int, str], ...]:
    """(sentence id, text) of each hit: what a page showed, for later Context presses."""
    return tuple((h.sentence_id, h.text) for h in result.hits)


def ask(service: "IndexService", query: str, page_size: int) -> Answer:
    """First page of hits (counted as a question answered); raises NotReady while loading."""
    result = service.search(query, k=page_size, offset=0)
    suggestion = None
    if not result.hits:
        suggestion = result.suggestion or suggest(service, query)
    return Answer(result, suggestion)


def suggest(service: "IndexService", query: str) -> str | None:
    """The index's "did you mean" for `query`, when the index offers one (added later by index/)."""
    index = service.current()
    finder = getattr(index, "suggest", None)
    if not callable(finder):
        return None
    try:
        corrected = finder(query)
    except Exception:  # noqa: BLE001 - a failed suggestion must not fail the answer
        log.exception("suggest(%r) failed", query)
        return None
    if not corrected or " ".join(corrected.split()).casefold() == " ".join(query.split()).casefold():
        return None
    return corrected


def page(service: "IndexService", query: str, number: int, page_size: int) -> SearchResult:
    """Page `number` (0-based) of a question asked before (not counted again)."""
    return service.current().search(query, k=page_size, offset=number * page_size)


def context(service: "IndexService", query: str, number: int, page_size: int,
            was_shown: Sequence[tuple[int, str]]) -> list[tuple[Hit, list[tuple[int, str]]]] | None:
    """Each hit of a page shown earlier, with its neighbouring sentences.

    None when the index no longer holds the sentences that page showed (an
    upload or reindex since renumbered or removed them).
    """
    index = service.current()
    result = index.search(query, k=page_size, offset=number * page_size)
    hits: list[Hit] = list(result.hits)
    if [(h.text) for h in hits] != [t for _, t in was_shown]:
        hits = []
        for n, (sid, sentence_text) in enumerate(was_shown):
            hit = index.sentence(sid, result.terms)
            if hit is None or hit.text != sentence_text:
                return None
            hits.append(dataclasses.replace(hit, rank=number * page_size + n + 1))
    return [(hit, index.context(hit.sentence_id, CONTEXT_WIDTH)) for hit in hits]


def example_question(service: "IndexService") -> str | None:
    """A question that has hits on the current corpus (for /start); None while loading."""
    if not service.ready:
        return None
    try:
        return service.current().example_question()
    except Exception:  # noqa: BLE001 - /start must work even if this fails
        log.exception("example_question failed")
        return None
