"""Writing, loading and merging the delta segment (`index.segments` says what the segments are).

A generation with a delta is a folder like any other, written by
`store.write_generation` and switched to atomically with ``CURRENT``:

* the main segment's files, hard links to the previous generation's (an add
  writes nothing of the main: at ten million sentences that is gigabytes);
* ``delta/``, the added articles as an index of their own (arrays and
  database in the usual format, ids from 0, terms past the main's);
* ``segments.json``: the main's counts (where the delta's ids start), the
  tombstones (global article ids an edit replaced), the whole index's metadata.

An add extends the delta (`add`: the old delta's arrays and database plus the
new articles, the main untouched); a load reuses a main segment already in
memory when the new generation links the same files (`load`: the same inode),
so the bot and its search processes take an add in milliseconds. A merge
(`merge`) writes a plain generation: the main's and the delta's postings in
one set of arrays (a tombstoned article's postings left out, its rows kept so
sentence ids stay), rows appended to a copy of the main's database.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import news, spelling, store, text_packing
from .build import Accumulator, accumulate, full_arrays, paragraph_field
from .config import current_runtime
from .corpus import Article, fingerprint, text_hash
from .durable import fsync_dir, fsync_file
from .postings import Postings
from .postings_merge import chunk_postings, write_merged
from .ranking import Ranker, RankingParams
from .segments import FrozenField, JoinedVocab, Offsets, SegmentFacts, SegmentRanker, SegmentTexts
from .texts import TextStore

if TYPE_CHECKING:
    from .engine import SearchIndex
    from .config import RuntimeSettings

DELTA_DIR = "delta"
MANIFEST = "segments.json"


@dataclass
class Segments:
    """What a loaded index knows of its segments: the main one (a plain `SearchIndex`, shared by every
    index that links the same main files) and, with a delta, its arrays, counts and the tombstones."""

    main: "SearchIndex"
    key: tuple[int, int]                       # (device, inode) of the main's database
    delta: dict[str, np.ndarray] | None = None
    at: Offsets | None = None
    deleted: tuple[int, ...] = ()
    delta_terms: dict[str, int] = field(default_factory=dict)

    @property
    def delta_sentences(self) -> int:
        return 0 if self.delta is None else len(self.delta["sent_article"])


def main_key(generation: Path) -> tuple[int, int]:
    st = os.stat(generation / store.DB_NAME)
    return st.st_dev, st.st_ino


def has_delta(generation: Path) -> bool:
    return (generation / MANIFEST).exists()


def read_manifest(generation: Path) -> dict:
    try:
        manifest = json.loads((generation / MANIFEST).read_text(encoding="utf-8"))
        manifest["offsets"] = Offsets(**manifest["offsets"])
        return manifest
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise store.IndexCorrupt(f"{MANIFEST} unreadable: {exc!r}") from exc


# ----- adding ------------------------------------------------------------------------------------------
def add(index: "SearchIndex", articles: list[Article], corpus: Path, replaced: set[int]) -> int:
    """Write a new generation: `index`'s main linked, its delta extended by `articles`, the `replaced`
    articles (global ids) tombstoned. Returns the sentences added; the caller loads the generation."""
    seg: Segments = index.segments
    main = seg.main
    at = seg.at or Offsets(main.meta["articles"], main.meta["sentences"], len(main.arrays["para_len"]),
                           len(main.vocab))
    old = seg.delta
    acc = Accumulator(vocab=JoinedVocab(main.vocab, dict(seg.delta_terms)),
                      first_article=0 if old is None else len(old["title_len"]),
                      first_sentence=0 if old is None else len(old["sent_article"]),
                      first_paragraph=0 if old is None else len(old["para_len"]))
    n_terms_before = len(acc.vocab)
    accumulate(articles, index.base_analyzer, index.config.boilerplate, acc=acc, workers=1,
               language=index.config.language)
    arrays = full_arrays(acc) if old is None else _extended_arrays(old, acc)
    meta = dict(index.meta)
    meta.update(articles=at.articles + acc.n_articles, sentences=at.sentences + acc.n_sentences,
                terms=len(acc.vocab), fingerprint=fingerprint(corpus), updated_at=time.time(),
                languages=_counts(index.languages, acc.language_counts()))
    delta_meta = dict(meta, articles=acc.n_articles, sentences=acc.n_sentences)
    manifest = {"offsets": _offsets(at), "deleted": sorted(set(seg.deleted) | set(replaced)), "meta": meta}

    def fill(folder: Path) -> None:
        link_main(index.generation, folder)
        delta = folder / DELTA_DIR
        delta.mkdir()
        store.save_arrays(delta, arrays)
        if old is None:
            conn = store.create_db(delta / store.DB_NAME)
            with conn:
                store.inherit_dictionary(conn, index.generation / store.DB_NAME)
                store.write_rows(conn, acc, delta_meta, first_new_term=n_terms_before)
            conn.close()
        else:
            store.extend_db(index.generation / DELTA_DIR / store.DB_NAME, delta / store.DB_NAME, acc,
                            delta_meta, n_terms_before)
        for path in delta.iterdir():
            fsync_file(path)
        fsync_dir(delta)
        (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        fsync_dir(folder)

    store.write_generation(index.root, fill)
    return acc.n_sentences - acc.first_sentence


def _extended_arrays(current: dict[str, np.ndarray], acc: Accumulator) -> dict[str, np.ndarray]:
    """The arrays of an index with what `acc` adds appended (postings widened to new terms)."""
    n_terms = len(acc.vocab)
    old = {k: np.asarray(v) for k, v in current.items()}
    new = acc.sentence_arrays()
    arrays = {name: np.concatenate([old[name], new[name]])
              for name in ("sent_article", "sent_para", "sent_len", "sent_hash", "title_len", "article_day")}
    s = Postings(old["s_ptr"], old["s_docs"], old["s_tfs"]).widened(n_terms).extended(*acc.triples("s"), n_terms)
    t = Postings(old["t_ptr"], old["t_docs"], old["t_tfs"]).widened(n_terms).extended(*acc.triples("t"), n_terms)
    p, para_len = paragraph_field(s, arrays["sent_para"], arrays["sent_len"], acc.n_paragraphs)
    arrays.update(para_len=para_len, s_ptr=s.ptr, s_docs=s.docs, s_tfs=s.tfs,
                  p_ptr=p.ptr, p_docs=p.docs, p_tfs=p.tfs, t_ptr=t.ptr, t_docs=t.docs, t_tfs=t.tfs)
    return arrays


def link_main(source: Path, folder: Path) -> None:
    """The main segment's files of generation `source` in `folder`, as hard links (copies where the
    file system has none)."""
    for path in source.iterdir():
        if path.is_file() and path.name != MANIFEST:
            try:
                os.link(path, folder / path.name)
            except OSError:
                shutil.copy2(path, folder / path.name)


def _offsets(at: Offsets) -> dict:
    return {"articles": at.articles, "sentences": at.sentences, "paragraphs": at.paragraphs, "terms": at.terms}


def _counts(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {code: a.get(code, 0) + b.get(code, 0) for code in sorted(set(a) | set(b))}


# ----- loading -----------------------------------------------------------------------------------------
def load(cls: type, generation: Path, root: Path, params: RankingParams,
         previous: "SearchIndex | None", runtime: "RuntimeSettings | None" = None) -> "SearchIndex":
    """The index of a generation with a delta; its main segment taken from `previous` when the same."""
    manifest = read_manifest(generation)
    key = main_key(generation)
    prev: Segments | None = getattr(previous, "segments", None)
    main = prev.main if prev is not None and prev.key == key else cls.load_plain(generation, root, params, runtime)
    at: Offsets = manifest["offsets"]
    folder = generation / DELTA_DIR
    delta_texts = TextStore(folder)
    texts = None
    try:
        arrays = store.load_arrays(folder)
        extra = delta_texts.vocabulary()
        vocab = JoinedVocab(main.vocab, extra)
        delta_ranker = frozen_ranker(arrays, main.ranker, len(vocab), params)
        deleted = np.asarray(manifest["deleted"], np.int64)
        ranker = SegmentRanker(main.ranker, delta_ranker, at, deleted)
        texts = SegmentTexts(TextStore(generation), delta_texts, at, manifest["meta"], main._article_langs)
        index = cls(main.config, generation, manifest["meta"], SegmentArrays(ranker), vocab, texts, params,
                    ranker=ranker)
    except BaseException:
        (texts or delta_texts).close()
        raise
    index.segments = Segments(main, key, arrays, at, tuple(manifest["deleted"]), extra)
    index._news_facts = segment_facts(main, texts, delta_ranker, ranker)
    index.speller = segment_speller(index, main, texts)
    _warm(delta_ranker, params)
    return index


def segment_speller(index: "SearchIndex", main: "SearchIndex", texts: SegmentTexts) -> spelling.Speller:
    """The index's speller: its lexicon the main's (shared, as `segment_facts`) joined with the delta's."""
    shared = main.speller
    shared.read_through(texts.main.words)
    delta_words = texts.delta.words
    return spelling.Speller(index.vocab, index.analyzer, texts.words, index.params.typo, index.params.typo_expansions,
                            lambda: spelling.JoinedLexicon(shared.lexicon, spelling.Lexicon(delta_words())))


def segment_facts(main: "SearchIndex", texts: SegmentTexts, delta_ranker: Ranker,
                  ranker: SegmentRanker) -> SegmentFacts:
    """The index's sources and speakers: the main's (shared with every generation on the same main, so
    an add reads only the delta's rows) beside the delta's."""
    shared = news.facts(main)
    main_store = texts.main
    shared.read_through(lambda: main_store.db)    # the generation that made them may be closed by now
    delta_store = texts.delta
    return SegmentFacts(shared, news.NewsFacts(lambda: delta_store.db, delta_ranker), texts.at, ranker)


def frozen_ranker(arrays: dict[str, np.ndarray], main: Ranker, n_terms: int, params: RankingParams) -> Ranker:
    """The delta's `Ranker`, its fields scored with the main's statistics (`FrozenField`)."""
    fields = {}
    for prefix, lengths, main_field in (("s", "sent_len", main.sentences), ("p", "para_len", main.paragraphs),
                                        ("t", "title_len", main.titles)):
        postings = Postings(arrays[f"{prefix}_ptr"], arrays[f"{prefix}_docs"], arrays[f"{prefix}_tfs"])
        if postings.n_terms != n_terms:
            raise store.IndexCorrupt(f"delta postings {prefix} cover {postings.n_terms} terms, not {n_terms}")
        fields[prefix] = FrozenField(postings, np.asarray(arrays[lengths]), params.bm25, main_field)
    return Ranker(fields["s"], fields["p"], fields["t"], arrays["sent_para"], arrays["sent_article"],
                  arrays["sent_hash"], params, article_day=np.asarray(arrays["article_day"]))


def _warm(ranker: Ranker, params: RankingParams) -> None:
    ranker.duplicates  # noqa: B018 (cached properties: the delta is small)
    ranker.warm()


class SegmentArrays:
    """The per-sentence arrays the engine reads by name (``arrays["sent_article"]``), global."""

    def __init__(self, ranker: SegmentRanker) -> None:
        self.ranker = ranker

    def __getitem__(self, name: str) -> np.ndarray:
        if name in ("sent_article", "sent_para", "article_day"):
            return getattr(self.ranker, name)
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return name in ("sent_article", "sent_para", "article_day")


# ----- merging -----------------------------------------------------------------------------------------
def merge(index: "SearchIndex") -> bool:
    """Write one plain generation holding both segments and switch to it (False: no delta)."""
    if index.segments is None or index.segments.delta is None:
        return False
    store.write_generation(index.root, lambda folder: merge_into(index, folder))
    return True


def merge_into(index: "SearchIndex", folder: Path) -> None:
    """The merged main segment of `index` (both segments in one) written into `folder`, fsynced."""
    seg: Segments = index.segments
    assert seg.delta is not None and seg.at is not None
    folder.mkdir(exist_ok=True)
    units, dead = merged_units(seg.main.arrays, seg.delta, seg.at, np.asarray(seg.deleted, np.int64))
    store.save_arrays(folder, units, names=UNIT_ARRAYS)
    chunk = chunk_postings(current_runtime().build_memory_mb)
    main, delta = seg.main.arrays, seg.delta
    for prefix, shift in (("s", seg.at.sentences), ("p", seg.at.paragraphs), ("t", seg.at.articles)):
        write_merged(folder, prefix, Postings(main[f"{prefix}_ptr"], main[f"{prefix}_docs"], main[f"{prefix}_tfs"]),
                     Postings(delta[f"{prefix}_ptr"], delta[f"{prefix}_docs"], delta[f"{prefix}_tfs"]),
                     (shift, len(index.vocab), dead[prefix] if len(seg.deleted) else None), chunk)
    merge_db(index.generation / store.DB_NAME, index.generation / DELTA_DIR / store.DB_NAME,
             folder / store.DB_NAME, seg.at, dict(index.meta, merged_at=time.time()))
    for path in folder.iterdir():
        fsync_file(path)
    fsync_dir(folder)


def adopt(cls: type, current: "SearchIndex", snapshot: "SearchIndex", folder: Path, merged: "SearchIndex",
          params: RankingParams) -> "SearchIndex | None":
    """Serve the merge of `snapshot` (its main written to `folder` and loaded as `merged`) under what
    `current` added since: a new generation of the merged main's files (linked) and, when articles
    came after the snapshot, a delta of just those (renumbered from 0; global ids unchanged, so the
    tombstones carry over). None when `current` has another main (a rebuild came in between)."""
    now: Segments = current.segments
    then: Segments = snapshot.segments
    if now is None or then is None or now.key != then.key or now.delta is None or then.at is None:
        return None
    a0, s0, p0 = len(then.delta["title_len"]), len(then.delta["sent_article"]), len(then.delta["para_len"])
    at = Offsets(then.at.articles + a0, then.at.sentences + s0, then.at.paragraphs + p0, len(snapshot.vocab))
    tail = len(now.delta["sent_article"]) > s0 or len(now.delta["title_len"]) > a0

    def fill(target: Path) -> None:
        link_main(folder, target)
        if tail:
            write_tail(current, target / DELTA_DIR, (a0, s0, p0), at)
            (target / MANIFEST).write_text(json.dumps({"offsets": _offsets(at), "deleted": list(now.deleted),
                                                       "meta": current.meta}), encoding="utf-8")
        fsync_dir(target)

    generation = store.write_generation(current.root, fill)
    key = main_key(generation)
    if tail:
        return load(cls, generation, current.root, params, _Previous(Segments(merged, key)))
    index = cls(merged.config, generation, merged.meta, merged.arrays, merged.vocab, TextStore(generation),
                params, ranker=merged.ranker)
    index.segments = Segments(index, key)
    return index


@dataclass
class _Previous:
    """What `load` reads of a previous index: its segments."""

    segments: Segments


def write_tail(current: "SearchIndex", folder: Path, cut: tuple[int, int, int], at: Offsets) -> None:
    """The articles of `current`'s delta from local article `cut[0]` on (sentences `cut[1]`,
    paragraphs `cut[2]`) as a delta of their own, numbered from 0."""
    a0, s0, p0 = cut
    d = current.segments.delta
    arrays = {"sent_article": np.asarray(d["sent_article"][s0:]) - a0, "sent_para": np.asarray(d["sent_para"][s0:]) - p0,
              "sent_len": d["sent_len"][s0:], "sent_hash": d["sent_hash"][s0:], "para_len": d["para_len"][p0:],
              "title_len": d["title_len"][a0:], "article_day": d["article_day"][a0:]}
    for prefix, first in (("s", s0), ("p", p0), ("t", a0)):
        p = Postings(d[f"{prefix}_ptr"], d[f"{prefix}_docs"], d[f"{prefix}_tfs"])
        kept = _without(p, np.arange(int(p.docs.max()) + 1 if len(p.docs) else 0) < first)
        arrays.update({f"{prefix}_ptr": kept.ptr, f"{prefix}_docs": kept.docs - first, f"{prefix}_tfs": kept.tfs})
    folder.mkdir()
    store.save_arrays(folder, arrays)
    tail_db(current.generation / DELTA_DIR / store.DB_NAME, folder / store.DB_NAME, cut, at.terms,
            dict(current.meta, articles=len(arrays["title_len"]), sentences=len(arrays["sent_article"])))
    for path in folder.iterdir():
        fsync_file(path)
    fsync_dir(folder)


def tail_db(source: Path, path: Path, cut: tuple[int, int, int], first_term: int, meta: dict) -> None:
    """The rows of the delta database `source` from `cut` on, renumbered from 0 (`write_tail`)."""
    from collections import Counter

    from .spelling import letter_runs
    a0, s0, _ = cut
    conn = store.create_db(path)
    try:
        conn.execute("ATTACH DATABASE ? AS old", (f"file:{source}?mode=ro",))
        with conn:
            conn.execute("INSERT INTO main.text_dict SELECT * FROM old.text_dict")
            conn.execute(f"INSERT INTO main.articles SELECT id - {a0}, ext_id, title, path, url, published, source, "
                         f"body_start, text, lang, hash FROM old.articles WHERE id >= {a0}")
            conn.execute(f'INSERT INTO main.sentences SELECT id - {s0}, article - {a0}, paragraph, idx, '
                         f'start, "end", section FROM old.sentences WHERE id >= {s0}')
            conn.execute(f"INSERT INTO main.speakers SELECT sentence - {s0}, name FROM old.speakers "
                         f"WHERE sentence >= {s0}")
            conn.execute(f"INSERT INTO main.terms SELECT id, term FROM old.terms WHERE id >= {first_term}")
            words: Counter[str] = Counter()
            text_packing.register(conn)
            for title, text in conn.execute("SELECT title, article_text(text) FROM main.articles").fetchall():
                words.update(letter_runs(title + "\n" + text))
            store.write_words(conn, words)
            store.write_meta(conn, meta)
        conn.execute("DETACH DATABASE old")
    finally:
        conn.close()


UNIT_ARRAYS = ("sent_article", "sent_para", "sent_len", "sent_hash", "para_len", "title_len", "article_day")


def merged_units(main: dict, delta: dict, at: Offsets, deleted: np.ndarray) -> tuple[dict, dict[str, np.ndarray]]:
    """The per-unit arrays of one segment holding the main's and the delta's units (the delta's ids
    shifted), and which sentences, paragraphs and titles (``s``, ``p``, ``t``) belong to the
    `deleted` articles (their postings are left out: `postings_merge.write_merged`)."""
    shifts = {"sent_article": at.articles, "sent_para": at.paragraphs}
    out = {name: np.concatenate([np.asarray(main[name]), np.asarray(delta[name]) + shifts.get(name, 0)])
           for name in UNIT_ARRAYS}
    dead_article = np.zeros(len(out["title_len"]), bool)
    dead_article[deleted] = True
    dead_sentence = dead_article[out["sent_article"]]
    dead_para = np.zeros(len(out["para_len"]), bool)
    dead_para[out["sent_para"][dead_sentence]] = True
    return out, {"s": dead_sentence, "p": dead_para, "t": dead_article}


def _without(p: Postings, dead: np.ndarray) -> Postings:
    """`p` without the postings of the `dead` documents."""
    keep = ~dead[p.docs]
    counts = np.bincount(p.term_of_posting()[keep], minlength=p.n_terms)
    ptr = np.zeros(p.n_terms + 1, np.int64)
    np.cumsum(counts, out=ptr[1:])
    return Postings(ptr, p.docs[keep], p.tfs[keep])


def merge_db(main_db: Path, delta_db: Path, path: Path, at: Offsets, meta: dict) -> None:
    """A copy of the main's database with the delta's rows appended (ids shifted) and `meta`."""
    src = sqlite3.connect(f"file:{main_db}?mode=ro", uri=True)
    dst = sqlite3.connect(path)
    try:
        src.backup(dst)
        dst.execute("ATTACH DATABASE ? AS delta", (f"file:{delta_db}?mode=ro",))
        a, s = at.articles, at.sentences
        if text_packing.read_dictionary(dst, "delta") not in (None, text_packing.read_dictionary(dst)):
            raise store.IndexCorrupt("the delta segment's texts were packed with another dictionary")
        with dst:
            dst.execute(f"INSERT INTO main.articles SELECT id + {a}, ext_id, title, path, url, published, source, "
                        "body_start, text, lang, hash FROM delta.articles")
            # (`paragraph` is the paragraph's number in its article: it moves with nothing)
            dst.execute(f'INSERT INTO main.sentences SELECT id + {s}, article + {a}, paragraph, idx, start, '
                        '"end", section FROM delta.sentences')
            dst.execute(f"INSERT INTO main.speakers SELECT sentence + {s}, name FROM delta.speakers")
            dst.execute("INSERT INTO main.terms SELECT id, term FROM delta.terms")
            dst.execute(store.WORDS_SCHEMA)
            dst.execute("INSERT INTO main.words SELECT word, freq FROM delta.words WHERE true "
                        "ON CONFLICT(word) DO UPDATE SET freq = freq + excluded.freq")
            store.write_meta(dst, meta)
        dst.execute("DETACH DATABASE delta")
    finally:
        src.close()
        dst.close()


def indexed_ids(index: "SearchIndex", articles: list[Article]) -> set[int]:
    """Global ids of the served (not tombstoned) articles that are `articles`: the same body text
    (`text_hash`, an indexed column: no scan at any size) and the same path or id."""
    from .segments import articles_with_hash
    dead = set(index.segments.deleted) if index.segments is not None else set()
    found: set[int] = set()
    for article in articles:
        for aid, ext_id, path in articles_with_hash(index.texts, text_hash(article.text[article.body_start:])):
            if aid not in dead and (path == article.path or ext_id == article.id):
                found.add(aid)
    return found
