"""What a few filtered-out articles cost a question: the tombstones of edited articles.

An edit of a channel post or an uploaded file hides the article's old version through the
ranking's article filter (`index.segments`) on every question until the next merge. `Ranker.top`
counted a filtered question's matches by listing every touched sentence and testing each one
against the filter; when only a few articles are filtered out it now counts the touched sentences
less those of the filtered-out articles (`ranking._few_dropped`). This runs the same questions
with three articles filtered out both ways, alternating question by question (pages and totals
must be identical), and without a filter for reference; k=10, after 20 warm-up questions.

Run: ``.venv/bin/python bench/tombstones.py [--size 10m] [--index DIR] [--questions N]`` (the
index of ``bench/data/index-<size>`` by default, questions ``bench/data/queries-<size>.txt``).
Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import cpu_model  # noqa: E402
from index import ranking  # noqa: E402
from index.engine import SearchIndex, weighted_terms  # noqa: E402
from index.query import parse_query  # noqa: E402

DATA = ROOT / "bench" / "data"
WARMUP = 20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1m")
    ap.add_argument("--index", help="index folder (default bench/data/index-<size>)")
    ap.add_argument("--questions", type=int, default=400)
    args = ap.parse_args()
    index = SearchIndex.load(Path(args.index) if args.index else DATA / f"index-{args.size}")
    asked = (DATA / f"queries-{args.size}.txt").read_text(encoding="utf-8").splitlines()[:args.questions]
    r = index.ranker
    prepared = []
    for q in asked:
        parsed = parse_query(q, index.analyzer)
        terms = weighted_terms(parsed, index.speller.correct(parsed).weights, index.vocab, index.params.name_boost)
        if terms:
            prepared.append(terms)
    mask = np.ones(r.titles.n_docs, np.uint8)
    mask[[5, r.titles.n_docs // 2, r.titles.n_docs - 7]] = 0
    modes = {"3 articles out, counted as touched less theirs (now)": ranking._few_dropped,
             "3 articles out, every touched sentence listed and tested (before)": lambda allow: None}
    wall: dict[str, list[float]] = {m: [] for m in [*modes, "no filter (reference)"]}
    try:
        for i, terms in enumerate(prepared[:WARMUP] + prepared):
            pages = {}
            for m in (list(modes) if i % 2 == 0 else list(modes)[::-1]):
                ranking._few_dropped = modes[m]
                t0 = time.perf_counter()
                pages[m] = r.top(terms, [], 0, 10, allow_articles=mask)
                if i >= WARMUP:
                    wall[m].append((time.perf_counter() - t0) * 1e3)
            first, second = pages.values()
            assert first == second, terms
            t0 = time.perf_counter()
            r.top(terms, [], 0, 10)
            if i >= WARMUP:
                wall["no filter (reference)"].append((time.perf_counter() - t0) * 1e3)
    finally:
        ranking._few_dropped = modes[next(iter(modes))]
    n = len(wall["no filter (reference)"])
    print(f"`Ranker.top`, {r.sentences.n_docs:,} sentences, {r.titles.n_docs:,} articles, {n} questions "
          f"(`bench/data/queries-{args.size}.txt`), k=10; {cpu_model()}; wall ms; pages and totals identical\n")
    print("| question | p50 | p95 | mean |\n|---|---:|---:|---:|")
    for m, v in wall.items():
        print(f"| {m} | {np.percentile(v, 50):.2f} | {np.percentile(v, 95):.2f} | {statistics.mean(v):.2f} |")


if __name__ == "__main__":
    main()
