"""Ranking under a question's filters: dates, sources, date order and speakers.

The facts come from the index's database, read once on the first question that
needs them (a question without filters never pays for them): each article's day
(`index.dates.epoch_day`, `UNDATED` without a date) and source, and the
sentences of each speaker (`index.speakers`, the ``speakers`` table).

Filters are applied to every candidate before the page is cut, so pages and
totals are exact: the candidates (`Ranker.score`, then exclusions and phrase
words) are restricted to the allowed articles, then ordered by score (ties:
the newer article first, then corpus order) or, under date order, by day
(newest first), score, corpus order.

A speaker question ranks in two tiers: first the sentences whose speaker is
the one asked about (`same_speaker`: "Lavrov" names "Sergei Lavrov") that
match the topic ("mediation" in "what did Lavrov say about mediation"),
ranked by the topic's words alone (the speaker is settled; his name would
only favour the sentences that repeat it); then every other sentence that
matches the whole question (those that only mention the name among them) in
the usual order. Without a topic ("what did Lavrov say") the first tier is
ranked by the whole question. The total
counts both tiers, so paging runs through the first tier into the second.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .dates import epoch_day, parse_published
from .filters import Filters
from .ranking import FULL_SORT_LIMIT, Ranked, Ranker, _collapse
from .speakers import fold, same_speaker

UNDATED = np.iinfo(np.int32).min
"""`article_day` of an article without a date."""


class NewsFacts:
    """Days, sources and speakers of one loaded index, read from its database on first use."""

    def __init__(self, db: Callable[[], sqlite3.Connection], n_articles: int, n_sentences: int) -> None:
        self._db = db
        self.n_articles = n_articles
        self.n_sentences = n_sentences
        self._lock = threading.Lock()
        self._source_masks: dict[str, np.ndarray] = {}
        self._speaker_masks: dict[str, np.ndarray] = {}

    @cached_property
    def _articles(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        days = np.full(self.n_articles, UNDATED, np.int32)
        source_ids = np.full(self.n_articles, -1, np.int32)
        names: dict[str, int] = {}
        for aid, published, source in self._db().execute("SELECT id, published, source FROM articles"):
            if published and aid < self.n_articles:
                found = parse_published(published)
                if found is not None:
                    days[aid] = epoch_day(found.day)
            if source and aid < self.n_articles:
                key = " ".join(source.casefold().split())
                source_ids[aid] = names.setdefault(key, len(names))
        return days, source_ids, list(names)

    @property
    def article_day(self) -> np.ndarray:
        """int32 days since 1970-01-01 per article, `UNDATED` without a date."""
        return self._articles[0]

    @cached_property
    def _speakers(self) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
        """speaker name -> its sentence ids (ascending), and folded word -> the names holding it."""
        by_name: dict[str, list[int]] = {}
        for sid, name in self._db().execute("SELECT sentence, name FROM speakers ORDER BY sentence"):
            by_name.setdefault(name, []).append(int(sid))
        by_word: dict[str, list[str]] = {}
        for name in by_name:
            for word in set(fold(name).split()):
                by_word.setdefault(word, []).append(name)
        return {name: np.asarray(ids, np.int64) for name, ids in by_name.items()}, by_word

    def source_mask(self, asked: str) -> np.ndarray:
        """bool per article: its source is `asked` (case and spacing aside)."""
        key = " ".join(asked.casefold().split())
        mask = self._source_masks.get(key)
        if mask is None:
            _, source_ids, names = self._articles
            wanted = [i for i, name in enumerate(names) if name == key]
            mask = np.isin(source_ids, wanted) if wanted else np.zeros(self.n_articles, bool)
            with self._lock:
                self._source_masks[key] = mask
        return mask

    def speaker_sentences(self, asked: str) -> np.ndarray:
        """Ascending ids of the sentences whose speaker is the one `asked` names."""
        key = fold(asked)
        found = self._speaker_masks.get(key)
        if found is None:
            by_name, by_word = self._speakers
            words = key.split()
            names = by_word.get(words[0], []) if words else []
            parts = [by_name[name] for name in names if same_speaker(asked, name)]
            found = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
            with self._lock:
                self._speaker_masks[key] = found
        return found

    def allowed_articles(self, filters: Filters) -> tuple[np.ndarray | None, np.ndarray | None]:
        """bool per article that the filters allow (None: all), and the undated ones a date filter left out."""
        mask = None
        undated = None
        if filters.dates is not None:
            days = self.article_day
            mask = days != UNDATED
            undated = ~mask
            if filters.after is not None:
                mask &= days >= epoch_day(filters.after)
            if filters.before is not None:
                mask &= days < epoch_day(filters.before)
        if filters.source is not None:
            src = self.source_mask(filters.source)
            mask = src.copy() if mask is None else mask & src
            if undated is not None:
                undated &= src
        return mask, undated


@dataclass(frozen=True, slots=True)
class FilteredRank:
    ranked: Ranked
    matched: int          # candidates before exclusions and filters
    undated: int          # articles with matching sentences left out for having no date


@dataclass(frozen=True, slots=True)
class Query:
    """What the engine hands over: weighted term ids, exclusions, phrase words and check, the topic's terms."""

    terms: Sequence[tuple[int, float]]
    excluded: Sequence[int] = ()
    required: Sequence[int] = ()
    accept: Callable[[int], bool] | None = None
    topic_terms: Sequence[tuple[int, float]] = ()   # a speaker question's topic ("mediation")


def rank(ranker: Ranker, facts: NewsFacts, query: Query, offset: int, k: int, filters: Filters,
         fast: bool = True) -> FilteredRank:
    """The page `offset..offset+k` under `filters` (module docstring; `fast`: False only to check
    `_speaker_fast` against the general path)."""
    if filters.speaker and not filters.restricts and not filters.by_date and query.accept is None and fast:
        return _speaker_fast(ranker, facts, query, offset, k, filters.speaker)
    allowed, undated_mask = facts.allowed_articles(filters)
    ids, scores, matched, undated = _candidates(ranker, facts, query, query.terms, allowed, undated_mask,
                                                filters.by_date)
    if filters.speaker:
        spoken = facts.speaker_sentences(filters.speaker)
        if query.topic_terms:
            # the first tier: the speaker's sentences, ranked by the topic's words only
            t_ids, t_scores, _, _ = _candidates(ranker, facts, query, query.topic_terms, allowed, None,
                                                filters.by_date)
        else:
            t_ids, t_scores = ids, scores
        first = np.isin(t_ids, spoken, assume_unique=True) if len(spoken) else np.zeros(len(t_ids), bool)
        t_ids, t_scores = t_ids[first], t_scores[first]
        rest = ~np.isin(ids, t_ids, assume_unique=True)
        ranked = _tiers(ranker, facts, [(t_ids, t_scores), (ids[rest], scores[rest])], offset, k, filters.by_date)
    else:
        ranked = page(ranker, facts, ids, scores, offset, k, filters.by_date)
    return FilteredRank(ranked, matched, undated)


def _candidates(ranker: Ranker, facts: NewsFacts, query: Query, terms: Sequence[tuple[int, float]],
                allowed: np.ndarray | None, undated_mask: np.ndarray | None,
                by_date: bool) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Scored candidates for `terms` left by exclusions, phrases and the allowed articles; how many
    matched before those, and how many undated articles with candidates a date filter left out."""
    ids, scores = ranker.score(terms)
    matched = len(ids)
    ids, scores = ranker.exclude(ids, scores, query.excluded)
    if query.required:
        ids, scores = ranker.require(ids, scores, query.required)
    undated = 0
    if allowed is not None:
        arts = np.asarray(ranker.sent_article)[ids]
        if undated_mask is not None:
            undated = len(np.unique(arts[undated_mask[arts]]))
        keep = allowed[arts]
        ids, scores = ids[keep], scores[keep]
    if query.accept is not None:
        order = _order(ids, scores, facts.article_day, len(ids), by_date, np.asarray(ranker.sent_article))
        keep = np.array([query.accept(int(ids[i])) for i in order], dtype=bool)
        chosen = np.sort(order[keep])
        ids, scores = ids[chosen], scores[chosen]
    return ids, scores, matched, undated


def _speaker_fast(ranker: Ranker, facts: NewsFacts, query: Query, offset: int, k: int,
                  speaker: str) -> FilteredRank:
    """A speaker question without other filters: the first tier scored directly on the speaker's
    few sentences (`served_subset`), the rest from the compiled `Ranker.top` with the first tier's
    sentences taken out (asking for as many more hits as the first tier holds keeps it exact)."""
    spoken = facts.speaker_sentences(speaker)
    t_ids, t_scores = served_subset(ranker, query.topic_terms or query.terms, spoken)
    t_ids, t_scores = ranker.exclude(t_ids, t_scores, query.excluded)
    if not {t for t, _ in query.topic_terms} <= {t for t, _ in query.terms}:
        # a first-tier sentence must match the whole question too (the topic's words are the question's,
        # but for typo stand-ins: then it is checked)
        keep = _field_subset(ranker.sentences, query.terms, t_ids)[1]
        t_ids, t_scores = t_ids[keep], t_scores[keep]
    n1 = ranker.duplicates.count_distinct(t_ids)
    first = page(ranker, facts, t_ids, t_scores, offset, k, False) if offset < n1 else Ranked((), (), (), n1)
    want = k - len(first.ids)
    start = max(0, offset - n1)
    rest, matched = ranker.top(query.terms, query.excluded, 0, start + want + len(t_ids))
    taken = set(t_ids.tolist())
    kept = [n for n, sid in enumerate(rest.ids) if sid not in taken][start:start + want] if want > 0 else []
    total = n1 + max(0, rest.total - n1)
    ranked = Ranked(first.ids + tuple(rest.ids[n] for n in kept), first.scores + tuple(rest.scores[n] for n in kept),
                    first.duplicates + tuple(rest.duplicates[n] for n in kept), total)
    return FilteredRank(ranked, matched, 0)


def served_subset(ranker: Ranker, terms: Sequence[tuple[int, float]],
                  sids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`Ranker.score(terms)` for the sentences `sids` (ascending) only: those that match, and their
    served scores, computed by looking the sentences up in the terms' postings (for a few hundred
    sentences instead of every posting). The same sums in the same order, so the same floats."""
    p = ranker.params
    sids = np.asarray(sids, np.int64)
    own, hit = _field_subset(ranker.sentences, terms, sids)
    sids, own = sids[hit], own[hit]
    if not len(sids):
        return sids, own
    total = own.copy()
    sent_para = np.asarray(ranker.sent_para)
    if p.neighbour:
        n = len(sent_para)
        side = np.zeros(len(sids))
        for step in (-1, 1):
            other = np.clip(sids + step, 0, n - 1)
            same = (other != sids) & (sent_para[other] == sent_para[sids])
            score, matched = _field_subset(ranker.sentences, terms, other)
            side += np.where(same & matched, score, 0.0)
        total += p.neighbour * side
    if p.paragraph:
        score, matched = _field_subset(ranker.paragraphs, terms, sent_para[sids].astype(np.int64))
        total += p.paragraph * np.where(matched, score, 0.0)
    if p.title:
        score, matched = _field_subset(ranker.titles, terms, np.asarray(ranker.sent_article)[sids].astype(np.int64))
        total += p.title * np.where(matched, score, 0.0)
    return sids, total


def _field_subset(fld, terms: Sequence[tuple[int, float]], docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A field's BM25 score of each of `docs` (as `Field.score` sums it) and whether it matched."""
    ptr, all_docs, w = fld.postings.ptr, fld.postings.docs, fld.weights
    sums = np.zeros(len(docs))
    matched = np.zeros(len(docs), bool)
    n_terms = fld.postings.n_terms
    for term, count in terms:
        if term < 0 or term >= n_terms:
            continue
        lo, hi = int(ptr[term]), int(ptr[term + 1])
        if hi <= lo or not len(docs):
            continue
        run = all_docs[lo:hi]
        pos = np.minimum(np.searchsorted(run, docs), hi - lo - 1)
        found = run[pos] == docs
        if found.any():
            weight = w[lo + pos[found]].astype(np.float64)
            sums[found] += weight if count == 1.0 else weight * count
            matched |= found
    offset = fld.offset(terms)
    if offset:
        sums[matched] += offset
    return sums, matched


def _tiers(ranker: Ranker, facts: NewsFacts, tiers: list[tuple[np.ndarray, np.ndarray]], offset: int, k: int,
           by_date: bool) -> Ranked:
    ids: list[int] = []
    scores: list[float] = []
    dups: list[tuple[int, ...]] = []
    total = 0
    for tier_ids, tier_scores in tiers:
        n = ranker.duplicates.count_distinct(tier_ids)
        start = max(0, offset - total)
        want = k - len(ids)
        if want > 0 and start < n:
            part = page(ranker, facts, tier_ids, tier_scores, start, want, by_date)
            ids += part.ids
            scores += part.scores
            dups += part.duplicates
        total += n
    return Ranked(tuple(ids), tuple(scores), tuple(dups), total)


def page(ranker: Ranker, facts: NewsFacts, ids: np.ndarray, scores: np.ndarray, offset: int, k: int,
         by_date: bool) -> Ranked:
    """`Ranker.page` with the newer article first among equal scores, or newest first under `by_date`."""
    dups = ranker.duplicates
    need = offset + k
    m = min(len(ids), need + 16)
    sent_article = np.asarray(ranker.sent_article)
    while True:
        order = _order(ids, scores, facts.article_day, m, by_date, sent_article)
        groups = _collapse(order, ranker.sent_hash[ids[order]])
        if len(groups) >= need or m >= len(ids):
            break
        m = min(len(ids), m * 4)
    chosen = groups[offset:need]
    return Ranked(
        ids=tuple(int(ids[g[0]]) for g in chosen),
        scores=tuple(float(scores[g[0]]) for g in chosen),
        duplicates=tuple(dups.others(int(ids[g[0]]), ids, scores) for g in chosen),
        total=dups.count_distinct(ids),
    )


def _order(ids: np.ndarray, scores: np.ndarray, article_day: np.ndarray, m: int, by_date: bool,
           sent_article: np.ndarray) -> np.ndarray:
    """Positions of the top m candidates: (score, day) or (day, score) descending, then id ascending."""
    n = len(ids)
    if n == 0:
        return np.zeros(0, np.int64)
    m = min(m, n)
    days = article_day[sent_article[ids]]
    primary = days if by_date else scores
    if n > FULL_SORT_LIMIT and m < n:
        threshold = np.partition(primary, n - m)[n - m]
        sel = np.flatnonzero(primary >= threshold)     # every candidate that can be in the top m
    else:
        sel = np.arange(n)
    keys = (ids[sel], -scores[sel], -days[sel].astype(np.int64)) if by_date else \
        (ids[sel], -days[sel].astype(np.int64), -scores[sel])
    return sel[np.lexsort(keys)][:m]


def scope_label(filters: Filters) -> str:
    """The filters in words, for "No article <scope> matches": "from June 2023 in Reuters"."""
    parts = []
    if filters.dates is not None:
        parts.append(filters.dates.label)
    if filters.source is not None:
        parts.append(f"from the source {filters.source}" if filters.dates is None else f"in {filters.source}")
    return " ".join(parts)


def no_match_message(filters: Filters, undated: int) -> str:
    left_out = ""
    if undated:
        left_out = f" ({undated} matching article{'s' if undated != 1 else ''} without a date left out)"
    return f"No article {scope_label(filters)} matches{left_out}."
