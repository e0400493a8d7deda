"""Per-language analysis, folding, detection, Telegram-shaped words and a mixed-language index."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from index import detect
from index.analysis import DEFAULT_ANALYZER, Analyzer
from index.build import article_language
from index.corpus import Article, parse_text, read_corpus
from index.engine import SearchIndex
from index.languages import LanguageSettings, normalize_code, segment
from index.multilingual import analyze_question

REPO = Path(__file__).resolve().parents[1]


def terms(lang: str, text: str) -> list[str]:
    return DEFAULT_ANALYZER.for_language(lang).analyze(text)


def same_terms(lang: str, a: str, b: str) -> bool:
    return terms(lang, a) == terms(lang, b)


# ---- stemming and stopwords, per language ------------------------------------

@pytest.mark.parametrize("lang, a, b", [
    ("ru", "Лавров заявил о посредничестве", "Лавровым заявлено посредничество"),
    ("es", "las elecciones presidenciales", "elección presidencial"),
    ("de", "die Verhandlungen der Minister", "Verhandlung Ministers"),
    ("ro", "alegerile prezidențiale", "alegeri prezidențial"),
    ("tr", "seçimlerde", "seçimler"),
    ("el", "των εκλογών", "εκλογές"),
    ("hi", "लड़कों ने", "लड़के"),
    ("ar", "المدرسة", "مدرسة"),
    ("pt", "as crianças pequenas", "criança pequena"),
    ("fr", "les élections", "élection"),
])
def test_inflected_forms_meet(lang: str, a: str, b: str) -> None:
    assert set(terms(lang, a)) & set(terms(lang, b)), (terms(lang, a), terms(lang, b))


def test_stopword_lists_are_per_language() -> None:
    lists = Analyzer(segmentation=LanguageSettings(stopwords="stop-words"))
    assert lists.for_language("ru").analyze("и в на что это") == []
    assert lists.for_language("es").analyze("el de la que y") == []
    assert lists.for_language("de").analyze("der die und nicht") == []
    assert lists.for_language("th").analyze("และ") == []  # stopwordsiso where stop-words has none
    assert terms("ru", "что") == ["что"]  # the default: no list (chosen on XQuAD tune)
    # English keeps its own hand-made list: Spanish "el" is a word there
    assert DEFAULT_ANALYZER.analyze("el") == ["el"]


# ---- script folding ------------------------------------------------------------

def test_russian_yo_folds() -> None:
    assert same_terms("ru", "ёлка", "елка")
    assert same_terms("ru", "Её", "ее")


def test_arabic_diacritics_alef_ta_marbuta_tatweel() -> None:
    assert same_terms("ar", "مَدْرَسَةٌ", "مدرسة")          # harakat
    assert same_terms("ar", "أحمد", "احمد")                # hamza on alef
    assert same_terms("ar", "إسلام", "اسلام")
    assert same_terms("ar", "آمن", "امن")
    assert same_terms("ar", "مدرسـة", "مدرسة")            # tatweel
    assert terms("ar", "مكتبة")[0] == terms("ar", "مكتبه")[0]    # ta marbuta (the Snowball term; ISRI roots differ)
    assert terms("ar", "مستشفى") == terms("ar", "مستشفي")  # alef maqsura
    assert terms("ar", "والكتاب") == terms("ar", "الكتاب") == terms("ar", "فالكتاب")  # "and the", "so the"


def test_greek_accents_and_final_sigma() -> None:
    assert same_terms("el", "άνθρωπος", "ΑΝΘΡΩΠΟΣ")
    assert same_terms("el", "ανθρωπος", "άνθρωπος")


def test_german_sharp_s() -> None:
    assert same_terms("de", "Straße", "STRASSE")
    assert same_terms("de", "Straße", "Strasse")


def test_turkish_dotted_and_dotless_i() -> None:
    tr = DEFAULT_ANALYZER.for_language("tr")
    assert tr.analyze("İstanbul") == tr.analyze("istanbul")
    assert tr.analyze("ILIK") == tr.analyze("ılık")
    assert tr.analyze("ılık") == tr.analyze("ilik")  # typed without Turkish letters


def test_vietnamese_keeps_tones() -> None:
    assert terms("vi", "má") != terms("vi", "ma")


# ---- unspaced scripts ------------------------------------------------------------

def test_chinese_overlapping_bigrams() -> None:
    assert terms("zh", "中华人民") == ["中华", "华人", "人民"]
    assert set(terms("zh", "人民共和国")) >= {"人民", "共和"}
    assert terms("zh", "国") == ["国"]  # a lone character is a unigram


def test_japanese_bigrams_and_spans_merge_in_highlights() -> None:
    ja = DEFAULT_ANALYZER.for_language("ja")
    assert "東京" in ja.analyze("東京は日本の首都です")
    text = "首都東京"
    assert ja.matching_spans(text, {"東京"}) == ((2, 4),)
    assert ja.matching_spans(text, {"首都", "都東", "東京"}) == ((0, 4),)


def test_thai_dictionary_segmentation() -> None:
    th = DEFAULT_ANALYZER.for_language("th")
    words = th.analyze("ภาษาไทยวันนี้อากาศดี")
    assert "อากาศ" in words and "ภาษาไทย" in words
    tokens = th.tokens("ผมรักภาษาไทย")
    assert [(t.start, t.end) for t in tokens][-1] == (5, 12)


def test_thai_bigram_alternative_and_khmer_clusters() -> None:
    assert segment("ภาษา", LanguageSettings(thai="bigram")) == [(0, 2), (1, 3), (2, 4)]
    km = terms("km", "ភាសាខ្មែរ")
    assert km and all(len(t) <= 4 for t in km)


def test_unknown_language_falls_back_to_lowercased_words() -> None:
    assert terms("xx", "Ünknown WÖRDS") == ["unknown", "words"]
    assert normalize_code("pt-BR") == "pt" and normalize_code("") == "und"


def test_english_analysis_is_unchanged() -> None:
    assert DEFAULT_ANALYZER.analyze("what did Lavrov say about mediation") == ["lavrov", "say", "mediat"]
    assert DEFAULT_ANALYZER.for_language("en") is DEFAULT_ANALYZER
    assert DEFAULT_ANALYZER.analyze("ex-Soviet Tu-214 U.S. 1,000") == [
        "ex-soviet", "ex", "soviet", "tu-214", "tu", "214", "us", "1000"]


# ---- Telegram-shaped words ------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "ru"])
def test_hashtags_mentions_urls_emoji(lang: str) -> None:
    a = DEFAULT_ANALYZER.for_language(lang)
    assert a.analyze("#Veloria") == a.analyze("Veloria") == a.analyze("veloria")
    assert a.analyze("@lavrov_official") == ["@lavrov_official"]  # one term, not "lavrov", "official"
    # a URL is its domain's words: never its path's or query's
    assert a.analyze("https://t.me/news_channel/123?utm_source=x.") == a.analyze("t.me")
    assert a.analyze("www.Example.org/a/b") == a.analyze("example.org") == a.analyze("example org")
    assert a.analyze("🔥🇷🇺 👍🏽") == []


def test_camel_case_hashtag_is_found_by_its_words() -> None:
    got = DEFAULT_ANALYZER.analyze("#BreakingNews")
    assert {"break", "news"} <= set(got)
    assert DEFAULT_ANALYZER.for_language("ru").analyze("#СвободуНавальному")[1:] == \
        DEFAULT_ANALYZER.for_language("ru").analyze("свободу навальному")


def test_emails_and_csharp_are_not_mentions_or_tags() -> None:
    assert "@example" not in DEFAULT_ANALYZER.analyze("press@example.org")
    assert DEFAULT_ANALYZER.analyze("C# code") == ["c", "code"]


# ---- detection and the lang setting -------------------------------------------------

def test_detection_of_articles() -> None:
    assert detect.detect_language("Министр иностранных дел России заявил в среду, что посредничество не нужно.") == "ru"
    assert detect.detect_language("The foreign minister said on Wednesday that no mediation was needed.") == "en"
    assert detect.detect_language("中华人民共和国成立于1949年，毛泽东在天安门城楼上宣布。") == "zh"
    assert detect.detect_language("12345 !!!") == "und"


XQUAD = REPO.parent / "shared" / "eval" / "xquad"


@pytest.mark.skipif(not XQUAD.exists(), reason="XQuAD not available")
def test_english_shortcut_never_claims_another_language() -> None:
    for lang in ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh"):
        texts = [json.loads(line)["text"] for line in (XQUAD / lang / "docs.jsonl").open(encoding="utf-8")]
        claimed = sum(detect.plainly_english(detect._sample(t)) for t in texts)
        assert (claimed >= 0.9 * len(texts)) if lang == "en" else claimed == 0, lang
        if lang == "en":
            assert all(detect.detect_language(t) == "en" for t in texts)


def test_among_restricts_to_the_corpus_languages() -> None:
    p = detect.among("Кто выиграл?", ["en", "ru"])
    assert set(p) == {"en", "ru"} and p["ru"] > 0.9 and abs(sum(p.values()) - 1) < 1e-9


def test_lang_from_front_matter_jsonl_and_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    art = parse_text("---\nlang: ru-RU\n---\nThis text is English but tagged.\n", "a.txt")
    assert art.lang == "ru-RU" and article_language(art) == "ru"
    (tmp_path / "x.jsonl").write_text(json.dumps({"text": "Hola amigos", "lang": "es"}) + "\n", encoding="utf-8")
    assert read_corpus(tmp_path).articles[0].lang == "es"
    plain = Article("b", "b", "b.txt", "Министр заявил в среду, что посредничество не нужно.")
    assert article_language(plain) == "ru"
    assert article_language(plain, forced="uk") == "uk"
    assert article_language(art, forced="uk") == "ru"  # the article's own tag wins


# ---- a mixed-language corpus ----------------------------------------------------------

EN = "Russian Foreign Minister Sergei Lavrov said on Wednesday there was no need for outside mediation.\n"
RU = "Министр иностранных дел России Сергей Лавров заявил в среду, что посредничество извне не нужно.\n"
RU2 = "Президент Белоруссии отказался уйти в отставку, несмотря на протесты оппозиции.\n"


@pytest.fixture()
def mixed(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "en.txt").write_text(EN, encoding="utf-8")
    (corpus / "ru.txt").write_text(RU, encoding="utf-8")
    (corpus / "ru2.txt").write_text(RU2, encoding="utf-8")
    return corpus, tmp_path / "index"


def test_mixed_corpus_each_language_finds_its_own(mixed: tuple[Path, Path]) -> None:
    corpus, root = mixed
    index, _ = SearchIndex.build(corpus, root)
    try:
        assert index.languages == {"en": 1, "ru": 2}
        ru = index.search("Что заявил Лавров о посредничестве?", k=3)
        assert ru.hits[0].article.path == "ru.txt"
        assert {"Лавров", "заявил", "посредничество"} <= {ru.hits[0].text[a:b] for a, b in ru.hits[0].highlights}
        en = index.search("what did Lavrov say about mediation", k=3)
        assert en.hits[0].article.path == "en.txt"
        assert index.search("отставку оппозиции", k=3).hits[0].article.path == "ru2.txt"
        assert index.search('"Сергей Лавров"', k=3).hits[0].article.path == "ru.txt"  # a phrase, Russian words
        added, n = index.add_articles([Article("ru3", "ru3", "ru3.txt", "Лавров прилетел в Минск во вторник.")],
                                      corpus)
        assert n == 1 and added.languages == {"en": 1, "ru": 3}
        assert added.search("Когда Лавров прилетел в Минск?", k=1).hits[0].article.id == "ru3"
        added.close()
    finally:
        index.close()


def test_question_reading_weights_other_languages() -> None:
    reading = analyze_question("Кто выиграл Super Bowl?", Analyzer(), {"en": 5, "ru": 5})
    assert reading.analyzer.language == "ru"
    assert reading.extra and all(0 < w <= 1 for w in reading.extra.values())
    assert analyze_question("anything", Analyzer(), {"ru": 3}).analyzer.language == "ru"


def test_cli_stats_shows_articles_per_language(mixed: tuple[Path, Path]) -> None:
    corpus, root = mixed
    env_run = dict(cwd=REPO, capture_output=True, text=True, timeout=120)
    subprocess.run([sys.executable, "-m", "index", "build", "--corpus", str(corpus), "--index", str(root)],
                   check=True, **env_run)
    out = subprocess.run([sys.executable, "-m", "index", "stats", "--corpus", str(corpus), "--index", str(root)],
                         check=True, **env_run).stdout
    assert "languages: ru 2, en 1" in out
    data = json.loads(subprocess.run([sys.executable, "-m", "index", "stats", "--json", "--corpus", str(corpus),
                                      "--index", str(root)], check=True, **env_run).stdout)
    assert data["languages"] == {"en": 1, "ru": 2}


def test_telegram_post_words_and_quote(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    post = ("Veloria opens a new bridge 🌉🔥\n\nThe mayor of Veloria opened the bridge on Monday, "
            "@veloria_news reported. Details: https://example.org/veloria/bridge?id=7 #Veloria #CityNews 👍\n")
    (corpus / "post.txt").write_text(post, encoding="utf-8")
    index, _ = SearchIndex.build(corpus, tmp_path / "i")
    try:
        for q in ("#Veloria bridge", "veloria bridge", "@veloria_news", "example.org"):
            assert index.search(q, k=1).hits, q
        hit = index.search("#CityNews", k=1).hits[0]  # emoji and link kept in the quote, verbatim
        assert hit.text.endswith("https://example.org/veloria/bridge?id=7 #Veloria #CityNews 👍")
        assert index.search("city news", k=1).hits[0].text == hit.text
        assert not index.search("id 7", k=1).hits  # the URL's query is not words
    finally:
        index.close()
