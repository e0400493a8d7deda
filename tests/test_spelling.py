"""Spelling: edit distance, the lexicon lookup, the words table, and "did you mean"."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index import spelling, store
from index.corpus import Article
from index.engine import SearchIndex
from index.spelling import Lexicon, fold, max_edits
from rapidfuzz.distance import OSA

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
words = st.text(alphabet="abcdeé", min_size=0, max_size=9)


def levenshtein_osa(a: str, b: str) -> int:
    """Textbook optimal string alignment distance (full table, no cut-off)."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


@settings(max_examples=400, deadline=None)
@given(words, words, st.integers(0, 3))
def test_the_library_distance_is_osa_capped_at_limit_plus_one(a: str, b: str, limit: int) -> None:
    assert OSA.distance(a, b, score_cutoff=limit) == min(levenshtein_osa(a, b), limit + 1)


@settings(max_examples=200, deadline=None)
@given(words, st.lists(words, min_size=1, max_size=12), st.integers(1, 3))
def test_the_exact_step_on_a_bucket_is_the_capped_distance(word: str, others: list[str], limit: int) -> None:
    n = len(others[0])
    same = list(dict.fromkeys(o for o in others if len(o) == n)) or [others[0]]
    if n == 0:
        return
    bucket = spelling._Bucket.of(same)
    rows = np.arange(len(same))
    assert spelling.rapidfuzz_distances(word, bucket, rows, limit).tolist() == \
        [min(levenshtein_osa(word, o), limit + 1) for o in same]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet="abcdexyzé", min_size=3, max_size=8), min_size=1, max_size=40),
       st.text(alphabet="abcdexyzé", min_size=1, max_size=9), st.integers(1, 2))
def test_lexicon_lookup_equals_brute_force(vocab: list[str], word: str, limit: int) -> None:
    lexicon = Lexicon({w: i + 1 for i, w in enumerate(vocab)})
    expected = sorted((levenshtein_osa(word, w), -f, w) for w, f in lexicon.freq.items())
    expected = [(w, d) for d, _, w in expected if 0 < d <= limit]
    assert [(c.word, c.distance) for c in lexicon.near(word, limit)] == expected


def test_a_swap_is_one_edit_and_short_words_are_never_corrected() -> None:
    assert levenshtein_osa("mediaiton", "mediation") == 1
    assert (max_edits("the"), max_edits("plot"), max_edits("minsk"), max_edits("lavrof")) == (0, 1, 1, 2)
    lexicon = Lexicon({"the": 100, "mediation": 3, "median": 9, "lavrov": 2})
    assert lexicon.nearest("teh") == []
    assert [c.word for c in lexicon.nearest("mediaton")] == ["mediation"]  # 1 edit beats the commoner 2-edit word
    assert [c.word for c in lexicon.nearest("lavrof")] == ["lavrov"]
    assert [c.word for c in lexicon.nearest("mediaton", limit=2, most=5)] == ["mediation"]


def test_fold_and_case() -> None:
    assert fold("Erdoğan") == "erdogan" and fold("LAVROV") == "lavrov"
    assert spelling.match_case("Lavrof", "lavrov") == "Lavrov"
    assert spelling.match_case("NATP", "nato") == "NATO"
    assert spelling.match_case("mediaton", "mediation") == "mediation"


def test_lexicon_counts_fold_and_drop_short_runs() -> None:
    counts = spelling.count_words(["Lavrov said: LAVROV, Lavrov's aide; ex-Soviet Tu-214 at 10 am"])
    assert counts["lavrov"] == 3 and counts["soviet"] == 1 and counts["aide"] == 1
    assert "tu" not in counts and "am" not in counts and "s" not in counts and "10" not in counts


@pytest.fixture
def seed(tmp_path: Path) -> SearchIndex:
    index, _ = SearchIndex.build(SEEDS, tmp_path / "idx")
    return index


def suggestion(index: SearchIndex, question: str) -> str | None:
    """The corrected question a search reports: as searched (with hits) or "did you mean" (without)."""
    return index.search(question, k=1).suggestion


def test_build_writes_the_words_table(seed: SearchIndex) -> None:
    rows = dict(seed.db.execute("SELECT word, freq FROM words"))
    title, text = seed.db.execute("SELECT title, article_text(text) FROM articles").fetchone()
    assert rows == spelling.count_words([title, text])
    assert rows["lavrov"] == text.count("Lavrov") + title.count("Lavrov") and rows["mediation"] == 1
    assert seed.lexicon.freq == rows


def test_suggest_corrects_unknown_words_keeping_case(seed: SearchIndex) -> None:
    assert suggestion(seed, "what did Lavrof say about mediaton") == "what did Lavrov say about mediation"
    assert suggestion(seed, "LAVROF") == "LAVROV"
    assert suggestion(seed, "Lukashenko's grip on the ex-Sovet republic") == "Lukashenko's grip on the ex-Soviet republic"


def test_suggest_is_none_without_a_useful_correction(seed: SearchIndex) -> None:
    assert suggestion(seed, "what did Lavrov say about mediation") is None   # every word is known
    assert suggestion(seed, "qwzx") is None                                  # nothing close
    assert suggestion(seed, "what is the") is None                           # stopwords only
    assert suggestion(seed, "") is None


def test_suggest_requires_hits(seed: SearchIndex) -> None:
    # the corrected phrase is not in the text, but a phrase without a match is searched as its words
    # (index.query, forgiving quotes), and those have hits
    assert suggestion(seed, '"Lavrof said nothing"') == '"Lavrov said nothing"'
    assert suggestion(seed, "Lavrof -Lavrov") is None          # the corrected word is excluded
    assert suggestion(seed, '"Lavrof said"') == '"Lavrov said"'


def test_an_index_without_the_words_table_derives_it(tmp_path: Path) -> None:
    root = tmp_path / "idx"
    SearchIndex.build(SEEDS, root)
    db = store.current_generation(root) / store.DB_NAME
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE words")
    conn.commit()
    conn.close()
    index = SearchIndex.load(root)
    title, text = index.db.execute("SELECT title, article_text(text) FROM articles").fetchone()
    assert index.lexicon.freq == spelling.count_words([title, text])
    assert suggestion(index, "Lavrof") == "Lavrov"


def test_added_articles_extend_the_words(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    index, _ = SearchIndex.build(corpus, tmp_path / "idx")
    before = index.lexicon.freq["lavrov"]
    text = "Zelensky met Lavrov in Istanbul. Zelensky spoke first."
    (corpus / "new.txt").write_text(text, encoding="utf-8")
    index, added = index.add_articles([Article("new", "Talks", "new.txt", text)], corpus)
    assert added == 2
    rows = dict(index.db.execute("SELECT word, freq FROM words"))
    assert rows["zelensky"] == 2 and rows["lavrov"] == before + 1 and rows["istanbul"] == 1
    assert suggestion(index, "Zalensky in Istambul") == "Zelensky in Istanbul"
