"""Typo tolerance and "did you mean": the indexed words closest to an unknown word.

Why this exists
---------------
A question with one mistyped word ("what did Lavrof say about mediaton")
otherwise loses exactly the words that matter most: names and rare terms.
The index vocabulary holds *stems* ("mediat"), which are neither good targets
for edit distance nor readable suggestions, so spelling works on a separate
*lexicon* of surface words: every run of letters of the indexed texts,
casefolded and accent-stripped like the analyzer does, with its number of
occurrences. The build writes it to the ``words`` table of the index database
(`count_words` says what is counted); an index built before that table existed
gets it derived from its article texts on first use.

Lookup
------
`Lexicon.near` finds every lexicon word within a small edit distance of a
word. Distance is the *optimal string alignment* distance (Levenshtein plus
swapping two adjacent letters as one edit, the commonest typing slip). How
many edits a word may have depends on its length (`max_edits`): none below 4
letters (too many short words are one edit apart), 1 for 4-5 letters, 2 from
6 letters on.

To stay fast at hundreds of thousands of words without a deletion index
(SymSpell's distance-2 deletes cost tens of millions of entries), the words
are bucketed by length, and only the buckets within `limit` of the word's
length are looked at, through two necessary conditions evaluated in one
vectorised numpy pass each: every edit removes at most one letter from either
word's *set* of letters (a 32-bit mask per word, `np.bitwise_count`), and
changes the letter *counts* by at most 2 in L1 norm (an insertion or deletion
by 1, a swap by 0). The exact distance then runs on the survivors only:
rapidfuzz's OSA distance with the limit as cut-off, one C++ call for all the
survivors of a bucket (`rapidfuzz_distances`; it replaced a dynamic programme
vectorised with numpy, which `bench/quality.py` runs beside it: the same
words found, in less time). The buckets are built lazily, on the first
unknown word, since most questions have none. `bench/quality.py` measures
lookups in a 300k-word lexicon (`bench/results/quality.md`).

Use
---
`Speller` holds an index's vocabulary, analyzer and lexicon; the engine
calls it once per question.

* Stand-ins (`Speller.correct`): a searched question word whose terms are
  not in the vocabulary adds the terms of its nearest lexicon words (those at
  the smallest distance found, the most frequent first, at most
  ``RankingParams.typo_expansions``), each weighted ``RankingParams.typo``
  times the word's count: a stand-in for the word typed. (Tune chose the
  weight 1: a scaled-down stand-in did worse on questions with a typo.) A
  question none of whose words is indexed gets no stand-ins, so no guessed
  answer. The same pass gives the question as searched, which a result with
  hits reports in ``SearchResult.suggestion``.
* "Did you mean" (`Speller.suggestion`): for a question without hits, the
  nearest word of each unknown word, written with the typed word's
  capitalisation, replaces it; the engine reports it in
  ``SearchResult.suggestion`` when the corrected question has hits.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz.distance import OSA
from rapidfuzz.process import cdist

from .analysis import fold_case as fold  # casefold and strip accents, as the analyzer does
from .once import computed_once

if TYPE_CHECKING:
    from .analysis import Analyzer
    from .query import ParsedQuery

MIN_WORD = 3
"""Shorter letter runs are not in the lexicon (and are never corrected)."""

MIN_CORRECTED = 4
"""Words shorter than this are never corrected: too many words are one edit apart."""

WORD_RE = re.compile(r"[^\W\d_]+")
"""A run of letters: the unit of the lexicon and of corrections."""

_BUCKETS = 32  # a..z, then other letters hashed into 6 more columns


def letter_runs(text: str) -> list[str]:
    """The letter runs of `text` as written (one C-level regex pass: the build counts these)."""
    return WORD_RE.findall(text)


def lexicon_counts(raw: Mapping[str, int]) -> Counter[str]:
    """Counts of written letter runs -> lexicon counts (folded, short runs dropped)."""
    out: Counter[str] = Counter()
    for word, n in raw.items():
        if len(word) >= MIN_WORD:
            out[fold(word)] += n
    return out


def count_words(texts: Iterable[str]) -> Counter[str]:
    """Lexicon counts of some texts."""
    raw: Counter[str] = Counter()
    for text in texts:
        raw.update(letter_runs(text))
    return lexicon_counts(raw)


def max_edits(word: str) -> int:
    """How many edits a typed word of this length may be away from what was meant."""
    n = len(word)
    if n < MIN_CORRECTED:
        return 0
    return 1 if n <= 5 else 2


def _bucket(ch: str) -> int:
    o = ord(ch)
    return o - 97 if 97 <= o <= 122 else 26 + o % (_BUCKETS - 26)


def letter_counts(word: str) -> np.ndarray:
    """The letter-count vector of one word (int16, `_BUCKETS` columns)."""
    out = np.zeros(_BUCKETS, dtype=np.int16)
    for ch in word:
        out[_bucket(ch)] += 1
    return out


def _letter_mask(counts: np.ndarray) -> int:
    return int(sum(1 << i for i in np.flatnonzero(counts)))


@dataclass(frozen=True, slots=True)
class _Bucket:
    """Words of one length: their letter counts and letter-set masks."""

    words: list[str]
    counts: np.ndarray  # (n, _BUCKETS) int16
    masks: np.ndarray   # (n,) uint32: bit i set when bucket i occurs

    @classmethod
    def of(cls, words: list[str]) -> "_Bucket":
        length = len(words[0])
        codes = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32).reshape(len(words), length)
        c = codes.astype(np.int64)
        cols = np.where((c >= 97) & (c <= 122), c - 97, 26 + c % (_BUCKETS - 26))
        rows = np.repeat(np.arange(len(words)), length)
        flat = np.bincount(rows * _BUCKETS + cols.ravel(), minlength=len(words) * _BUCKETS)
        counts = flat.reshape(len(words), _BUCKETS).astype(np.int16)
        masks = ((counts > 0).astype(np.uint32) << np.arange(_BUCKETS, dtype=np.uint32)).sum(
            axis=1, dtype=np.uint32)
        return cls(words, counts, masks)


ExactDistances = Callable[[str, "_Bucket", np.ndarray, int], np.ndarray]
"""The exact step of a lookup: (word, bucket, rows of the bucket that passed the filters, limit) ->
their OSA distances, ``limit + 1`` for those beyond `limit`."""


def rapidfuzz_distances(word: str, bucket: "_Bucket", rows: np.ndarray, limit: int) -> np.ndarray:
    """The exact distances by rapidfuzz's OSA (C++, one call for all the rows).

    `bench/quality.py` holds this against the numpy dynamic programme it replaced."""
    others = [bucket.words[i] for i in rows.tolist()]
    return cdist([word], others, scorer=OSA.distance, score_cutoff=limit, dtype=np.int32)[0]


@dataclass(frozen=True, slots=True)
class Candidate:
    word: str
    distance: int
    freq: int


class Lexicon:
    """Surface words with frequencies, searchable by edit distance (see the module docstring)."""

    def __init__(self, counts: Mapping[str, int], exact: "ExactDistances | None" = None) -> None:
        self.freq: dict[str, int] = {w: int(f) for w, f in counts.items() if len(w) >= MIN_WORD}
        self._exact = exact or rapidfuzz_distances

    def __len__(self) -> int:
        return len(self.freq)

    def __contains__(self, word: object) -> bool:
        return word in self.freq

    def warm(self) -> None:
        """Bucket the words now (`index.warmup`), not on the first unknown word."""
        self._by_length  # noqa: B018 (computed once)

    @computed_once
    def _by_length(self) -> dict[int, _Bucket]:
        groups: dict[int, list[str]] = {}
        for w in self.freq:
            groups.setdefault(len(w), []).append(w)
        return {n: _Bucket.of(ws) for n, ws in groups.items()}

    def near(self, word: str, limit: int) -> list[Candidate]:
        """Lexicon words within `limit` edits of `word` (itself excluded), nearest and commonest first."""
        if limit <= 0:
            return []
        target = letter_counts(word)
        mask = np.uint32(_letter_mask(target))
        found: list[Candidate] = []
        buckets = self._by_length
        for n in range(len(word) - limit, len(word) + limit + 1):
            bucket = buckets.get(n)
            if bucket is None:
                continue
            # each edit takes at most one letter away from either side's letter set ...
            m = bucket.masks
            sel = np.flatnonzero((np.bitwise_count(mask & ~m) <= limit) & (np.bitwise_count(m & ~mask) <= limit))
            # ... and changes the letter counts by at most 2 (an insertion or deletion by 1)
            l1 = np.abs(bucket.counts[sel] - target).sum(axis=1)
            sel = sel[l1 <= 2 * limit - abs(n - len(word))]
            if not len(sel):
                continue
            dist = self._exact(word, bucket, sel, limit)
            for i, d in zip(sel.tolist(), dist.tolist()):
                if 0 < d <= limit:
                    other = bucket.words[i]
                    found.append(Candidate(other, d, self.freq[other]))
        found.sort(key=_nearest_first)
        return found

    def nearest(self, word: str, limit: int | None = None, most: int = 1,
                keep: Callable[[str], bool] | None = None) -> list[Candidate]:
        """The `most` commonest words at the smallest distance found (empty if none within the limit).

        `keep` filters the words first (the engine keeps those with a term in the vocabulary).
        """
        found = self.near(word, max_edits(word) if limit is None else limit)
        if keep is not None:
            found = [c for c in found if keep(c.word)]
        if not found:
            return []
        best = found[0].distance
        return [c for c in found if c.distance == best][:most]


def _nearest_first(c: Candidate) -> tuple[int, int, str]:
    return c.distance, -c.freq, c.word


class JoinedCounts(Mapping[str, int]):
    """Two word counts read as their sum, without copying the big one."""

    def __init__(self, main: Mapping[str, int], delta: Mapping[str, int]) -> None:
        self.main, self.delta = main, delta

    def __getitem__(self, word: str) -> int:
        if word not in self.main:
            return self.delta[word]
        return self.main[word] + self.delta.get(word, 0)

    def __iter__(self):  # noqa: ANN204
        yield from self.main
        yield from (w for w in self.delta if w not in self.main)

    def __len__(self) -> int:
        return len(self.main) + sum(1 for w in self.delta if w not in self.main)


class JoinedLexicon(Lexicon):
    """The lexicon of a main segment's and a delta's summed counts (`index.segments`), answering as
    `Lexicon` of those counts does: the main's (three quarters of a million words at ten million
    sentences: a second to read and bucket) is shared by every generation that adds to it, and
    an add costs the delta's words."""

    def __init__(self, main: Lexicon, delta: Lexicon) -> None:  # noqa: D107 (no super: nothing of its own)
        self.main, self.delta = main, delta
        self.freq = JoinedCounts(main.freq, delta.freq)  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self.freq)

    def __contains__(self, word: object) -> bool:
        return word in self.main or word in self.delta

    def warm(self) -> None:
        self.main.warm()
        self.delta.warm()

    def near(self, word: str, limit: int) -> list[Candidate]:
        found = {c.word: c for c in self.main.near(word, limit)}
        for c in self.delta.near(word, limit):      # a word of both is found by both, at one distance
            had = found.get(c.word)
            found[c.word] = Candidate(c.word, c.distance, c.freq + (had.freq if had is not None else 0))
        return sorted(found.values(), key=_nearest_first)


@dataclass(frozen=True, slots=True)
class UnknownWord:
    """A letter run of the question whose terms are not in the vocabulary."""

    start: int
    end: int
    typed: str   # as in the question
    folded: str  # as looked up


def unknown_words(text: str, terms_of: Callable[[str], list[str]],
                  wanted: Callable[[str], bool]) -> list[UnknownWord]:
    """Letter runs of `text` long enough to correct whose index terms are all unwanted.

    `terms_of` is the analyzer (a stopword has no terms and is skipped);
    `wanted(term)` says whether a term is searchable (in the vocabulary).
    """
    out: list[UnknownWord] = []
    for m in WORD_RE.finditer(text):
        typed = m.group()
        if len(typed) < MIN_CORRECTED:
            continue
        terms = terms_of(typed)
        if terms and not any(wanted(t) for t in terms):
            out.append(UnknownWord(m.start(), m.end(), typed, fold(typed)))
    return out


def match_case(typed: str, word: str) -> str:
    """`word` written the way `typed` was: UPPER, Capitalised or lower."""
    if len(typed) > 1 and typed.isupper():
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def replace_words(text: str, replacements: list[tuple[UnknownWord, str]]) -> str:
    """`text` with each unknown word's span replaced (case matched)."""
    out: list[str] = []
    pos = 0
    for unknown, word in sorted(replacements, key=lambda r: r[0].start):
        out.append(text[pos:unknown.start])
        out.append(match_case(unknown.typed, word))
        pos = unknown.end
    out.append(text[pos:])
    return "".join(out)


RECENT_LOOKUPS = 4096  # lexicon lookups a Speller remembers (then it starts afresh)

Lookups = dict[UnknownWord, tuple[int, tuple[Candidate, ...]]]  # word -> (most asked, nearest found)


@dataclass(frozen=True, slots=True)
class Correction:
    """What spelling made of one question, in one pass (`Speller.correct`)."""

    unknown: tuple[UnknownWord, ...] | None  # letter runs none of whose terms is indexed (None: not looked for)
    stand_ins: tuple[tuple[UnknownWord, tuple[Candidate, ...]], ...]  # searched unknown words, nearest words
    weights: dict[str, float]             # term -> weight the stand-ins add to the question
    corrected: str | None                 # the question as searched with the stand-ins (None without any)
    looked_up: Lookups                    # every lexicon lookup made (the suggestion reuses them)


class Speller:
    """Typo stand-ins and "did you mean" for the questions of one index (see the module docstring).

    Holds the index's vocabulary and analyzer and its lexicon, read on first
    use from `words` (the index's ``words`` table): most questions have no
    unknown word.
    """

    def __init__(self, vocab: Mapping[str, int], analyzer: "Analyzer", words: Callable[[], Mapping[str, int]],
                 typo: float, expansions: int, lexicon: Callable[[], Lexicon] | None = None) -> None:
        self.vocab = vocab
        self.analyzer = analyzer
        self.typo = typo
        self.expansions = expansions
        self._words = words
        self._make_lexicon = lexicon or (lambda: Lexicon(self._words()))
        # the same mistyped words come back (a question asked again, its next page, its
        # "did you mean" button): a lookup costs milliseconds, a dict hit nothing
        self._recent: dict[tuple[str, int], tuple[Candidate, ...]] = {}

    @computed_once
    def lexicon(self) -> Lexicon:
        """Read on the first unknown word or by the warm-up (`index.warmup`), whichever comes first."""
        return self._make_lexicon()

    def read_through(self, words: Callable[[], Mapping[str, int]]) -> None:
        """Read the lexicon, when not read yet, through `words` (a newer generation's link to the same
        database: a main segment's lexicon outlives the generation that loaded it)."""
        self._words = words

    def _indexed(self, word: str) -> bool:
        return any(t in self.vocab for t in self.analyzer.analyze(word))

    def _nearest(self, unknown: UnknownWord, most: int, looked_up: Lookups) -> tuple[Candidate, ...]:
        asked, found = looked_up.get(unknown, (0, ()))
        if asked < most:
            key = (unknown.folded, most)
            cached = self._recent.get(key)
            if cached is None:
                cached = tuple(self.lexicon.nearest(unknown.folded, most=most, keep=self._indexed))
                if len(self._recent) >= RECENT_LOOKUPS:
                    self._recent.clear()
                self._recent[key] = cached
            found = cached
            looked_up[unknown] = (most, found)
        return found[:most]

    def unknown(self, parsed: "ParsedQuery") -> tuple[UnknownWord, ...]:
        return tuple(unknown_words(parsed.text, self.analyzer.analyze, self.vocab.__contains__))

    def correct(self, parsed: "ParsedQuery") -> Correction:
        """The stand-ins of a question's unknown words, their weights, and the question as searched.

        A searched word absent from the vocabulary gets its nearest indexed
        words (at most `expansions`; none when `typo` is 0), each term of
        theirs weighing `typo`. Excluded words and words cut from a long
        question are not searched, so they get none. Nor does a question none
        of whose words is indexed ("Lavrof"): rather than answer a pure guess,
        it gets no hits, and `suggestion` offers the corrected question.
        """
        looked_up: Lookups = {}
        stand_ins = []
        searched = set(parsed.terms)
        unknown = None  # found only when stand-ins are possible: most questions need neither
        if self.typo > 0 and self.expansions > 0 and any(t in self.vocab for t in searched):
            unknown = self.unknown(parsed)
            for word in unknown:
                if searched.isdisjoint(self.analyzer.analyze(word.typed)):
                    continue
                found = self._nearest(word, self.expansions, looked_up)
                if found:
                    stand_ins.append((word, found))
        weights: dict[str, float] = {}
        for _, found in stand_ins:
            for cand in found:
                for term in set(self.analyzer.analyze(cand.word)):
                    if term in self.vocab:
                        weights[term] = weights.get(term, 0.0) + self.typo
        corrected = replace_words(parsed.text, [(w, f[0].word) for w, f in stand_ins]) if stand_ins else None
        return Correction(unknown, tuple(stand_ins), weights, corrected, looked_up)

    def suggestion(self, parsed: "ParsedQuery", correction: Correction) -> str | None:
        """"Did you mean": the question with each unknown word replaced by its nearest indexed word.

        None unless some word is unknown and an indexed word is close to it
        (`max_edits`); words keep their capitalisation ("Lavrof" -> "Lavrov").
        Whether the corrected question has hits is for the caller to check.
        Lookups `correct` made are not repeated.
        """
        fixes = []
        for word in self.unknown(parsed) if correction.unknown is None else correction.unknown:
            best = self._nearest(word, 1, correction.looked_up)
            if best:
                fixes.append((word, best[0].word))
        if not fixes:
            return None
        corrected = replace_words(parsed.text, fixes)
        return None if corrected == parsed.text else corrected
