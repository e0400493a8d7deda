"""The speaker rule (index/speakers.py) on hand-made news sentences and the seed article."""
from __future__ import annotations

from pathlib import Path

import pytest

from index.sentences import split_article
from index.speakers import article_speakers, named_speaker, same_speaker, speaker_question

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_57659c863e939540.txt"

# (sentence, expected speaker): one sentence each, rule 1
NAMED = [
    # said-before
    ("Lavrov said the talks would continue.", "Lavrov"),
    ("Russian Foreign Minister Sergei Lavrov said on Wednesday there was no need for mediation.", "Sergei Lavrov"),
    ("Angela Merkel told reporters in Berlin that sanctions remain on the table.", "Angela Merkel"),
    ("Finance Minister Maria Costa warned that inflation could rise again.", "Maria Costa"),
    ("Mayor Tom Reyes added that the bridge would reopen in May.", "Tom Reyes"),
    ("Dr. Anika Patel, the hospital's chief of surgery, said the wards were full.", "Anika Patel"),
    ("Putin has also said that his country could intervene.", "Putin"),
    ("The Kremlin said it had no plans for a summit.", "Kremlin"),
    ("Jean-Luc Moreau insisted the vote was fair.", "Jean-Luc Moreau"),
    ("Mr. Okafor says the plant will close next year.", "Okafor"),
    ("Ursula von der Leyen announced a new aid package.", "Ursula von der Leyen"),
    # said-after (quote first)
    ("“We will not back down,” Lavrov said.", "Lavrov"),
    ("\"The numbers are clear,\" said Health Minister Lena Berg.", "Lena Berg"),
    ("“It is a difficult moment for all of us,” said Tom Reyes, speaking at the town hall.", "Tom Reyes"),
    ("“Prices will fall,” the governor, Ana Ruiz, said.", "Ana Ruiz"),
    ("Valdora's trade minister, Karl Bessen, said the terminals would reopen.", "Karl Bessen"),
    ("Karl Bessen, Valdora's trade minister, warned that tariffs could rise.", "Karl Bessen"),
    ("Opposition leader Ruth Okonkwo demanded early elections.", "Ruth Okonkwo"),
    ("Engineers had warned Duarte about the soft river bed.", None),
    ("“This is not over,” Costa told the parliament on Tuesday.", "Costa"),
    # according to
    ("According to Interfax, the plane landed in Moscow.", "Interfax"),
    ("The deal is worth $2 billion, according to Economy Minister Rafael Duarte.", "Rafael Duarte"),
    ("Turnout was low, according to the Central Election Commission.", "Central Election Commission"),
    # X: "..."
    ("Lukashenko: “We will not give up the country.”", "Lukashenko"),
    # mentions that are not speakers
    ("Protesters criticised Lavrov for his remarks.", None),
    ("Lavrov's spokeswoman said the minister was ill.", None),
    ("Critics said Lavrov had misled the public.", None),
    ("Officials said the border would stay closed.", None),
    ("The plane carried Lavrov and two aides to Minsk.", None),
    ("He met Angela Merkel in Berlin on Monday.", None),
    ("“Lavrov said nothing new,” the analyst wrote.", None),
    ("Police said two people were detained.", None),
    ("They said the vote was rigged.", None),
    # two names: the subject speaks, the object does not
    ("Putin told Lukashenko that Russia would help.", "Putin"),
    ("Michel urged Russia to push for dialogue.", "Michel"),
]


@pytest.mark.parametrize("sentence, expected", NAMED)
def test_named_speaker(sentence: str, expected: str | None) -> None:
    assert named_speaker(sentence) == expected


def speakers_of(text: str) -> list[tuple[str, str | None]]:
    sentences = split_article(text, 0, None)
    found = article_speakers(text, [(s.start, s.end, s.paragraph) for s in sentences])
    return [(text[s.start:s.end], who) for s, who in zip(sentences, found)]


def test_pronoun_continues_within_the_paragraph_and_across_one_break() -> None:
    text = ("Foreign Minister Sergei Lavrov said the West was meddling. He added that talks were possible.\n\n"
            "He further said that the elections could have been held better.\n\n"
            "The weather in Minsk was mild.\n\n"
            "He did not elaborate.")
    found = speakers_of(text)
    assert [who for _, who in found] == ["Sergei Lavrov", "Sergei Lavrov", "Sergei Lavrov", None, None]


def test_short_form_of_a_name_reads_as_the_full_form() -> None:
    found = speakers_of("Foreign Minister Sergei Lavrov spoke in Moscow.\n\nLavrov said the talks had failed.")
    assert found[1][1] == "Lavrov"  # the first sentence has no reporting verb: nothing to expand from
    found = speakers_of("Sergei Lavrov said the talks had failed.\n\nLavrov added that he was not surprised.")
    assert [who for _, who in found] == ["Sergei Lavrov", "Sergei Lavrov"]


def test_two_speakers_in_one_paragraph_pronoun_takes_the_latest() -> None:
    text = ("Merkel said the sanctions would stay. Macron told reporters he agreed. "
            "He added that France would send aid.")
    assert [who for _, who in speakers_of(text)] == ["Merkel", "Macron", "Macron"]


def test_pronoun_reporting_speech_after_a_named_subject() -> None:
    text = ("Lavrov said the talks would go on.\n\n"
            "Central bank governor Piotr Lind was more cautious. He said rates might rise.\n\n"
            "Tomas Varga dismissed the demand. He has left for Lund.")
    assert [who for _, who in speakers_of(text)] == ["Lavrov", None, "Piotr Lind", None, "Piotr Lind"]


def test_pronoun_does_not_inherit_an_inherited_speaker() -> None:
    text = ("Lavrov said the talks would go on.\n\nHe added nothing.\n\nHe then left.")
    assert [who for _, who in speakers_of(text)] == ["Lavrov", "Lavrov", None]


def test_a_quote_continues_the_previous_speaker_in_its_paragraph() -> None:
    text = "“We are ready,” Costa said. “The budget is balanced.”\n\n“Nobody believes that.”"
    assert [who for _, who in speakers_of(text)] == ["Costa", "Costa", None]


def test_a_mention_before_a_pronoun_does_not_make_a_speaker() -> None:
    text = "Protesters criticised Lavrov on Tuesday. He has not responded."
    assert [who for _, who in speakers_of(text)] == [None, None]


def test_seed_lavrov_and_putin() -> None:
    text = SEED.read_text(encoding="utf-8")
    found = dict(speakers_of(text))
    assert found["Lavrov said statements by European Union countries were driven by the geopolitics and that "
                 "he hoped the Belarusian opposition would be ready to enter into talks with the authorities "
                 "in Belarus."] == "Sergei Lavrov"
    he = next(s for s in found if s.startswith("He further said that authorities recognize"))
    assert found[he] == "Sergei Lavrov"
    putin = next(s for s in found if s.startswith("Russian President Vladimir Putin"))
    assert found[putin] == "Vladimir Putin"
    refused = next(s for s in found if s.startswith("He has refused"))
    assert found[refused] is None      # Lukashenko is mentioned, not named as a speaker
    assert sum(1 for who in found.values() if who) == 4


@pytest.mark.parametrize("question, speaker, topic", [
    ("what did Lavrov say about mediation", "Lavrov", "mediation"),
    ("What did Sergei Lavrov say about the elections?", "Sergei Lavrov", "the elections"),
    ("what has Merkel said on sanctions", "Merkel", "sanctions"),
    ("What does Putin think of the protests?", "Putin", "the protests"),
    ("Lavrov on mediation", "Lavrov", "mediation"),
    ("Lavrov's view of the elections", "Lavrov", "the elections"),
    ("Merkel’s position on sanctions", "Merkel", "sanctions"),
    ("what did Lavrov say", "Lavrov", None),
])
def test_speaker_question(question: str, speaker: str, topic: str | None) -> None:
    found = speaker_question(question)
    assert found is not None
    assert (found.speaker, found.topic) == (speaker, topic)


@pytest.mark.parametrize("question", ["who said mediation", "sanctions on belarus", "what did he say about it",
                                      "what is the capital of Belarus", "mediation"])
def test_not_a_speaker_question(question: str) -> None:
    assert speaker_question(question) is None


def test_view_form_searches_the_name_and_topic_only() -> None:
    assert speaker_question("Lavrov's view of the elections").text == "Lavrov the elections"
    assert speaker_question("what did Lavrov say about mediation").text == "what did Lavrov say about mediation"


def test_same_speaker() -> None:
    assert same_speaker("Lavrov", "Sergei Lavrov")
    assert same_speaker("sergei lavrov", "Sergei Lavrov")
    assert same_speaker("Zelensky", "Zelensky")
    assert not same_speaker("Sergei", "Sergey Lavrov")
    assert not same_speaker("Putin", "Sergei Lavrov")
    assert same_speaker("Müller", "Anna Muller")
