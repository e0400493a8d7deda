"""Building an index: files -> articles -> sentences -> terms -> postings.

The per-article step (`analyse_article`) is pure, so the same code serves a
full build and adding one article. `Accumulator` numbers sentences,
paragraphs and terms as they arrive and collects (term, sentence, tf)
triples; `finish` turns them into CSR postings for the three scored fields
(sentences, paragraphs, titles). Nothing here knows about disk layout beyond
handing rows and arrays to `store`.
"""
from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from .analysis import Analyzer
from .corpus import Article, Skipped
from .postings import Postings, aggregate
from .sentences import Sentence, split_article


@dataclass(frozen=True, slots=True)
class AnalysedArticle:
    article: Article
    sentences: list[Sentence]
    terms: list[list[str]]
    title_terms: list[str]


def analyse_article(article: Article, analyzer: Analyzer,
                    boilerplate: tuple[str, ...] | None = None) -> AnalysedArticle:
    sentences = split_article(article.text, article.body_start, boilerplate)
    text = article.text
    terms = [analyzer.analyze(text[s.start:s.end]) for s in sentences]
    return AnalysedArticle(article, sentences, terms, analyzer.analyze(article.title))


def text_hash(text: str) -> int:
    """Identity of a sentence for de-duplication: case- and whitespace-insensitive, signed 64-bit."""
    digest = hashlib.blake2b(" ".join(text.casefold().split()).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


@dataclass
class Accumulator:
    """Numbers everything in arrival order and gathers postings triples."""

    vocab: dict[str, int] = field(default_factory=dict)
    first_article: int = 0
    first_sentence: int = 0
    first_paragraph: int = 0
    article_rows: list[tuple] = field(default_factory=list)
    sentence_rows: list[tuple] = field(default_factory=list)
    new_terms: list[str] = field(default_factory=list)
    sent_article: list[int] = field(default_factory=list)
    sent_para: list[int] = field(default_factory=list)
    sent_len: list[int] = field(default_factory=list)
    sent_hash: list[int] = field(default_factory=list)
    title_len: list[int] = field(default_factory=list)
    s_terms: list[int] = field(default_factory=list)
    s_docs: list[int] = field(default_factory=list)
    s_tfs: list[int] = field(default_factory=list)
    t_terms: list[int] = field(default_factory=list)
    t_docs: list[int] = field(default_factory=list)
    t_tfs: list[int] = field(default_factory=list)

    @property
    def n_articles(self) -> int:
        return self.first_article + len(self.article_rows)

    @property
    def n_sentences(self) -> int:
        return self.first_sentence + len(self.sent_len)

    @property
    def n_paragraphs(self) -> int:
        return self.first_paragraph + self._paragraphs

    _paragraphs: int = 0

    def term_id(self, term: str) -> int:
        tid = self.vocab.get(term)
        if tid is None:
            tid = self.vocab[term] = len(self.vocab)
            self.new_terms.append(term)
        return tid

    def add(self, item: AnalysedArticle) -> None:
        a = item.article
        aid = self.n_articles
        self.article_rows.append((aid, a.id, a.title, a.path, a.url, a.published, a.source,
                                  a.body_start, a.text))
        for tid, tf in Counter(self.term_id(t) for t in item.title_terms).items():
            self.t_terms.append(tid)
            self.t_docs.append(aid)
            self.t_tfs.append(tf)
        self.title_len.append(len(item.title_terms))
        para_base = self.n_paragraphs
        last_para = -1
        for sentence, terms in zip(item.sentences, item.terms):
            sid = self.n_sentences
            self.sentence_rows.append((sid, aid, sentence.paragraph, sentence.index,
                                       sentence.start, sentence.end, sentence.section))
            self.sent_article.append(aid)
            self.sent_para.append(para_base + sentence.paragraph)
            self.sent_len.append(len(terms))
            self.sent_hash.append(text_hash(a.text[sentence.start:sentence.end]))
            for tid, tf in Counter(self.term_id(t) for t in terms).items():
                self.s_terms.append(tid)
                self.s_docs.append(sid)
                self.s_tfs.append(tf)
            last_para = max(last_para, sentence.paragraph)
        self._paragraphs += last_para + 1

    def sentence_arrays(self) -> dict[str, np.ndarray]:
        return {
            "sent_article": np.asarray(self.sent_article, dtype=np.int32),
            "sent_para": np.asarray(self.sent_para, dtype=np.int32),
            "sent_len": np.asarray(self.sent_len, dtype=np.int32),
            "sent_hash": np.asarray(self.sent_hash, dtype=np.int64),
            "title_len": np.asarray(self.title_len, dtype=np.int32),
        }

    def triples(self, which: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        terms, docs, tfs = ((self.s_terms, self.s_docs, self.s_tfs) if which == "s"
                            else (self.t_terms, self.t_docs, self.t_tfs))
        return (np.asarray(terms, dtype=np.int32), np.asarray(docs, dtype=np.int32),
                np.asarray(tfs, dtype=np.int64))


def paragraph_field(s_postings: Postings, sent_para: np.ndarray, sent_len: np.ndarray,
                    n_paragraphs: int) -> tuple[Postings, np.ndarray]:
    """Paragraph postings and lengths, derived from the sentence postings."""
    terms = s_postings.term_of_posting()
    paras = sent_para[s_postings.docs]
    postings = aggregate(terms, paras, s_postings.tfs.astype(np.int64), s_postings.n_terms)
    para_len = np.bincount(sent_para, weights=sent_len, minlength=n_paragraphs).astype(np.int32)
    return postings, para_len


def full_arrays(acc: Accumulator) -> dict[str, np.ndarray]:
    """All arrays of a fresh index from one accumulator."""
    n_terms = len(acc.vocab)
    arrays = acc.sentence_arrays()
    s = Postings.from_triples(*acc.triples("s"), n_terms)
    t = Postings.from_triples(*acc.triples("t"), n_terms)
    p, para_len = paragraph_field(s, arrays["sent_para"], arrays["sent_len"], acc.n_paragraphs)
    arrays.update(para_len=para_len,
                  s_ptr=s.ptr, s_docs=s.docs, s_tfs=s.tfs,
                  p_ptr=p.ptr, p_docs=p.docs, p_tfs=p.tfs,
                  t_ptr=t.ptr, t_docs=t.docs, t_tfs=t.tfs)
    return arrays


@dataclass
class BuildReport:
    articles: int = 0
    sentences: int = 0
    terms: int = 0
    files: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    message: str | None = None

    def summary(self) -> str:
        lines = [f"{self.articles} articles, {self.sentences} sentences, {self.terms} distinct terms "
                 f"from {self.files} files in {self.seconds:.2f} s"]
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)}:")
            lines.extend(f"  {s}" for s in self.skipped)
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"articles": self.articles, "sentences": self.sentences, "terms": self.terms,
                "files": self.files, "seconds": round(self.seconds, 3),
                "skipped": [{"path": s.path, "line": s.line, "reason": s.reason} for s in self.skipped]}


def accumulate(articles: Iterable[Article], analyzer: Analyzer,
               boilerplate: tuple[str, ...] | None = None,
               progress: Callable[[int], None] | None = None,
               acc: Accumulator | None = None) -> Accumulator:
    acc = acc or Accumulator()
    for n, article in enumerate(articles, start=1):
        acc.add(analyse_article(article, analyzer, boilerplate))
        if progress:
            progress(n)
    return acc


def now() -> float:
    return time.perf_counter()
