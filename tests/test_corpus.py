"""Reading corpus folders: formats, titles, ids, de-duplication, and bad files reported not fatal."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from index.corpus import CorpusError, fingerprint, read_corpus

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def write(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def test_seed_article_is_read_verbatim() -> None:
    read = read_corpus(SEEDS)
    assert read.skipped == []
    [article] = read.articles
    raw = (SEEDS / "000_57659c863e939540.txt").read_text(encoding="utf-8")
    assert article.text == raw and article.body_start == 0
    assert article.id == "000_57659c863e939540"
    assert article.title == ""  # first line is a sentence, not a heading: untitled (no title made of the file name)


def test_front_matter_fields_and_body(tmp_path: Path) -> None:
    write(tmp_path, "a.md", '---\ntitle: "Talks in Minsk"\nurl: https://example.org/a\n'
                           "published: 2020-08-19\nsource: Reuters\nid: minsk-1\n---\nThe talks began. They ended.\n")
    [a] = read_corpus(tmp_path).articles
    assert (a.id, a.title, a.url, a.published, a.source) == (
        "minsk-1", "Talks in Minsk", "https://example.org/a", "2020-08-19", "Reuters")
    assert a.text[a.body_start:] == "The talks began. They ended.\n"


def test_title_from_heading_line_else_none(tmp_path: Path) -> None:
    write(tmp_path, "x/heading.txt", "Plane flies to Minsk\n\nA plane flew to Minsk on Tuesday.\n")
    write(tmp_path, "x/md_heading.md", "# Kremlin reacts\nThe Kremlin said nothing.\n")
    write(tmp_path, "x/no_title_here.txt", "A plane flew to Minsk on Tuesday and back again.\n")
    arts = {a.path: a for a in read_corpus(tmp_path).articles}
    assert arts["x/heading.txt"].title == "Plane flies to Minsk"
    assert arts["x/heading.txt"].text[arts["x/heading.txt"].body_start:].startswith("\nA plane")
    assert arts["x/md_heading.md"].title == "Kremlin reacts"
    assert arts["x/no_title_here.txt"].title == ""     # untitled: the bot shows its first words
    assert arts["x/no_title_here.txt"].id == "x/no_title_here"


def test_jsonl_records_and_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "r1", "title": "One", "text": "First text here.", "url": "https://e.org/1"}),
        "{not json",
        json.dumps({"title": "No text"}),
        json.dumps(["a", "list"]),
        "",
        json.dumps({"text": "Second text, no id."}),
    ]
    write(tmp_path, "feed.jsonl", "\n".join(lines) + "\n")
    read = read_corpus(tmp_path)
    assert [(a.id, a.title) for a in read.articles] == [("r1", "One"), ("feed#6", "")]
    assert read.articles[0].text == "First text here."
    reasons = {(s.path, s.line): s.reason for s in read.skipped}
    assert set(reasons) == {("feed.jsonl", 2), ("feed.jsonl", 3), ("feed.jsonl", 4)}
    assert "invalid JSON" in reasons[("feed.jsonl", 2)]


def test_bad_files_are_reported_and_the_rest_indexed(tmp_path: Path) -> None:
    write(tmp_path, "good.txt", "Lavrov spoke on Wednesday.")
    write(tmp_path, "bad_utf8.txt", b"caf\xe9 au lait")
    write(tmp_path, "binary.md", b"\x89PNG\r\n\x1a\n\0\0\0")
    write(tmp_path, "empty.txt", b"")
    write(tmp_path, "blank.txt", "   \n\n  ")
    write(tmp_path, "ignored.pdf", b"%PDF")
    os.symlink(tmp_path / "gone.txt", tmp_path / "dangling.txt")  # unreadable even for root
    read = read_corpus(tmp_path)
    assert [a.path for a in read.articles] == ["good.txt"]
    reasons = {s.path: s.reason for s in read.skipped}
    assert reasons["bad_utf8.txt"].startswith("invalid UTF-8 at byte 3")
    assert reasons["binary.md"].startswith("binary")
    assert reasons["empty.txt"] == reasons["blank.txt"] == "empty file"
    assert "ignored.pdf" not in reasons
    assert reasons["dangling.txt"].startswith("unreadable")


def test_same_text_twice_is_read_once(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "Lavrov said there was no need for mediation.\n")
    write(tmp_path, "b/copy.txt", "Lavrov said there was   no need\nfor mediation.")
    read = read_corpus(tmp_path)
    assert [a.path for a in read.articles] == ["a.txt"]
    assert "same text" in read.skipped[0].reason and read.skipped[0].path == "b/copy.txt"


def test_duplicate_ids_made_unique(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\nid: same\n---\nOne text.\n")
    write(tmp_path, "b.md", "---\nid: same\n---\nAnother text.\n")
    assert [a.id for a in read_corpus(tmp_path).articles] == ["same", "same~2"]


def test_order_is_stable_and_symlink_loops_do_not_hang(tmp_path: Path) -> None:
    for name in ["b.txt", "a/z.txt", "a/b/c/d/e/f/deep.txt", "c.md"]:
        write(tmp_path, name, f"Text of {name}.")
    os.symlink(tmp_path / "a", tmp_path / "a" / "b" / "loop")
    paths = [a.path for a in read_corpus(tmp_path).articles]
    assert paths == ["a/b/c/d/e/f/deep.txt", "a/z.txt", "b.txt", "c.md"]


def test_missing_corpus_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="not found"):
        read_corpus(tmp_path / "nope")


def test_fingerprint_changes_with_files(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "One.")
    first = fingerprint(tmp_path)
    assert fingerprint(tmp_path) == first
    write(tmp_path, "b.txt", "Two.")
    assert fingerprint(tmp_path) != first
