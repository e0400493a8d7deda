"""News-aware answers on a small dated corpus: ours vs the same questions with dates and speakers ignored.

`bench/news_eval/articles/` holds 14 hand-written, fictional news articles
(2021-2024, three sources, six speakers, pronoun-led quotes, names mentioned
by others, one undated article); `bench/news_eval/questions.jsonl` holds
questions about who said what and when, each with a phrase of the one
sentence that answers it. Both sides search the same index in the same run:

* ours: `SearchIndex.search` as served (date words, `source:`, date order and
  speaker questions applied, `index.filters`);
* ignored: the same question with `index.filters.parse_filters` switched off,
  i.e. every word searched as a word, as before issue 13.

"Today" is fixed at 2024-12-01 so "last year" and "this year" mean the same on
every run. Writes `bench/results/news_aware.md`. Usage:

    python bench/news_aware.py
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index import engine  # noqa: E402
from index.config import RuntimeSettings  # noqa: E402
from index.engine import SearchIndex  # noqa: E402
from index.filters import NO_FILTERS, parse_filters  # noqa: E402

EVAL = REPO / "bench" / "news_eval"
OUT = REPO / "bench" / "results" / "news_aware.md"
TODAY = date(2024, 12, 1)
K = 5


def rank_of(result, expect: str) -> int | None:
    for hit in result.hits:
        if expect in hit.text:
            return hit.rank
    return None


def run_side(index: SearchIndex, questions: list[dict], aware: bool) -> list[dict]:
    engine.parse_filters = parse_filters if aware else (lambda q, today: (q, NO_FILTERS))
    rows = []
    for q in questions:
        started = time.perf_counter()
        result = index.search(q["q"], k=K)
        ms = (time.perf_counter() - started) * 1000
        top = result.hits[0] if result.hits else None
        rows.append({"rank": rank_of(result, q["expect"]), "ms": ms,
                     "top": top.text if top else None, "speaker": top.speaker if top else None,
                     "published": top.article.published[:10] if top and top.article.published else None})
    engine.parse_filters = parse_filters
    return rows


def summary(rows: list[dict]) -> tuple[float, float, float]:
    n = len(rows)
    top1 = sum(1 for r in rows if r["rank"] == 1) / n
    mrr = sum(1 / r["rank"] for r in rows if r["rank"]) / n
    found = sum(1 for r in rows if r["rank"]) / n
    return top1, mrr, found


def main() -> None:
    RuntimeSettings.today = lambda self: TODAY   # the questions' "last year" is the data's
    questions = [json.loads(line) for line in (EVAL / "questions.jsonl").read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        index, report = SearchIndex.build(EVAL / "articles", Path(tmp) / "index")
        ours = run_side(index, questions, aware=True)
        plain = run_side(index, questions, aware=False)
        index.close()
    kinds: dict[str, list[int]] = defaultdict(list)
    for i, q in enumerate(questions):
        kinds[q["kind"]].append(i)
    lines = ["# News-aware answers (issue 13)", "",
             f"`python bench/news_aware.py`: {report.articles} articles, {report.sentences} sentences "
             f"(`bench/news_eval/articles/`), {len(questions)} questions (`bench/news_eval/questions.jsonl`), "
             f"top {K} hits, today fixed at {TODAY.isoformat()}. A question is answered when the hit "
             "holds its expected phrase. *ignored*: the same index and question with the question's "
             "filters switched off (date words searched as words, no speaker tier), as before issue 13.", "",
             "| questions | n | ours top-1 | ignored top-1 | ours MRR@5 | ignored MRR@5 | ours found@5 "
             "| ignored found@5 |",
             "|---|---|---|---|---|---|---|---|"]
    groups = [("all", list(range(len(questions))))] + sorted(kinds.items())
    for name, idx in groups:
        o = summary([ours[i] for i in idx])
        p = summary([plain[i] for i in idx])
        lines.append(f"| {name} | {len(idx)} | {o[0]:.3f} | {p[0]:.3f} | {o[1]:.3f} | {p[1]:.3f} | "
                     f"{o[2]:.3f} | {p[2]:.3f} |")
    lines += ["", "Per question (rank of the answering sentence in the top 5, `–` when absent; the top hit's "
              "speaker and date for ours):", "",
              "| question | kind | ours | ignored | ours: top hit's speaker · date |", "|---|---|---|---|---|"]
    for q, o, p in zip(questions, ours, plain):
        lines.append(f"| {q['q'].replace('|', '/')} | {q['kind']} | {o['rank'] or '–'} | {p['rank'] or '–'} | "
                     f"{o['speaker'] or '–'} · {o['published'] or '–'} |")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines[:6 + len(groups) + 2]))


if __name__ == "__main__":
    main()
