"""Building an index: files -> articles -> sentences -> terms -> postings.

The per-article step (`analyse_article`) is pure, so the same code serves a
full build and adding one article. `digest` does every per-token step of a
batch of analysed articles with batch-local term ids (in worker processes
during a large build: sentence splitting and analysis are pure Python and
dominate a build's time, so they are spread over the cores); `Accumulator`
merges the batches in corpus order, numbering sentences, paragraphs and
terms as they arrive, and collects (term, sentence, tf) triples;
`full_arrays` turns them into CSR postings for the three scored fields
(sentences, paragraphs, titles). The index is identical for any number of
workers. Nothing here knows about disk layout beyond handing rows and arrays
to `store`.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import traceback
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from queue import Empty

import numpy as np

from . import detect
from .analysis import Analyzer
from .corpus import Article, Skipped, text_hash
from .lifecycle import die_with_parent, raise_if_stopped
from .languages import normalize_code
from .postings import Postings, aggregate
from .sentences import Sentence, split_article
from .dates import epoch_day, parse_published
from .speakers import article_speakers
from .spelling import letter_runs


@dataclass(frozen=True, slots=True)
class AnalysedArticle:
    article: Article
    sentences: list[Sentence]
    terms: list[list[str]]
    title_terms: list[str]
    speakers: list[str | None] = field(default_factory=list)   # per sentence (index.speakers)
    lang: str = "en"


def article_language(article: Article, forced: str | None = None) -> str:
    """The article's `lang` when given, else the configured language, else the detected one."""
    if article.lang:
        return "en" if normalize_code(article.lang) == "en" else normalize_code(article.lang)
    if forced:
        return normalize_code(forced)
    return detect.detect_language(article.text, article.body_start)


def analyse_article(article: Article, analyzer: Analyzer, boilerplate: tuple[str, ...] | None = None,
                    language: str | None = None) -> AnalysedArticle:
    """Sentences and terms of one article, read in its language (`article_language`: its own
    `lang`, else `language`, the index's configured one, else detected)."""
    lang = article_language(article, language)
    analyzer = analyzer.for_language(lang)
    sentences = split_article(article.text, article.body_start, boilerplate, lang=lang)
    text = article.text
    terms = [analyzer.analyze(text[s.start:s.end]) for s in sentences]
    speakers = article_speakers(text, [(s.start, s.end, s.paragraph) for s in sentences])
    return AnalysedArticle(article, sentences, terms, analyzer.analyze(article.title), speakers, lang)


@dataclass
class Batch:
    """What consecutive articles add to an index, with term ids local to the batch.

    `digest` computes it from analysed articles (in a worker process during a
    parallel build) with every per-token step done there; `Accumulator.add_batch`
    merges batches in corpus order and maps local term ids to global ones in
    order of first appearance, so the index is the same however the articles
    were batched or spread over processes.
    """

    terms: list[str]           # distinct terms in first appearance (a title before its article's sentences)
    sentences: np.ndarray      # int32 per article: how many sentences
    paragraphs: np.ndarray     # int32 per article: last paragraph number + 1
    title_len: np.ndarray      # int32 per article
    t_triples: tuple[np.ndarray, np.ndarray, np.ndarray]  # local term, article in batch, tf
    s_triples: tuple[np.ndarray, np.ndarray, np.ndarray]  # local term, sentence in batch (ascending), tf
    sent_rows: np.ndarray      # int64 (sentences, 4): paragraph in article, index, start, end
    sections: list[str | None]
    sent_len: np.ndarray       # int32
    sent_hash: np.ndarray      # int64
    words: Counter[str] | None  # letter runs as written (index.spelling), unless counted elsewhere
    speakers: list[str | None] = field(default_factory=list)  # per sentence
    langs: list[str] = field(default_factory=list)  # per article


def digest(items: Sequence[AnalysedArticle], words: Counter[str] | None = None) -> Batch:
    """The `Batch` of some analysed articles: ids, tf counts and hashes, vectorised per batch.

    Written letter runs are counted into `words` when given (a worker's or the
    accumulator's own total: merging a counter per batch costs more than
    counting), else into the batch's own counter.
    """
    flat: list[str] = []          # every term in order: article 1's title, its sentences, article 2's ...
    seg_len: list[int] = []       # tokens per segment (a title or a sentence)
    seg_title: list[bool] = []
    n_sent, n_para, title_len, rows, sections, sent_len, hashes = [], [], [], [], [], [], []
    counts = Counter() if words is None else words
    speakers: list[str | None] = []
    for item in items:
        speakers += item.speakers or [None] * len(item.sentences)
        a = item.article
        flat += item.title_terms
        seg_len.append(len(item.title_terms))
        seg_title.append(True)
        title_len.append(len(item.title_terms))
        counts.update(letter_runs(a.title))
        counts.update(letter_runs(a.text))
        last_para = -1
        for s, terms in zip(item.sentences, item.terms):
            flat += terms
            seg_len.append(len(terms))
            seg_title.append(False)
            rows.append((s.paragraph, s.index, s.start, s.end))
            sections.append(s.section)
            sent_len.append(len(terms))
            hashes.append(text_hash(a.text[s.start:s.end]))
            last_para = max(last_para, s.paragraph)
        n_sent.append(len(item.sentences))
        n_para.append(last_para + 1)
    distinct = list(dict.fromkeys(flat))
    width = max(len(distinct), 1)
    local = {t: i for i, t in enumerate(distinct)}
    tids = np.fromiter(map(local.__getitem__, flat), dtype=np.int64, count=len(flat))
    seg = np.repeat(np.arange(len(seg_len), dtype=np.int64), seg_len)
    keys, tf = np.unique(seg * width + tids, return_counts=True)   # sorted by (segment, term)
    key_seg, key_term = np.divmod(keys, width)
    is_title = np.asarray(seg_title, dtype=bool)
    seg_doc = np.where(is_title, np.cumsum(is_title) - 1, np.cumsum(~is_title) - 1)
    title_key = is_title[key_seg]
    as_i32 = lambda x: np.asarray(x, dtype=np.int32)  # noqa: E731
    return Batch(
        terms=distinct, sentences=as_i32(n_sent), paragraphs=as_i32(n_para), title_len=as_i32(title_len),
        t_triples=(as_i32(key_term[title_key]), as_i32(seg_doc[key_seg[title_key]]), tf[title_key]),
        s_triples=(as_i32(key_term[~title_key]), as_i32(seg_doc[key_seg[~title_key]]), tf[~title_key]),
        sent_rows=np.asarray(rows, dtype=np.int64).reshape(-1, 4), sections=sections,
        sent_len=as_i32(sent_len), sent_hash=np.asarray(hashes, dtype=np.int64),
        words=counts if words is None else None, speakers=speakers, langs=[item.lang for item in items],
    )


@dataclass
class Accumulator:
    """Numbers everything in arrival order and gathers postings triples (as numpy chunks)."""

    vocab: dict[str, int] = field(default_factory=dict)
    first_article: int = 0
    first_sentence: int = 0
    first_paragraph: int = 0
    article_rows: list[tuple] = field(default_factory=list)
    new_terms: list[str] = field(default_factory=list)
    words: Counter[str] = field(default_factory=Counter)  # letter runs as written, for index.spelling
    lang_counts: Counter[str] = field(default_factory=Counter)  # articles per language, shared across runs
    _sentences: int = 0
    _paragraphs: int = 0
    _chunks: dict[str, list] = field(default_factory=lambda: defaultdict(list))
    _sections: list[str | None] = field(default_factory=list)
    _speakers: list[str | None] = field(default_factory=list)

    @property
    def n_articles(self) -> int:
        return self.first_article + len(self.article_rows)

    @property
    def n_sentences(self) -> int:
        return self.first_sentence + self._sentences

    @property
    def n_paragraphs(self) -> int:
        return self.first_paragraph + self._paragraphs

    def language_counts(self) -> dict[str, int]:
        """Language code -> articles, over the articles added (by this accumulator and the runs before it)."""
        return dict(sorted(self.lang_counts.items()))

    def add_batch(self, batch: Batch, articles: Sequence[Article]) -> None:
        """Append a batch of the next articles (in corpus order)."""
        vocab = self.vocab
        for term in [t for t, tid in zip(batch.terms, map(vocab.get, batch.terms)) if tid is None]:
            vocab[term] = len(vocab)
            self.new_terms.append(term)
        gids = np.fromiter(map(vocab.__getitem__, batch.terms), dtype=np.int32, count=len(batch.terms))
        aid0, sid0, p0 = self.n_articles, self.n_sentences, self.n_paragraphs
        langs = batch.langs or ["en"] * len(articles)
        self.lang_counts.update(langs)
        self.article_rows.extend((aid0 + i, a.id, a.title, a.path, a.url, iso_published(a.published), a.source,
                                  a.body_start, a.text, lang) for i, (a, lang) in enumerate(zip(articles, langs)))
        para_base = p0 + np.cumsum(batch.paragraphs) - batch.paragraphs
        c = self._chunks
        c["sent_article"].append(np.repeat(np.arange(aid0, aid0 + len(articles), dtype=np.int32),
                                           batch.sentences))
        c["sent_para"].append((np.repeat(para_base, batch.sentences) + batch.sent_rows[:, 0]).astype(np.int32))
        c["sent_len"].append(batch.sent_len)
        c["sent_hash"].append(batch.sent_hash)
        c["title_len"].append(batch.title_len)
        c["article_day"].append(np.fromiter(map(article_day, articles), np.int32, len(articles)))
        c["sent_rows"].append(batch.sent_rows)
        self._sections.extend(batch.sections)
        self._speakers.extend(batch.speakers or [None] * len(batch.sent_len))
        terms, docs, tfs = batch.s_triples
        c["s"].append((gids[terms], docs + sid0, tfs))
        terms, docs, tfs = batch.t_triples
        c["t"].append((gids[terms], docs + aid0, tfs))
        self._sentences += len(batch.sent_len)
        self._paragraphs += int(batch.paragraphs.sum())
        if batch.words:
            self.words.update(batch.words)

    def _concat(self, name: str, dtype: type) -> np.ndarray:
        parts = self._chunks.get(name)
        return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype=dtype)

    def sentence_arrays(self) -> dict[str, np.ndarray]:
        return {
            "sent_article": self._concat("sent_article", np.int32),
            "sent_para": self._concat("sent_para", np.int32),
            "sent_len": self._concat("sent_len", np.int32),
            "sent_hash": self._concat("sent_hash", np.int64),
            "title_len": self._concat("title_len", np.int32),
            "article_day": self._concat("article_day", np.int32),
        }

    def triples(self, which: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        parts = self._chunks.get(which)
        if not parts:
            return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int64)
        return (np.concatenate([p[0] for p in parts]).astype(np.int32, copy=False),
                np.concatenate([p[1] for p in parts]).astype(np.int32, copy=False),
                np.concatenate([p[2] for p in parts]).astype(np.int64, copy=False))

    def iter_sentence_rows(self) -> Iterator[tuple]:
        """(id, article, paragraph, index, start, end, section) per sentence, for the database."""
        sent_article = self._concat("sent_article", np.int32).tolist()
        parts = self._chunks.get("sent_rows")
        rows = np.concatenate(parts) if parts else np.zeros((0, 4), np.int64)
        return zip(range(self.first_sentence, self.n_sentences), sent_article, rows[:, 0].tolist(),
                   rows[:, 1].tolist(), rows[:, 2].tolist(), rows[:, 3].tolist(), self._sections)

    def speaker_rows(self) -> Iterator[tuple[int, str]]:
        """(sentence id, speaker) for each sentence with a speaker, for the database."""
        first = self.first_sentence
        return ((first + i, name) for i, name in enumerate(self._speakers) if name)


UNDATED = int(np.iinfo(np.int32).min)   # index.ranking.UNDATED: an article without a date


def iso_published(value: str | None) -> str | None:
    """`published` as stored: ISO 8601 (index.dates), None when absent or unreadable (uploads, channel posts:
    a rebuild reports unreadable ones, `index.corpus.dated`)."""
    found = parse_published(value) if value else None
    return found.iso if found else None


def article_day(article: Article) -> int:
    """The article's day since 1970-01-01 (the ranking's `article_day`), `UNDATED` without a date."""
    found = parse_published(article.published) if article.published else None
    return epoch_day(found.day) if found else UNDATED


def paragraph_field(s_postings: Postings, sent_para: np.ndarray, sent_len: np.ndarray,
                    n_paragraphs: int, first_sentence: int = 0,
                    first_paragraph: int = 0) -> tuple[Postings, np.ndarray]:
    """Paragraph postings and lengths, derived from the sentence postings.

    For a run of a bounded build (`index.pipeline`) the arrays cover the
    sentences from `first_sentence` on, whose paragraphs are numbered from
    `first_paragraph` (the lengths returned are those paragraphs').
    """
    terms = s_postings.term_of_posting()
    paras = sent_para[s_postings.docs - first_sentence if first_sentence else s_postings.docs]
    postings = aggregate(terms, paras, s_postings.tfs.astype(np.int64), s_postings.n_terms)
    para_len = np.bincount(sent_para - first_paragraph, weights=sent_len,
                           minlength=n_paragraphs - first_paragraph).astype(np.int32)
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


BATCH_ARTICLES = 64          # articles per unit of work
PARALLEL_MIN_ARTICLES = 256  # below this, worker start-up costs more than it saves
WORKER_NICE = 5              # build workers yield the CPU to a process answering questions


def build_workers(requested: int | None, n_articles: int) -> int:
    """How many processes analyse articles: `requested`, else one per usable core (1 for small corpora)."""
    if requested is not None:
        return max(1, requested)
    if n_articles < PARALLEL_MIN_ARTICLES or "fork" not in mp.get_all_start_methods():
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def accumulate(articles: Iterable[Article], analyzer: Analyzer,
               boilerplate: tuple[str, ...] | None = None,
               progress: Callable[[int], None] | None = None,
               acc: Accumulator | None = None, workers: int | None = None,
               language: str | None = None) -> Accumulator:
    """Analyse the articles (splitting, analysis, per-token counting) and merge them in order.

    With several workers the per-article work runs in forked processes (see
    `analysed_batches`) and the batches are merged here in corpus order: the
    result is identical to a single-process run (`tests/test_scale_build.py`).
    `progress(n)` is called with the number of articles merged so far.
    """
    acc = acc or Accumulator()
    articles = list(articles)
    n_workers = min(build_workers(workers, len(articles)), -(-len(articles) // BATCH_ARTICLES))
    done = 0
    for chunk, batch in analysed_batches(batched(articles), analyzer, boilerplate, n_workers, acc.words,
                                         language):
        acc.add_batch(batch, chunk)
        done += len(chunk)
        if progress:
            progress(done)
    return acc


def batched(articles: Iterable[Article], size: int | None = None) -> Iterator[list[Article]]:
    """Consecutive articles in lists of `size` (default `BATCH_ARTICLES`), the units of work."""
    size = size or BATCH_ARTICLES
    chunk: list[Article] = []
    for article in articles:
        chunk.append(article)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def analysed_batches(batches: Iterable[list[Article]], analyzer: Analyzer, boilerplate: tuple[str, ...] | None,
                     n_workers: int, words: Counter[str],
                     language: str | None = None) -> Iterator[tuple[list[Article], Batch]]:
    """Each batch of articles with its `Batch`, in order; `n_workers` > 1 forked processes compute them.

    The written words are counted into `words` (by the workers, added when they finish).
    """
    if n_workers <= 1:
        for chunk in batches:
            yield chunk, digest([analyse_article(a, analyzer, boilerplate, language) for a in chunk], words)
        return
    yield from _parallel_batches(iter(batches), analyzer, boilerplate, n_workers, words, language)


class BuildWorkerError(RuntimeError):
    """A build worker process failed (its traceback is the message)."""


AHEAD = 2  # batches handed to each worker before its first result is read (bounds memory in flight)


def _parallel_batches(batches: Iterator[list[Article]], analyzer: Analyzer, boilerplate: tuple[str, ...] | None,
                      n_workers: int, words: Counter[str],
                      language: str | None = None) -> Iterator[tuple[list[Article], Batch]]:
    """The batches in order, computed by `n_workers` forked processes.

    Batch ``i`` goes to worker ``i % n`` through its own queue, so reading the
    results round-robin gives corpus order; at most `AHEAD` batches per worker
    are in flight, so a corpus streamed from disk is never all in memory.
    Each worker finally sends its own word counts, which are added to `words`.
    """
    context = mp.get_context("fork")
    inboxes = [context.Queue() for _ in range(n_workers)]
    outboxes = [context.Queue() for _ in range(n_workers)]
    procs = [context.Process(target=_worker_main, daemon=True, args=(inboxes[w], outboxes[w], analyzer, boilerplate, language))
             for w in range(n_workers)]
    for proc in procs:
        proc.start()
    pending: deque[list[Article]] = deque()
    sent = 0

    def send_next() -> None:
        nonlocal sent
        chunk = next(batches, None)
        if chunk is not None:
            inboxes[sent % n_workers].put(chunk)
            pending.append(chunk)
            sent += 1
    try:
        for _ in range(AHEAD * n_workers):
            send_next()
        received = 0
        while pending:
            chunk = pending.popleft()
            batch = _receive(outboxes[received % n_workers], procs[received % n_workers])
            received += 1
            send_next()
            yield chunk, batch
        for inbox in inboxes:
            inbox.put(None)
        for outbox, proc in zip(outboxes, procs):
            words.update(_receive(outbox, proc))
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        for proc in procs:
            proc.join(timeout=1.0)
            if proc.is_alive():      # (one that had not yet reset an inherited SIGTERM handler)
                proc.kill()
                proc.join()
        for queue in inboxes + outboxes:
            queue.close()


def _receive(queue: mp.Queue, proc: mp.Process) -> object:
    """The next message of one worker, or BuildWorkerError if it failed or died."""
    while True:
        try:
            kind, payload = queue.get(timeout=0.25)
        except Empty:
            raise_if_stopped()   # a stop signal dropped where it landed (see index.lifecycle)
            if not proc.is_alive():
                raise BuildWorkerError(f"build worker {proc.pid} exited with code {proc.exitcode}") from None
            continue
        if kind == "error":
            raise BuildWorkerError(payload)
        return payload


def _worker_main(inbox: mp.Queue, outbox: mp.Queue, analyzer: Analyzer,
                 boilerplate: tuple[str, ...] | None, language: str | None = None) -> None:
    """A forked build worker: digest the batches it is sent (until None), then send its word counts.

    It ends with the builder (`die_with_parent`): killed, the builder would
    leave it blocked forever in ``join_thread`` writing to a pipe nobody reads."""
    die_with_parent()
    try:
        os.nice(WORKER_NICE)
    except OSError:
        pass
    try:
        words: Counter[str] = Counter()
        while (chunk := inbox.get()) is not None:
            outbox.put(("batch", digest([analyse_article(a, analyzer, boilerplate, language) for a in chunk],
                                               words)))
        outbox.put(("words", words))
    except BaseException:
        outbox.put(("error", traceback.format_exc()))
    finally:
        outbox.close()
        outbox.join_thread()

