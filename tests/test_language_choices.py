"""The per-language choices: Turkish prefixes, German compound parts, Arabic light stemming,
Thai engines; and their settings in IndexConfig (stored, stale when changed, read from .env)."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import load_settings
from index.analysis import Analyzer
from index.config import IndexConfig, RuntimeSettings, environment
from index.engine import SearchIndex, open_index
from index.languages import (LanguageSettings, arabic_light10, compound_parts, segment, stemmer_modes,
                             _lexicon)

REPO = Path(__file__).resolve().parents[1]


def terms(lang: str, text: str, **stemming: str) -> list[str]:
    settings = LanguageSettings().with_stemming(stemming) if stemming else LanguageSettings()
    return Analyzer(language=lang, segmentation=settings).analyze(text)


# ---- Turkish: the first letters as a second stem --------------------------------------------

def test_turkish_prefix_meets_forms_snowball_keeps_apart() -> None:
    # Snowball leaves "gazeteci" (journalist) and "gazetenin" (of the newspaper) apart
    assert not set(terms("tr", "gazeteci", tr="snowball")) & set(terms("tr", "gazetenin", tr="snowball"))
    both = dict(tr="snowball+prefix5")
    assert set(terms("tr", "gazeteci", **both)) & set(terms("tr", "gazetenin", **both)) == {"gazet"}
    assert terms("tr", "Kitaplarımızdan", tr="prefix5") == ["kitap"]
    assert terms("tr", "İstanbul'da", tr="prefix4") == ["ista"]   # Turkish casing before the cut
    assert terms("tr", "ev", tr="snowball+prefix4") == ["ev"]     # a short word: one term
    assert terms("tr", "1923", tr="snowball+prefix4") == ["1923"]   # numbers are never cut


def test_a_second_stem_is_a_term_but_not_a_phrase_word() -> None:
    analyzer = Analyzer(language="tr", segmentation=LanguageSettings().with_stemming({"tr": "snowball+prefix4"}))
    token = analyzer.tokens("gazetenin")[0]
    assert token.terms == ("gazete", "gaze") and token.words == ("gazete",)


def test_default_turkish_and_german_index_two_readings() -> None:
    assert stemmer_modes(LanguageSettings().stemmer("tr"))[0] == "snowball"
    assert len(terms("tr", "gazetenin")) == 2 and terms("en", "newspapers") == ["newspap"]
    assert "kraftwerk" in terms("de", "Wasserkraftwerk")


# ---- German: compound parts from the word list ----------------------------------------------

LEXICON = {"wasser": 50, "kraft": 60, "werk": 55, "kraftwerk": 300, "bund": 80, "regierung": 70,
           "unter": 10, "schied": 900, "unterschied": 100, "welt": 40, "meisterschaft": 200}


@pytest.mark.parametrize("word, parts", [
    ("wasserkraftwerk", ["wasser", "kraftwerk", "kraft", "werk"]),   # nested parts
    ("bundesregierung", ["bund", "regierung"]),                        # linking -es-
    ("weltmeisterschaft", ["welt", "meisterschaft"]),
    ("unterschied", []),        # the whole word is more frequent than its parts: no compound
    ("kraftwerk", ["kraft", "werk"]),
    ("werkbank", []),           # "bank" is not in the word list
    ("wasser", []),             # too short to split
])
def test_compound_parts(word: str, parts: list[str]) -> None:
    assert compound_parts(word, LEXICON) == parts


def test_german_compounds_index_their_stemmed_parts_and_are_found_by_them(tmp_path: Path) -> None:
    assert _lexicon("de"), "wordfreq's German word list is part of the install"
    got = terms("de", "Das Wasserkraftwerk der Bundesregierung", de="snowball+split")
    assert got[:5] == ["das", "wasserkraftwerk", "wass", "kraftwerk", "kraft"]
    assert {"bund", "regier"} <= set(got)
    assert terms("de", "Wasserkraftwerk", de="snowball") == ["wasserkraftwerk"]
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Das neue Wasserkraftwerk am Rhein liefert seit Montag Strom.\n"
                                  "Die Stadt baut eine Brücke.\n", encoding="utf-8")
    (corpus / "b.txt").write_text("Der Minister besuchte am Dienstag die Schule in Bonn.\n", encoding="utf-8")
    config = IndexConfig(language="de", languages=LanguageSettings().with_stemming({"de": "snowball+split"}))
    index, _ = SearchIndex.build(corpus, tmp_path / "i", config=config)
    try:
        hit = index.search("Welches Kraftwerk liefert Strom?", k=1).hits[0]
        assert hit.text.startswith("Das neue Wasserkraftwerk")
        assert [hit.text[a:b] for a, b in hit.highlights][:1] == ["Wasserkraftwerk"]
    finally:
        index.close()


# ---- Arabic: light10 ------------------------------------------------------------------------

@pytest.mark.parametrize("word, stem", [
    ("والمكتبات", "مكتب"),   # و + ال, then -ات
    ("بالكتاب", "كتاب"),      # ب + ال
    ("للطلاب", "طلاب"),       # لل
    ("مدرستها", "مدرست"),     # -ها (the ta marbuta before a suffix is ت)
    ("ولد", "ولد"),           # و alone is cut only when three letters stay
    ("وزير", "زير"),          # (light10's known over-cut, as in Lucene)
    ("يكتبون", "يكتب"),
])
def test_arabic_light10(word: str, stem: str) -> None:
    assert arabic_light10(word) == stem


def test_arabic_modes_fold_before_stemming() -> None:
    assert terms("ar", "وَالمَكتَبات", ar="light10") == ["مكتب"]   # harakat dropped first
    assert terms("ar", "الكاتب", ar="isri") == ["كتب"]             # ISRI: the root


# ---- Thai ---------------------------------------------------------------------------------

def test_thai_engines_cut_the_same_run_into_words() -> None:
    run = "ผมรักภาษาไทยมาก"
    for mode in ("dict", "longest"):
        spans = segment(run, LanguageSettings(thai=mode))
        assert [run[a:b] for a, b in spans] == ["ผม", "รัก", "ภาษาไทย", "มาก"]


def test_unknown_choices_are_refused() -> None:
    for bad in (dict(cjk="x"), dict(thai="newmm2"), dict(stopwords="all"), dict(stemming=(("tr", "prefix2"),)),
                dict(stemming=(("de", "split"),))):
        with pytest.raises(ValueError):
            LanguageSettings(**bad)


# ---- the settings in IndexConfig: stored, stale when changed ------------------------------------

@pytest.fixture()
def built(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Bakan Çarşamba günü gazetecilere açıklama yaptı.\n", encoding="utf-8")
    SearchIndex.build(corpus, tmp_path / "index")[0].close()
    return corpus, tmp_path / "index"


def test_a_changed_language_choice_makes_the_index_stale(built: tuple[Path, Path]) -> None:
    corpus, root = built
    index = SearchIndex.load(root)
    try:
        assert index.stale_reason(corpus, IndexConfig()) is None
        assert index.stale_reason(corpus, IndexConfig(language="tr")) == "its language configuration changed"
        other = LanguageSettings(thai="bigram")
        assert index.stale_reason(corpus, IndexConfig(languages=other)) == "its languages configuration changed"
        turkish = LanguageSettings().with_stemming({"tr": "prefix5"})
        assert index.stale_reason(corpus, IndexConfig(languages=turkish)) == "its languages configuration changed"
        # what only changes how this process searches or builds is not part of the index
        runtime = RuntimeSettings(timezone="Europe/Moscow", build_memory_mb=64, export_usernames=(("1", "x"),))
        assert index.stale_reason(corpus, IndexConfig(runtime=runtime)) is None
    finally:
        index.close()
    logs: list[str] = []
    rebuilt = open_index(corpus, root, log=logs.append, config=IndexConfig(languages=turkish))
    try:
        assert "stale (its languages configuration changed)" in logs[0]
        assert rebuilt.config.languages == turkish and rebuilt.stale_reason(corpus, IndexConfig(languages=turkish)) is None
        assert "gazet" in rebuilt.vocab and "gazetecilere" not in rebuilt.vocab
    finally:
        rebuilt.close()


def test_settings_come_from_the_environment_over_the_env_file(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("INDEX_LANGUAGE=pt-BR\nINDEX_THAI=longest\nINDEX_STEMMING=tr=prefix5, ar=light10\n"
                      "TIMEZONE=Asia/Tokyo\nBUILD_MEMORY_MB=64\nTELEGRAM_EXPORT_USERNAMES=1001=@chan\n"
                      "INDEX_CJK=jieba\n", encoding="utf-8")
    config = IndexConfig.from_env(environment({"INDEX_CJK": "bigram"}, dotenv))
    assert config.language == "pt" and config.languages.thai == "longest"
    assert config.languages.cjk == "bigram"   # the process environment wins over the file
    assert config.languages.stemmer("tr") == "prefix5" and config.languages.stemmer("ar") == "light10"
    assert config.runtime == RuntimeSettings("Asia/Tokyo", 64, (("1001", "chan"),))
    assert config.runtime.today() == dt.datetime.now(config.runtime.tz()).date()
    assert IndexConfig.from_env(environment({"ENV_FILE": str(dotenv)})).runtime.timezone == "Asia/Tokyo"
    bot = load_settings({}, dotenv=dotenv)   # the bot reads the same settings the same way
    assert bot.index_config.language == "pt" and bot.index_config.runtime.build_memory_mb == 64


@pytest.mark.parametrize("name, value", [("INDEX_LANGUAGE", "12"), ("INDEX_STEMMING", "tr"),
                                         ("INDEX_STEMMING", "tr=porter"), ("INDEX_THAI", "icu"),
                                         ("BUILD_MEMORY_MB", "lots")])
def test_a_bad_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        IndexConfig.from_env({name: value})


def test_the_cli_reads_the_env_file(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Hello there, this short text is English.\n", encoding="utf-8")
    (tmp_path / "settings.env").write_text(f"INDEX_LANGUAGE=ru\nCORPUS_DIR={corpus}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("CORPUS_DIR", "INDEX_PATH", "INDEX_LANGUAGE")}
    env["ENV_FILE"] = str(tmp_path / "settings.env")
    run = dict(cwd=REPO, capture_output=True, text=True, timeout=120, env=env)
    subprocess.run([sys.executable, "-m", "index", "build", "--index", str(tmp_path / "i")], check=True, **run)
    stats = subprocess.run([sys.executable, "-m", "index", "stats", "--json", "--index", str(tmp_path / "i")],
                           check=True, **run)
    assert json.loads(stats.stdout)["languages"] == {"ru": 1}
    (tmp_path / "settings.env").write_text("INDEX_STEMMING=tr=porter\n", encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "index", "build", "--index", str(tmp_path / "j")], **run)
    assert bad.returncode == 2 and "INDEX_STEMMING" in bad.stderr and "Traceback" not in bad.stderr
