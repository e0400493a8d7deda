"""Ranking under a question's filters: dates, sources, date order and speakers.

The ranking does the filtering (`Ranker.top` / `Ranker.score` with
`allow_articles`, `by_date`; `Ranker(article_day=...)` breaks score ties by
the newer article), so pages and totals are exact, not a filter over the top
k. This module says *which* articles and sentences a question allows:

* a date range: the articles whose day (`index.build.article_day`, the
  index's ``article_day`` array) is in it; articles without a date are left
  out, and when nothing matches, those that would have matched are counted
  for the message ("No article from June 2023 matches (2 matching articles
  without a date left out).");
* a source: the articles whose ``source`` is the one asked for, case and
  spacing aside (read from the database on the first such question);
* a speaker question ranks in two tiers: first the sentences whose speaker
  is the one asked about (`same_speaker`: "Lavrov" names "Sergei Lavrov")
  and that hold a word of the topic ("mediation" in "what did Lavrov say
  about mediation"); then every other sentence matching the question (those
  that only mention the name, and the speaker's words on other things). Both
  tiers are ranked by the question's served score, so a hit's score means
  what it always meant. Without a topic ("what did Lavrov say") the first
  tier is every sentence of the speaker that matches. The first tier is
  scored directly on the speaker's sentences (`served_subset`: a few hundred
  sentences looked up in the terms' postings, the same floats as
  `Ranker.score`); the second comes from `Ranker.top` asked for as many more
  hits as the first tier holds, which are then taken out, so it stays exact.
  Measured on the 100k synthetic corpus, against one tier restricted with
  `allow_sentences`: two compiled rankings per question cost more than this
  direct scoring of the speaker's few sentences (see the issue 13 report).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from .dates import epoch_day
from .filters import NO_FILTERS, Filters
from .once import computed_once
from .query import ParsedQuery, parse_query
from .ranking import UNDATED, Ranked, Ranker
from .speakers import fold, same_speaker

if TYPE_CHECKING:
    from .engine import SearchIndex


class NewsFacts:
    """Sources and speakers of one loaded index, read from its database on first use; days from the ranker."""

    def __init__(self, db: Callable[[], object], ranker: Ranker) -> None:
        self._db = db
        self.ranker = ranker
        self.n_articles = ranker.titles.n_docs
        self._lock = threading.Lock()
        self._source_masks: dict[str, np.ndarray] = {}
        self._speaker_ids: dict[str, np.ndarray] = {}

    def read_through(self, db: Callable[[], object]) -> None:
        """Read what is not read yet through `db` (a newer generation's link to the same database:
        the facts of a main segment outlive the generation that made them, `index.segments`)."""
        self._db = db

    @property
    def article_day(self) -> np.ndarray:
        days = self.ranker.article_day
        return days if days is not None else np.full(self.n_articles, UNDATED, np.int32)

    @cached_property
    def any_dated(self) -> bool:
        """Whether some article has a date: in an undated archive, date words are words to search."""
        return bool((self.article_day != UNDATED).any())

    def warm(self) -> None:
        """Read the sources and speakers now (`index.warmup`), not on the first question naming one."""
        self._sources  # noqa: B018 (computed once)
        self._speakers  # noqa: B018

    @computed_once
    def _sources(self) -> tuple[np.ndarray, list[str]]:
        source_ids = np.full(self.n_articles, -1, np.int32)
        names: dict[str, int] = {}
        for aid, source in self._db().execute("SELECT id, source FROM articles WHERE source IS NOT NULL"):
            if 0 <= aid < self.n_articles:
                source_ids[aid] = names.setdefault(" ".join(source.casefold().split()), len(names))
        return source_ids, list(names)

    @computed_once
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
            mask = self._source_mask(asked, key)
            with self._lock:
                self._source_masks[key] = mask
        return mask

    def _source_mask(self, asked: str, key: str) -> np.ndarray:
        source_ids, names = self._sources
        wanted = [i for i, name in enumerate(names) if name == key]
        return np.isin(source_ids, wanted) if wanted else np.zeros(self.n_articles, bool)

    def speaker_sentences(self, asked: str) -> np.ndarray:
        """Ascending ids of the sentences whose speaker is the one `asked` names."""
        key = fold(asked)
        found = self._speaker_ids.get(key)
        if found is None:
            found = self._speaker_sentences(asked, key)
            with self._lock:
                self._speaker_ids[key] = found
        return found

    def _speaker_sentences(self, asked: str, key: str) -> np.ndarray:
        by_name, by_word = self._speakers
        words = key.split()
        names = by_word.get(words[0], []) if words else []
        parts = [by_name[name] for name in names if same_speaker(asked, name)]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)

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
    matched: int          # sentences matching the question's words (before exclusions; when nothing is
                          # shown, before the filters too)
    undated: int          # with nothing to show: articles without a date that would have matched
    restricted: bool = False   # a date or source filter applied
    excluded_all: bool | None = None   # excluded words removed every match (None: from `matched`)

    @property
    def outcome(self) -> tuple[Ranked, bool]:
        """The page, and whether excluded words removed every match (as `SearchIndex._rank` says it)."""
        if self.excluded_all is not None:
            return self.ranked, self.excluded_all
        return self.ranked, self.matched > 0 and not self.ranked.total

    @property
    def filtered_out(self) -> bool:
        """Nothing matches here, but the words match elsewhere: "No article from June 2023 matches"."""
        return self.restricted and not self.ranked.total and self.matched > 0


@dataclass(frozen=True, slots=True)
class Query:
    """What the engine hands over: weighted term ids, exclusions, phrase words and check, the topic's terms."""

    terms: Sequence[tuple[int, float]]
    excluded: Sequence[int] = ()
    required: Sequence[int] = ()
    accept: Callable[[int], bool] | None = None
    topic_terms: Sequence[tuple[int, float]] = ()   # a speaker question's topic ("mediation")


def rank(ranker: Ranker, facts: NewsFacts, query: Query, offset: int, k: int, filters: Filters) -> FilteredRank:
    """The page `offset..offset+k` under `filters` (module docstring)."""
    allowed, undated_mask = facts.allowed_articles(filters)
    t_ids = np.zeros(0, np.int64)
    first = Ranked((), (), (), 0)
    if filters.speaker:
        t_ids, t_scores = _first_tier(ranker, facts, query, filters.speaker, allowed)
        n1 = ranker.duplicates.count_distinct(t_ids)
        if offset < n1:
            first = ranker.page(t_ids, t_scores, offset, k, by_date=filters.by_date)
        first = Ranked(first.ids, first.scores, first.duplicates, n1)
    want = k - len(first.ids)
    start = max(0, offset - first.total)
    rest, matched = _rest(ranker, query, start, want, allowed, filters.by_date, t_ids)
    ranked = Ranked(first.ids + rest.ids, first.scores + rest.scores, first.duplicates + rest.duplicates,
                    first.total + rest.total)
    undated = 0
    if not ranked.total and allowed is not None:
        matched = ranker.top(query.terms, (), 0, 1)[1]      # do the words match outside the filters?
    if not ranked.total and undated_mask is not None and undated_mask.any():
        ids, _ = ranker.score(query.terms, allow_articles=undated_mask.view(np.uint8))
        ids, _ = ranker.exclude(ids, np.zeros(len(ids)), query.excluded)
        undated = len(np.unique(np.asarray(ranker.sent_article)[ids]))
    return FilteredRank(ranked, matched, undated, allowed is not None)


def rank_question(index: "SearchIndex", parsed: ParsedQuery, terms: Sequence[tuple[int, float]],
                  filters: Filters, offset: int, k: int) -> FilteredRank:
    """`rank` for the engine's parsed question: term ids, exclusions, phrase words and check, topic.
    A question without filters is ranked by the engine's own path (`SearchIndex._rank`)."""
    from .engine import weighted_terms
    if not terms:
        return FilteredRank(Ranked((), (), (), 0), 0, 0)
    if filters is NO_FILTERS:
        ranked, excluded_all = index._rank(parsed, terms, offset, k)
        return FilteredRank(ranked, 0, 0, False, excluded_all)
    vocab = index.vocab
    topic = parse_query(filters.topic, index.analyzer) if filters.topic else None
    question = Query(terms, [vocab[t] for t in parsed.excluded if t in vocab],
                     sorted({vocab[w] for phrase in parsed.phrases for w in phrase if w in vocab}),
                     (lambda sid: index._has_phrases(sid, parsed)) if parsed.phrases else None,
                     weighted_terms(topic, {}, vocab, index.params.name_boost) if topic is not None else ())
    return rank(index.ranker, facts(index), question, offset, k, filters)


_FACTS_LOCK = threading.Lock()


def facts(index: "SearchIndex") -> NewsFacts:
    """The index's `NewsFacts`, made on its first filtered question or its warm-up (one, even when
    both ask together: two would read the speakers twice)."""
    found = getattr(index, "_news_facts", None)
    if found is None:
        with _FACTS_LOCK:
            found = getattr(index, "_news_facts", None)
            if found is None:
                found = index._news_facts = NewsFacts(lambda: index.texts.db, index.ranker)
    return found


def _first_tier(ranker: Ranker, facts: NewsFacts, query: Query, speaker: str,
                allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The speaker's sentences that match the topic, with their served scores for the whole question."""
    spoken = facts.speaker_sentences(speaker)
    if allowed is not None and len(spoken):
        spoken = spoken[allowed[np.asarray(ranker.sent_article)[spoken]]]
    # the speaker's words on the topic, not on anything else
    topic = {t for t, _ in query.topic_terms} if query.topic_terms else None
    t_ids, t_scores = served_subset(ranker, query.terms, spoken, topic)
    t_ids, t_scores = ranker.exclude(t_ids, t_scores, query.excluded)
    if query.required:
        t_ids, t_scores = ranker.require(t_ids, t_scores, query.required)
    if query.accept is not None and len(t_ids):
        keep = np.array([query.accept(int(i)) for i in t_ids], bool)
        t_ids, t_scores = t_ids[keep], t_scores[keep]
    return t_ids, t_scores


def _rest(ranker: Ranker, query: Query, start: int, want: int, allowed: np.ndarray | None, by_date: bool,
          taken: np.ndarray) -> tuple[Ranked, int]:
    """Hits `start..start+want` of the question's ranking with the `taken` sentences left out, and how
    many sentences matched the words. The compiled path, filters and date order included (the phrase
    check needs the numpy one)."""
    mask = allowed.view(np.uint8) if allowed is not None else None
    if query.accept is not None:          # the phrase check reads the candidates' texts: the numpy path
        ids, scores = ranker.score(query.terms)
        matched = len(ids)
        if mask is not None:
            keep = mask[np.asarray(ranker.sent_article)[ids]] != 0
            ids, scores = ids[keep], scores[keep]
        ids, scores = ranker.exclude(ids, scores, query.excluded)
        ids, scores = ranker.require(ids, scores, query.required)
        if len(taken):
            keep = ~np.isin(ids, taken, assume_unique=True)
            ids, scores = ids[keep], scores[keep]
        ranked = ranker.page(ids, scores, start, max(want, 1), query.accept, by_date=by_date)
        return (ranked if want > 0 else Ranked((), (), (), ranked.total)), matched
    ranked, matched = ranker.top(query.terms, query.excluded, 0 if len(taken) else start,
                                 max(want, 1) + (start + len(taken) if len(taken) else 0),
                                 allow_articles=mask, by_date=by_date)
    if not len(taken):
        return (ranked if want > 0 else Ranked((), (), (), ranked.total)), matched
    out = set(taken.tolist())
    kept = [n for n, sid in enumerate(ranked.ids) if sid not in out][start:start + want] if want > 0 else []
    n_taken = ranker.duplicates.count_distinct(taken)
    return Ranked(tuple(ranked.ids[n] for n in kept), tuple(ranked.scores[n] for n in kept),
                  tuple(ranked.duplicates[n] for n in kept), max(0, ranked.total - n_taken)), matched


def served_subset(ranker: Ranker, terms: Sequence[tuple[int, float]], sids: np.ndarray,
                  topic: set[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """`Ranker.score(terms)` for the sentences `sids` (ascending) only: those that match (and hold a
    `topic` term, when given), and their served scores, computed by looking the sentences up in the
    terms' postings (a few sentences instead of every posting). The same sums in the same order, so
    the same floats. One lookup per field: the sentences and their neighbours together."""
    if (by_segment := getattr(ranker, "served_subset", None)) is not None:   # index.segments
        return by_segment(terms, sids, topic, served_subset)
    p = ranker.params
    sids = np.asarray(sids, np.int64)
    if not len(sids):
        return sids, np.zeros(0)
    n, m = len(ranker.sent_para), len(sids)
    around = np.concatenate([sids, np.clip(sids - 1, 0, n - 1), np.clip(sids + 1, 0, n - 1)])
    score, matched, marked = _field_subset(ranker.sentences, terms, around, topic)
    keep = matched[:m] if topic is None else matched[:m] & marked[:m]
    total = score[:m][keep]
    sids = sids[keep]
    if not len(sids):
        return sids, total
    sent_para = np.asarray(ranker.sent_para)
    if p.neighbour:
        side = np.zeros(len(sids))
        for part in (1, 2):
            other = around[part * m:(part + 1) * m][keep]
            same = (other != sids) & (sent_para[other] == sent_para[sids]) & matched[part * m:(part + 1) * m][keep]
            side += np.where(same, score[part * m:(part + 1) * m][keep], 0.0)
        total += p.neighbour * side
    if p.paragraph:
        score_p, matched_p, _ = _field_subset(ranker.paragraphs, terms, sent_para[sids].astype(np.int64))
        total += p.paragraph * np.where(matched_p, score_p, 0.0)
    if p.title:
        score_t, matched_t, _ = _field_subset(ranker.titles, terms,
                                              np.asarray(ranker.sent_article)[sids].astype(np.int64))
        total += p.title * np.where(matched_t, score_t, 0.0)
    return sids, total


def _field_subset(fld, terms: Sequence[tuple[int, float]], docs: np.ndarray,
                  mark: set[int] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """A field's BM25 score of each of `docs` (as `Field.score` sums it), whether it matched, and
    whether it holds one of the `mark` terms."""
    ptr, all_docs = fld.postings.ptr, fld.postings.docs
    sums = np.zeros(len(docs))
    matched = np.zeros(len(docs), bool)
    marked = np.zeros(len(docs), bool) if mark is not None else None
    n_terms = fld.postings.n_terms
    for term, count in terms:
        if term < 0 or term >= n_terms:
            continue
        lo, hi = int(ptr[term]), int(ptr[term + 1])
        if hi <= lo:
            continue
        run = all_docs[lo:hi]
        pos = np.searchsorted(run, docs)
        pos[pos >= hi - lo] = hi - lo - 1
        found = run[pos] == docs
        if found.any():
            weight = fld.weights_at(term, lo + pos[found]).astype(np.float64)
            sums[found] += weight if count == 1.0 else weight * count
            matched |= found
            if marked is not None and term in mark:
                marked |= found
    offset = fld.offset(terms)
    if offset:
        sums[matched] += offset
    return sums, matched, marked


def scope_label(filters: Filters) -> str:
    """The filters in words, for "No article <scope> matches": "from June 2023 in Reuters"."""
    parts = []
    if filters.dates is not None:
        parts.append(filters.dates.label)
    if filters.source is not None:
        parts.append(f"from the source {filters.source}" if filters.dates is None else f"in {filters.source}")
    return " ".join(parts)


def empty_range_message(filters: Filters) -> str | None:
    """A date range that holds no day at all ("in 2023 before 2022") is answered before any ranking."""
    return no_match_message(filters, 0) if filters.dates is not None and filters.dates.empty else None


def filtered_out_message(got: FilteredRank | None, filters: Filters) -> str | None:
    return no_match_message(filters, got.undated) if got is not None and got.filtered_out else None


def no_match_message(filters: Filters, undated: int) -> str:
    left_out = ""
    if undated:
        left_out = f" ({undated} matching article{'s' if undated != 1 else ''} without a date left out)"
    return f"No article {scope_label(filters)} matches{left_out}."
