"""Sentences per paragraph in every XQuAD language: our splitter vs the README's cutting rule.

Issue 12 asks for real sentence splitting in every script (at least 4 sentences
per paragraph on average in every language). The 240 XQuAD paragraphs are the
same content in 12 languages, translated sentence by sentence, so English's
count is the yardstick: a language far below it glues sentences, far above it
cuts clauses. Per language, in one run:

* **ours**: `index.sentences.split_article(text, lang=<lang>)`, what the build
  indexes (sentences per paragraph, mean characters per sentence, paragraphs
  left without a sentence, share of answer starts inside a sentence);
* **learned**: the same with `learn_tokenizer` (Punkt parameters also learnt
  by nltk's `PunktTrainer` from the language's 240 paragraphs);
* **rule**: the README's reference cutting rule (after ``. ! ?`` and
  whitespace, after ``。！？｡।॥؟۔``, at line breaks);
* **abs diff to en**: mean absolute difference, per paragraph, between the
  language's count and English's count for the same paragraph (ours);
* **same as en**: share of questions whose answer lies in the sentence with the
  same number (0, 1, 2 ...) in the language's paragraph as in English's (ours on
  both): a boundary-quality proxy that, unlike R@1, does not reward long
  sentences.

``--thai-sweep`` also tries values of `THAI_MIN_CHARS` on the ``tune`` half of
Thai (sentences per paragraph, the two measures above, and R@1 of plain
rank-bm25 over pythainlp ``newmm`` words on those sentences, for information:
the ReQA rule rewards long sentences, so R@1 alone would choose no splitting
at all). The chosen value is the one with the highest "same as en" on ``tune``.

Run: ``.venv/bin/python bench/sentences_per_paragraph.py [--thai-sweep] [--out FILE]``.
Writes ``bench/results/sentences_per_paragraph.md`` and prints it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index import sentences as sentence_module  # noqa: E402
from index.sentences import learn_tokenizer, split_article  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
XQUAD = REPO.parent / "shared" / "eval" / "xquad"
OUT = REPO / "bench" / "results" / "sentences_per_paragraph.md"
LANGS = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")
SWEEP = (0, 20, 40, 60, 80, 100, 120, 160)

_RULE = re.compile(r"(?<=[.!?])\s+|(?<=[。！？｡।॥؟۔])|\n+")

Spans = list[tuple[int, int]]


def load_docs(lang: str) -> list[dict]:
    with open(XQUAD / lang / "docs.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def load_questions(lang: str) -> list[dict]:
    with open(XQUAD / lang / "questions.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def rule_spans(text: str) -> Spans:
    """The README's reference cutting rule, spans trimmed, blanks dropped."""
    spans, pos = [], 0
    for m in list(_RULE.finditer(text)) + [None]:
        end = m.start() if m else len(text)
        a, b = pos, end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            spans.append((a, b))
        pos = m.end() if m else len(text)
    return spans


def our_spans(text: str, lang: str) -> Spans:
    return [(s.start, s.end) for s in split_article(text, lang=lang)]


def split_all(docs: Sequence[dict], split: Callable[[str], Spans]) -> dict[str, Spans]:
    return {d["doc_id"]: split(d["text"]) for d in docs}


def covered(questions: Sequence[dict], spans: dict[str, Spans]) -> float:
    """Share of answer starts that lie inside some sentence (text dropped as headings is lost)."""
    inside = sum(any(a <= q["answer_start"] < b for a, b in spans[q["doc_id"]]) for q in questions)
    return inside / len(questions)


def sentence_number(spans: Spans, offset: int) -> int:
    return next((k for k, (a, b) in enumerate(spans) if a <= offset < b), -1)


def same_as_english(questions: Sequence[dict], spans: dict[str, Spans],
                    english: dict[str, Spans], english_starts: dict[str, int]) -> float:
    same = sum(sentence_number(spans[q["doc_id"]], q["answer_start"])
               == sentence_number(english[q["doc_id"]], english_starts[q["qid"]]) for q in questions)
    return same / len(questions)


def delta_en(spans: dict[str, Spans], english: dict[str, Spans], ids: Sequence[str]) -> float:
    return sum(abs(len(spans[i]) - len(english[i])) for i in ids) / len(ids)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def language_row(lang: str, english: dict[str, Spans], english_starts: dict[str, int]) -> str:
    docs = load_docs(lang)
    questions = load_questions(lang)
    ours = split_all(docs, lambda t: our_spans(t, lang))
    rule = split_all(docs, rule_spans)
    texts = {d["doc_id"]: d["text"] for d in docs}
    tok = learn_tokenizer(list(texts.values()), lang)
    learned = split_all(docs, lambda t: [(s.start, s.end) for s in split_article(t, tokenizer=tok, lang=lang)])
    ids = list(ours)
    lengths = [b - a for v in ours.values() for a, b in v]
    empty = sum(1 for v in ours.values() if not v)
    cover = covered(questions, ours)
    same = same_as_english(questions, ours, english, english_starts)
    assert all(texts[i][a:b] == texts[i][a:b].strip() for i in ids for a, b in ours[i])
    return (f"| {lang} | {mean([len(ours[i]) for i in ids]):.2f} | {mean([len(learned[i]) for i in ids]):.2f} "
            f"| {mean([len(rule[i]) for i in ids]):.2f} "
            f"| {delta_en(ours, english, ids):.2f} | {same:.3f} | {mean(lengths):.0f} | {empty} | {cover:.3f} |")


def thai_tokens(text: str) -> list[str]:
    from pythainlp.tokenize import word_tokenize
    return [w.lower() for w in word_tokenize(text, engine="newmm") if any(c.isalnum() for c in w)]


def bm25_r1(docs: Sequence[dict], spans: dict[str, Spans], questions: Sequence[dict]) -> float:
    from rank_bm25 import BM25Okapi
    texts = {d["doc_id"]: d["text"] for d in docs}
    pool = [(i, a, b) for i, v in spans.items() for a, b in v]
    bm25 = BM25Okapi([thai_tokens(texts[i][a:b]) or ["\0"] for i, a, b in pool])
    hits = 0
    for q in questions:
        scores = bm25.get_scores(thai_tokens(q["question"]))
        best = max(range(len(pool)), key=lambda j: (scores[j], -j))
        i, a, b = pool[best]
        hits += scores[best] > 0 and i == q["doc_id"] and a <= q["answer_start"] < b
    return hits / len(questions)


def thai_sweep(english: dict[str, Spans], english_starts: dict[str, int]) -> list[str]:
    docs = [d for d in load_docs("th") if d["split"] == "tune"]
    questions = [q for q in load_questions("th") if q["split"] == "tune"]
    ids = [d["doc_id"] for d in docs]
    rows = ["| THAI_MIN_CHARS | sentences/paragraph | abs diff to en | same as en | rank-bm25 R@1 (newmm words) |",
            "|---|---|---|---|---|"]

    def row(name: str, spans: dict[str, Spans]) -> str:
        return (f"| {name} | {mean([len(spans[i]) for i in ids]):.2f} | {delta_en(spans, english, ids):.2f} "
                f"| {same_as_english(questions, spans, english, english_starts):.3f} "
                f"| {bm25_r1(docs, spans, questions):.3f} |")
    rows.append(row("README rule", split_all(docs, rule_spans)))
    chosen = sentence_module.THAI_MIN_CHARS
    try:
        for value in SWEEP:
            sentence_module.THAI_MIN_CHARS = value
            mark = " (chosen)" if value == chosen else ""
            rows.append(row(f"{value}{mark}", split_all(docs, lambda t: our_spans(t, "th"))))
    finally:
        sentence_module.THAI_MIN_CHARS = chosen
    return rows


def run(sweep: bool) -> str:
    english = split_all(load_docs("en"), lambda t: our_spans(t, "en"))
    english_starts = {q["qid"]: q["answer_start"] for q in load_questions("en")}
    lines = [
        "# Sentences per paragraph, XQuAD (240 paragraphs per language, both halves)",
        "",
        f"Generated {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC by "
        f"`.venv/bin/python bench/sentences_per_paragraph.py{' --thai-sweep' if sweep else ''}`.",
        "ours = `split_article(text, lang=<lang>)`; learned = the same with `learn_tokenizer` "
        "trained on the language's paragraphs; rule = the README's reference cutting rule; "
        "abs diff to en = mean per-paragraph |count - English count| (ours); same as en = share of "
        "questions whose answer is in the sentence with the same number as in English; chars = mean sentence "
        "length; empty = paragraphs without a sentence; answers inside = share of answer starts "
        "inside a sentence.",
        "",
        "| lang | ours | learned | rule | abs diff to en | same as en | chars | empty | answers inside |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [language_row(lang, english, english_starts) for lang in LANGS]
    if sweep:
        lines += ["", f"## Thai: THAI_MIN_CHARS on `tune` ({sum(d['split'] == 'tune' for d in load_docs('th'))} "
                  "paragraphs)", ""] + thai_sweep(english, english_starts)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--thai-sweep", action="store_true", help="also try THAI_MIN_CHARS values on Thai tune")
    ap.add_argument("--out", type=Path, default=OUT, help="report file")
    args = ap.parse_args(argv)
    if not (XQUAD / "en" / "docs.jsonl").exists():
        print(f"XQuAD data not found at {XQUAD}; skipping.", file=sys.stderr)
        return 0
    report = run(args.thai_sweep)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
