"""Behaviour of index.sentences: paragraphs, sentences, headings, boilerplate, spans."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.sentences import (
    DEFAULT_BOILERPLATE,
    MAX_SENTENCE_CHARS,
    Sentence,
    is_heading,
    make_tokenizer,
    split_article,
)

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SEED = SEEDS / "000_57659c863e939540.txt"

SEED_SENTENCES = [
    "Russian Foreign Minister Sergei Lavrov said on Wednesday there was no need for outside "
    "mediation over the unrest in Belarus and accused foreign powers of using the crisis to "
    "interfere in Belarus, Russia’s\xa0TASS\xa0and\xa0Interfax\xa0news agencies reported.",
    "Lavrov said statements by European Union countries were driven by the geopolitics and "
    "that he hoped the Belarusian opposition would be ready to enter into talks with the "
    "authorities in Belarus.",
    "He further said that authorities recognize that elections in Belarus “could have been "
    "held better”.",
    "Belarus, a close Russian ally, is mired in a political crisis with protesters angry over "
    "what they say was a rigged presidential election on August 9.",
    "They have been calling on veteran leader Alexander Lukashenko to step down.",
    "He has refused, saying they are part of a foreign-backed plot to destabilize the country.",
    "France, Germany, and European Union Council President Charles Michel have all urged Russia "
    "to push for dialogue to end the crisis peacefully after security services brutally broke "
    "up peaceful demonstrations calling for the long-ruling strongman to quit.",
    "Russian President Vladimir Putin has said that his country could intervene in the crisis "
    "but has also warned against “unacceptable” foreign interference in Belarus or pressure on "
    "its leadership.",
    "The EU is already working on a new round of sanctions against Belarus, targeting those "
    "involved in allegedly fixing the August 9 vote and in the bloody repression of protests, "
    "which have shaken Lukashenko’s grip on the ex-Soviet republic as never before.",
    "A Russian government plane used to carry senior government officials, including the head "
    "of the FSB security service, has made a quick flight to Belarus and back, landing in "
    "Moscow in the early hours of Wednesday, flight tracking data shows.",
    "Tracking data showed the plane, a Tupolev Tu-214 which is also a command and control "
    "center, flew to Minsk from Moscow on Tuesday before landing back in Moscow in the early "
    "hours of Wednesday morning.",
    "Attention is firmly focused on how Russia will respond to the biggest political crisis "
    "facing an ex-Soviet neighbor since 2014 in Ukraine when Moscow intervened militarily after "
    "a friendly leader was toppled by public protests.",
]


def texts(text: str, start: int = 0, **kwargs) -> list[str]:
    return [text[s.start : s.end] for s in split_article(text, start, **kwargs)]


# --- the real seed article ---------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> tuple[str, list[Sentence]]:
    text = SEED.read_text(encoding="utf-8")
    return text, split_article(text)


def test_seed_gives_exactly_the_expected_sentences(seed):
    text, sentences = seed
    assert len(sentences) == 12
    assert [text[s.start : s.end] for s in sentences] == SEED_SENTENCES


def test_seed_quote_before_period_ends_one_sentence(seed):
    text, sentences = seed
    quoted = (
        "He further said that authorities recognize that elections in Belarus "
        "“could have been held better”."
    )
    assert quoted in [text[s.start : s.end] for s in sentences]


def test_seed_drops_glued_boilerplate(seed):
    text, sentences = seed
    assert "ARTICLE CONTINUES AFTER AD" in text
    assert all("ARTICLE CONTINUES" not in text[s.start : s.end] for s in sentences)
    assert text[sentences[3].start : sentences[3].end].endswith("election on August 9.")


def test_seed_heading_is_a_section_not_a_sentence(seed):
    text, sentences = seed
    bodies = [text[s.start : s.end] for s in sentences]
    assert all("Quick flight" not in b for b in bodies)
    plane = bodies.index(SEED_SENTENCES[9])
    assert all(s.section is None for s in sentences[:plane])
    assert all(s.section == "Quick flight" for s in sentences[plane:])
    assert {bodies[i] for i in range(plane, len(bodies))} == set(SEED_SENTENCES[9:])


def test_seed_paragraph_and_index_numbering(seed):
    _, sentences = seed
    numbering = [(s.paragraph, s.index) for s in sentences]
    assert numbering == [
        (0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (4, 1),
        (5, 0), (6, 0), (7, 0), (8, 0), (9, 0), (10, 0),
    ]


# --- abbreviations, initials, numbers ------------------------------------------


@pytest.mark.parametrize(
    "sentence",
    [
        "Mr. Smith and Mrs. Smith met Dr. Jones.",
        "Gen. Lee spoke to Sen. Warren and Gov. Newsom.",
        "The parade went down St. Patrick's road.",
        "It happened on Jan. 6 and again on Sept. 11 last year.",
        "The U.S. and the U.K. asked the U.N. for help.",
        "Trading opens at 9 a.m. and closes at 4 p.m. every day.",
        "J. K. Rowling wrote it.",
        "J.K. Rowling wrote it.",
        "George H.W. Bush met Gen. He Weidong.",
        "Growth was 3.5% in 2020.",
        "The Tupolev Tu-214 landed.",
        "They shipped v2.0 of the app.",
        "No. 10 Downing Street declined to comment.",
        "Roe v. Wade was decided in 1973.",
    ],
)
def test_abbreviations_initials_and_numbers_keep_one_sentence(sentence):
    assert texts(f"{sentence} Then it ended.") == [sentence, "Then it ended."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He lives in the U.S. The weather is fine.", ["He lives in the U.S.", "The weather is fine."]),
        ("They need a Plan B. The first one failed.", ["They need a Plan B.", "The first one failed."]),
        ("It was in 2020. The year was hard.", ["It was in 2020.", "The year was hard."]),
        ("Apples, pears, etc. But not plums.", ["Apples, pears, etc.", "But not plums."]),
    ],
)
def test_abbreviation_at_sentence_end_breaks_before_a_sentence_starter(text, expected):
    assert texts(text) == expected


# --- quotes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Elections “could have been held better”. Next sentence.",
            ["Elections “could have been held better”.", "Next sentence."],
        ),
        (
            'Elections "could have been held better". Next sentence.',
            ['Elections "could have been held better".', "Next sentence."],
        ),
        ('He said "no." Then he left.', ['He said "no."', "Then he left."]),
        ("He said “no.” Then he left.", ["He said “no.”", "Then he left."]),
        ("“Mr. Smith is here,” she said. Then.", ["“Mr. Smith is here,” she said.", "Then."]),
        ("(It rained.) Then it stopped.", ["(It rained.)", "Then it stopped."]),
    ],
)
def test_closing_quotes_belong_to_the_sentence_they_end(text, expected):
    assert texts(text) == expected


# --- headings ------------------------------------------------------------------


def test_plain_heading_is_section_and_not_glued_to_next_sentence():
    text = "Intro sentence here.\n\nQuick flight\n\nThe plane flew. It came back.\n"
    sentences = split_article(text)
    assert texts(text) == ["Intro sentence here.", "The plane flew.", "It came back."]
    assert [s.section for s in sentences] == [None, "Quick flight", "Quick flight"]
    assert [(s.paragraph, s.index) for s in sentences] == [(0, 0), (1, 0), (1, 1)]


def test_markdown_headings_set_sections_even_inside_a_block():
    text = "# Top\n\nFirst para.\n## Sub Title ##\nSecond para. More.\n\n### Third: again.\nLast."
    sentences = split_article(text)
    assert texts(text) == ["First para.", "Second para.", "More.", "Last."]
    assert [s.section for s in sentences] == ["Top", "Sub Title", "Sub Title", "Third: again."]
    assert [(s.paragraph, s.index) for s in sentences] == [(0, 0), (1, 0), (1, 1), (2, 0)]


def test_next_heading_replaces_the_section():
    text = "One\n\nA sentence.\n\nTwo\n\nB sentence."
    assert [s.section for s in split_article(text)] == ["One", "Two"]


@pytest.mark.parametrize(
    "block",
    [
        "This is a short line ending in a period.",
        "Is this a question?",
        "Note:",
        "“A quoted sentence.”",
        "A multi\nline block",
        "word " * 13,
        "x" * 81,
    ],
)
def test_non_headings_are_sentences(block):
    text = f"{block}\n\nBody."
    sentences = split_article(text)
    assert len(sentences) >= 2
    assert all(s.section is None for s in sentences)


def test_is_heading():
    assert is_heading("Quick flight")
    assert is_heading("  ## Markdown title.  ")
    assert is_heading("Belarus (2020)")
    assert not is_heading("He said so.")
    assert not is_heading("“Could have been held better.”")
    assert not is_heading("Advertisement")
    assert not is_heading("")
    assert not is_heading("Two\nlines")
    assert not is_heading("w " * 13)


# --- boilerplate ---------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "ARTICLE CONTINUES AFTER AD",
        "Story continues below advertisement",
        "Advertisement",
        "ADVERTISEMENT",
        "Advertising",
        "Sponsored content",
        "Ad",
        "Subscribe to our newsletter…",
        "Subscribe now",
        "Sign up for our daily briefing",
        "Read more: Lavrov blames the West",
        "READ MORE »",
        "Read more",
        "Click here to read the full report.",
    ],
)
def test_boilerplate_lines_are_dropped(line):
    for text, paragraphs in (
        (f"First sentence.\n\n{line}\n\nLast sentence.", [0, 1]),
        (f"First sentence.\r\n\r\n  {line}  \r\n\r\nLast sentence.", [0, 1]),
        (f"First sentence. {line}\n\nLast sentence.", [0, 1]),
        (f"First sentence.\n{line}\nLast sentence.", [0, 0]),
    ):
        sentences = split_article(text)
        assert texts(text) == ["First sentence.", "Last sentence."], text
        assert [s.paragraph for s in sentences] == paragraphs


def test_boilerplate_glued_anywhere_splits_around_it():
    text = "They said ARTICLE CONTINUES AFTER AD that it was fine."
    assert texts(text) == ["They said", "that it was fine."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It began. The advertisement was banned.", ["It began.", "The advertisement was banned."]),
        ("It began. Read more widely, she said.", ["It began.", "Read more widely, she said."]),
        ("It began. Subscribers grew fast.", ["It began.", "Subscribers grew fast."]),
        ("It began. Voters had to sign up early.", ["It began.", "Voters had to sign up early."]),
        ("He saw an advertisement\nyesterday.", ["He saw an advertisement\nyesterday."]),
        ("They ran the ad\nagain.", ["They ran the ad\nagain."]),
    ],
)
def test_boilerplate_words_inside_prose_are_kept(text, expected):
    assert texts(text) == expected


def test_boilerplate_only_blocks_and_headings_take_no_paragraph_number():
    text = "Advertisement\n\nQuick flight\nAdvertisement\n\nBody one.\n\nRead more: x\n\nBody two."
    sentences = split_article(text)
    assert texts(text) == ["Body one.", "Body two."]
    assert [(s.paragraph, s.section) for s in sentences] == [(0, "Quick flight"), (1, "Quick flight")]


def test_custom_and_empty_boilerplate():
    text = "Keep this.\nAdvertisement\nStill here.\n\nDROP ME please now.\n\nEnd."
    assert texts(text) == ["Keep this.", "Still here.", "DROP ME please now.", "End."]
    # kept, "Advertisement" is a line of its own without final punctuation: a sentence (issue 12)
    assert texts(text, boilerplate=()) == [
        "Keep this.",
        "Advertisement",
        "Still here.",
        "DROP ME please now.",
        "End.",
    ]
    assert texts(text, boilerplate=[r"^drop me.*$"]) == [
        "Keep this.",
        "Advertisement",
        "Still here.",
        "End.",
    ]
    assert texts("A sentence.", boilerplate=[r"x*"]) == ["A sentence."]
    assert len(DEFAULT_BOILERPLATE) >= 2


# --- long runs, line endings, offsets -------------------------------------------


def test_very_long_paragraph_without_punctuation_is_cut_at_whitespace():
    words = [f"word{i % 97}" for i in range(7000)]
    text = "Intro.\n\n" + " ".join(words) + "\n\nOutro."
    sentences = split_article(text)
    middle = sentences[1:-1]
    assert texts(text)[0] == "Intro." and texts(text)[-1] == "Outro."
    assert len(middle) > 1
    assert all(0 < s.end - s.start <= MAX_SENTENCE_CHARS for s in sentences)
    assert " ".join(text[s.start : s.end] for s in middle) == " ".join(words)
    assert [s.index for s in middle] == list(range(len(middle)))


def test_run_without_whitespace_is_hard_cut():
    text = "x" * 2500
    sentences = split_article(text)
    assert [(s.start, s.end) for s in sentences] == [(0, 1000), (1000, 2000), (2000, 2500)]


def test_crlf_and_cr_line_endings_keep_exact_spans():
    for nl in ("\r\n", "\r"):
        text = nl.join(["Heading here", "", "First line of", "a sentence. Second.", "", "Third."])
        sentences = split_article(text)
        assert texts(text) == [f"First line of{nl}a sentence.", "Second.", "Third."]
        assert [s.section for s in sentences] == ["Heading here"] * 3
        assert [s.paragraph for s in sentences] == [0, 0, 1]


def test_single_newline_is_whitespace_inside_a_sentence():
    assert texts("A sentence that\nspans lines. Next.") == ["A sentence that\nspans lines.", "Next."]


def test_start_offset_skips_the_front_and_keeps_whole_text_offsets():
    text = "Title line\nSkipped sentence.\n\nBody sentence one. Body two."
    start = text.index("Body")
    sentences = split_article(text, start)
    assert texts(text, start) == ["Body sentence one.", "Body two."]
    assert sentences[0].start == start
    assert sentences[0].paragraph == 0
    assert split_article(text, len(text)) == []
    with pytest.raises(ValueError):
        split_article(text, len(text) + 1)


@pytest.mark.parametrize("text", ["", "   ", "\n\n \t\n", "\r\n\r\n"])
def test_empty_text_gives_nothing(text):
    assert split_article(text) == []


def test_tokenizer_is_cached_and_punkt_tab_falls_back():
    assert make_tokenizer() is make_tokenizer()
    assert make_tokenizer(use_punkt_tab=True) is not None
    text = "Mr. Smith left. Then."
    assert texts(text, tokenizer=make_tokenizer()) == ["Mr. Smith left.", "Then."]


def test_sentence_is_frozen():
    sentence = split_article("One.")[0]
    assert sentence == Sentence(0, 4, 0, 0, None)
    with pytest.raises(AttributeError):
        sentence.start = 1  # type: ignore[misc]


# --- properties ------------------------------------------------------------------

_ALPHABET = st.sampled_from(
    list("abcXYZ019 .!?,;:\"'“”’()#-\n\r\t\xa0…") + ["Mr.", "U.S.", "\n\n", "Advertisement", "ad"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=200).map("".join), st.integers(0, 50))
def test_spans_are_valid_for_any_text(text, start):
    start = min(start, len(text))
    sentences = split_article(text, start)
    previous_end = start
    for s in sentences:
        assert previous_end <= s.start < s.end <= len(text)
        body = text[s.start : s.end]
        assert body == body.strip()
        assert len(body) <= MAX_SENTENCE_CHARS
        previous_end = s.end
    paragraphs = [s.paragraph for s in sentences]
    assert paragraphs == sorted(paragraphs)
    for earlier, later in zip(sentences, sentences[1:]):
        if later.paragraph == earlier.paragraph:
            assert later.index == earlier.index + 1
        else:
            assert later.paragraph == earlier.paragraph + 1 and later.index == 0


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab .\n")), min_size=1500, max_size=3000))
def test_long_texts_are_cut_within_the_limit(text):
    for s in split_article(text):
        body = text[s.start : s.end]
        assert 0 < len(body) <= MAX_SENTENCE_CHARS and body == body.strip()
