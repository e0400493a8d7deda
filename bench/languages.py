"""Search quality per language on XQuAD: ours vs plain rank-bm25, the same run.

Issue 12's benchmark. For each of XQuAD's 12 languages (``../shared/eval/xquad``,
or ``$XQUAD_DIR``) the 240 paragraphs are indexed through the product's own
build (each paragraph one article; its language detected, not given), every
question is asked through `SearchIndex.search` and the ranked sentences are
scored by the ReQA rule (`bench.squad`). In the same run, the reference:
plain rank-bm25 (``BM25Okapi`` defaults) over sentences cut by the data
README's rule (after ``. ! ?`` and whitespace, after ``。！？｡।॥؟۔``, at line
breaks) with lowercased runs of letters, digits and marks as tokens, no
stopwords, no stemming. Also reported: questions with no hit, sentences per
paragraph, mean length of the top hit, index size and build time.

``--mixed`` also builds ONE index of all the languages side by side (doc ids
prefixed by language) and asks every language's questions there: how often
the answer is found when the other languages compete, for several weights
of the other languages' readings of a question (`index.multilingual.FLOOR`),
and how often the detector names a question's language right among the
corpus languages.

Choose settings on ``tune``; ``holdout`` is the result. Writes
``bench/results/languages.md``.

The choices (``--cjk``, ``--thai``, ``--stopwords``, ``--stem tr=prefix5,ar=light10``)
go into the index through `IndexConfig.languages`, as $INDEX_CJK ... would.

Run: ``.venv/bin/python bench/languages.py [--langs ru,zh] [--cjk bigram|jieba|bigram+unigram]
[--thai dict|longest|bigram|dict+bigram] [--stopwords none|stop-words|iso] [--stem CODE=MODE,...]
[--mixed] [--out FILE]``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import regex

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import cpu_model  # noqa: E402
from bench.squad import Question, first_correct, load_questions, score  # noqa: E402
from index import detect, multilingual  # noqa: E402
from index.engine import SearchIndex  # noqa: E402
from index.config import IndexConfig, language_settings  # noqa: E402
from index.languages import CJK_MODES, STOPWORD_SOURCES, THAI_MODES, LanguageSettings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "results" / "languages.md"
DATA = Path(os.environ.get("XQUAD_DIR") or REPO.parent / "shared" / "eval" / "xquad")
LANGS = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")
SPLITS = ("holdout", "tune")
K = 10
Hit = tuple[str, int, int]

_SENT_RE = regex.compile(r"(?<=[.!?])\s+|(?<=[。！？｡।॥؟۔])|\n+")
_TOKEN_RE = regex.compile(r"[\p{L}\p{N}\p{M}]+")


def reference_sentences(doc_id: str, text: str) -> list[tuple[Hit, str]]:
    """The README's rule: cut after . ! ? + whitespace, after 。！？｡।॥؟۔, at line breaks."""
    out, pos = [], 0
    for m in list(_SENT_RE.finditer(text)) + [None]:
        end = len(text) if m is None else m.start()
        piece = text[pos:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append(((doc_id, pos + lead, end), piece.strip()))
        if m is not None:
            pos = m.end()
    return out


def reference_tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(text.lower())


class Reference:
    """BM25Okapi (rank-bm25 defaults) scores computed from postings: get_scores' formula."""

    def __init__(self, sentences: list[tuple[Hit, str]]) -> None:
        from rank_bm25 import BM25Okapi

        self.spans = [span for span, _ in sentences]
        self.model = BM25Okapi([reference_tokens(t) for _, t in sentences])
        k1, b, avg = self.model.k1, self.model.b, self.model.avgdl
        doc_len = np.asarray(self.model.doc_len, dtype=np.float64)
        rows: dict[str, tuple[list[int], list[int]]] = {}
        for d, freqs in enumerate(self.model.doc_freqs):
            for tok, tf in freqs.items():
                rows.setdefault(tok, ([], []))[0].append(d)
                rows[tok][1].append(tf)
        self.postings = {}
        for tok, (docs, tfs) in rows.items():
            d, q = np.asarray(docs), np.asarray(tfs, dtype=np.float64)
            self.postings[tok] = (d, q * (k1 + 1) / (q + k1 * (1 - b + b * doc_len[d] / avg)))

    def search(self, question: str) -> list[Hit]:
        s = np.zeros(len(self.spans))
        for tok in reference_tokens(question):
            entry = self.postings.get(tok)
            if entry is not None:
                s[entry[0]] += (self.model.idf.get(tok) or 0) * entry[1]
        hit = np.flatnonzero(s > 0)
        return [self.spans[i] for i in hit[np.lexsort((hit, -s[hit]))][:K]]


def write_corpus(lang: str, target: Path, prefix: str = "") -> int:
    target.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(DATA / lang / "docs.jsonl", encoding="utf-8") as src, \
            open(target / f"{lang}.jsonl", "w", encoding="utf-8") as dst:
        for line in src:
            d = json.loads(line)
            dst.write(json.dumps({"id": prefix + d["doc_id"], "title": d["title"], "text": d["text"]},
                                 ensure_ascii=False) + "\n")
            n += 1
    return n


def docs(lang: str) -> list[dict]:
    return [json.loads(line) for line in open(DATA / lang / "docs.jsonl", encoding="utf-8")]


def our_hits(index: SearchIndex, question: str, prefix: str = "") -> list[Hit]:
    hits = index.search(question, k=K).hits
    return [(h.article.id[len(prefix):] if h.article.id.startswith(prefix) else "", h.start, h.end)
            for h in hits]


def metrics(questions: list[Question], hits: list[list[Hit]]) -> dict:
    ranks = [first_correct(q, h) for q, h in zip(questions, hits)]
    s = score(ranks)
    return {"r1": s.r1, "r5": s.r5, "mrr10": s.mrr10, "nohit": sum(1 for h in hits if not h) / max(1, len(hits)),
            "top_len": float(np.mean([h[0][2] - h[0][1] for h in hits if h] or [0]))}


def run_language(lang: str, work: Path, config: IndexConfig) -> dict:
    corpus = work / f"corpus-{lang}"
    n_docs = write_corpus(lang, corpus)
    started = time.perf_counter()
    index, _ = SearchIndex.build(corpus, work / f"index-{lang}", config=config, workers=1)
    build_s = time.perf_counter() - started
    ref = Reference([s for d in docs(lang) for s in reference_sentences(d["doc_id"], d["text"])])
    out = {"lang": lang, "build_s": build_s, "bytes": index.stats().bytes_on_disk,
           "sent_per_para": index.meta["sentences"] / n_docs, "ref_sent_per_para": len(ref.spans) / n_docs,
           "detected": dict(index.languages), "splits": {}}
    for split in SPLITS:
        qs = load_questions(DATA / lang, split)
        ours = [our_hits(index, q.question) for q in qs]
        theirs = [ref.search(q.question) for q in qs]
        out["splits"][split] = {"ours": metrics(qs, ours), "ref": metrics(qs, theirs), "n": len(qs)}
    index.close()
    return out


def run_mixed(langs: list[str], work: Path, config: IndexConfig, floors: list[float]) -> dict:
    corpus = work / "corpus-mixed"
    for lang in langs:
        write_corpus(lang, corpus, prefix=f"{lang}:")
    index, _ = SearchIndex.build(corpus, work / "index-mixed", config=config, workers=1)
    out: dict = {"languages": dict(index.languages), "floors": {}, "detect": {}}
    for lang in langs:
        qs = load_questions(DATA / lang)
        right_all = sum(1 for q in qs if max(p := detect.among(q.question, langs), key=p.get) == lang)
        pair = [lang, "en"] if lang != "en" else ["en", "de"]
        right_pair = sum(1 for q in qs if max(p := detect.among(q.question, pair), key=p.get) == lang)
        out["detect"][lang] = {"among_all": right_all / len(qs), "vs_en": right_pair / len(qs)}
    saved = multilingual.FLOOR
    try:
        for floor in floors:
            multilingual.FLOOR = floor
            per = {}
            for lang in langs:
                per[lang] = {}
                for split in SPLITS:
                    qs = load_questions(DATA / lang, split)
                    per[lang][split] = metrics(qs, [our_hits(index, q.question, f"{lang}:") for q in qs])
            out["floors"][floor] = per
    finally:
        multilingual.FLOOR = saved
    index.close()
    return out


def render(results: list[dict], mixed: dict | None, meta: dict) -> str:
    lines = ["# Search quality per language (XQuAD)", "",
             f"Command: `{meta['command']}`  ", f"Date: {meta['date']}; machine: {meta['machine']}; "
             f"settings: {meta['segmentation']}", "",
             "Ours: `SearchIndex.search` (k=10) over our own sentences, each paragraph's language detected. "
             "Reference: plain rank-bm25 (BM25Okapi defaults) over the README rule's sentences with "
             "lowercased letter/digit/mark runs, in the same run. R@1 / R@5 / MRR@10; \"no hit\": share of "
             "questions with no result; top len: mean characters of the first hit.", ""]
    for split in SPLITS:
        lines += [f"## {split}", "",
                  "| lang | ours R@1 | R@5 | MRR@10 | no hit | rank-bm25 R@1 | R@5 | MRR@10 | no hit | "
                  "sent/para (ours / ref) | top len (ours / ref) | index KB | build s | detected |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in results:
            o, f = r["splits"][split]["ours"], r["splits"][split]["ref"]
            det = ", ".join(f"{k} {v}" for k, v in r["detected"].items())
            lines.append(f"| {r['lang']} | **{o['r1']:.3f}** | {o['r5']:.3f} | {o['mrr10']:.3f} | "
                         f"{o['nohit']:.1%} | {f['r1']:.3f} | {f['r5']:.3f} | {f['mrr10']:.3f} | {f['nohit']:.1%} | "
                         f"{r['sent_per_para']:.2f} / {r['ref_sent_per_para']:.2f} | "
                         f"{o['top_len']:.0f} / {f['top_len']:.0f} | {r['bytes'] / 1024:.0f} | {r['build_s']:.2f} | {det} |")
        lines.append("")
    if mixed:
        lines += _render_mixed(mixed)
    return "\n".join(lines) + "\n"


def _render_mixed(mixed: dict) -> list[str]:
    langs = list(mixed["detect"])
    lines = ["## One index of all languages side by side", "",
             f"Articles per language: {mixed['languages']}.", "",
             "Question language named right by the detector (py3langid restricted to the candidates):", "",
             "| lang | " + " | ".join(langs) + " |", "|---|" + "---|" * len(langs),
             "| among all 12 | " + " | ".join(f"{mixed['detect'][k]['among_all']:.3f}" for k in langs) + " |",
             "| vs English only | " + " | ".join(f"{mixed['detect'][k]['vs_en']:.3f}" for k in langs) + " |", "",
             "R@1 when every language competes, by the weight floor of the other languages' readings "
             "(0: the detected language alone; 1: every language at full weight):", ""]
    for split in SPLITS:
        lines += [f"{split}:", "", "| floor | " + " | ".join(langs) + " | mean |", "|---|" + "---|" * (len(langs) + 1)]
        for floor, per in mixed["floors"].items():
            vals = [per[k][split]["r1"] for k in langs]
            lines.append(f"| {floor} | " + " | ".join(f"{v:.3f}" for v in vals) + f" | {np.mean(vals):.3f} |")
        lines.append("")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--langs", default=",".join(LANGS))
    default = LanguageSettings()
    ap.add_argument("--cjk", default=default.cjk, choices=CJK_MODES)
    ap.add_argument("--thai", default=default.thai, choices=THAI_MODES)
    ap.add_argument("--stopwords", default=default.stopwords, choices=STOPWORD_SOURCES)
    ap.add_argument("--stem", default="", help="CODE=MODE,... stemming instead of the defaults "
                                               "(index.languages.stemmer_modes), as $INDEX_STEMMING")
    ap.add_argument("--mixed", action="store_true")
    ap.add_argument("--floors", default="0,0.2,0.5,1")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args()
    langs = [x for x in args.langs.split(",") if x]
    try:
        seg = language_settings({"INDEX_CJK": args.cjk, "INDEX_THAI": args.thai,
                                 "INDEX_STOPWORDS": args.stopwords, "INDEX_STEMMING": args.stem})
    except ValueError as exc:
        sys.exit(f"error: {exc}")
    config = IndexConfig(languages=seg)
    results, mixed = [], None
    with tempfile.TemporaryDirectory(prefix="xquad-") as tmp:
        for lang in langs:
            r = run_language(lang, Path(tmp), config)
            h = r["splits"]["holdout"]
            print(f"{lang}: holdout R@1 {h['ours']['r1']:.3f} (rank-bm25 {h['ref']['r1']:.3f}) "
                  f"tune R@1 {r['splits']['tune']['ours']['r1']:.3f} sent/para {r['sent_per_para']:.2f}",
                  flush=True)
            results.append(r)
        if args.mixed:
            mixed = run_mixed(langs, Path(tmp), config, [float(x) for x in args.floors.split(",")])
    meta = {"command": "python bench/languages.py " + " ".join(sys.argv[1:]),
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "segmentation": f"cjk={seg.cjk}, thai={seg.thai}, stopwords={seg.stopwords}, stemming "
                            + (", ".join(f"{c}={m}" for c, m in seg.stemming) or "snowball")}
    text = render(results, mixed, meta)
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
