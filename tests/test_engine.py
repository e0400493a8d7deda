"""The Python API: build, load, search, add articles; hits, de-duplication, queries, persistence."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from index import store
from index.analysis import DEFAULT_ANALYZER
from index.config import IndexConfig
from index.engine import SearchIndex, open_index
from index.service import IndexService
from index.ranking import RankingParams

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    index, report = SearchIndex.build(SEEDS, tmp_path_factory.mktemp("seed") / "idx")
    assert (report.articles, report.sentences, report.skipped) == (1, 12, [])
    return index


def make_corpus(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_hit_fields_quote_the_article_exactly(seed: SearchIndex) -> None:
    result = seed.search("what did Lavrov say about mediation", k=3)
    raw = (SEEDS / "000_57659c863e939540.txt").read_text(encoding="utf-8")
    top = result.hits[0]
    assert "no need for outside mediation" in top.text
    assert raw[top.start:top.end] == top.text
    assert (top.rank, top.paragraph, top.sentence, top.section) == (1, 0, 0, None)
    assert top.article.id == "000_57659c863e939540" and top.article.path == "000_57659c863e939540.txt"
    assert [top.text[s:e] for s, e in top.highlights] == ["Lavrov", "said", "mediation"]
    assert [h.rank for h in result.hits] == [1, 2, 3]
    assert all(a.score >= b.score > 0 for a, b in zip(result.hits, result.hits[1:]))


def test_context_and_section_labels(seed: SearchIndex) -> None:
    hit = seed.search("Lukashenko refused foreign-backed plot", k=1).hits[0]
    assert hit.text.startswith("He has refused")
    assert hit.before == "They have been calling on veteran leader Alexander Lukashenko to step down."
    assert hit.after is None
    plane = seed.search("Tupolev command and control center", k=1).hits[0]
    assert plane.section == "Quick flight"
    assert plane.before is None  # the previous sentence is another paragraph
    assert seed.context(plane.sentence_id) == [(plane.sentence_id, plane.text)]
    assert [t for _, t in seed.context(hit.sentence_id)] == [hit.before, hit.text]


def test_boilerplate_is_never_quoted(seed: SearchIndex) -> None:
    result = seed.search("article continues after ad", k=10)
    assert all("ARTICLE CONTINUES" not in h.text for h in result.hits)


def test_queries_without_searchable_words_return_a_reason(seed: SearchIndex) -> None:
    for query in ["", "   ", "what is the", "?!…", "🙂🙂", "<b></b>", "\x00\x07", "zzzqqq"]:
        result = seed.search(query)
        assert result.hits == () and result.message, query


def test_phrase_and_exclusion(seed: SearchIndex) -> None:
    assert len(seed.search('"early hours of Wednesday"', k=10).hits) == 2
    morning = seed.search('"Wednesday morning"', k=10).hits
    assert [h.text.startswith("Tracking data showed") for h in morning] == [True]
    # issue 12: a phrase no sentence has is searched as its words, with a note
    loose = seed.search('"Wednesday Moscow"', k=10)
    assert loose.hits and loose.message == "No sentence has the exact phrase; these have its words."
    assert all("Wednesday" in h.text or "Moscow" in h.text for h in loose.hits)
    assert seed.search('"zzzqqq xxyyzz"', k=10).hits == ()
    with_ex = seed.search("Moscow -Tupolev", k=10).hits
    assert with_ex and all("Tupolev" not in h.text for h in with_ex)
    assert any("Tupolev" in h.text for h in seed.search("Moscow", k=10).hits)
    assert seed.search("Moscow -Moscow").hits == ()
    assert seed.search("Tupolev -Moscow").message == "Every matching sentence contains an excluded word."


def test_paging_is_consistent(seed: SearchIndex) -> None:
    everything = seed.search("Belarus Russia crisis", k=50)
    paged = [h for off in range(0, everything.total, 2) for h in seed.search("Belarus Russia crisis", k=2, offset=off).hits]
    assert [h.sentence_id for h in paged] == [h.sentence_id for h in everything.hits]
    assert [h.rank for h in paged] == list(range(1, everything.total + 1))
    past = seed.search("Belarus Russia crisis", k=2, offset=everything.total)
    assert past.hits == () and past.message == "No more results."


def test_identical_sentences_come_back_once_with_their_sources(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", {
        "a.txt": "The talks failed in Minsk. Officials left early.\n",
        "b.txt": "Other news today. The talks failed in Minsk.\n",
    })
    index, _ = SearchIndex.build(corpus, tmp_path / "i")
    hits = index.search("talks failed Minsk", k=5).hits
    assert len(hits) == 1 and index.search("talks failed Minsk").total == 1
    # the context (paragraph, title) decides which copy is quoted; the other is listed
    assert {hits[0].article.id, *(r.id for r in hits[0].also_in)} == {"a", "b"}
    # with equal scores (no context), the first copy in corpus order is quoted
    plain = SearchIndex.load(tmp_path / "i", RankingParams(neighbour=0.0, paragraph=0.0, title=0.0))
    hits = plain.search("talks failed Minsk", k=5).hits
    assert hits[0].article.id == "a" and [r.id for r in hits[0].also_in] == ["b"]


def test_ties_break_by_corpus_order_then_position(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", {"b.txt": "Zebra one.\n\nZebra two.\n", "a.txt": "Zebra three.\n"})
    index, _ = SearchIndex.build(corpus, tmp_path / "i")
    assert [h.text for h in index.search("zebra", k=5).hits] == ["Zebra three.", "Zebra one.", "Zebra two."]


def test_added_articles_are_searchable_and_equal_a_full_rebuild(tmp_path: Path) -> None:
    files = {"a.txt": "Lavrov met Lukashenko in Minsk on Monday.\n\nThe meeting was short.\n",
             "b.md": "---\ntitle: Sanctions\n---\nThe EU agreed new sanctions against Minsk officials.\n"}
    corpus = make_corpus(tmp_path / "c", {"a.txt": files["a.txt"]})
    index, _ = SearchIndex.build(corpus, tmp_path / "i1")
    make_corpus(corpus, {"b.md": files["b.md"]})
    from index.corpus import parse_text
    added, sentences = index.add_articles([parse_text(files["b.md"], "b.md")], corpus)
    assert sentences == 1
    full, _ = SearchIndex.build(corpus, tmp_path / "i2")
    merged = added.merged()        # the delta segment scores with the main's statistics until merged
    for query in ["Minsk sanctions", "Lavrov meeting", "EU officials Minsk"]:
        a, b, m = added.search(query, k=10), full.search(query, k=10), merged.search(query, k=10)
        assert {(h.text, h.article.id) for h in a.hits} == {(h.text, h.article.id) for h in b.hits}
        assert [(h.text, h.article.id) for h in m.hits] == [(h.text, h.article.id) for h in b.hits]
        np.testing.assert_allclose([h.score for h in m.hits], [h.score for h in b.hits], rtol=1e-6)
    assert added.stale_reason(corpus) is None and merged.stale_reason(corpus) is None
    # the addition is persisted: a fresh load sees it
    assert SearchIndex.load(tmp_path / "i1").search("sanctions").hits[0].article.title == "Sanctions"


def test_analyzer_version_mismatch_forces_rebuild(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = make_corpus(tmp_path / "c", {"a.txt": "Cats purr.\n"})
    SearchIndex.build(corpus, tmp_path / "i")
    monkeypatch.setattr(type(DEFAULT_ANALYZER), "version", property(lambda self: "other"), raising=False)
    with pytest.raises(store.IndexCorrupt, match="analyzer"):
        SearchIndex.load(tmp_path / "i")
    messages: list[str] = []
    index = open_index(corpus, tmp_path / "i", log=messages.append)
    assert index.search("cats").hits and "unusable" in messages[0]


@pytest.mark.parametrize("damage", ["truncate_array", "garbage_db", "bad_pointer", "missing_array", "foreign"])
def test_corrupt_index_is_detected_and_rebuilt(tmp_path: Path, damage: str) -> None:
    corpus = make_corpus(tmp_path / "c", {"a.txt": "Cats purr loudly.\n"})
    root = tmp_path / "i"
    SearchIndex.build(corpus, root)
    gen = store.current_generation(root)
    if damage == "truncate_array":
        path = gen / "s_docs.npy"
        path.write_bytes(path.read_bytes()[:20])
    elif damage == "garbage_db":
        (gen / store.DB_NAME).write_bytes(b"this is not sqlite" * 100)
    elif damage == "bad_pointer":
        (root / "CURRENT").write_text("../../etc")
    elif damage == "missing_array":
        (gen / "p_ptr.npy").unlink()
    else:
        shutil.rmtree(root)
        root.mkdir()
        (root / "CURRENT").write_text("gen-x")
        (root / "gen-x").mkdir()
        (root / "gen-x" / store.DB_NAME).write_text("hello")
    with pytest.raises(store.IndexCorrupt):
        SearchIndex.load(root)
    messages: list[str] = []
    index = open_index(corpus, root, log=messages.append)
    assert index.search("cats purr").hits and "unusable" in messages[0]


def test_build_writes_aside_and_sweeps_stale_generations(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", {"a.txt": "Cats purr.\n"})
    root = tmp_path / "i"
    SearchIndex.build(corpus, root)
    (root / ".tmp-crashed").mkdir()
    first = store.current_generation(root)
    SearchIndex.build(corpus, root)
    second = store.current_generation(root)
    assert first != second and not first.exists() and not (root / ".tmp-crashed").exists()


def test_no_pickle_anywhere(seed: SearchIndex) -> None:
    for path in seed.generation.glob("*.npy"):
        np.load(path, allow_pickle=False)
    assert not list(seed.generation.glob("*.pkl")) and not list(seed.generation.glob("*.pickle"))


def test_example_question_names_a_speaker(seed: SearchIndex) -> None:
    assert seed.example_question() == "What did Lavrov say?"


PROMO = "# one regex per line\n^Promoted by .*$\n"
AD = "Promoted by Acme, the widget people."


def promo_config(tmp_path: Path, patterns: str = PROMO) -> IndexConfig:
    path = tmp_path / "boilerplate.txt"
    path.write_text(patterns, encoding="utf-8")
    return IndexConfig.from_env({"BOILERPLATE_FILE": str(path)})


def test_boilerplate_file_adds_patterns(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", {"a.txt": f"Minsk talks began.\n\n{AD}\n\nAdvertisement\n"})
    index, report = SearchIndex.build(corpus, tmp_path / "i", config=promo_config(tmp_path))
    assert report.sentences == 1
    assert index.search("promoted widget advertisement").hits == ()


def test_uploads_are_split_with_the_boilerplate_the_index_was_built_with(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", {"a.txt": "Minsk talks began.\n"})
    service = IndexService(corpus, tmp_path / "i", config=promo_config(tmp_path))
    service.start()
    added = service.add_upload("promo.txt", f"Talks resumed in Minsk.\n\n{AD}\n".encode())
    assert added.sentences == 1
    assert service.search("promoted widget").hits == ()
    assert service.search("talks resumed").hits[0].text == "Talks resumed in Minsk."
    # a reload (the search processes, the next start) keeps the configuration it was built with
    assert SearchIndex.load(tmp_path / "i").config.boilerplate == service.config.boilerplate


def test_changing_the_boilerplate_makes_the_index_stale(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", {"a.txt": f"Minsk talks began.\n\n{AD}\n"})
    index, _ = SearchIndex.build(corpus, tmp_path / "i")
    assert index.search("promoted widget").hits
    config = promo_config(tmp_path)
    assert index.stale_reason(corpus, IndexConfig()) is None
    assert "boilerplate" in index.stale_reason(corpus, config)
    messages: list[str] = []
    index = open_index(corpus, tmp_path / "i", log=messages.append, config=config)
    assert "stale" in messages[0] and "boilerplate" in messages[0]
    assert index.search("promoted widget").hits == ()
    assert index.stale_reason(corpus, config) is None
    assert "boilerplate" in index.stale_reason(corpus, promo_config(tmp_path, "^Minsk talks.*$\n"))


def test_the_same_upload_text_is_found_whatever_its_spacing_and_case(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "c", {"a.txt": "---\ntitle: Talks\n---\nMinsk talks began.\n\nThey ended.\n"})
    index, _ = SearchIndex.build(corpus, tmp_path / "i")
    assert index.find_article_texts(["minsk  talks began.\nThey   ended.", "Minsk talks began."]) == ["a", None]
    bodies = [f"Message {n} of an export." for n in range(1200)]       # looked up a few hundred at a time
    bodies[1100] = bodies[7] = "Minsk talks began.\n\nThey ended.\n"
    assert index.find_article_texts(bodies) == [("a" if n in (7, 1100) else None) for n in range(1200)]
