"""Sentences in every script, per-language Punkt, headings and Telegram-shaped posts (issue 12)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index import sentences as sentence_module
from index.sentences import (
    MAX_SENTENCE_CHARS,
    SCRIPT_SENTENCE_ENDS,
    is_heading,
    learn_tokenizer,
    make_tokenizer,
    split_article,
)


def texts(text: str, lang: str | None = None, **kwargs) -> list[str]:
    return [text[s.start : s.end] for s in split_article(text, lang=lang, **kwargs)]


# --- each script on hand-picked sentences ---------------------------------------

SCRIPT_CASES = {
    "zh": ["北京今天下雨了。", "气温下降到十度！", "市民出行要注意安全吗？", "是的。"],
    "ja": ["東京は晴れです。", "明日は雨でしょう！", "本当ですか？", "「はい。」と彼は言った。"],
    "hi": ["भारत एक विशाल देश है।", "यहाँ कई भाषाएँ बोली जाती हैं॥", "क्या आप हिंदी बोलते हैं?", "हाँ।"],
    "ar": ["ذهب الولد إلى المدرسة.", "هل تحب القراءة؟", "نعم أحبها كثيرا."],
    "ur": ["میں پاکستان سے ہوں۔", "آپ کہاں سے ہیں؟", "شکریہ۔"],
    "am": ["ኢትዮጵያ በአፍሪካ ትገኛለች።", "ዋና ከተማዋ አዲስ አበባ ናት።", "ምን ትፈልጋለህ?"],
    "my": ["မြန်မာနိုင်ငံသည် အာရှတွင် ရှိသည်။", "ရန်ကုန်သည် အကြီးဆုံးမြို့ ဖြစ်သည်။"],
    "ru": ["Он живёт на ул. Ленина, т.е. в центре.", "Проф. Иванов согласен.", "Это стоило 5 тыс. рублей."],
    "el": ["Ο κ. Παπαδόπουλος ήρθε.", "Τι ώρα είναι;", "Είναι αργά."],
    "de": ["Das war z.B. am 1. Mai so.", "Dr. Müller kam um 9 Uhr.", "Er ging bzw. lief nach Hause."],
    "es": ["El Sr. García llegó a EE.UU. ayer.", "¿Vino la Dra. López?", "Sí, vino."],
}


@pytest.mark.parametrize("lang", sorted(SCRIPT_CASES))
def test_each_script_splits_its_sentences(lang):
    expected = SCRIPT_CASES[lang]
    joiner = "" if lang in ("zh", "ja") else " "  # CJK puts no space after a full stop
    assert texts(joiner.join(expected), lang) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("他说：“我们赢了。”然后离开了。", ["他说：“我们赢了。”", "然后离开了。"]),
        ("你好!他说。", ["你好!", "他说。"]),
        ("版本3.5发布了。很好。", ["版本3.5发布了。", "很好。"]),
    ],
)
def test_cjk_closing_quotes_ascii_marks_and_numbers(text, expected):
    assert texts(text, "zh") == expected


def test_per_language_abbreviations_do_not_leak_into_english():
    # "bzw." is German; in English (lang None) Punkt breaks after an unknown abbreviation
    assert texts("Er kam bzw. Er ging.", "de") == ["Er kam bzw. Er ging."]
    assert texts("Er kam bzw. Er ging.") == ["Er kam bzw.", "Er ging."]
    assert make_tokenizer(lang="pt-BR") is make_tokenizer(lang="pt")
    assert make_tokenizer(lang="xx") is make_tokenizer() is make_tokenizer(lang="en")


def test_greek_question_mark_is_a_sentence_end_only_in_greek():
    assert texts("Τι ώρα είναι; Είναι αργά.", "el") == ["Τι ώρα είναι;", "Είναι αργά."]
    assert texts("One; two.", None) == ["One; two."]


def test_learn_tokenizer_keeps_the_listed_abbreviations():
    corpus = ["Der Zug kam um 9 Uhr an. Er fuhr weiter nach Berlin. " * 20]
    tok = learn_tokenizer(corpus, "de")
    assert texts("Das war z.B. am 1. Mai so. Dann ging er.", tokenizer=tok) == [
        "Das war z.B. am 1. Mai so.", "Dann ging er."]


# --- Thai: spaces between clauses ------------------------------------------------

_THAI_A = ("กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทยและเป็นเมืองที่มีประชากรมากที่สุดในประเทศ"
           "มาเป็นเวลานานหลายร้อยปีแล้วตั้งแต่สมัยรัชกาลที่หนึ่ง")
_THAI_B = ("นักท่องเที่ยวจากทั่วโลกเดินทางมาเยี่ยมชมวัดพระแก้วและพระบรมมหาราชวังทุกปี"
           "เป็นจำนวนหลายล้านคนอย่างต่อเนื่องโดยเฉพาะในช่วงฤดูหนาว")


def test_thai_splits_at_spaces_between_long_clauses():
    assert len(_THAI_A) >= sentence_module.THAI_MIN_CHARS
    text = f"{_THAI_A} {_THAI_B} {_THAI_A}"
    assert texts(text, "th") == [_THAI_A, _THAI_B, _THAI_A]


def test_thai_short_stretches_and_continuing_words_stay_in_the_sentence(monkeypatch):
    monkeypatch.setattr(sentence_module, "THAI_MIN_CHARS", 10)
    # a name with a space (จอช นอร์แมน) is shorter than the minimum; "และ" (and) continues
    assert texts("ฉันชอบกินข้าวมาก วันนี้ฝนตกหนักมาก และลมแรงมากด้วย", "th") == [
        "ฉันชอบกินข้าวมาก", "วันนี้ฝนตกหนักมาก และลมแรงมากด้วย"]
    monkeypatch.setattr(sentence_module, "THAI_MIN_CHARS", 20)
    assert texts("เขาคือ จอช นอร์แมน", "th") == ["เขาคือ จอช นอร์แมน"]
    # spaces around numbers and Latin words are word spacing, not sentence ends
    assert texts("ทำคะแนนได้ 308 แต้มในลีก NFL ของอเมริกา", "th") == ["ทำคะแนนได้ 308 แต้มในลีก NFL ของอเมริกา"]


# --- headings know every script's marks -------------------------------------------


@pytest.mark.parametrize("line", ["北京新闻", "Новости дня", "भारत समाचार", "أخبار اليوم", "ข่าววันนี้"])
def test_short_unpunctuated_lines_of_any_script_are_headings(line):
    assert is_heading(line)


@pytest.mark.parametrize(
    "line",
    ["今天下雨了。", "真的吗？", "好！", "यह सच है।", "यह सच है॥", "هل هذا صحيح؟", "یہ سچ ہے۔",
     "ይህ እውነት ነው።", "ဟုတ်ပါသည်။", "他说：“好。”", "首先，"],
)
def test_lines_ending_in_a_script_mark_are_not_headings(line):
    assert not is_heading(line)


def test_a_short_thai_block_is_a_sentence_not_a_heading():
    # Thai has no final mark: a short Thai block may be a whole one-sentence paragraph
    text = "# ข่าววันนี้\n\nวันนี้ฝนตกหนักมาก\n\nพรุ่งนี้อากาศดี"
    sentences = split_article(text, lang="th")
    assert texts(text, "th") == ["วันนี้ฝนตกหนักมาก", "พรุ่งนี้อากาศดี"]
    assert [s.section for s in sentences] == ["ข่าววันนี้"] * 2


def test_short_chinese_paragraphs_ending_in_full_stop_are_sentences_not_headings():
    text = "北京新闻\n\n今天下雨了。\n\n很冷。\n\n明天晴。"
    sentences = split_article(text, lang="zh")
    assert texts(text, "zh") == ["今天下雨了。", "很冷。", "明天晴。"]
    assert [s.section for s in sentences] == ["北京新闻"] * 3
    assert [s.paragraph for s in sentences] == [0, 1, 2]


def test_every_script_mark_ends_a_sentence():
    for mark in SCRIPT_SENTENCE_ENDS:
        text = f"abc{mark} def{mark}"
        assert texts(text) == [f"abc{mark}", f"def{mark}"], mark


# --- Telegram-shaped posts ------------------------------------------------------------

CHANNEL_POST = (
    "🚨 Bridge closed in Veloria after the storm\n"
    "The Veloria bridge will stay closed until Monday, the city said. "
    "Engineers found cracks in two pillars 🌉\n"
    "Photo: Anna Berg / Veloria Post\n"
    "Full story: https://veloria.example/news/bridge-closed?utm_source=telegram&id=42.\n"
    "#Veloria #storm @veloria_post\n"
    "— Veloria Post"
)


def test_channel_post_lines_are_separate_sentences_with_emoji_tags_and_links_verbatim():
    assert texts(CHANNEL_POST) == [
        "🚨 Bridge closed in Veloria after the storm",
        "The Veloria bridge will stay closed until Monday, the city said.",
        "Engineers found cracks in two pillars 🌉",
        "Photo: Anna Berg / Veloria Post",
        "Full story: https://veloria.example/news/bridge-closed?utm_source=telegram&id=42.",
        "#Veloria #storm @veloria_post",
        "— Veloria Post",
    ]
    sentences = split_article(CHANNEL_POST)
    assert {s.paragraph for s in sentences} == {0} and all(s.section is None for s in sentences)


def test_scraped_news_caption_and_byline_in_norwegian():
    text = ("Stormen stengte brua\nBrua over elva ble stengt i natt etter uværet. Den åpner igjen mandag.\n"
            "FOTO: NTB\nAv Kari Nordmann\r\nTips oss: kari@avis.example")
    assert texts(text, "no") == [
        "Stormen stengte brua", "Brua over elva ble stengt i natt etter uværet.", "Den åpner igjen mandag.",
        "FOTO: NTB", "Av Kari Nordmann", "Tips oss: kari@avis.example"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # wrapped prose goes on in lower case
        ("A sentence that\nspans lines. Next.", ["A sentence that\nspans lines.", "Next."]),
        # continuing punctuation at the line end
        ("The three winners:\nAnna, Ben and Carl.", ["The three winners:\nAnna, Ben and Carl."]),
        ("Red, green,\nBlue and white.", ["Red, green,\nBlue and white."]),
        # a line ending in a period is Punkt's: an abbreviation still holds
        ("He met Dr.\nSmith today.", ["He met Dr.\nSmith today."]),
        # Chinese: no lower case; a line without its full stop ends
        ("北京新闻快讯\n今天下雨了。", ["北京新闻快讯", "今天下雨了。"]),
    ],
)
def test_line_break_rule(text, expected):
    assert texts(text) == expected


# --- exact spans in every script (property) ---------------------------------------------

_PIECES = st.sampled_from(
    list("ab Zé .!?,;:\"'“”«»「」（）#-\n\r\t\xa0…") + list(SCRIPT_SENTENCE_ENDS)
    + ["北京", "東京", "भारत", "مرحبا", "ሰላም", "မြန်မာ", "กรุงเทพ", "ครับ", "Привет", "Γειά", "\n\n", "🚨",
       "https://x.example/a?b=1", "#tag", "@name", "Dr.", "z.B.", "т.е.", "\u0e01" * 70]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=120).map("".join),
       st.sampled_from([None, "en", "zh", "ja", "hi", "ar", "ur", "am", "my", "th", "ru", "el", "de", "es"]))
def test_every_sentence_span_slices_the_text_in_any_script(text, lang):
    sentences = split_article(text, lang=lang)
    previous_end = 0
    for s in sentences:
        body = text[s.start : s.end]
        assert previous_end <= s.start < s.end <= len(text)
        assert body and body == body.strip()
        assert len(body) <= MAX_SENTENCE_CHARS
        previous_end = s.end
    # no non-space character is lost except headings and boilerplate: every sentence is verbatim text
    joined = "".join(text[s.start : s.end] for s in sentences)
    assert len(joined) <= len(text)
