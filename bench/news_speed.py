"""Question kinds in `bench/scale.py` query runs: p50/p95 of questions without dates or speakers,
with a date filter, with a speaker, for a reference tree and ours side by side (issue 13's budget).

`bench/scale.py` times every question of ``bench/data/queries-<size>.txt`` in order; its query phase
(``--phase ours-query``) prints them (wall and CPU ms) on its ``RESULT`` line, and a full run keeps
them in its JSON. This splits them by what `index.filters.parse_filters` finds in each question and,
given several runs of each side (run alternately, on a shared machine), takes each question's median
over the runs first. Usage:

    python bench/news_speed.py QUESTIONS.txt --reference R1 [R2 ...] --ours O1 [O2 ...]

Separate processes on a loaded machine differ by more than the budgets, so ``--index DIR`` also
measures the kinds against each other in ONE process on one index: each question is asked as
written and with ``--suffix`` (default " since 2020") appended, the two alternating question by
question (which goes first alternates too), after one untimed pass over both, CPU ms each:

    python bench/news_speed.py QUESTIONS.txt --index bench/data/work-1m/ours
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.filters import parse_filters  # noqa: E402

TODAY = date(2026, 12, 1)


def kind(question: str) -> str:
    _, f = parse_filters(question, TODAY)
    if f.speaker and f.dates:
        return "speaker and date"
    if f.speaker:
        return "speaker"
    if f.dates or f.source:
        return "date"
    return "no dates or speakers"


def query_run(path: Path) -> dict:
    """The query phase's result: a ``RESULT {...}`` line, or a full run's JSON."""
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith("RESULT ")]
    if lines:
        return json.loads(lines[-1][len("RESULT "):])
    data = json.loads(text)
    return next(iter(data["results"].values()))["ours"]["query"]


def per_question(paths: list[Path], key: str) -> list[float]:
    runs = [query_run(p)[key] for p in paths]
    return [statistics.median(values) for values in zip(*runs)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def in_process(questions: list[str], index_dir: Path, suffix: str) -> None:
    """CPU ms of each question as written and with `suffix`, alternating in one process."""
    from index.engine import SearchIndex
    index = SearchIndex.load(index_dir)
    pairs = [(q, q + suffix) for q in questions]
    for plain, dated in pairs:                 # warm: the analyzer's caches, the pages of the arrays
        index.search(plain, k=10), index.search(dated, k=10)
    times: list[tuple[float, float]] = []
    for i, pair in enumerate(pairs):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        took = [0.0, 0.0]
        for which in order:
            start = time.process_time()
            index.search(pair[which], k=10)
            took[which] = 1000 * (time.process_time() - start)
        times.append((took[0], took[1]))
    groups: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        groups.setdefault(kind(q), []).append(i)
    print(f"{len(questions)} questions, each as written and with {suffix!r}, alternating in one process "
          f"on {index_dir}; CPU ms")
    print()
    print(f"| questions as written | n | p50 | with {suffix.strip()!r}: kind | p50 | change | p95 | p95 with | change |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, idx in sorted(groups.items()):
        a, b = [times[i][0] for i in idx], [times[i][1] for i in idx]
        print(f"| {name} | {len(idx)} | {pct(a, .5):.3f} | {kind(questions[idx[0]] + suffix)} | {pct(b, .5):.3f} "
              f"| {100 * (pct(b, .5) / pct(a, .5) - 1):+.0f}% | {pct(a, .95):.3f} | {pct(b, .95):.3f} "
              f"| {100 * (pct(b, .95) / pct(a, .95) - 1):+.0f}% |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("questions", type=Path)
    ap.add_argument("--reference", type=Path, nargs="+")
    ap.add_argument("--ours", type=Path, nargs="+")
    ap.add_argument("--index", type=Path, help="measure the kinds against each other in one process")
    ap.add_argument("--suffix", default=" since 2020")
    args = ap.parse_args()
    questions = args.questions.read_text(encoding="utf-8").splitlines()
    if args.index:
        in_process(questions, args.index, args.suffix)
        return
    if not (args.reference and args.ours):
        ap.error("give --reference and --ours runs, or --index")
    groups: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        groups.setdefault(kind(q), []).append(i)
    print(f"{len(args.reference)} reference and {len(args.ours)} runs of ours; per question the median over runs")
    print()
    print("| questions | n | metric | reference p50 | ours p50 | change | reference p95 | ours p95 | change |")
    print("|---|---|---|---|---|---|---|---|---|")
    for metric, key in (("CPU ms", "cpu_ms"), ("wall ms", "latency_ms")):
        ref, ours = per_question(args.reference, key), per_question(args.ours, key)
        for name, idx in sorted(groups.items()):
            a, b = [ref[i] for i in idx], [ours[i] for i in idx]
            p50a, p50b, p95a, p95b = pct(a, .5), pct(b, .5), pct(a, .95), pct(b, .95)
            print(f"| {name} | {len(idx)} | {metric} | {p50a:.3f} | {p50b:.3f} | {100 * (p50b / p50a - 1):+.0f}% "
                  f"| {p95a:.3f} | {p95b:.3f} | {100 * (p95b / p95a - 1):+.0f}% |")


if __name__ == "__main__":
    main()
