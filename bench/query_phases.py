"""Where a question's time goes at scale: the phases of `SearchIndex.search`, timed one by one.

`bench/scale.py` measures whole questions against the peers; this profile
says which part of ours costs what, on the same index and questions, in one
process: question analysis (parsing, stand-ins, weights), the compiled kernel
(`index/kernel.py`) step by step (accumulating the postings of each field,
the plan, the counts, the candidate visits with their cuts), and the hits
(texts from SQLite, highlighting). For reference it also runs the numpy path
the kernel replaced (`Ranker.score` + `exclude` + `page`, still used for
quoted phrases) on the same questions: both must return the same page, and
the table gives their times side by side (the reference runs after the
kernel's pass, so its large temporaries do not evict the kernel's arrays).

A second table times `Ranker.top` alone (thread CPU of the calling thread,
so the dense kernel's helper thread is not counted: its figures are lower
bounds) on the same questions in each of `ranking.SKIPPING`'s modes,
alternating: by score and by date (`sort:date`), through the dense kernel
(`index.kernel`) and through the skipping one (`index.maxscore`); each pair
must return the same pages.

Each kernel step is timed by wrapping its function (a few microseconds of
wrapper per call are included); `accumulate` sums both threads' time when the
paragraph postings are added up on the helper thread, so the steps can add
up to more than the kernel's wall time. The questions run once each after 20
warm-up questions. Counts per question: sentences matching, sentences visited
by the kernel (scored or cut one by one).

Run: ``.venv/bin/python bench/query_phases.py [--size 1m]`` (builds the index
under ``bench/data/index-<size>`` on first use). Writes
``bench/results/query_phases.md``.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.machine import cpu_model  # noqa: E402
from index import kernel, ranking  # noqa: E402
from index.engine import SearchIndex, weighted_terms  # noqa: E402
from index.query import parse_query  # noqa: E402

DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
KERNEL_STEPS = ("accumulate", "plan", "tally", "select")  # (those called from Python only)
WARMUP = 20


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1m", help="corpus size of bench/corpus_gen.py (10k, 100k, 1m)")
    ap.add_argument("--out", default=str(RESULTS / "query_phases.md"))
    args = ap.parse_args()
    corpus, root = DATA / f"corpus-{args.size}", DATA / f"index-{args.size}"
    questions = (DATA / f"queries-{args.size}.txt").read_text(encoding="utf-8").splitlines()
    if not corpus.is_dir():
        sys.exit(f"{corpus} is missing: run `make bench-scale` (or bench/corpus_gen.py) first")
    try:
        index = SearchIndex.load(root)
    except Exception:  # noqa: BLE001 - missing or stale: build it
        index, _ = SearchIndex.build(corpus, root)
    spent = {name: 0.0 for name in KERNEL_STEPS}

    def timed(name: str, fn):  # noqa: ANN001, ANN202
        def run(*a):  # noqa: ANN002, ANN202
            t = time.perf_counter()
            try:
                return fn(*a)
            finally:
                spent[name] += time.perf_counter() - t
        return run

    for name in KERNEL_STEPS:
        setattr(ranking.kernel, name, timed(name, getattr(kernel, name)))
    rows: dict[str, list[float]] = {k: [] for k in
                                    ("analysis", "kernel (`Ranker.top`)", *KERNEL_STEPS, "hits", "search in all",
                                     "numpy path (score + exclude + page)")}
    matched, visited, pages = [], [], []
    r = index.ranker
    asked = questions[:WARMUP] + questions
    for n, question in enumerate(asked):
        for name in spent:
            spent[name] = 0.0
        t0 = time.perf_counter()
        parsed = parse_query(question, index.analyzer)
        typo = index.speller.correct(parsed).weights
        terms = weighted_terms(parsed, typo, index.vocab, index.params.name_boost)
        t1 = time.perf_counter()
        if not terms:
            continue
        ranked, total = r.top(terms, [], 0, 10)
        t2 = time.perf_counter()
        index._hits(ranked, set(parsed.terms) | set(typo), 0)
        t3 = time.perf_counter()
        sc = r._scratch()
        seen = int((sc.visited == sc.visit).sum())
        if n < WARMUP:
            continue
        rows["analysis"].append((t1 - t0) * 1e3)
        for name in KERNEL_STEPS:
            rows[name].append(spent[name] * 1e3)
        rows["kernel (`Ranker.top`)"].append((t2 - t1) * 1e3)
        rows["hits"].append((t3 - t2) * 1e3)
        rows["search in all"].append((t3 - t0) * 1e3)
        matched.append(total)
        visited.append(seen)
        pages.append((terms, ranked))
    # the reference afterwards, not interleaved (its large temporaries would evict the kernel's arrays)
    for terms, ranked in pages:
        t4 = time.perf_counter()
        ids, scores = r.score(terms)
        reference = r.page(*r.exclude(ids, scores, []), 0, 10)
        rows["numpy path (score + exclude + page)"].append((time.perf_counter() - t4) * 1e3)
        if reference != ranked:
            sys.exit(f"the kernel and the numpy path disagree on the terms {terms}")
    n_q = len(rows["hits"])
    kern = rows["kernel (`Ranker.top`)"]
    numpy_path = rows["numpy path (score + exclude + page)"]
    lines = [
        "# Where a question's time goes (`bench/query_phases.py`)",
        "",
        f"Command: `.venv/bin/python bench/query_phases.py --size {args.size}`  ",
        f"Index: {index.meta['sentences']:,} sentences, {index.meta['articles']:,} articles "
        f"(`bench/corpus_gen.py` {args.size}); {n_q} questions (`bench/data/queries-{args.size}.txt`), "
        f"each once after {WARMUP} warm-up questions, k=10.  ",
        f"Machine: {cpu_model()}, shared; times in ms.",
        "",
        "| phase | p50 | p95 | mean |",
        "|---|---:|---:|---:|",
    ]
    for name, values in rows.items():
        label = (f"of which `{name}`" + (" (both threads, summed)" if name == "accumulate" else "")
                 if name in KERNEL_STEPS else name)
        lines.append(f"| {label} | {pct(values, 50):.3f} | {pct(values, 95):.3f} | {statistics.mean(values):.3f} |")
    lines += [
        "",
        f"- the kernel in all (`Ranker.top`): p50 {pct(kern, 50):.3f} ms, mean {statistics.mean(kern):.3f} ms; "
        f"the numpy path on the same questions: p50 {pct(numpy_path, 50):.3f} ms, mean "
        f"{statistics.mean(numpy_path):.3f} ms (same pages, checked for every question)",
        f"- sentences matching a question: p50 {pct(matched, 50):,}, p95 {pct(matched, 95):,}; "
        f"visited by the kernel (scored, or cut one by one): p50 {pct(visited, 50):,}, "
        f"p95 {pct(visited, 95):,}",
    ]
    lines += ["", *skipping_table(r, [terms for terms, _ in pages])]
    out = Path(args.out)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def skipping_table(r: ranking.Ranker, questions: list) -> list[str]:
    """Thread CPU ms of `Ranker.top` per question, dense kernel vs `index.maxscore`, alternating."""
    cases = [("by score", False, "off", "dense (`index.kernel`)"), ("by score", False, "all", "skipping (`index.maxscore`)"),
             ("by date", True, "off", "dense (`index.kernel`)"), ("by date", True, "by_date", "skipping (`index.maxscore`)")]
    times: dict[int, list[float]] = {n: [] for n in range(len(cases))}
    saved = ranking.SKIPPING
    try:
        for rnd in range(3):  # round 0 warms (and compiles)
            for n, (_, by_date, mode, _) in enumerate(cases):
                ranking.SKIPPING = mode
                pages = []
                for terms in questions:
                    t = time.thread_time()
                    pages.append(r.top(terms, [], 0, 10, by_date=by_date))
                    if rnd:
                        times[n].append((time.thread_time() - t) * 1e3)
                if n % 2 and pages != reference:
                    sys.exit(f"`index.maxscore` and the dense kernel disagree ({cases[n][0]})")
                reference = pages
    finally:
        ranking.SKIPPING = saved
    lines = ["`Ranker.top` alone, thread CPU ms per question (2 rounds of every question, alternating):", "",
             "| order | kernel | p50 | p95 | mean |", "|---|---|---:|---:|---:|"]
    for n, (order, _, _, name) in enumerate(cases):
        v = times[n]
        lines.append(f"| {order} | {name} | {pct(v, 50):.3f} | {pct(v, 95):.3f} | {statistics.mean(v):.3f} |")
    return lines


if __name__ == "__main__":
    main()
