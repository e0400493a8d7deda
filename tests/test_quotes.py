"""Forgiving quotes (issue 12): balanced pairs only, quotes inside words, stray quotes,
and a phrase that matches nothing searched as its words, through the CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from index.query import NOTE_PHRASE_FALLBACK, QUOTE_PAIRS, parse_query, phrase_spans

REPO = Path(__file__).resolve().parents[1]


def phrase_texts(question: str) -> list[str]:
    q = parse_query(question)
    return [q.text[s.inner_start:s.inner_end] for s in phrase_spans(q.text)]


# --- balanced pairs of every kind ----------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right"),
    [(opener, closer) for opener, closers in QUOTE_PAIRS.items() for closer in closers],
)
def test_every_balanced_pair_makes_a_phrase(left, right):
    question = f"what about {left}outside mediation{right} in Belarus"
    assert phrase_texts(question) == ["outside mediation"]
    q = parse_query(question)
    assert q.phrases == (("outsid", "mediat"),)
    assert q.terms == ("outsid", "mediat", "belarus")


@pytest.mark.parametrize(
    "question",
    ["Что сказал Лавров про «посредничество»?", "Что такое «Аполлон»", "«Аполлон» и «Союз»"],
)
def test_guillemets_in_russian(question):
    q = parse_query(question)
    assert q.phrases and all(len(p) == 1 for p in q.phrases)
    assert q.searchable


def test_german_and_romanian_low_high_quotes_and_cjk_brackets():
    assert phrase_texts("Was sagte er über „äußere Vermittlung“?") == ["äußere Vermittlung"]
    assert phrase_texts("Ce a spus despre „medierea externă”?") == ["medierea externă"]
    assert phrase_texts("Er las »Die Zeit« gestern") == ["Die Zeit"]
    assert phrase_texts("阿波罗「登月计划」是什么") == ["登月计划"]
    assert phrase_texts("他说“登月计划”是") == ["登月计划"]


def test_two_phrases_and_mixed_kinds():
    assert phrase_texts('"Sergei Lavrov" said «foreign powers» did it') == ["Sergei Lavrov", "foreign powers"]


# --- stray quotes are ignored ------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "”Ce a spus Lavrov despre mediere?",  # a phone keyboard's ” at the start (Romanian)
        'Lavrov said "no need for mediation',
        "Lavrov said no need” for mediation",
        "«Lavrov said no need for mediation",
        "Lavrov „said no need for mediation",
    ],
)
def test_a_stray_quote_is_ignored(question):
    q = parse_query(question)
    assert q.phrases == ()
    plain = parse_query("".join(c for c in question if c not in "\"”«„"))
    assert q.terms == plain.terms and q.searchable


def test_a_stray_quote_after_a_phrase_is_ignored():
    assert phrase_texts('"outside mediation" and then " nothing') == ["outside mediation"]


# --- a quote inside a word is a letter -------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    ['מה אמר מנכ"ל החברה', 'What did O"Brien say', "What did O’Brien say", "Lavrov’s view",
     "don’t say ‘never’", "the boys’ bus and the girls’ bus"],
)
def test_quotes_inside_words_open_no_phrase(question):
    texts = phrase_texts(question)
    assert all(" " not in t or t == "never" for t in texts)
    assert texts in ([], ["never"])


def test_hebrew_abbreviation_inside_a_phrase():
    assert phrase_texts('מה אמר "מנכ"ל החברה" אתמול') == ['מנכ"ל החברה']


def test_single_typographic_quotes_pair_but_apostrophes_do_not():
    # ‘ ’ pair only when ‘ starts a word and ’ ends one; ’ between letters is an apostrophe
    assert phrase_texts("don’t ‘outside mediation’ now") == ["outside mediation"]
    assert phrase_texts("Russia’s ‘rock’ and the ’90s") == ["rock"]
    assert phrase_texts("the boys’ ‘bus") == []
    assert parse_query("Russia's 'mediation'").phrases == ()  # the ASCII ' never delimits


def test_excluded_phrase_and_stray_exclusion():
    q = parse_query("Belarus -«foreign powers»")
    assert q.excluded == frozenset({"foreign", "power"}) and q.terms == ("belarus",)
    q = parse_query("Belarus -”foreign powers")
    assert q.excluded == frozenset({"foreign"}) and q.terms == ("belarus", "power")


# --- the phrase fallback, through the CLI ----------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CORPUS_DIR", "INDEX_PATH")}
    return subprocess.run([sys.executable, "-m", "index", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def post_index(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    corpus = tmp_path_factory.mktemp("corpus")
    (corpus / "bridge.md").write_text(
        "# Bridge closed in Veloria\n\n"
        "🚨 Storm damage in Veloria\n"
        "The city closed the old bridge over the river after the storm. "
        "Engineers found cracks in two pillars 🌉\n"
        "Photo: Anna Berg / Veloria Post\n"
        "#Veloria #storm https://veloria.example/news/1\n",
        encoding="utf-8")
    index = tmp_path_factory.mktemp("idx") / "index"
    res = run_cli("build", "--corpus", str(corpus), "--index", str(index))
    assert res.returncode == 0, res.stderr
    return corpus, index


QUESTIONS = ('which "old bridge" closed', 'which "bridge old" closed', "”cracks in the pillars",
             "photo Anna Berg", "storm damage")


@pytest.fixture(scope="module")
def answers(post_index: tuple[Path, Path]) -> dict[str, dict]:
    """Every question in one CLI process (one query per stdin line, JSON Lines out)."""
    corpus, index = post_index
    env = {k: v for k, v in os.environ.items() if k not in ("CORPUS_DIR", "INDEX_PATH")}
    res = subprocess.run([sys.executable, "-m", "index", "search", "--corpus", str(corpus), "--index", str(index)],
                         cwd=REPO, input="\n".join(QUESTIONS) + "\n", capture_output=True, text=True,
                         timeout=120, env=env)
    assert res.returncode == 0, res.stderr
    return {d["query"]: d for d in map(json.loads, res.stdout.splitlines())}


def search_json(answers: dict[str, dict], question: str) -> dict:
    return answers[question]


def test_cli_exact_phrase_has_no_note(answers):
    data = search_json(answers, 'which "old bridge" closed')
    assert data["hits"] and data["message"] is None
    assert "closed the old bridge" in data["hits"][0]["text"]


def test_cli_phrase_without_exact_match_falls_back_to_its_words_with_a_note(answers):
    data = search_json(answers, 'which "bridge old" closed')
    assert data["message"] == NOTE_PHRASE_FALLBACK
    assert data["hits"] and "closed the old bridge" in data["hits"][0]["text"]


def test_cli_text_output_shows_the_note(post_index):
    corpus, index = post_index
    res = run_cli("search", "--corpus", str(corpus), "--index", str(index), "«bridge old»")
    assert res.returncode == 0, res.stderr
    assert NOTE_PHRASE_FALLBACK in res.stdout and "the [old] [bridge] over" in res.stdout


def test_cli_stray_quote_searches_the_words_without_a_note(answers):
    data = search_json(answers, "”cracks in the pillars")
    assert data["message"] is None and "Engineers found cracks in two pillars 🌉" == data["hits"][0]["text"]


def test_cli_channel_post_lines_are_quoted_separately(answers):
    data = search_json(answers, "photo Anna Berg")
    assert data["hits"][0]["text"] == "Photo: Anna Berg / Veloria Post"
    data = search_json(answers, "storm damage")
    assert data["hits"][0]["text"] == "🚨 Storm damage in Veloria"
