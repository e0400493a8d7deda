"""Tests for index.query: parsing questions into terms, phrases, exclusions."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.analysis import DEFAULT_ANALYZER, Analyzer, AnalyzerOptions
from index.query import (
    MAX_QUERY_CHARS,
    MAX_QUERY_TERMS,
    REASON_ALL_EXCLUDED,
    REASON_EMPTY,
    REASON_NO_WORDS,
    ParsedQuery,
    clean_query,
    matches_phrase,
    parse_query,
)


def words_of(text: str) -> list[str]:
    return [w for tok in DEFAULT_ANALYZER.tokens(text) for w in tok.words]


# --------------------------------------------------------------------------
# Terms
# --------------------------------------------------------------------------

class TestTerms:
    def test_example_question(self) -> None:
        q = parse_query("what did Lavrov say about mediation")
        assert q.terms == ("lavrov", "say", "mediat")
        assert q.names == frozenset({"lavrov"})
        assert q.phrases == () and q.excluded == frozenset()
        assert q.searchable and q.reason is None and not q.truncated
        assert q.text == "what did Lavrov say about mediation"

    def test_repetition_counts(self) -> None:
        assert parse_query("Lavrov Lavrov said").terms == ("lavrov", "lavrov", "say")

    def test_compound_terms(self) -> None:
        assert parse_query("ex-Soviet republic").terms == ("ex-soviet", "ex", "soviet", "republ")

    def test_punctuation_is_harmless(self) -> None:
        q = parse_query("Lavrov?! (mediation) — “Belarus”…")
        assert q.terms == ("lavrov", "mediat", "belarus")

    def test_custom_analyzer(self) -> None:
        q = parse_query("what did Lavrov say", Analyzer(AnalyzerOptions(stopwords="none")))
        assert q.terms == ("what", "did", "lavrov", "say")


# --------------------------------------------------------------------------
# Phrases
# --------------------------------------------------------------------------

class TestPhrases:
    def test_straight_quotes(self) -> None:
        q = parse_query('Lavrov "outside mediation"')
        assert q.phrases == (("outsid", "mediat"),)
        assert q.terms == ("lavrov", "outsid", "mediat")

    @pytest.mark.parametrize(
        "quoted",
        ["“outside mediation”", "„outside mediation“", "«outside mediation»",
         "”outside mediation”", "＂outside mediation＂"],
    )
    def test_typographic_quotes(self, quoted: str) -> None:
        q = parse_query(f"Lavrov {quoted} Belarus")
        assert q.phrases == (("outsid", "mediat"),)
        assert q.terms == ("lavrov", "outsid", "mediat", "belarus")

    def test_unclosed_quote_is_ignored(self) -> None:
        # issue 12: only balanced pairs make a phrase (it ran to the end before)
        q = parse_query('Lavrov said "no need for outside mediation')
        assert q.phrases == ()
        assert q.terms == ("lavrov", "say", "need", "outsid", "mediat")

    def test_phrase_words_keep_stopwords_and_split_compounds(self) -> None:
        q = parse_query('"the ex-Soviet republic"')
        assert q.phrases == (("the", "ex", "soviet", "republ"),)
        assert q.terms == ("ex-soviet", "ex", "soviet", "republ")

    def test_several_phrases_and_empty_quotes(self) -> None:
        q = parse_query('"Sergei Lavrov" "" "foreign powers" "Sergei Lavrov"')
        assert q.phrases == (("sergei", "lavrov"), ("foreign", "power"))
        assert q.terms == ("sergei", "lavrov", "foreign", "power", "sergei", "lavrov")

    def test_single_quotes_are_apostrophes(self) -> None:
        q = parse_query("Russia's 'mediation'")
        assert q.phrases == ()
        assert q.terms == ("russia", "mediat")

    def test_stopword_only_phrase_is_not_searchable(self) -> None:
        q = parse_query('"what is the"')
        assert not q.searchable and q.reason is not None


# --------------------------------------------------------------------------
# Exclusions
# --------------------------------------------------------------------------

class TestExclusions:
    def test_exclude_word(self) -> None:
        q = parse_query("Belarus crisis -Putin")
        assert q.terms == ("belarus", "crisi")
        assert q.excluded == frozenset({"putin"})

    def test_hyphenated_word_is_never_an_exclusion(self) -> None:
        q = parse_query("ex-Soviet neighbour")
        assert q.excluded == frozenset()
        assert "ex-soviet" in q.terms and "soviet" in q.terms

    def test_excluding_a_compound(self) -> None:
        q = parse_query("Belarus -ex-Soviet")
        assert q.excluded == frozenset({"ex-soviet", "ex", "soviet"})
        assert q.terms == ("belarus",)

    @pytest.mark.parametrize("quoted", ['"foreign powers"', "“foreign powers”", "«foreign powers»"])
    def test_exclude_phrase(self, quoted: str) -> None:
        q = parse_query(f"Belarus -{quoted}")
        assert q.excluded == frozenset({"foreign", "power"})
        assert q.terms == ("belarus",)
        assert q.phrases == ()

    def test_exclusion_with_a_stray_quote_excludes_the_word(self) -> None:
        # issue 12: the unbalanced quote is ignored, so '-"foreign' is '-foreign'
        q = parse_query('Belarus -"foreign powers')
        assert q.excluded == frozenset({"foreign"})
        assert q.terms == ("belarus", "power")
        assert q.phrases == ()

    def test_lone_dash_and_minus_numbers(self) -> None:
        q = parse_query("Belarus - growth -5%")
        assert q.excluded == frozenset()
        assert q.terms == ("belarus", "growth", "5")

    def test_dash_inside_chunk_is_not_exclusion(self) -> None:
        q = parse_query('"Lavrov"-Putin')
        assert q.excluded == frozenset()
        assert q.terms == ("lavrov", "putin")

    def test_excluded_terms_are_removed_from_terms(self) -> None:
        q = parse_query("Lavrov Putin -Putin")
        assert q.terms == ("lavrov",)
        assert not set(q.terms) & q.excluded

    def test_minus_sign(self) -> None:
        assert parse_query("Belarus \u2212Putin").excluded == frozenset({"putin"})

    @pytest.mark.parametrize("query", ["Lavrov -Lavrov", "-Lavrov", '-"Sergei Lavrov"', "-Putin -Lavrov"])
    def test_everything_excluded(self, query: str) -> None:
        q = parse_query(query)
        assert not q.searchable
        assert q.terms == ()
        assert q.reason == REASON_ALL_EXCLUDED


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------

class TestNames:
    def test_capitalized_words_after_the_first_are_names(self) -> None:
        q = parse_query("What did Sergei Lavrov say about Belarus")
        assert q.names == frozenset({"sergei", "lavrov", "belarus"})

    def test_first_word_is_not_a_name(self) -> None:
        assert parse_query("Lavrov said what about mediation").names == frozenset()
        assert parse_query("Mediation in Belarus").names == frozenset({"belarus"})

    def test_sentence_initial_words_are_not_names(self) -> None:
        q = parse_query("Belarus crisis. Police detained Kolesnikova")
        assert q.names == frozenset({"kolesnikova"})

    def test_all_capitalized_questions_have_no_names(self) -> None:
        assert parse_query("WHAT DID LAVROV SAY ABOUT MEDIATION").names == frozenset()
        assert parse_query("What Did Lavrov Say About Mediation").names == frozenset()

    def test_names_inside_phrases_and_compounds(self) -> None:
        q = parse_query('what about "Sergei Lavrov" and the ex-Soviet Tu-214')
        assert q.names == frozenset({"sergei", "lavrov", "tu-214", "tu", "214"})

    def test_excluded_words_are_not_names(self) -> None:
        q = parse_query("mediation in Belarus -Putin")
        assert q.names == frozenset({"belarus"})

    def test_names_are_terms(self) -> None:
        q = parse_query("what did Lavrov say")
        assert q.names <= set(q.terms)


# --------------------------------------------------------------------------
# Cleaning and truncation
# --------------------------------------------------------------------------

class TestCleaning:
    def test_control_characters_and_whitespace(self) -> None:
        q = parse_query("  Lavrov\n\t said \x00\x07 about\r\nmediation  ")
        assert q.text == "Lavrov said about mediation"
        assert q.terms == ("lavrov", "say", "mediat")

    def test_invisible_characters(self) -> None:
        q = parse_query("Lav\u200brov\u200e \ufeffsaid")
        assert q.text == "Lavrov said"
        assert q.terms == ("lavrov", "say")

    def test_html_tags_and_entities(self) -> None:
        q = parse_query("<b>Lavrov</b> &amp; <i>Putin</i> &lt;3 AT&T")
        assert q.text == "Lavrov & Putin <3 AT&T"
        assert q.terms == ("lavrov", "putin", "3")

    def test_clean_query_helper(self) -> None:
        assert clean_query("  a  b ") == ("a b", False)

    def test_cut_at_max_chars_on_a_word_boundary(self) -> None:
        raw = " ".join(f"word{i}" for i in range(200))
        q = parse_query(raw)
        assert q.truncated
        assert len(q.text) <= MAX_QUERY_CHARS
        assert raw.startswith(q.text)
        assert raw[len(q.text)] == " "  # no word was cut in two

    def test_cut_without_spaces(self) -> None:
        q = parse_query("x" * (MAX_QUERY_CHARS + 100))
        assert q.truncated and len(q.text) == MAX_QUERY_CHARS

    def test_exactly_max_chars_is_not_truncated(self) -> None:
        raw = "Lavrov " + "the " * 122 + "Minsk"
        assert len(raw) == MAX_QUERY_CHARS
        q = parse_query(raw)
        assert not q.truncated and q.text == raw
        assert q.terms == ("lavrov", "minsk")

    def test_huge_input(self) -> None:
        q = parse_query("Lavrov " * 1_000_000)
        assert q.truncated and len(q.text) <= MAX_QUERY_CHARS
        assert len(q.terms) == MAX_QUERY_TERMS

    def test_cut_at_max_terms(self) -> None:
        raw = " ".join(f"Minsk{i}" for i in range(MAX_QUERY_TERMS + 8))
        q = parse_query(raw)
        assert len(raw) < MAX_QUERY_CHARS
        assert q.truncated
        assert len(q.terms) == MAX_QUERY_TERMS
        assert q.terms[0] == "minsk0" and q.terms[-1] == f"minsk{MAX_QUERY_TERMS - 1}"

    def test_max_terms_without_truncation(self) -> None:
        q = parse_query(" ".join(f"Minsk{i}" for i in range(MAX_QUERY_TERMS)))
        assert len(q.terms) == MAX_QUERY_TERMS and not q.truncated


# --------------------------------------------------------------------------
# Not searchable
# --------------------------------------------------------------------------

class TestNotSearchable:
    @pytest.mark.parametrize("raw", ["", "   ", "\n\t"])
    def test_empty(self, raw: str) -> None:
        q = parse_query(raw)
        assert not q.searchable and q.reason == REASON_EMPTY and q.text == ""

    def test_only_stopwords(self) -> None:
        q = parse_query("What is the")
        assert not q.searchable
        assert q.reason == (
            "The question has no searchable words (only common words like 'what', 'is' or 'the')."
        )

    def test_only_one_stopword(self) -> None:
        assert parse_query("why?").reason == (
            "The question has no searchable words (only common words like 'why')."
        )

    @pytest.mark.parametrize(
        "raw",
        ["?!...", "—", "-", "😀👍🏽🇷🇺", "<b></b><br/>", "<!-- x -->", "&nbsp;&amp;",
         "\x00\x01\x02", "\u200b\u200b", "()[]{}<>"],
    )
    def test_no_words(self, raw: str) -> None:
        q = parse_query(raw)
        assert not q.searchable
        assert q.reason == REASON_NO_WORDS
        assert q.terms == () and q.phrases == ()

    def test_not_searchable_objects_are_consistent(self) -> None:
        q = parse_query("the")
        assert isinstance(q, ParsedQuery)
        assert q.terms == () and q.names == frozenset() and q.excluded == frozenset()


# --------------------------------------------------------------------------
# matches_phrase
# --------------------------------------------------------------------------

class TestMatchesPhrase:
    @pytest.mark.parametrize(
        "words, phrase, expected",
        [
            (["a", "b", "c"], ["a", "b"], True),
            (["a", "b", "c"], ["b", "c"], True),
            (["a", "b", "c"], ["a", "b", "c"], True),
            (["a", "b", "c"], ["a", "c"], False),
            (["a", "b", "c"], ["c", "b"], False),
            (["a", "a", "b"], ["a", "b"], True),
            (["a", "b", "a", "c"], ["a", "c"], True),
            (["a", "b"], ["a", "b", "c"], False),
            ([], ["a"], False),
            (["a"], [], True),
            ([], [], True),
            (("x", "y"), ("y",), True),
        ],
    )
    def test_cases(self, words: list[str], phrase: list[str], expected: bool) -> None:
        assert matches_phrase(words, phrase) is expected

    def test_query_phrase_against_article_sentence(self) -> None:
        sentence = (
            "The EU is already working on sanctions, which have shaken Lukashenko’s "
            "grip on the ex-Soviet republic as never before."
        )
        words = words_of(sentence)
        assert matches_phrase(words, parse_query('"ex-Soviet republic"').phrases[0])
        assert matches_phrase(words, parse_query('"on the ex Soviet republic"').phrases[0])
        assert matches_phrase(words, parse_query("“Lukashenko's grip”").phrases[0])
        assert not matches_phrase(words, parse_query('"Soviet ex"').phrases[0])
        assert not matches_phrase(words, parse_query('"grip the"').phrases[0])

    def test_reported_speech_phrase(self) -> None:
        words = words_of("Lavrov said there was no need for outside mediation.")
        assert matches_phrase(words, parse_query('"Lavrov says"').phrases[0])


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

_PIECES = [
    "Lavrov", "said", "ex-Soviet", "-", "-Putin", '-"', '"', "“", "”", "„", "«", "»",
    "the", "what", " ", "  ", "\n", "\x00", "\u200b", "😀", "<b>", "</b>", "&amp;",
    "&", "Tu-214", "3.5", ".", "?", "−", "'", "’s", "\ud800", "WHO", "U.S.", "x" * 70,
]
queries = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(exclude_categories=()), max_size=600),
    st.lists(st.sampled_from(_PIECES), max_size=60).map("".join),
)


@settings(max_examples=400, deadline=None)
@given(raw=queries)
def test_property_parse_query_never_raises_and_is_consistent(raw: str) -> None:
    q = parse_query(raw)
    assert len(q.text) <= MAX_QUERY_CHARS
    assert len(q.terms) <= MAX_QUERY_TERMS
    assert q.searchable == (q.reason is None) == bool(q.terms)
    assert q.names <= set(q.terms)
    assert not set(q.terms) & q.excluded
    assert all(q.phrases)
    assert q.text == q.text.strip() and "  " not in q.text
    assert not any(ord(c) < 32 for c in q.text)
    if q.reason is not None:
        assert isinstance(q.reason, str) and q.reason


@settings(max_examples=200, deadline=None)
@given(raw=queries)
def test_property_parsing_is_idempotent_on_clean_text(raw: str) -> None:
    q = parse_query(raw)
    again = parse_query(q.text)
    assert again.text == q.text
    assert again.terms == q.terms


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.sampled_from(["a", "b", "c"]), max_size=8),
    phrase=st.lists(st.sampled_from(["a", "b", "c"]), max_size=4),
)
def test_property_matches_phrase_is_contiguous_subsequence(words: list[str], phrase: list[str]) -> None:
    n, m = len(words), len(phrase)
    expected = any(words[i:i + m] == phrase for i in range(n - m + 1))
    assert matches_phrase(words, phrase) is expected
