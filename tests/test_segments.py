"""Articles added without a rebuild: the delta segment, its frozen statistics, edits, the merge.

Real parts throughout: indexes built from corpus folders, the CLI as a subprocess, the service's
write lock and search threads, kill -9 of a merging process."""
from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

import numpy as np
import pytest

from index import bm25, delta, store
from index.corpus import parse_text
from index.delta import DELTA_DIR, MANIFEST
from index.engine import SearchIndex
from index.ingest import UPLOAD_DIR
from index.merging import MergeRaced, merge_in_child, publish
from index.service import IndexService

REPO = Path(__file__).resolve().parents[1]
WORDS = ("minsk moscow lavrov talks sanctions protest election plane flight crisis ally vote harbour "
         "ferry council mayor budget strike court ruling minister").split()
QUERIES = ["lavrov talks", "sanctions vote", "harbour ferry strike", "court ruling minister", "election crisis",
           "Quillibrand accord", "zyxquor", "council budget", "what did the mayor say", '"ferry strike"',
           "minister -court", "sort:date talks"]


def make_corpus(root: Path, articles: int, seed: int = 0) -> None:
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for i in range(articles):
        paras = ["\n".join(" ".join(rng.choices(WORDS, k=rng.randint(6, 14))).capitalize() + "."
                           for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(1, 4))]
        day = f"2021-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        (root / f"a{i:04d}.md").write_text(f"---\ntitle: {' '.join(rng.choices(WORDS, k=3))}\n"
                                           f"published: {day}\n---\n" + "\n\n".join(paras) + "\n", encoding="utf-8")


def upload(corpus: Path, name: str, text: str) -> Path:
    """An article file as an upload saves it (the rebuild then reads it too)."""
    path = corpus / UPLOAD_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


ADDED = [("q1.md", "---\ntitle: Quillibrand accord\npublished: 2022-03-01\n---\nZyxquor Vantablem met the "
          "Quillibrand council on Tuesday.\n\nThe council said the zyxquor accord would end the ferry strike.\n"),
         ("q2.md", "---\ntitle: Harbour budget\n---\nThe mayor said the harbour budget vote was a crisis for "
          "Minsk.\nLavrov talks were not mentioned.\n"),
         ("q3.md", "---\ntitle: Court ruling\n---\nThe court ruling on the election came late.\n")]


def add_all(index: SearchIndex, corpus: Path, items=ADDED) -> SearchIndex:
    for name, text in items:
        path = upload(corpus, name, text)
        index, _ = index.add_articles([parse_text(text, path.relative_to(corpus).as_posix())], corpus)
    return index


def where(index: SearchIndex, query: str) -> list[tuple]:
    """Each hit's place in its article, its neighbours and its speaker, as a reply shows them."""
    return [(h.sentence_id, h.article.path, h.paragraph, h.sentence, h.before, h.after, h.speaker)
            for h in index.search(query, k=20).hits]


def uploaded_places(index: SearchIndex, query: str) -> dict[str, tuple]:
    """`where` of the uploaded articles' hits, by text (a delta's scores drift from a rebuild's, so
    its ranks and ids may differ; the places may not)."""
    return {h.text: (h.article.path, h.paragraph, h.sentence, h.before, h.after, h.speaker)
            for h in index.search(query, k=50).hits if h.article.path.startswith("uploads/")}


def page(index: SearchIndex, query: str, k: int = 20, offset: int = 0) -> list[tuple[int, float, str]]:
    return [(h.sentence_id, h.score, h.text) for h in index.search(query, k=k, offset=offset).hits]


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Path, SearchIndex]:
    corpus, root = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 60)
    index, _ = SearchIndex.build(corpus, root)
    return corpus, root, index


def test_an_add_writes_only_the_delta_and_never_changes_a_main_score(built) -> None:
    corpus, root, index = built
    before = {q: page(index, q) for q in QUERIES}
    main_files = {p.name: p.stat().st_ino for p in index.generation.iterdir()}
    new = add_all(index, corpus)
    assert new.delta_sentences == 5 and new.meta["sentences"] == index.meta["sentences"] + 5
    # the main's files are the same inodes (hard links), the delta sits beside them
    assert {p.name: p.stat().st_ino for p in new.generation.iterdir() if p.is_file() and p.name != MANIFEST} \
        == main_files
    assert (new.generation / DELTA_DIR / store.DB_NAME).exists()
    n_main = index.meta["sentences"]
    for q in QUERIES:
        main_hits = [h for h in page(new, q, k=50) if h[0] < n_main]
        old = page(index, q, k=50)
        assert main_hits == old[:len(main_hits)], q            # frozen statistics: main scores unchanged
    assert before == {q: page(index, q) for q in QUERIES}      # the old index still serves as it was
    top = new.search("what did Vantablem say about the zyxquor accord", k=3).hits
    assert top and top[0].article.path == "uploads/q1.md"
    assert new.search("Quillibrand").total == 1 and new.search("zyxquor").total == 2


def test_delta_weights_use_the_main_statistics(built) -> None:
    corpus, _, index = built
    new = add_all(index, corpus)
    main, delta = new.ranker.main, new.ranker.delta
    for name in ("sentences", "paragraphs", "titles"):
        m, d = getattr(main, name), getattr(delta, name)
        assert d.avgdl == m.avgdl
        known = m.postings.n_terms
        np.testing.assert_array_equal(d.idf[:known], m.idf)
        fresh = np.flatnonzero(d.postings.df()[known:] > 0) + known      # terms only the delta has
        assert len(fresh) or name == "titles"
        np.testing.assert_array_equal(d.idf[fresh], bm25.idf(d.postings.df()[fresh], m.n_docs, m.params))
        tfs = d.postings.tfs
        terms = d.postings.term_of_posting()
        expect = bm25.weights(tfs, d.doc_len[d.postings.docs], m.avgdl, d.idf[terms], m.params)
        np.testing.assert_allclose(d.weights, expect.astype(np.float32), rtol=1e-6)


def test_merge_gives_the_pages_of_a_rebuild(built, tmp_path: Path) -> None:
    corpus, root, index = built
    new = add_all(index, corpus)
    merged = new.merged()
    assert merged is not None and merged.delta_sentences == 0
    assert not (merged.generation / MANIFEST).exists()
    rebuilt, _ = SearchIndex.build(corpus, tmp_path / "rebuilt")
    for q in QUERIES:
        for offset in (0, 3):
            assert page(merged, q, k=5, offset=offset) == page(rebuilt, q, k=5, offset=offset), q
            assert merged.search(q).total == rebuilt.search(q).total
            assert where(merged, q) == where(rebuilt, q), q     # what a hit says of its place
    assert SearchIndex.load(root).search("zyxquor").total == 2           # what a restart serves


def test_segmented_pages_hold_what_the_merged_index_holds(built) -> None:
    """Every kind of question over two segments: the same matches and totals as one segment (only
    the scores of the delta's sentences differ, by the frozen statistics)."""
    corpus, _, index = built
    new = add_all(index, corpus)
    questions = QUERIES + ["after:2022 zyxquor", "before:2022 council", "talks source:nowhere",
                           "latest ferry", "what did Lavrov say"]
    seen = {q: (new.search(q, k=50).total, {h.text for h in new.search(q, k=50).hits}) for q in questions}
    places = {q: uploaded_places(new, q) for q in questions}
    merged = new.merged()
    for q in questions:
        total, texts = merged.search(q, k=50).total, {h.text for h in merged.search(q, k=50).hits}
        assert seen[q][0] == total, q
        assert places[q] == uploaded_places(merged, q), q    # a delta hit's paragraph is the one in its article
        if total <= 50:                          # all of them on one page: the same sentences
            assert seen[q][1] == texts, q
    paged = [h.text for n in range(4) for h in new.search("talks", k=3, offset=3 * n).hits]
    assert paged == [h.text for h in new.search("talks", k=12).hits]   # pages of a merged ranking


BOILERPLATE = "The Quorvane bulletin reported heavy ferry traffic."
QUOTE = '"We will reopen the ferry line," said Dalibor Vesk, the harbour chief.'
TWINNED = [("t1.md", f"---\ntitle: Ferry talks\npublished: 2023-02-01\n---\nThe ferry talks resumed in Minsk.\n"
            f"{BOILERPLATE}\n\n{BOILERPLATE}\n\n{QUOTE}\n"),
           ("t2.md", f"---\ntitle: Strike vote\n---\nThe strike vote was a crisis.\n{BOILERPLATE}\n")]


def test_a_text_in_both_segments_counts_once_in_every_total(tmp_path: Path) -> None:
    """Uploads repeating a main sentence (a newsletter line, a quoted paragraph): each total counts the
    text once, as the merged index does, through the compiled path, the numpy path (phrases), the
    filters and the exclusions; the main's copy in a tombstoned article no longer counts."""
    corpus, root = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 30)
    for i in range(3):                                         # the line in three main articles
        (corpus / f"b{i}.md").write_text(f"---\ntitle: Bulletin {i}\npublished: 2021-0{i + 1}-05\n---\n"
                                         f"Harbour ferry strike day {i}.\n{BOILERPLATE}\n\n{QUOTE}\n", encoding="utf-8")
    index, _ = SearchIndex.build(corpus, root)
    main_text = index.search("harbour ferry strike day 1", k=1).hits[0].text
    new = add_all(index, corpus, TWINNED + [("t3.md", f"---\ntitle: Again\n---\n{main_text}\n")])
    assert new.ranker.twins                                    # the delta holds main texts
    questions = ["Quorvane bulletin", "ferry news", '"Quorvane bulletin"', "bulletin ferry -strike",
                 "after:2022 Quorvane", "before:2022 Quorvane", "harbour ferry strike day", "heavy traffic",
                 '"harbour ferry strike"', "ferry talks Minsk", "latest Quorvane", "what did Dalibor Vesk say about the ferry",
                 "what did Vesk say"]
    shutil.copytree(root, tmp_path / "copy")                  # merged aside: `new` stays to be edited
    merged = SearchIndex.load(tmp_path / "copy").merged()
    for q in questions:
        for k in (1, 50):
            assert new.search(q, k=k).total == merged.search(q, k=k).total, (q, k)
    new.ranker.delta.tables.__dict__["positive"] = False     # the delta twins' candidacy by its numpy path
    for q in questions:
        assert new.search(q, k=10).total == merged.search(q, k=10).total, q
    del new.ranker.delta.tables.__dict__["positive"]
    assert new.search("Quorvane bulletin").total == 1          # one text, in three main and three delta places
    said = new.search("what did Vesk say")
    assert said.total == 1 and said.hits[0].speaker == "Dalibor Vesk"   # a speaker's first tier too
    b1 = corpus / "b1.md"                                      # a main article edited: its copy is tombstoned
    old_ids = delta.indexed_ids(new, [parse_text(b1.read_text(encoding="utf-8"), "b1.md")])
    assert len(old_ids) == 1
    b1.write_text("---\ntitle: Bulletin 1\n---\nNothing of the bulletin now.\n", encoding="utf-8")
    edited, _ = new.add_articles([parse_text(b1.read_text(encoding="utf-8"), "b1.md")], corpus, old_ids)
    assert edited.search("harbour ferry strike day 1", k=1).hits[0].article.path == "uploads/t3.md"
    again = edited.merged()
    for q in ("harbour ferry strike day", '"harbour ferry strike"', "Quorvane bulletin"):
        assert edited.search(q, k=50).total == again.search(q, k=50).total, q


def test_an_edited_channel_post_replaces_its_article_without_a_rebuild(tmp_path: Path) -> None:
    corpus, root = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 20)
    service = IndexService(corpus, root)
    service.start()
    post = dict(channel="Daily News", published="2024-05-01T10:00:00", url=None)
    service.save_post(-100123, 7, "The Plumbanite mine closed on Monday.", edited=False, **post)
    assert service.current().search("Plumbanite").total == 1
    generation = service.current().generation
    added = service.save_post(-100123, 7, "The Plumbanite mine reopened on Friday.", edited=True, **post)
    index = service.current()
    assert added.sentences == 1 and index.delta_sentences == 2              # no rebuild: the delta grew
    assert index.generation != generation
    assert [h.text for h in index.search("Plumbanite").hits] == ["The Plumbanite mine reopened on Friday."]
    assert index.search("closed Monday Plumbanite").total == 0 or all(
        "closed" not in h.text for h in index.search("closed Monday Plumbanite").hits)
    again = SearchIndex.load(root)                                           # a restart: tombstone kept
    assert [h.text for h in again.search("Plumbanite").hits] == ["The Plumbanite mine reopened on Friday."]
    assert service.merge() and service.current().delta_sentences == 0
    merged = service.current()
    assert [h.text for h in merged.search("Plumbanite").hits] == ["The Plumbanite mine reopened on Friday."]
    assert merged.search("Plumbanite").total == 1
    service.close()


def test_uploads_through_the_service_and_a_merge_in_the_background(tmp_path: Path) -> None:
    corpus, root = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 40)
    service = IndexService(corpus, root)
    service.start()
    service.merge_sentences = 5
    stop = threading.Event()
    answers: list[int] = []
    errors: list[BaseException] = []

    def ask() -> None:
        while not stop.is_set():
            try:
                answers.append(service.search("lavrov talks", k=5).total)
            except BaseException as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)

    asker = threading.Thread(target=ask)
    asker.start()
    try:
        for name, text in ADDED:
            service.add_upload(name, text.encode())
        deadline = time.monotonic() + 120
        while (service.merging or service.current().delta_sentences) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        asker.join()
    assert not errors and answers and min(answers) > 0
    index = service.current()
    assert index.delta_sentences == 0 and not (index.generation / MANIFEST).exists()   # merged
    assert index.search("zyxquor").total == 2 and index.search("Quillibrand").total == 1
    service.close()


def test_add_and_merge_through_the_cli(tmp_path: Path) -> None:
    corpus, root = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 10)
    (tmp_path / "q1.md").write_text(ADDED[0][1], encoding="utf-8")

    def cli(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "index", *args, "--corpus", str(corpus), "--index", str(root)],
                              cwd=REPO, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    cli("build")
    added = json.loads(cli("add", "--json", str(tmp_path / "q1.md")))
    assert added["sentences"] == 2 and added["saved_as"].endswith("uploads/q1.md")
    found = json.loads(cli("search", "--json", "zyxquor accord"))
    assert found["total"] == 2 and found["hits"][0]["article"]["path"] == "uploads/q1.md"
    stats = cli("stats")
    assert "up to date" in stats                                   # the added file is in the fingerprint
    assert "merged 2 added sentences" in cli("merge")
    assert json.loads(cli("search", "--json", "zyxquor accord"))["total"] == 2
    assert "nothing to merge" in cli("merge")


def test_an_unserved_merge_publishes_the_merge_and_lets_the_loaded_index_go(tmp_path: Path) -> None:
    corpus, root = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 40)
    index, _ = SearchIndex.build(corpus, root)
    add_all(index, corpus).close()
    shutil.copytree(root, tmp_path / "served")
    served = IndexService(corpus, tmp_path / "served", warm=False)
    served.start()
    assert served.merge()                                      # the bot's way: loaded and served
    expected = {q: where(served.current(), q) for q in QUERIES}
    service = IndexService(corpus, root, warm=False)
    loaded = weakref.ref(service.start())
    assert service.current().delta_sentences == 5
    assert service.merge(serve=False)
    assert loaded() is None and not service.ready          # nothing of the unmerged index is kept
    merged = SearchIndex.load(root)
    assert merged.delta_sentences == 0 and not (merged.generation / MANIFEST).exists()
    assert {q: where(merged, q) for q in QUERIES} == expected   # the same pages as the served merge's
    assert not list(root.glob(".tmp-*"))                       # the child's folder is gone


def test_an_unserved_merge_is_dropped_when_another_process_wrote_meanwhile(tmp_path: Path) -> None:
    corpus, root = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 20)
    index, _ = SearchIndex.build(corpus, root)
    index = add_all(index, corpus, ADDED[:1])
    merged_from = index.generation
    folder = root / store.aside_name("merge")
    merge_in_child(root, merged_from, folder)
    later = add_all(index, corpus, ADDED[1:2])                 # another writer, while the child merged
    with pytest.raises(MergeRaced, match="nothing was merged"):
        publish(root, merged_from, folder)
    assert store.current_generation(root) == later.generation  # its add stands
    assert SearchIndex.load(root).search("Minsk mayor harbour budget").hits[0].article.path == "uploads/q2.md"


def test_killed_merges_and_adds_lose_nothing(tmp_path: Path) -> None:
    corpus, root = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 600, seed=3)
    index, _ = SearchIndex.build(corpus, root)
    index = add_all(index, corpus)
    rng = random.Random(5)
    outcomes = {"merged": 0, "unmerged": 0}
    for _ in range(6):
        proc = subprocess.Popen([sys.executable, "-m", "index", "merge", "--corpus", str(corpus), "--index", str(root)],
                                cwd=REPO, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        loaded = SearchIndex.load(root)            # CURRENT names a complete generation: merged or not
        assert loaded.search("zyxquor").total == 2 and loaded.search("Quillibrand").total == 1
        assert loaded.stale_reason(corpus) is None
        outcomes["unmerged" if loaded.delta_sentences else "merged"] += 1
        if not loaded.delta_sentences:               # merged: add again, so the next kill has a delta
            add_all(loaded, corpus, [("q9.md", f"Zorblat item {outcomes['merged']} of the council.\n")])
        loaded.close()
    final = SearchIndex.load(root)
    assert final.search("zyxquor").total == 2
    assert sum(outcomes.values()) == 6


def test_adds_and_edits_during_a_merge_are_kept_in_the_new_delta(tmp_path: Path) -> None:
    corpus, root = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 40)
    service = IndexService(corpus, root)
    service.start()
    post = dict(channel="Daily News", published="2024-05-01T10:00:00", url=None)
    service.save_post(-100123, 7, "The Plumbanite mine closed on Monday.", edited=False, **post)
    service.add_upload(*ADDED[0][0:1], ADDED[0][1].encode())
    merging = threading.Thread(target=service.merge)
    merging.start()
    deadline = time.monotonic() + 120
    while not list(root.glob(".tmp-*-merge-*")) and time.monotonic() < deadline:   # the child is writing
        time.sleep(0.01)
    for name, text in ADDED[1:]:
        service.add_upload(name, text.encode())                  # not held up by the merge
    service.save_post(-100123, 7, "The Plumbanite mine reopened on Friday.", edited=True, **post)
    merging.join()
    index = service.current()
    assert index.delta_sentences == 4                            # q2, q3 and the edit: the new delta
    assert index.ranker.at.sentences == index.meta["sentences"] - 4
    for current in (index, SearchIndex.load(root)):             # served, and after a restart
        assert [h.text for h in current.search("Plumbanite").hits] == ["The Plumbanite mine reopened on Friday."]
        assert current.search("zyxquor").total == 2 and current.search("Minsk mayor harbour budget").hits
        assert current.search("court ruling election late").hits[0].article.path == "uploads/q3.md"
    rebuilt, _ = SearchIndex.build(corpus, tmp_path / "rebuilt")
    for q in ("court ruling election late", "Minsk mayor harbour budget", "Plumbanite"):   # the tail's places too
        assert uploaded_places(index, q) == uploaded_places(rebuilt, q), q
    assert not list(root.glob(".tmp-*"))                         # the merge's folder is gone
    assert service.merge() and service.current().delta_sentences == 0
    assert [h.text for h in service.current().search("Plumbanite").hits] == ["The Plumbanite mine reopened on Friday."]
    service.close()


def test_typos_are_corrected_after_an_add(built) -> None:
    corpus, _, index = built
    assert index.search("sanctoins vote").suggestion or index.search("sanctoins vote").hits
    before = index.search("sanctoins vote", k=5)
    new = add_all(index, corpus)
    after = new.search("sanctoins vote", k=5)
    assert after.total >= before.total > 0 and after.terms == before.terms
    assert new.search("Quillibrand").hits and new.search("Quilibrand").suggestion == "Quillibrand"


NEWS = {"a.md": "---\ntitle: Mediation rejected\npublished: 2020-08-26\nsource: Reuters\n---\nForeign Minister "
                "Sergei Lavrov said there was no need for outside mediation.\n\nCritics attacked Lavrov over talks.\n",
        "b.md": "---\ntitle: Sanctions\npublished: 2021-01-26\nsource: TASS\n---\nUrsula Becker warned that "
                "sanctions would widen.\n\n“Mediation is possible,” said Lavrov.\n"}
NEWS_ADDED = ("---\ntitle: Fresh\npublished: 2024-01-01\nsource: Reuters\n---\n“We are ready for mediation,” "
              "said Anna Kovacs.\n\nLavrov told reporters that mediation by Turkey was welcome.\n")


def test_an_add_reads_only_the_delta_sources_and_speakers(tmp_path: Path) -> None:
    """The speakers and sources of the main segment are read once and shared by the generations
    that add to it: after an add only the delta's rows are read (at 10M the main's are 2.7M
    speaker rows, seconds), and the answers are those of one reading over both databases."""
    from index import news
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in NEWS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    index, _ = SearchIndex.build(corpus, tmp_path / "index")
    questions = ["what did Lavrov say about mediation", "mediation source:Reuters", "what did Anna Kovacs say",
                 "what did Becker say source:TASS"]
    for q in questions:
        index.search(q)
    path = upload(corpus, "fresh.md", NEWS_ADDED)
    new, _ = index.add_articles([parse_text(NEWS_ADDED, path.relative_to(corpus).as_posix())], corpus)
    read: dict[str, list[str]] = {"main": [], "delta": []}
    new.texts.main.db.set_trace_callback(read["main"].append)
    new.texts.db.set_trace_callback(read["main"].append)        # the views over both databases
    new.texts.delta.db.set_trace_callback(read["delta"].append)
    got = {q: [(h.sentence_id, h.score, h.speaker) for h in new.search(q, k=10).hits] for q in questions}
    assert not [s for s in read["main"] if "FROM speakers" in s or "FROM articles WHERE source" in s]
    assert [s for s in read["delta"] if "FROM speakers" in s] and [s for s in read["delta"] if "source" in s]
    assert news.facts(new).main is news.facts(index)
    assert got["what did Anna Kovacs say"][0][2] == "Anna Kovacs"
    assert got["mediation source:Reuters"] and got["what did Lavrov say about mediation"][0][2] == "Lavrov"
    joined = news.NewsFacts(lambda: new.texts.db, new.ranker)     # one reading of both databases
    for name in ("Lavrov", "Sergei Lavrov", "Anna Kovacs", "Kovacs", "Becker", "Nobody"):
        assert news.facts(new).speaker_sentences(name).tolist() == joined.speaker_sentences(name).tolist(), name
    for source in ("Reuters", "tass", "AP"):
        assert news.facts(new).source_mask(source).tolist() == joined.source_mask(source).tolist(), source
    index.close()
    after = SearchIndex.load(tmp_path / "index", previous=new)   # the first generation closed: still read
    assert [(h.sentence_id, h.score) for h in after.search("what did Lavrov say about mediation").hits] == \
        [(s, sc) for s, sc, _ in got["what did Lavrov say about mediation"]]


def test_an_add_reads_only_the_delta_words(built) -> None:
    """The typo lexicon after an add: the main's (read once) joined with the delta's words, the
    same answers as one lexicon of both databases' counts."""
    from index import spelling
    corpus, _, index = built
    lexicon = index.lexicon          # loaded, as a search process warms it
    new = add_all(index, corpus)
    read: list[str] = []
    new.texts.main.db.set_trace_callback(read.append)
    new.texts.db.set_trace_callback(read.append)
    assert new.search("Quilibrand").suggestion == "Quillibrand" and new.search("sanctoins vote").hits
    assert new.lexicon.main is lexicon and not [s for s in read if "words" in s]
    whole = spelling.Lexicon(new.texts.words())
    for word in ("quilibrand", "sanctoins", "zyxqour", "counsil", "mayr", "ferri"):
        assert new.lexicon.near(word, 2) == whole.near(word, 2), word
    assert len(new.lexicon) == len(whole) and dict(new.lexicon.freq) == whole.freq
