"""Question kinds in `bench/scale.py` results: p50/p95 of questions without filters, with a date filter,
with a speaker, for a reference run and ours side by side (issue 13's speed budget).

`bench/scale.py` times every question of ``bench/data/queries-<size>.txt`` in order and writes the
latencies (and CPU times) to its JSON; this splits them by what `index.filters.parse_filters` finds in
each question. Usage (the two JSON files from runs of `bench/scale.py --engines ours` on the
reference tree and on this one, the same questions file):

    python bench/news_speed.py QUESTIONS.txt REFERENCE.json OURS.json [LABEL]
"""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.filters import parse_filters  # noqa: E402

TODAY = date(2026, 12, 1)


def kind(question: str) -> str:
    _, f = parse_filters(question, TODAY)
    if f.speaker and f.dates:
        return "speaker + date"
    if f.speaker:
        return "speaker"
    if f.dates or f.source:
        return "date"
    return "no dates or speakers"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def query_run(path: Path, label: str) -> dict:
    data = json.loads(path.read_text())
    return data["results"][label]["ours"]["query"]


def main() -> None:
    questions = Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()
    ref, ours = query_run(Path(sys.argv[2]), sys.argv[4] if len(sys.argv) > 4 else "100k"), \
        query_run(Path(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "100k")
    groups: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        groups.setdefault(kind(q), []).append(i)
    print("| questions | n | metric | reference p50 | ours p50 | change | reference p95 | ours p95 | change |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, idx in sorted(groups.items()):
        for metric, key in (("wall ms", "latency_ms"), ("CPU ms", "cpu_ms")):
            a = [ref[key][i] for i in idx]
            b = [ours[key][i] for i in idx]
            p50a, p50b, p95a, p95b = pct(a, .5), pct(b, .5), pct(a, .95), pct(b, .95)
            print(f"| {name} | {len(idx)} | {metric} | {p50a:.3f} | {p50b:.3f} | {100 * (p50b / p50a - 1):+.0f}% "
                  f"| {p95a:.3f} | {p95b:.3f} | {100 * (p95b / p95a - 1):+.0f}% |")


if __name__ == "__main__":
    main()
