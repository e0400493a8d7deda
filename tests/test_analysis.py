"""Tests for index.analysis and index.stopwords: concrete behaviour + properties."""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import index.analysis as analysis_module
from index.analysis import (
    ANALYZER_VERSION,
    DEFAULT_ANALYZER,
    MAX_TERM_CHARS,
    Analyzer,
    AnalyzerOptions,
    Token,
    analyze,
)
from index.stopwords import NEVER_STOPWORDS, SMALL_STOPWORDS, STOPWORDS

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))


def flat_terms(tokens: list[Token]) -> list[str]:
    return [term for tok in tokens for term in tok.terms]


def flat_words(tokens: list[Token]) -> list[str]:
    return [word for tok in tokens for word in tok.words]


# --------------------------------------------------------------------------
# Stopwords
# --------------------------------------------------------------------------

class TestStopwords:
    def test_size_is_about_nltk_plus_scaffolding(self) -> None:
        assert 179 <= len(STOPWORDS) <= 300
        assert 25 <= len(SMALL_STOPWORDS) <= 40
        assert SMALL_STOPWORDS <= STOPWORDS

    def test_normalized_form(self) -> None:
        for word in STOPWORDS | SMALL_STOPWORDS:
            assert word == word.casefold().strip()
            assert word.isascii() and " " not in word
            assert "\u2019" not in word  # curly apostrophes are folded first

    @pytest.mark.parametrize(
        "word",
        ["what", "who", "whom", "whose", "which", "when", "where", "why", "how",
         "did", "does", "do", "is", "are", "was", "were", "me", "about",
         "please", "know", "there", "any", "no", "not", "don't", "the"],
    )
    def test_question_scaffolding_and_negations_are_stopwords(self, word: str) -> None:
        assert word in STOPWORDS

    @pytest.mark.parametrize("word", sorted(NEVER_STOPWORDS) + ["speak", "write", "announce"])
    def test_reporting_verbs_and_names_are_content(self, word: str) -> None:
        assert word not in STOPWORDS


# --------------------------------------------------------------------------
# Normalization
# --------------------------------------------------------------------------

class TestNormalization:
    def test_nfkc_full_width_and_ligature(self) -> None:
        assert analyze("ＬＡＶＲＯＶ") == ["lavrov"]
        assert analyze("\ufb01nance") == analyze("finance") == ["financ"]
        assert analyze("Ｔｕ－２１４") == ["tu-214", "tu", "214"]
        assert analyze("\u00bd") == ["1", "2"]  # ½ -> 1⁄2

    def test_case_is_folded(self) -> None:
        assert analyze("LAVROV Lavrov lavrov") == ["lavrov"] * 3
        assert analyze("Straße") == analyze("STRASSE") == ["strass"]

    def test_accents_are_folded(self) -> None:
        assert analyze("Erdoğan café") == analyze("Erdogan cafe") == ["erdogan", "cafe"]
        assert analyze("cafe\u0301") == ["cafe"]  # decomposed é
        assert analyze("İstanbul") == ["istanbul"]

    @pytest.mark.parametrize("apostrophe", ["'", "\u2019", "\u2018", "\u02bc", "`", "\u00b4", "\uff07"])
    def test_apostrophes_and_possessives(self, apostrophe: str) -> None:
        assert analyze(f"Russia{apostrophe}s") == ["russia"]
        assert analyze(f"Lukashenko{apostrophe}s grip") == ["lukashenko", "grip"]
        assert analyze(f"don{apostrophe}t") == []

    def test_plural_possessive_and_other_apostrophes(self) -> None:
        assert analyze("countries' leaders") == ["countri", "leader"]
        assert analyze("O\u2019Brien") == ["o'brien"]
        assert analyze("it's what’s") == []

    def test_curly_quotes_separate(self) -> None:
        assert analyze("“could have been held better”") == ["hold", "better"]
        assert analyze("„Lavrov“ «Minsk»") == ["lavrov", "minsk"]

    def test_invisible_characters_do_not_split_words(self) -> None:
        assert analyze("Lav\u200brov") == ["lavrov"]
        assert analyze("medi\u00adation") == ["mediat"]
        assert analyze("\ufeffLavrov\u200e") == ["lavrov"]

    def test_non_latin_scripts_are_words(self) -> None:
        assert analyze("Москва и Минск") == ["москва", "и", "минск"]
        assert analyze("القاهرة") == ["القاهرة"]
        assert analyze("Ελλάδα") == ["ελλαδα"]

    def test_other_script_digits_become_ascii(self) -> None:
        assert analyze("٢٠٢٠") == ["2020"]


# --------------------------------------------------------------------------
# Words, stopwords, verbs, stemming
# --------------------------------------------------------------------------

class TestTerms:
    def test_question_reduces_to_content_words(self) -> None:
        assert analyze("what did Lavrov say about mediation") == ["lavrov", "say", "mediat"]
        assert analyze("Please tell me about the unrest in Belarus") == [
            "tell", "unrest", "belarus",
        ]

    @pytest.mark.parametrize(
        "forms, base",
        [
            (["say", "says", "said", "saying", "Said"], "say"),
            (["tell", "tells", "told", "telling"], "tell"),
            (["speak", "speaks", "spoke", "spoken", "speaking"], "speak"),
            (["write", "writes", "wrote", "written", "writing"], "write"),
            (["think", "thinks", "thought", "thinking"], "think"),
            (["hold", "held"], "hold"),
            (["announce", "announced", "announces", "announcing"], "announc"),
        ],
    )
    def test_verbs_fold_to_one_term(self, forms: list[str], base: str) -> None:
        for form in forms:
            assert analyze(form) == [base], form

    def test_question_meets_report(self) -> None:
        question = set(analyze("what did Lavrov say about mediation"))
        sentence = set(analyze("Lavrov said there was no need for outside mediation"))
        assert question <= sentence

    def test_acronym_us_is_kept_pronoun_us_is_not(self) -> None:
        assert analyze("U.S.") == analyze("US") == ["us"]
        assert analyze("us") == analyze("Us") == []
        assert analyze("U.S.-backed") == ["us-back", "us", "back"]
        assert analyze("WHO") == ["who"] and analyze("who") == []
        assert analyze("e.g. U.N.") == ["eg", "un"]
        assert analyze("Mr. Lavrov") == ["lavrov"]

    def test_long_junk_words_are_dropped(self) -> None:
        assert analyze("a" * (MAX_TERM_CHARS + 1)) == []
        assert analyze("x" * MAX_TERM_CHARS) == ["x" * MAX_TERM_CHARS]
        assert analyze("Lavrov " + "b" * 500 + " Minsk") == ["lavrov", "minsk"]

    def test_underscore_separates(self) -> None:
        assert analyze("foreign_minister") == ["foreign", "minist"]


class TestHyphensAndNumbers:
    def test_compounds_whole_then_parts(self) -> None:
        assert analyze("ex-Soviet") == ["ex-soviet", "ex", "soviet"]
        assert analyze("foreign-backed plot") == ["foreign-back", "foreign", "back", "plot"]
        assert analyze("Tu-214") == ["tu-214", "tu", "214"]
        assert analyze("long-ruling") == ["long-rule", "long", "rule"]

    def test_stopword_parts_dropped_whole_kept(self) -> None:
        assert analyze("state-of-the-art") == ["state-of-the-art", "state", "art"]
        assert analyze("so-so") == ["so-so"]

    @pytest.mark.parametrize("hyphen", ["-", "\u2010", "\u2011", "\uff0d"])
    def test_hyphen_variants(self, hyphen: str) -> None:
        assert analyze(f"ex{hyphen}Soviet") == ["ex-soviet", "ex", "soviet"]

    @pytest.mark.parametrize("dash", ["\u2013", "\u2014", "--", " - "])
    def test_dashes_separate(self, dash: str) -> None:
        assert analyze(f"24{dash}10") == ["24", "10"]
        assert analyze(f"Minsk{dash}Moscow") == ["minsk", "moscow"]

    def test_numbers(self) -> None:
        assert analyze("3.5%") == ["3.5"]
        assert analyze("August 9") == ["august", "9"]
        assert analyze("on August 9.") == ["august", "9"]
        assert analyze("1,000 troops") == ["1000", "troop"]
        assert analyze("1,000,000.50") == ["1000000.50"]
        assert analyze("1,2,3") == ["1", "2", "3"]
        assert analyze("2014-2015") == ["2014-2015", "2014", "2015"]
        assert analyze("1990s") == ["1990s"]  # not a number, not stemmed away

    def test_sentence_end_dot_is_not_a_decimal_point(self) -> None:
        assert analyze("in 2014.Then") == ["2014"]  # "then" is a stopword
        assert analyze("the vote.9 people") == ["vote", "9", "peopl"]


# --------------------------------------------------------------------------
# Noise
# --------------------------------------------------------------------------

class TestNoise:
    @pytest.mark.parametrize(
        "text",
        [
            "",
            "   \n\t ",
            "!!! ... ??? — – -- ()[]{}",
            "😀 👍🏽 🇷🇺 ❤️ 👨‍👩‍👧 1️⃣",
            "<b></b><br/><a href=\"http://x.y/z\"></a>",
            "&amp; &lt; &#8217; &#x2019;",
            "\x00\x01\x07\x1b\x7f\x9b",
            "\u200b\u200c\u200d\ufeff\u00ad",
        ],
    )
    def test_noise_produces_nothing(self, text: str) -> None:
        assert analyze(text) == []
        assert DEFAULT_ANALYZER.tokens(text) == []

    def test_markup_around_words(self) -> None:
        assert analyze("<p>Lavrov <b>said</b></p> &amp; Putin") == ["lavrov", "say", "putin"]
        assert analyze("AT&T R&D") == ["r"]  # at, t, d are stopwords; no entity

    def test_emoji_next_to_words(self) -> None:
        assert analyze("Lavrov😀said👍🏽") == ["lavrov", "say"]


# --------------------------------------------------------------------------
# Tokens, term(), options, version
# --------------------------------------------------------------------------

class TestTokens:
    def test_spans_and_fields(self) -> None:
        text = "Russia’s ex-Soviet neighbour said"
        toks = DEFAULT_ANALYZER.tokens(text)
        assert [text[t.start:t.end] for t in toks] == ["Russia’s", "ex-Soviet", "neighbour", "said"]
        assert toks[0] == Token(0, 8, ("russia",), ("russia",), True)
        assert toks[1].terms == ("ex-soviet", "ex", "soviet")
        assert toks[1].words == ("ex", "soviet")
        assert toks[1].capitalized is False
        assert toks[3].terms == ("say",)

    def test_spans_refer_to_raw_text(self) -> None:
        text = "ＬＡＶＲＯＶ \ufb01nance Lav\u200brov"
        toks = DEFAULT_ANALYZER.tokens(text)
        assert [text[t.start:t.end] for t in toks] == ["ＬＡＶＲＯＶ", "\ufb01nance", "Lav\u200brov"]
        assert [t.capitalized for t in toks] == [True, False, True]

    def test_stopwords_keep_words_for_phrases(self) -> None:
        toks = DEFAULT_ANALYZER.tokens("the ex-Soviet republic")
        assert toks[0].terms == () and toks[0].words == ("the",)
        assert flat_words(toks) == ["the", "ex", "soviet", "republ"]

    def test_token_is_frozen(self) -> None:
        tok = DEFAULT_ANALYZER.tokens("Lavrov")[0]
        with pytest.raises(AttributeError):
            tok.start = 3  # type: ignore[misc]


class TestApi:
    def test_term(self) -> None:
        assert DEFAULT_ANALYZER.term("Said") == "say"
        assert DEFAULT_ANALYZER.term("Russia’s") == "russia"
        assert DEFAULT_ANALYZER.term("ex-Soviet") == "ex-soviet"
        assert DEFAULT_ANALYZER.term("the") is None
        assert DEFAULT_ANALYZER.term("") is None

    def test_module_analyze_is_default(self) -> None:
        text = "Lavrov said on Wednesday"
        assert analyze(text) == DEFAULT_ANALYZER.analyze(text) == Analyzer().analyze(text)

    def test_version(self) -> None:
        default = DEFAULT_ANALYZER.version
        assert default.startswith(ANALYZER_VERSION)
        assert Analyzer().version == default
        variants = {
            Analyzer(AnalyzerOptions(stem="porter")).version,
            Analyzer(AnalyzerOptions(stem="none")).version,
            Analyzer(AnalyzerOptions(stopwords="small")).version,
            Analyzer(AnalyzerOptions(fold_verbs=False)).version,
            Analyzer(AnalyzerOptions(split_hyphens=False)).version,
            Analyzer(AnalyzerOptions(keep_numbers=False)).version,
        }
        assert default not in variants and len(variants) == 6

    def test_bad_options_raise(self) -> None:
        with pytest.raises(ValueError):
            AnalyzerOptions(stem="lancaster")
        with pytest.raises(ValueError):
            AnalyzerOptions(stopwords="huge")

    def test_cache_bound_does_not_change_results(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(analysis_module, "_CACHE_LIMIT", 5)
        small = Analyzer()
        words = [f"Word{i}ing" for i in range(50)] + ["said", "Lavrov’s"] * 10
        text = " ".join(words)
        assert small.analyze(text) == Analyzer().analyze(text) == DEFAULT_ANALYZER.analyze(text)
        assert len(small._terms) <= 5


class TestOptions:
    def test_stemmers(self) -> None:
        text = "generously fairly mediation"
        assert Analyzer(AnalyzerOptions(stem="snowball")).analyze(text) == ["generous", "fair", "mediat"]
        assert Analyzer(AnalyzerOptions(stem="porter")).analyze(text) == ["gener", "fairli", "mediat"]
        assert Analyzer(AnalyzerOptions(stem="none")).analyze(text) == ["generously", "fairly", "mediation"]

    def test_no_stemming_still_folds_verbs(self) -> None:
        assert Analyzer(AnalyzerOptions(stem="none")).analyze("Lavrov said") == ["lavrov", "say"]

    def test_fold_verbs_off(self) -> None:
        plain = Analyzer(AnalyzerOptions(fold_verbs=False))
        assert plain.analyze("said told says") == ["said", "told", "say"]

    def test_stopword_lists(self) -> None:
        text = "what did Lavrov say about mediation"
        assert Analyzer(AnalyzerOptions(stopwords="small")).analyze(text) == [
            "what", "lavrov", "say", "about", "mediat",
        ]
        assert Analyzer(AnalyzerOptions(stopwords="none")).analyze(text) == [
            "what", "did", "lavrov", "say", "about", "mediat",
        ]

    def test_split_hyphens_off(self) -> None:
        whole = Analyzer(AnalyzerOptions(split_hyphens=False))
        assert whole.analyze("ex-Soviet Tu-214") == ["ex-soviet", "tu-214"]
        assert flat_words(whole.tokens("ex-Soviet")) == ["ex", "soviet"]

    def test_numbers_off(self) -> None:
        no_numbers = Analyzer(AnalyzerOptions(keep_numbers=False))
        assert no_numbers.analyze("August 9 3.5% Tu-214 24-10") == ["august", "tu-214", "tu"]
        assert flat_words(no_numbers.tokens("August 9")) == ["august", "9"]


# --------------------------------------------------------------------------
# The seed article
# --------------------------------------------------------------------------

@pytest.mark.skipif(not SEEDS, reason="no seed article")
def test_seed_article() -> None:
    text = SEEDS[0].read_text(encoding="utf-8")
    terms = analyze(text)
    for expected in ("lavrov", "say", "mediat", "russia", "ex-soviet", "tu-214", "9", "foreign-back"):
        assert expected in terms
    assert not set(terms) & STOPWORDS - {"us", "who"}
    assert terms == flat_terms(DEFAULT_ANALYZER.tokens(text))


# --------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------

_PIECES = [
    "Lavrov", "said", "ex-Soviet", "Tu-214", "3.5", "1,000", "U.S.", "US", "the",
    "Russia’s", "don't", "countries'", "24–10", "ﬁ", "Ａ", "é", "e\u0301", "\u200b",
    "\u00ad", "\ufeff", "😀", "👍🏽", "1️⃣", "<b>", "</a>", "&amp;", "&", "<", ">", "-",
    "‐", "’", "'", "`", ".", ",", "_", " ", "\n", "\x00", "\x1b", "Москва", "٢", "½",
    "İ", "ß", "\ud800", "\U000e0067", "\u0301", "\u20e3", "a.", "b.", "9",
]
texts = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(exclude_categories=())),  # incl. lone surrogates
    st.lists(st.sampled_from(_PIECES), max_size=30).map("".join),
)
_OPTIONS = [
    AnalyzerOptions(stem=s, stopwords=w, fold_verbs=f, split_hyphens=h, keep_numbers=n)
    for s, w, f, h, n in itertools.product(
        ("snowball", "porter", "none"), ("full", "small", "none"),
        (True, False), (True, False), (True, False),
    )
]
_ANALYZERS = [DEFAULT_ANALYZER] + [Analyzer(o) for o in _OPTIONS[::7]]


@settings(max_examples=300, deadline=None)
@given(text=texts, which=st.integers(0, len(_ANALYZERS) - 1))
def test_property_tokens_agree_with_analyze(text: str, which: int) -> None:
    analyzer = _ANALYZERS[which]
    terms = analyzer.analyze(text)
    tokens = analyzer.tokens(text)
    assert terms == flat_terms(tokens)
    previous_end = 0
    for tok in tokens:
        assert 0 <= tok.start < tok.end <= len(text)
        assert tok.start >= previous_end  # in order, non-overlapping
        previous_end = tok.end
        assert tok.words  # a token always has at least one word
        assert set(tok.terms) - set(tok.words) <= {t for t in tok.terms if "-" in t}
    for term in terms:
        assert term and not any(c.isspace() for c in term)
        assert len(term) <= MAX_TERM_CHARS


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_property_cache_does_not_change_results(text: str) -> None:
    assert DEFAULT_ANALYZER.analyze(text) == Analyzer().analyze(text)
    assert DEFAULT_ANALYZER.analyze(text) == DEFAULT_ANALYZER.analyze(text)


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_property_term_never_raises(text: str) -> None:
    term = DEFAULT_ANALYZER.term(text)
    assert term is None or isinstance(term, str)
