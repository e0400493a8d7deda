"""The SQuAD sentence-retrieval set as a corpus and a scorer (ReQA protocol).

Shared by the quality benchmarks: `corpus_from_docs` writes ``docs.jsonl``
as a normal corpus folder (each paragraph one article, ``doc_id`` its id, the
Wikipedia title its title) so it is indexed by the same code path users get;
`score` applies the rule in the data folder's README: a returned sentence is
correct when its article is the question's paragraph and it contains the
start of any annotator's answer.
"""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "eval" / "squad-dev"


def data_dir() -> Path | None:
    """$SQUAD_DIR or ../shared/eval/squad-dev; None (with a message) when absent."""
    path = Path(os.environ.get("SQUAD_DIR") or DEFAULT_DATA)
    if not (path / "docs.jsonl").exists() or not (path / "questions.jsonl").exists():
        print(f"SQuAD data not found at {path} (set SQUAD_DIR); skipping.", file=sys.stderr)
        return None
    return path


@dataclass(frozen=True, slots=True)
class Question:
    qid: str
    question: str
    doc_id: str
    starts: tuple[int, ...]
    split: str


def load_questions(path: Path, split: str | None = None) -> list[Question]:
    out = []
    with open(path / "questions.jsonl", encoding="utf-8") as fh:
        for line in fh:
            q = json.loads(line)
            if split and q["split"] != split:
                continue
            starts = tuple(sorted({a["answer_start"] for a in q["answers"]} | {q["answer_start"]}))
            out.append(Question(q["qid"], q["question"], q["doc_id"], starts, q["split"]))
    return out


def corpus_from_docs(path: Path, target: Path) -> Path:
    """Write docs.jsonl as a corpus folder our reader takes (``id`` = doc_id)."""
    target.mkdir(parents=True, exist_ok=True)
    with open(path / "docs.jsonl", encoding="utf-8") as src, \
            open(target / "squad.jsonl", "w", encoding="utf-8") as dst:
        for line in src:
            d = json.loads(line)
            dst.write(json.dumps({"id": d["doc_id"], "title": d["title"], "text": d["text"]},
                                 ensure_ascii=False) + "\n")
    return target


def first_correct(q: Question, hits: Iterable[tuple[str, int, int]]) -> int | None:
    """1-based rank of the first hit (doc_id, start, end) containing an answer start."""
    for rank, (doc, start, end) in enumerate(hits, start=1):
        if doc == q.doc_id and any(start <= a < end for a in q.starts):
            return rank
    return None


@dataclass(frozen=True, slots=True)
class Scores:
    n: int
    r1: float
    r5: float
    r10: float
    mrr10: float

    def row(self) -> str:
        return f"{self.r1:.3f} | {self.r5:.3f} | {self.r10:.3f} | {self.mrr10:.3f}"


def score(ranks: Sequence[int | None]) -> Scores:
    n = len(ranks)
    if n == 0:
        return Scores(0, 0.0, 0.0, 0.0, 0.0)

    def within(k: int) -> float:
        return sum(1 for r in ranks if r is not None and r <= k) / n
    mrr = sum(1.0 / r for r in ranks if r is not None and r <= 10) / n
    return Scores(n, within(1), within(5), within(10), mrr)


def evaluate(questions: Sequence[Question],
             search: Callable[[str], Sequence[tuple[str, int, int]]]) -> Scores:
    return score([first_correct(q, search(q.question)) for q in questions])
