"""A page's hits as the text store reads them: each field equals what the article and the index say.

`make_hits` reads a page in one query (`TextStore.page`: the sentence, its neighbours in the
paragraph, its article) and builds the records with `hits.slot_setter`; these tests hold each
field against an independent reading (the article text, `SearchIndex.context`, the analyzer's
own tokens), so a faster path can never quote, place or highlight differently.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from index.engine import SearchIndex
from index.hits import ArticleRef, Hit, new_article_ref, new_hit

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
QUESTIONS = ["what did Lavrov say about mediation", "Belarus opposition", "plane", "minister said",
             "Lukashenko step down", "talks"]


def _corpus(root: Path) -> Path:
    one = "Alpha beta gamma. Delta beta epsilon. Zeta eta.\n\nTheta beta iota. Kappa lambda.\n"
    two = "Untitled opening words here. Beta again beta.\n"
    (root / "a.md").write_text("# First\n\n" + one, encoding="utf-8")
    (root / "b.txt").write_text(two, encoding="utf-8")
    (root / "c.txt").write_text("Theta beta iota.\n", encoding="utf-8")  # a duplicate of a's sentence
    return root


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> list[SearchIndex]:
    seed, _ = SearchIndex.build(SEEDS, tmp_path_factory.mktemp("seed") / "idx")
    small, _ = SearchIndex.build(_corpus(tmp_path_factory.mktemp("corpus")), tmp_path_factory.mktemp("small") / "idx")
    yield [seed, small]
    seed.close()
    small.close()


def _expected_neighbours(index: SearchIndex, hit: Hit) -> tuple[str | None, str | None]:
    around = dict(index.context(hit.sentence_id, 1))
    return around.get(hit.sentence_id - 1), around.get(hit.sentence_id + 1)


@pytest.mark.parametrize("question", QUESTIONS + ["beta", "theta iota", "untitled opening"])
def test_every_field_of_a_page_equals_an_independent_reading(indexes: list[SearchIndex], question: str) -> None:
    for index in indexes:
        for hit in index.search(question, k=10).hits:
            article_text = index.db.execute("SELECT article_text(text) FROM articles WHERE ext_id = ?",
                                            (hit.article.id,)).fetchone()[0]
            assert article_text[hit.start:hit.end] == hit.text
            assert (hit.before, hit.after) == _expected_neighbours(index, hit)
            terms = set(index.search(question, k=1).terms)
            tokens = index.analyzer.tokens(hit.text)
            assert hit.highlights == tuple((t.start, t.end) for t in tokens if not terms.isdisjoint(t.terms))
            assert hit.article.id not in {ref.id for ref in hit.also_in}
            assert index.sentence(hit.sentence_id) == dataclasses.replace(
                hit, rank=1, score=0.0, highlights=(), also_in=())


def test_a_duplicate_names_its_other_article(indexes: list[SearchIndex]) -> None:
    hits = indexes[1].search("theta iota", k=10).hits
    assert [(h.article.id, [r.id for r in h.also_in]) for h in hits][:1] in ([("a", ["c"])], [("c", ["a"])])


def test_slot_setter_makes_the_same_frozen_records() -> None:
    ref = ArticleRef("id", "", "p.txt", None, "2024-01-02", "src", "opening")
    fast_ref = new_article_ref("id", "", "p.txt", None, "2024-01-02", "src", "opening")
    assert fast_ref == ref and hash(fast_ref) == hash(ref) and repr(fast_ref) == repr(ref)
    values = dict(rank=1, score=0.5, text="t", article=ref, paragraph=0, sentence=1, start=2, end=3,
                  highlights=((0, 1),), section=None, before=None, after="a", sentence_id=7,
                  also_in=(ref,), speaker="S")
    fast = new_hit(**values)
    assert fast == Hit(**values) and fast.to_json() == Hit(**values).to_json()
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.rank = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        new_hit(rank=1)  # every field is required: no silent default
