"""Dates, sources, date order and speakers through the real index (index/news.py wired in the engine)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from index.engine import SearchIndex, weighted_terms

REPO = Path(__file__).resolve().parents[1]


def article(title: str, published: str | None, source: str | None, body: str) -> str:
    head = ["---", f"title: {title}"]
    if published:
        head.append(f"published: {published}")
    if source:
        head.append(f"source: {source}")
    return "\n".join(head + ["---", body, ""])


CORPUS = {
    "a2020.md": article("Mediation rejected", "2020-08-26", "Reuters",
                        "Foreign Minister Sergei Lavrov said there was no need for outside mediation in Belarus.\n\n"
                        "He further said that the elections could have been held better."),
    "b2021.md": article("Critics and mediation", "26 Jan 2021", "TASS",
                        "Critics attacked Lavrov over mediation talks in Minsk.\n\n"
                        "The mediation offer from Lavrov was discussed by diplomats."),
    "c2022.md": article("Sanctions debate", "June 3, 2022", "Reuters",
                        "Ursula Becker warned that sanctions would widen.\n\n"
                        "She added that mediation was still possible."),
    "d2023.md": article("Mediation again", "2023-06-12T09:30:00Z", "Interfax",
                        "Lavrov told reporters that mediation by Turkey was welcome."),
    "e_undated.md": article("Undated mediation note", None, "Reuters",
                            "Mediation was mentioned in an undated note about Lavrov."),
    "f_baddate.md": article("Bad date mediation", "sometime soon", "Reuters",
                            "Mediation appears in an article whose date nobody can read."),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    corpus = tmp_path_factory.mktemp("news")
    for name, text in CORPUS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    built, report = SearchIndex.build(corpus, tmp_path_factory.mktemp("idx") / "index")
    built.build_report = report
    return built


def weigh(index: SearchIndex, question: str) -> list[tuple[int, float]]:
    from index.query import parse_query
    return weighted_terms(parse_query(question, index.analyzer), {}, index.vocab, index.params.name_boost)


def texts(result) -> list[str]:
    return [h.text for h in result.hits]


def test_published_is_iso_and_unreadable_dates_are_reported(index: SearchIndex) -> None:
    by_path = {h.article.path: h.article.published for h in index.search("mediation", k=20).hits}
    assert by_path["a2020.md"] == "2020-08-26"
    assert by_path["b2021.md"] == "2021-01-26"
    assert by_path["c2022.md"] == "2022-06-03"
    assert by_path["d2023.md"] == "2023-06-12T09:30:00+00:00"
    assert by_path["e_undated.md"] is None and by_path["f_baddate.md"] is None
    reasons = [str(s) for s in index.build_report.skipped]
    assert any("f_baddate.md" in r and "'sometime soon'" in r and "without a date" in r for r in reasons)


def test_date_filter_pages_and_totals_are_exact(index: SearchIndex) -> None:
    everything = index.search("mediation", k=50)
    since = index.search("mediation since 2021", k=50)
    dated = [h for h in everything.hits if h.article.published and h.article.published[:4] >= "2021"]
    assert since.total == len(dated) == 4
    assert sorted(texts(since)) == sorted(h.text for h in dated)
    pages = [index.search("mediation since 2021", k=3, offset=o) for o in (0, 3)]
    assert [h.text for p in pages for h in p.hits] == texts(since)
    assert all(p.total == 4 for p in pages)
    assert since.filters.to_json() == {"after": "2021-01-01", "before": None, "source": None}
    assert since.undated_left_out == 0     # counted only when nothing matches (the message says it)


def test_before_is_exclusive_and_after_inclusive(index: SearchIndex) -> None:
    assert {h.article.path for h in index.search("mediation after:2023-06-12", k=9).hits} == {"d2023.md"}
    assert "d2023.md" not in {h.article.path for h in index.search("mediation before:2023-06-12", k=9).hits}
    assert {h.article.path for h in index.search("mediation on 12 June 2023", k=9).hits} == {"d2023.md"}
    assert {h.article.path for h in index.search("mediation in June 2022", k=9).hits} == {"c2022.md"}


def test_a_range_without_articles_says_so(index: SearchIndex) -> None:
    result = index.search("mediation in 2019")
    assert result.hits == () and result.total == 0
    assert result.message == "No article from 2019 matches (2 matching articles without a date left out)."
    empty = index.search("mediation in 2023 before 2022")
    assert empty.hits == () and empty.message.startswith("No article from 2023 to 2021 matches")


def test_source_filter(index: SearchIndex) -> None:
    result = index.search("mediation source:reuters", k=20)
    assert {h.article.source for h in result.hits} == {"Reuters"}
    assert result.filters.to_json()["source"] == "reuters"
    assert index.search("mediation source:Nobody").message == "No article from the source Nobody matches."
    both = index.search("mediation source:Reuters in 2022", k=9)
    assert {h.article.path for h in both.hits} == {"c2022.md"}


def test_date_order(index: SearchIndex) -> None:
    result = index.search("latest mediation", k=20)
    days = [h.article.published[:10] for h in result.hits if h.article.published]
    assert days == sorted(days, reverse=True)
    assert result.hits[0].article.path == "d2023.md"
    assert [h.article.published for h in result.hits][-2:] == [None, None]   # undated last
    assert texts(index.search("mediation sort:date", k=20)) == texts(result)


def test_speaker_questions_rank_the_speakers_words_first(index: SearchIndex) -> None:
    result = index.search("what did Lavrov say about mediation", k=10)
    speakers = [h.speaker for h in result.hits]
    spoken = [s for s in speakers if s in ("Sergei Lavrov", "Lavrov")]
    assert speakers[:len(spoken)] == spoken and len(spoken) >= 2     # Lavrov's own words first
    assert result.hits[0].speaker in ("Sergei Lavrov", "Lavrov")
    mention = next(h for h in result.hits if h.text.startswith("Critics attacked Lavrov"))
    assert mention.speaker is None
    assert result.total == index.search("Lavrov say mediation", k=10).total    # the same candidates
    he = next(h for h in index.search("what did Lavrov say about the elections", k=5).hits
              if h.text.startswith("He further said"))
    assert he.speaker == "Sergei Lavrov"
    assert he.highlights and all("Lavrov" not in he.text[a:b] for a, b in he.highlights)


def test_speaker_pronoun_she(index: SearchIndex) -> None:
    result = index.search("what did Becker say about mediation", k=3)
    assert result.hits[0].text == "She added that mediation was still possible."
    assert result.hits[0].speaker == "Ursula Becker"


def test_questions_without_filters_are_unchanged(index: SearchIndex) -> None:
    result = index.search("Turkey mediation")
    assert not result.filters.restricts and result.filters.speaker is None
    assert result.to_json()["filters"] == {"after": None, "before": None, "source": None}
    assert result.hits[0].to_json()["speaker"] == "Lavrov"


def test_added_articles_get_dates_and_speakers(index: SearchIndex, tmp_path: Path) -> None:
    from index.corpus import parse_text
    new = parse_text(article("Fresh", "Mon, 01 Jan 2024 10:00:00 +0000", "Reuters",
                             "“We are ready for mediation,” said Anna Kovacs."), "g.md")
    grown, added = index.add_articles([new], Path(index.meta["corpus"]))
    try:
        hit = grown.search("mediation since 2024").hits[0]
        assert (hit.speaker, hit.article.published) == ("Anna Kovacs", "2024-01-01T10:00:00+00:00")
    finally:
        grown.close()


def test_cli_json_has_published_speaker_and_filters(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.md").write_text(CORPUS["a2020.md"], encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("CORPUS_DIR", "INDEX_PATH")}
    res = subprocess.run([sys.executable, "-m", "index", "search", "--corpus", str(corpus), "--index",
                          str(tmp_path / "i"), "--json", "-k", "1", "what did Lavrov say about mediation in 2020"],
                         cwd=REPO, capture_output=True, text=True, timeout=120, env=env)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["filters"] == {"after": "2020-01-01", "before": "2021-01-01", "source": None}
    hit = data["hits"][0]
    assert hit["article"]["published"] == "2020-08-26" and hit["speaker"] == "Sergei Lavrov"


def test_served_subset_matches_the_numpy_scores(index: SearchIndex) -> None:
    import numpy as np

    from index.news import served_subset
    for question in ("Lavrov mediation said", "sanctions Becker", "elections held better mediation"):
        terms = weigh(index, question)
        ids, scores = index.ranker.score(terms)
        every = np.arange(index.meta["sentences"])
        sub_ids, sub_scores = served_subset(index.ranker, terms, every)
        assert sub_ids.tolist() == ids.tolist()
        assert sub_scores.tolist() == scores.tolist()     # the same floats, bit for bit


def test_speaker_tiers_match_a_brute_force_ranking(index: SearchIndex) -> None:
    """First tier: the speaker's sentences holding a topic word, then every other match of the
    question, both by the numpy path's scores; pages cut from that list."""
    import numpy as np

    from index import news
    from index.filters import parse_filters
    from index.speakers import same_speaker
    for question in ("what did Lavrov say about mediation", "what did Lavrov say", "what did Becker say about it",
                     "what did Lavrov say about the elections"):
        text, f = parse_filters(question, date(2024, 1, 1))
        terms = weigh(index, text)
        topic = weigh(index, f.topic) if f.topic else []
        spoken = {sid for sid, name in index.db.execute("SELECT sentence, name FROM speakers")
                  if same_speaker(f.speaker, name)}
        on_topic = set(index.ranker.score(topic or terms)[0].tolist())
        ids, scores = index.ranker.score(terms)
        first = [(float(s), int(i)) for i, s in zip(ids, scores) if int(i) in spoken and int(i) in on_topic]
        taken = {i for _, i in first}
        rest = [(float(s), int(i)) for i, s in zip(ids, scores) if int(i) not in taken]
        days = index.ranker.article_day[np.asarray(index.ranker.sent_article)]
        key = lambda p: (-p[0], -int(days[p[1]]), p[1])  # noqa: E731
        expected = [i for _, i in sorted(first, key=key)] + [i for _, i in sorted(rest, key=key)]
        for offset in (0, 1, 3):
            got = news.rank(index.ranker, news.facts(index), news.Query(terms, (), (), None, topic), offset, 2, f).ranked
            assert list(got.ids) == expected[offset:offset + 2], question
            assert got.total == len(expected)


def test_date_words_are_searched_as_words_in_an_archive_without_dates(tmp_path: Path) -> None:
    """An undated archive ("in 1066" asks about 1066): plain date words stay in the question,
    while an explicit operator still filters (and finds nothing dated)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The Normans won the battle in 1066 near Hastings.\n\n"
                                  "Harold was killed in the fighting.\n", encoding="utf-8")
    index, _ = SearchIndex.build(corpus, tmp_path / "index")
    try:
        found = index.search("who won the battle in 1066")
        assert found.hits and "1066" in found.hits[0].text and found.filters.dates is None
        assert index.search("who won the battle after:1066").hits == ()
    finally:
        index.close()
