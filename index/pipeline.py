"""A full build in bounded memory: stream the corpus, analyse in batches, spill runs, merge.

The classic external-merge inverted-index build. Articles are read one at a
time (`corpus.iter_corpus`) and analysed in batches (in forked workers for a
corpus of some size, `build.analysed_batches`); an `Accumulator` numbers
them in corpus order as before. When what it holds reaches the run budget
(about half of `IndexConfig.runtime.build_memory_mb`), the run is *spilled*: its
articles, sentences and new terms go to SQLite, its per-sentence columns are
appended to raw files, and its postings of the three fields, sorted by term
then document, are written as a run (`index.runs`). Paragraphs never cross a
run (runs end between articles), so a run's paragraph postings are derived
from its own sentence postings. At the end the runs are merged term by term
into the final ``.npy`` arrays and the words and metadata are written.

Peak memory is set by the budget, not by the corpus: one run, one merge
chunk and the batches in flight, plus what grows slowly with the corpus (the
vocabulary, the counts of written words, the de-duplication keys of the
articles). The index is identical to the one-piece build for any budget
(`tests/test_scale_build.py`), because numbering is the same and a term's
postings are its runs' lists in order. Everything is written inside the
generation folder that `store.write_generation` creates, so a killed build
leaves the previous index serving and its leftovers are swept.
"""
from __future__ import annotations

import itertools
import sqlite3
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import store, text_packing
from .config import IndexConfig
from .analysis import Analyzer
from .build import (PARALLEL_MIN_ARTICLES, Accumulator, BuildReport, analysed_batches, batched, build_workers,
                    paragraph_field)
from .corpus import CorpusRead, corpus_files, iter_corpus
from .lifecycle import raise_if_stopped
from .postings import Postings
from .runs import NpyWriter, Run, merge_runs, remove_run, write_run

# What a run holds, per unit, at its peak (while its postings are sorted), measured on news-like text.
POSTING_BYTES = 100   # per posting of a sentence or a title: triples, their sort, the paragraph sums
TEXT_BYTES = 3        # per character of article text: the text, its rows, the sentence columns
RUN_SHARE = 0.5       # of the budget for the run being gathered; the rest: merge chunk, batches, Python
MERGE_BYTES_PER_POSTING = 40
COLUMNS = {"sent_article": np.int32, "sent_para": np.int32, "sent_len": np.int32, "sent_hash": np.int64,
           "title_len": np.int32, "para_len": np.int32, "article_day": np.int32}
FIELDS = ("s", "p", "t")

Progress = Callable[[int, int], None]
MakeMeta = Callable[[Accumulator], dict]


@dataclass
class Plan:
    """How a build uses its memory budget."""

    memory_mb: int
    run_bytes: int = field(init=False)
    merge_chunk: int = field(init=False)

    def __post_init__(self) -> None:
        budget = self.memory_mb * 1024 * 1024
        self.run_bytes = int(budget * RUN_SHARE)
        self.merge_chunk = max(1, int(budget * (1 - RUN_SHARE) / 2 / MERGE_BYTES_PER_POSTING))


def build_generation(folder: Path, index_config: IndexConfig, analyzer: Analyzer, make_meta: MakeMeta,
                     progress: Progress | None = None, workers: int | None = None,
                     memory_mb: int | None = None) -> BuildReport:
    """Write a whole index (database and arrays) into `folder` from the corpus `index_config` names."""
    plan = Plan(memory_mb or index_config.runtime.build_memory_mb)
    corpus, boilerplate = index_config.corpus, index_config.boilerplate
    read = CorpusRead()
    stream = iter_corpus(corpus, read, index_config.limits, keep_hashes=False)  # (the rows' hashes: store)
    # a small corpus: no workers; the first articles also train the texts' dictionary (as `store.write_db`'s do)
    head = list(itertools.islice(stream, max(PARALLEL_MIN_ARTICLES, text_packing.TRAIN_ARTICLES)))
    n_workers = build_workers(workers, len(head) if len(head) < PARALLEL_MIN_ARTICLES else PARALLEL_MIN_ARTICLES)
    total = estimate_articles(corpus) if progress else 0
    spill = Spiller(folder, store.create_db(folder / store.DB_NAME))
    text_packing.ensure_dictionary(spill.conn, lambda: (a.text for a in head[:text_packing.TRAIN_ARTICLES]))
    words: Counter[str] = Counter()
    acc = Accumulator(vocab={}, words=words)
    held, done = 0, 0
    try:
        for chunk, batch in analysed_batches(batched(itertools.chain(head, stream)), analyzer, boilerplate,
                                             n_workers, words, index_config.language):
            raise_if_stopped()       # a stop signal whose exception landed where it was dropped
            acc.add_batch(batch, chunk)
            held += (len(batch.s_triples[0]) + len(batch.t_triples[0])) * POSTING_BYTES
            held += sum(len(a.text) for a in chunk) * TEXT_BYTES
            if held >= plan.run_bytes:
                acc, held = spill.run(acc), 0
            done += len(chunk)
            if progress:
                progress(done, max(total, done))
        acc = spill.run(acc)   # (continues the numbering: its counts are the totals)
        raise_if_stopped()
        spill.finish(acc, make_meta(acc), [(s.path, s.line, s.reason) for s in read.skipped], plan)
    finally:
        spill.close()
    return BuildReport(acc.n_articles, acc.n_sentences, len(acc.vocab), read.files, read.skipped)


class Spiller:
    """Writes each run out (rows to SQLite, columns to raw files, postings as runs), then merges them."""

    def __init__(self, folder: Path, conn: sqlite3.Connection) -> None:
        self.folder = folder
        self.conn = conn
        self.work = folder / ".runs"      # inside the generation folder: swept with it if killed
        self.work.mkdir()
        self.runs: dict[str, list[Run]] = {f: [] for f in FIELDS}
        self.columns = {name: open(self.work / f"{name}.col", "wb") for name in COLUMNS}
        self.lengths = dict.fromkeys(COLUMNS, 0)

    def run(self, acc: Accumulator) -> Accumulator:
        """Spill what `acc` holds; returns an empty accumulator that continues its numbering."""
        if acc.article_rows:
            with self.conn:
                store.append_rows(self.conn, acc, len(acc.vocab) - len(acc.new_terms))
            self._spill_arrays(acc)
        return Accumulator(vocab=acc.vocab, words=acc.words, lang_counts=acc.lang_counts, first_article=acc.n_articles,
                           first_sentence=acc.n_sentences, first_paragraph=acc.n_paragraphs)

    def _spill_arrays(self, acc: Accumulator) -> None:
        n_terms, number = len(acc.vocab), len(self.runs["s"])
        columns = acc.sentence_arrays()
        s = Postings.from_triples(*acc.triples("s"), n_terms)
        p, columns["para_len"] = paragraph_field(s, columns["sent_para"], columns["sent_len"], acc.n_paragraphs,
                                                 acc.first_sentence, acc.first_paragraph)
        t = Postings.from_triples(*acc.triples("t"), n_terms)
        for name, postings in (("s", s), ("p", p), ("t", t)):
            self.runs[name].append(write_run(self.work / f"{name}{number:05d}", postings))
        for name, dtype in COLUMNS.items():
            values = np.ascontiguousarray(columns[name], dtype=dtype)
            values.tofile(self.columns[name])
            self.lengths[name] += len(values)

    def finish(self, acc: Accumulator, meta: dict, skipped: list[tuple], plan: Plan) -> None:
        """Merge the runs into the generation's arrays; write the words, metadata and skipped files."""
        for fh in self.columns.values():
            fh.close()
        for name, dtype in COLUMNS.items():
            with NpyWriter(self.folder / f"{name}.npy", dtype, self.lengths[name]) as out:
                out.copy_raw(self.work / f"{name}.col")
        for name in FIELDS:
            merge_runs(self.runs[name], len(acc.vocab), self.folder, name, plan.merge_chunk)
            for run in self.runs[name]:
                remove_run(run)         # the disk the runs took is free before the next field's merge
        with self.conn:
            store.write_words(self.conn, acc.words)
            store.write_meta(self.conn, meta)
            self.conn.executemany("INSERT INTO skipped VALUES (?, ?, ?)", skipped)

    def close(self) -> None:
        for fh in self.columns.values():
            fh.close()
        self.conn.close()
        shutil.rmtree(self.work, ignore_errors=True)


def estimate_articles(corpus: Path) -> int:
    """About how many articles the corpus holds, for the progress bar's total and ETA: one per
    text file, one per line of a JSONL file (reading only newlines, far cheaper than the build)."""
    total = 0
    for path in corpus_files(corpus):
        if not path.name.lower().endswith(".jsonl"):
            total += 1
            continue
        try:
            with open(path, "rb") as fh:
                total += sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
        except OSError:
            continue
    return total
