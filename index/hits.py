"""What a search returns: the only objects the bot renders.

Everything shown to a user is built from these frozen records, so the
Telegram layer never reaches into the index internals. Offsets are kept
exactly as in the article text so quotes and highlights never alter the
author's words: `Hit.start/end` index the article text, `Hit.highlights`
index `Hit.text` (the sentence itself).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any, TypeVar

T = TypeVar("T")


def slot_setter(cls: type[T]) -> Callable[..., T]:
    """A constructor of the frozen slots dataclass `cls` that takes every field (no defaults)
    and sets its slots directly: the same object as `cls(...)`, in half the time.

    A frozen dataclass's `__init__` must set each field through `object.__setattr__` (its own
    `__setattr__` refuses), which for `Hit`'s 15 fields costs more than reading the hit's row;
    the slots' descriptors set them in C. Written out the way dataclasses write `__init__`."""
    names = [f.name for f in fields(cls)]
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls}
    scope.update({f"_set_{name}": getattr(cls, name).__set__ for name in names})
    body = "".join(f"    _set_{name}(obj, {name})\n" for name in names)
    exec(f"def make({', '.join(names)}):\n    obj = _new(_cls)\n{body}    return obj\n", scope)  # noqa: S102
    return scope["make"]


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """The article a sentence comes from, as much as the corpus tells."""

    id: str
    title: str
    path: str
    url: str | None = None
    published: str | None = None
    source: str | None = None
    opening: str | None = None      # an untitled article's first words, for display only (no title is made up)


new_article_ref = slot_setter(ArticleRef)


@dataclass(frozen=True, slots=True)
class Hit:
    """One ranked sentence with everything needed to quote and attribute it."""

    rank: int
    score: float
    text: str
    article: ArticleRef
    paragraph: int
    sentence: int
    start: int
    end: int
    highlights: tuple[tuple[int, int], ...]
    section: str | None
    before: str | None
    after: str | None
    sentence_id: int
    also_in: tuple[ArticleRef, ...] = ()
    speaker: str | None = None      # who speaks in the sentence, as the article writes it (index.speakers)

    def to_json(self) -> dict[str, Any]:
        """The CLI's `--json` shape (a contract other tools rely on)."""
        return {
            "rank": self.rank,
            "score": round(self.score, 6),
            "text": self.text,
            "article": {
                "id": self.article.id,
                "title": self.article.title or None,     # null: the article has no title
                "path": self.article.path,
                "url": self.article.url,
                "published": self.article.published,
            },
            "paragraph": self.paragraph,
            "sentence": self.sentence,
            "start": self.start,
            "end": self.end,
            "highlights": [list(span) for span in self.highlights],
            "section": self.section,
            "context": {"before": self.before, "after": self.after},
            "also_in": [{k: v for k, v in asdict(ref).items() if k != "opening"} for ref in self.also_in],
            "speaker": self.speaker,
        }


new_hit = slot_setter(Hit)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Hits for one query, plus why there are none when there are none.

    `suggestion` is a corrected question: with hits, the question as searched
    (unknown words replaced by the stand-ins searched for them); without any,
    "did you mean": the question with its unknown words corrected, which has hits.
    """

    query: str
    hits: tuple[Hit, ...]
    total: int
    offset: int = 0
    message: str | None = None
    suggestion: str | None = None
    terms: tuple[str, ...] = field(default=())
    filters: Any = None             # index.filters.Filters the question set (NO_FILTERS: none)
    undated_left_out: int = 0       # articles without a date left out by a date filter

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.hits) < self.total

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "hits": [hit.to_json() for hit in self.hits],
            "total": self.total,
            "offset": self.offset,
            "message": self.message,
            "suggestion": self.suggestion,
            "filters": self.filters.to_json() if self.filters is not None else
            {"after": None, "before": None, "source": None},
        }
