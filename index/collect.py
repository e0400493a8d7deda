"""From scored candidates to a page: the best m, identical texts collapsed, widened until enough.

Both ranking paths (`Ranker.top`, compiled, and `Ranker.page`, numpy) end
the same way, here: rank the best ``m`` candidates, group them by text
(identical sentences collapse into one hit that lists the others), and when
fewer than ``offset + k`` distinct texts came out, rank four times as many
and try again (`widen`). The order of candidates, the duplicates' order and
the page record are defined once (`rank_keys`, `Duplicates.others`,
`assemble`), like whoosh's collapsing collector around its top-k collector.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

FULL_SORT_LIMIT = 512  # candidates up to this many are sorted whole; above, only the top m


@dataclass(frozen=True, slots=True)
class Ranked:
    """Ranked sentence ids for one page, with the sentences that share each one's text."""

    ids: tuple[int, ...]
    scores: tuple[float, ...]
    duplicates: tuple[tuple[int, ...], ...]
    total: int


def rank_keys(ids: np.ndarray, scores: np.ndarray, days: np.ndarray | None = None,
              by_date: bool = False) -> tuple[np.ndarray, ...]:
    """`np.lexsort` keys (last: first) of the rank order: score descending, then (with the `days` of
    the candidates' articles) the newer article, then id ascending; `by_date`: the newer article
    first, then by score and id (`kernel._worse`)."""
    if days is None:
        return ids, -scores
    newest = -days.astype(np.int64)  # (int64: the undated sentinel, -2**31, negates without overflow)
    return (ids, -scores, newest) if by_date else (ids, newest, -scores)


def ranked_positions(ids: np.ndarray, scores: np.ndarray, days: np.ndarray | None = None,
                     by_date: bool = False) -> np.ndarray:
    """Positions of `ids` in rank order."""
    return np.lexsort(rank_keys(ids, scores, days, by_date))


def order_top(ids: np.ndarray, scores: np.ndarray, m: int, days: np.ndarray | None = None,
              by_date: bool = False) -> np.ndarray:
    """Positions of the top-m candidates in rank order (`rank_keys`).

    Above `FULL_SORT_LIMIT` candidates only the top m are sorted (not by
    date: then all are): a partition finds the m-th best score, and of the
    candidates tied with it the ones first by (day desc, id asc) make the cut.
    """
    n = len(ids)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    m = min(m, n)
    if n > FULL_SORT_LIMIT and m < n and not (by_date and days is not None):
        threshold = np.partition(scores, n - m)[n - m]
        sel = np.flatnonzero(scores >= threshold)
        if len(sel) > m:  # ties at the cut
            above = sel[scores[sel] > threshold]
            tied = sel[scores[sel] == threshold]
            want = m - len(above)  # >= 1: fewer than m scores exceed the m-th best
            tied = tied[np.argpartition(_tie_key(ids[tied], None if days is None else days[tied]), want - 1)[:want]]
            sel = np.concatenate([above, tied])
    else:
        sel = np.arange(n)
    return sel[ranked_positions(ids[sel], scores[sel], None if days is None else days[sel], by_date)][:m]


def _tie_key(ids: np.ndarray, days: np.ndarray | None) -> np.ndarray:
    """One integer per candidate, ascending in rank order among equal scores (ids below 2**31)."""
    if days is None:
        return ids
    return (np.int64(2**31 - 1) - days.astype(np.int64)) * np.int64(2**31) + ids.astype(np.int64)


def collapse(hashes: np.ndarray) -> list[list[int]]:
    """Group ranked positions by identical text (`hashes` in rank order), in order of first appearance."""
    groups: dict[int, list[int]] = {}
    for pos, h in enumerate(hashes.tolist()):
        groups.setdefault(h, []).append(pos)
    return list(groups.values())


def widen(rank: Callable[[int], tuple[np.ndarray, np.ndarray]], sent_hash: np.ndarray, need: int, m: int,
          limit: int) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """The best candidates (`rank(m)`: ids and scores, best first) until they hold `need` distinct texts.

    Identical texts collapse into one hit, so the best `need` candidates may
    hold fewer than `need` hits: then `m` grows fourfold, up to all `limit`
    candidates. Returns the ranked ids, their scores and the text groups
    (positions in rank order).
    """
    while True:
        ids, scores = rank(m)
        groups = collapse(sent_hash[ids])
        if len(groups) >= need or m >= limit:
            return ids, scores, groups
        m = min(limit, m * 4)


def assemble(ids: np.ndarray, scores: np.ndarray, groups: list[list[int]], offset: int, k: int,
             others: Callable[[int], tuple[int, ...]], total: int) -> Ranked:
    """The page ``offset..offset+k`` of the text groups: each group's best sentence, its duplicates."""
    chosen = groups[offset:offset + k]
    firsts = [int(ids[g[0]]) for g in chosen]
    return Ranked(
        ids=tuple(firsts),
        scores=tuple(float(scores[g[0]]) for g in chosen),
        duplicates=tuple(others(sid) for sid in firsts),
        total=int(total),
    )


class Duplicates:
    """Sentences whose (normalised) text occurs more than once, grouped by text hash.

    Identical texts have identical terms, so when one is a candidate all are:
    a hit's duplicates are the other candidates of its group, in rank order,
    and the number of distinct texts among the candidates is their number
    minus the repeats, counted over the (few) candidates that have a twin.
    Building it is one sort of the sentence hashes at load.
    """

    def __init__(self, sent_hash: np.ndarray) -> None:
        self.sent_hash = sent_hash
        n = len(sent_hash)
        order = np.argsort(sent_hash)
        hashes = np.asarray(sent_hash)[order]
        same = hashes[1:] == hashes[:-1]
        repeated = np.zeros(n, dtype=bool)
        repeated[1:] |= same
        repeated[:-1] |= same
        self.members = order[repeated]           # grouped by hash
        self.member_hash = hashes[repeated]      # ascending
        self.is_dup = np.zeros(n, dtype=bool)
        self.is_dup[self.members] = True
        self.sorted_members = np.sort(self.members)

    def group(self, sid: int) -> np.ndarray:
        """All sentences with `sid`'s text (`sid` included), or none when its text is unique."""
        if not self.is_dup[sid]:
            return self.members[:0]
        h = self.sent_hash[sid]
        lo = int(np.searchsorted(self.member_hash, h, side="left"))
        hi = int(np.searchsorted(self.member_hash, h, side="right"))
        return self.members[lo:hi]

    def count_distinct(self, ids: np.ndarray) -> int:
        """How many distinct texts the (ascending) sentences `ids` hold."""
        if not len(self.members) or not len(ids):
            return len(ids)
        if len(ids) > 4 * len(self.members):  # many candidates: look the few twins up among them
            pos = np.minimum(np.searchsorted(ids, self.sorted_members), len(ids) - 1)
            twins = self.sorted_members[ids[pos] == self.sorted_members]
        else:
            twins = ids[self.is_dup[ids]]
        if not len(twins):
            return len(ids)
        return len(ids) - len(twins) + len(np.unique(self.sent_hash[twins]))

    def others(self, sid: int, ids: np.ndarray, scores: np.ndarray, days: np.ndarray | None = None,
               by_date: bool = False) -> tuple[int, ...]:
        """The candidates (ascending `ids`; `days` of their articles, when dated) other than `sid`
        with its text, in rank order."""
        group = self.group(sid)
        if not len(group):
            return ()
        pos = np.minimum(np.searchsorted(ids, group), len(ids) - 1)
        present = (ids[pos] == group) & (group != sid)
        at = pos[present]
        return in_rank_order(group[present], scores[at], None if days is None else days[at], by_date)


def in_rank_order(ids: np.ndarray, scores: np.ndarray, days: np.ndarray | None = None,
                  by_date: bool = False) -> tuple[int, ...]:
    """`ids` as ints, in rank order (duplicates of a hit: few)."""
    return tuple(int(i) for i in ids[ranked_positions(ids, scores, days, by_date)])
