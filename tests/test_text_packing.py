"""The compact index on disk: packed article texts (index.text_packing) and uint8 term frequencies."""
from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import numpy as np
import pytest

from index import store, text_packing
from index.corpus import parse_text
from index.engine import SearchIndex, open_index

TEXTS = [
    "Plain ASCII. The talks in Minsk began on Monday.",
    "Ünïcödé, Straße, naïve café — «quotes» and “curly” ones.",
    "Emoji 🎉🇺🇦👩🏽‍💻 inside a sentence, and a lone 🙂.",
    "中文的句子。日本語の文。한국어 문장. Ελληνικά. Русский текст. עברית. العربية. हिन्दी.",
    "",
    "Line\nbreaks\r\nand\ttabs and a NUL-free control \x07 char.",
]


def write_corpus(root: Path, bodies: dict[str, str]) -> Path:
    root.mkdir(parents=True)
    for name, body in bodies.items():
        (root / name).write_text(body, encoding="utf-8")
    return root


@pytest.mark.parametrize("zdict", [b"", text_packing.train_dictionary(TEXTS * 5)])
def test_pack_and_unpack_return_the_text_verbatim(zdict: bytes) -> None:
    for text in TEXTS + ["x" * 100_000, "🙂" * 5000]:
        blob = text_packing.pack(text, zdict)
        assert isinstance(blob, bytes) and text_packing.unpack(blob, zdict) == text


def test_the_dictionary_is_deterministic_bounded_and_pays() -> None:
    sample = [f"The minister said on {d} that the talks in Minsk would go on. Officials said nothing."
              for d in ("Monday", "Tuesday", "Friday")] * 20
    zdict = text_packing.train_dictionary(sample)
    assert zdict == text_packing.train_dictionary(sample) and 0 < len(zdict) <= text_packing.DICT_BYTES
    text = "The minister said on Sunday that the talks in Minsk would go on."
    assert len(text_packing.pack(text, zdict)) < len(text_packing.pack(text, b""))


def test_a_blob_of_another_dictionary_raises_instead_of_being_misread() -> None:
    text = "The minister said on Sunday that the talks in Minsk would go on." * 3
    blob = text_packing.pack(text, text_packing.train_dictionary([text] * 5))
    with pytest.raises(zlib.error):
        text_packing.unpack(blob, text_packing.train_dictionary(["other words entirely here"] * 5))


def test_an_index_stores_packed_texts_and_serves_them_verbatim(tmp_path: Path) -> None:
    bodies = {f"a{i}.txt": f"Story {i}.\n\n{t} The reporters wrote story number {i}.\n"
              for i, t in enumerate(TEXTS)}
    corpus = write_corpus(tmp_path / "c", bodies)
    index, _ = SearchIndex.build(corpus, tmp_path / "i")
    blobs = index.db.execute("SELECT typeof(text), article_text(text), path FROM articles").fetchall()
    assert {kind for kind, _, _ in blobs} == {"blob"}
    for _, text, path in blobs:       # the article text as read (the title line is part of it)
        assert text == bodies[path]
    for hit in index.search("emoji sentence lone", k=5).hits + index.search("Straße café", k=5).hits:
        article = bodies[hit.article.path]
        assert article[hit.start:hit.end] == hit.text       # the offsets still cut the original
    assert "🎉🇺🇦👩🏽‍💻" in index.search("emoji sentence", k=1).hits[0].text
    hit = index.search("Straße", k=1).hits[0]
    assert [t for _, t in index.context(hit.sentence_id, 2)] == [TEXTS[1], "The reporters wrote story number 1."]


def test_added_and_merged_articles_share_the_main_dictionary(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {f"a{i}.txt": f"Talks {i} in Minsk went on. Lavrov said nothing.\n"
                                           for i in range(5)})
    index, _ = SearchIndex.build(corpus, tmp_path / "i")
    zdict = text_packing.read_dictionary(index.db)
    assert zdict is not None
    new = parse_text("Ein Straßenfest 🎉 in Minsk. Lavrov kam nicht.\n", "b.txt")
    added, _ = index.add_articles([new], corpus)
    assert added.search("Straßenfest", k=1).hits[0].text == "Ein Straßenfest 🎉 in Minsk."
    delta_db = sqlite3.connect(next(added.generation.glob("*/" + store.DB_NAME)))
    assert text_packing.read_dictionary(delta_db) == zdict     # the delta's texts use the main's dictionary
    merged = added.merged()
    assert merged is not None and merged.search("Straßenfest", k=1).hits[0].text == "Ein Straßenfest 🎉 in Minsk."
    assert text_packing.read_dictionary(merged.db) == zdict     # the merge packed nothing anew


def test_an_index_of_the_previous_format_is_reported_stale_and_rebuilt(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Cats purr loudly.\n"})
    root = tmp_path / "i"
    SearchIndex.build(corpus, root)
    conn = sqlite3.connect(store.current_generation(root) / store.DB_NAME)
    with conn:
        conn.execute("""UPDATE meta SET value = '"4"' WHERE key = 'format_version'""")
    conn.close()
    with pytest.raises(store.IndexCorrupt, match="format '4'.*reads '5'.*rebuild"):
        SearchIndex.load(root)
    messages: list[str] = []
    index = open_index(corpus, root, log=messages.append)
    assert index.search("cats purr").hits[0].text == "Cats purr loudly." and "format '4'" in messages[0]


@pytest.mark.parametrize(("max_tf", "dtype"), [(0, np.uint8), (1, np.uint8), (255, np.uint8),
                                                (256, np.uint16), (65535, np.uint16)])
def test_term_frequencies_take_the_narrowest_exact_dtype(max_tf: int, dtype: type) -> None:
    assert store.tf_dtype(max_tf) is dtype


def test_a_field_with_a_tf_over_255_is_stored_uint16_and_scored_the_same(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.txt": "Cats purr.\n\n" + "echo " * 300 + "end.\n",
                                           "b.txt": "Dogs bark at the echo.\n"})
    index, _ = SearchIndex.build(corpus, tmp_path / "i")
    gen = index.generation
    p_tfs = np.load(gen / "p_tfs.npy")          # (a sentence is cut at 200 words: its paragraph has all 300)
    assert p_tfs.dtype == np.uint16 and int(p_tfs.max()) == 300               # exact, not clipped at 255
    s_tfs = np.load(gen / "s_tfs.npy")
    assert s_tfs.dtype == np.uint8 and int(s_tfs.max()) == 200                # chosen per field
    hits = index.search("echo", k=2).hits
    assert hits[0].text.startswith("echo echo") and hits[0].score > 0

