"""Which rank-bm25 model to serve: BM25Okapi, BM25Plus, BM25L, or BM25Okapi with Lucene's IDF.

Builds the seed corpus and the SQuAD corpus once each with the product's
build, then loads each index with every variant (weights are derived at load
time, so no rebuild) and scores:

* seed: share of the hand-written seed questions (tests/data/seed_questions.jsonl)
  whose answering sentence ranks first, and their MRR@10;
* SQuAD ``tune``: R@1 and MRR@10 (ReQA rule).

Run: ``.venv/bin/python bench/idf_compare.py`` (prints a markdown table).
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.squad import corpus_from_docs, data_dir, evaluate, load_questions  # noqa: E402
from index.bm25 import VARIANTS, BM25Params  # noqa: E402
from index.engine import SearchIndex  # noqa: E402
from index.ranking import RankingParams  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def seed_questions() -> list[dict]:
    path = REPO / "tests" / "data" / "seed_questions.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def seed_scores(index: SearchIndex) -> tuple[float, float]:
    qs = seed_questions()
    top1, mrr = 0, 0.0
    for q in qs:
        hits = index.search(q["question"], k=10).hits
        rank = next((h.rank for h in hits if q["answer"] in h.text), None)
        top1 += rank == 1
        mrr += 1.0 / rank if rank else 0.0
    return top1 / len(qs), mrr / len(qs)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        seed_root = Path(tmp) / "seed-index"
        SearchIndex.build(REPO / "seeds", seed_root)
        squad = data_dir()
        if squad:
            corpus = corpus_from_docs(squad, Path(tmp) / "squad-corpus")
            squad_root = Path(tmp) / "squad-index"
            SearchIndex.build(corpus, squad_root)
            tune = load_questions(squad, "tune")
        print("| model | seed top-1 | seed MRR@10 | SQuAD tune R@1 | SQuAD tune MRR@10 |")
        print("|---|---|---|---|---|")
        for variant in VARIANTS:
            params = RankingParams(bm25=BM25Params(variant=variant))
            s1, smrr = seed_scores(SearchIndex.load(seed_root, params))
            cells = [f"{s1:.3f}", f"{smrr:.3f}"]
            if squad:
                index = SearchIndex.load(squad_root, params)

                def search(q: str) -> list[tuple[str, int, int]]:
                    return [(h.article.id, h.start, h.end) for h in index.search(q, k=10).hits]
                sc = evaluate(tune, search)
                cells += [f"{sc.r1:.3f}", f"{sc.mrr10:.3f}"]
            else:
                cells += ["n/a", "n/a"]
            name = {"okapi": "BM25Okapi", "lucene": "BM25Okapi + Lucene IDF", "plus": "BM25Plus",
                    "l": "BM25L"}[variant]
            print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
