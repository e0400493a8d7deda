"""Bad corpus files and bad uploads: the build finishes, says why it skipped each, indexes the rest;
an upload is added whole under a safe name or refused in words, and nothing is overwritten or lost.

The 100 MB files are made in a blink: a sparse file (`truncate`: all NUL bytes) and a
100 MB text of real words written from one repeated 1 MB block. Neither may be read
into memory: the build runs under `tracemalloc` and must peak far below their size.
(`tests/test_corpus.py` has the small cases: invalid UTF-8, binary, empty, a dangling
symlink, a folder symlink loop, broken JSONL lines; this file puts them all in one build.)
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from index import detect
from index.corpus import MAX_JSONL_LINE_BYTES, MAX_TEXT_FILE_BYTES, read_corpus
from index.engine import SearchIndex
from index.ingest import MAX_UPLOAD_BYTES, IngestError
from index.service import IndexService

try:
    from fakebotapi import FakeBotAPI
    from test_bot_inprocess import ADMIN, running, said
except ImportError:  # tests/ became a package
    from tests.fakebotapi import FakeBotAPI
    from tests.test_bot_inprocess import ADMIN, running, said

REPO = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
DEPTH = 1100          # os.walk (and pathlib's mkdir) recurse once per level: past Python's limit of 1000


def write(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def deep_folder(root: Path, depth: int) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = str(root)
    for _ in range(depth):                  # one mkdir at a time: Path.mkdir(parents=True) recurses
        path += "/d"
        os.mkdir(path)
    return Path(path)


def remove_deep(top: Path) -> None:
    """Remove a deep_folder chain bottom up (shutil.rmtree, and pytest's clean-up of old temporary
    folders with it, recurse once per level and would fail on it)."""
    chain = [str(top)]
    while os.path.isdir(chain[-1] + "/d") and not os.path.islink(chain[-1] + "/d"):
        chain.append(chain[-1] + "/d")
    for folder in reversed(chain):
        with os.scandir(folder) as entries:
            for entry in entries:
                if not entry.is_dir(follow_symlinks=False):
                    os.unlink(entry.path)
        os.rmdir(folder)


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "corpus"
    if (tmp_path / "corpus" / "nested").exists():
        remove_deep(tmp_path / "corpus" / "nested")


def hostile_corpus(root: Path) -> dict[str, str]:
    """Good articles among every kind of bad file; returns {relative path: expected reason start}."""
    write(root, "good/lavrov.txt", "Lavrov spoke about mediation in Minsk on Wednesday.\n")
    write(root, "good/feed.jsonl", json.dumps({"id": "f1", "text": "The Quibbleton ferry sailed to Minsk."}) + "\n")
    write(root, "zeros.txt", b"")
    with open(root / "sparse-100mb.txt", "wb") as fh:          # 100 MB of NUL bytes, no disk used
        fh.truncate(100 * MB)
    with open(root / "sparse-100mb.jsonl", "wb") as fh:        # under the JSONL limit: must be sniffed, not read
        fh.truncate(100 * MB)
    block = (" ".join(["the", "talks", "in", "Minsk", "went", "on", "while", "Lavrov", "spoke."] * 12) + "\n") * 1000
    block_bytes = block.encode()
    with open(root / "words-100mb.md", "wb") as fh:            # 100 MB of real words
        for _ in range(100 * MB // len(block_bytes) + 1):
            fh.write(block_bytes)
    write(root, "binary.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    write(root, "latin1.md", "café au lait".encode("latin-1"))
    lines = [json.dumps({"text": "Line one: the Zorblatt bridge reopened."}).encode(), b"{broken json",
             json.dumps({"title": "no text"}).encode(), b"[1, 2]", b"[" * 100_000, b"\xff caf\xe9",
             json.dumps({"text": "x" * (MAX_JSONL_LINE_BYTES + 10)}).encode(),
             json.dumps({"text": "Line eight: the Zorblatt\u2028ferry was late."}, ensure_ascii=False).encode()]
    write(root, "broken.jsonl", b"\n".join(lines) + b"\n")
    deep = deep_folder(root / "nested", DEPTH)
    (deep / "deep.txt").write_text("The deepest Wobblestone article is still indexed.\n")
    os.symlink(root / "nested", root / "nested" / "d" / "loop")   # a folder symlink loop
    os.symlink("self.txt", root / "self.txt")                     # a file symlink loop
    os.symlink(root / "gone.txt", root / "dangling.txt")          # unreadable, even for root
    os.mkfifo(root / "pipe.txt")                                  # reading would wait forever
    os.symlink("/dev/zero", root / "zero.md")                     # reading would never end
    return {
        "zeros.txt": "empty file",
        "sparse-100mb.txt": "too large: 104857600 bytes",
        "sparse-100mb.jsonl": "binary file",
        "words-100mb.md": "too large",
        "binary.txt": "binary file",
        "latin1.md": "invalid UTF-8 at byte 3",
        "broken.jsonl:2": "invalid JSON",
        "broken.jsonl:3": 'missing or empty "text"',
        "broken.jsonl:4": "not a JSON object",
        "broken.jsonl:5": "invalid JSON: nested too deeply",
        "broken.jsonl:6": "invalid UTF-8",
        "broken.jsonl:7": "line too long",
        "self.txt": "unreadable: Too many levels of symbolic links",
        "dangling.txt": "unreadable",
        "pipe.txt": "not a regular file",
        "zero.md": "not a regular file",
    }


def test_a_build_over_every_kind_of_bad_file_reports_each_and_indexes_the_rest(tmp_path: Path,
                                                                               corpus: Path) -> None:
    expected = hostile_corpus(corpus)
    detect.load()        # the language model (its two largest arrays: 64 MB; once per process) is not the files' memory
    tracemalloc.start()
    try:
        index, report = SearchIndex.build(corpus, tmp_path / "index")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * MB, f"the build held {peak / MB:.0f} MB: a 100 MB file was read into memory"
    reasons = {(f"{s.path}:{s.line}" if s.line else s.path): s.reason for s in report.skipped}
    for where, reason in expected.items():
        assert reasons.get(where, "").startswith(reason), (where, reasons.get(where))
    assert set(reasons) == set(expected), set(reasons) ^ set(expected)
    assert report.articles == 5
    for question, needle in [("Lavrov mediation", "Lavrov spoke"), ("Quibbleton ferry", "Quibbleton"),
                             ("Zorblatt bridge", "Line one"), ("Zorblatt ferry late", "Line eight"),
                             ("Wobblestone", "deepest")]:
        hits = index.search(question).hits
        assert hits and needle in hits[0].text, question
    deep = index.search("Wobblestone").hits[0].article.path
    assert deep.count("/") == DEPTH + 1
    index.close()


def test_the_cli_build_reports_bad_files_and_exits_0(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus, "ok.txt", "Lavrov spoke about mediation.\n")
    write(corpus, "bad.jsonl", '{"text": "fine line"}\n{oops\n')
    os.mkfifo(corpus / "pipe.md")
    with open(corpus / "sparse.txt", "wb") as fh:
        fh.truncate(100 * MB)
    done = subprocess.run([sys.executable, "-m", "index", "build", "--corpus", str(corpus), "--index",
                           str(tmp_path / "index"), "--json"], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["articles"] == 2
    reasons = {(s["path"], s.get("line")): s["reason"] for s in summary["skipped"]}
    assert reasons[("bad.jsonl", 2)].startswith("invalid JSON")
    assert reasons[("pipe.md", None)].startswith("not a regular file")
    assert reasons[("sparse.txt", None)].startswith("too large")


# ----- uploads ----------------------------------------------------------------------------------
@pytest.fixture
def service(tmp_path: Path) -> IndexService:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "seeds", corpus)
    svc = IndexService(corpus, tmp_path / "index")
    svc.start()
    return svc


def snapshot(root: Path) -> dict[str, str]:
    """Every file under root (hidden ones too) with the hash of its content."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


REFUSED = [
    ("report.pdf", b"%PDF-1.4 Lavrov", "Unsupported file type .pdf"),
    ("README", b"Lavrov spoke.", "Unsupported file type (none)"),
    ("photo.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "binary file"),
    ("latin1.md", "café au lait à Minsk".encode("latin-1"), "invalid UTF-8"),
    ("empty.md", b"", "empty file"),
    ("blank.txt", b" \n\n\t ", "empty file"),
    ("front.md", b"---\ntitle: Only a title\n---\n", "no text after the front matter"),
    ("broken.jsonl", b'{"text": "fine"}\n{not json\n["a list"]\n{"title": "no text"}\n', "invalid JSON"),
    ("nul.jsonl", b'{"text": "fine"}\n\0\0\0\n', "binary file"),
    ("deep.jsonl", b"[" * 100_000 + b"\n", "nested too deeply"),
    ("big.txt", b"Lavrov spoke. " * (MAX_TEXT_FILE_BYTES // 14 + 1), "at most 10485760 bytes"),
    ("huge.jsonl", b'{"text": "' + b"a" * MAX_UPLOAD_BYTES + b'"}\n', "the limit is 20971520 bytes"),
]


@pytest.mark.parametrize("name, data, reason", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_bad_upload_is_refused_with_its_reason_and_changes_nothing(service: IndexService, name: str,
                                                                      data: bytes, reason: str) -> None:
    before, index = snapshot(service.corpus), service.current()
    with pytest.raises(IngestError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        service.add_upload(name, data)
    assert snapshot(service.corpus) == before and service.current() is index


NAMES = {
    "../../../../etc/evil.txt": "evil.txt",
    "..\\..\\windows\\evil.md": "evil.md",
    "/absolute/path/abs.txt": "abs.txt",
    "a/b/../../c.md": "c.md",
    ".hidden.txt": "hidden.txt",
    "..": None,                                     # no name left, no extension: refused
    "....txt": "article.txt",
    "名前 with spaces.txt": "with_spaces.txt",
    "con\x00trol\n.md": "con_trol.md",
    "x" * 300 + ".txt": "x" * 80 + ".txt",
    "UPPER.TXT": "UPPER.txt",
    "tricky.txt.pdf": None,
}


def test_upload_names_cannot_escape_hide_or_overwrite(service: IndexService, tmp_path: Path) -> None:
    outside = snapshot(tmp_path)
    seeds = {k: v for k, v in outside.items() if k.startswith("corpus/") and "/uploads/" not in k}
    for n, (name, saved) in enumerate(NAMES.items()):
        text = f"Upload number {n} tells of the Snorkwhistle {n} harbour.\n".encode()
        if saved is None:
            with pytest.raises(IngestError, match="Unsupported file type"):
                service.add_upload(name, text)
            continue
        added = service.add_upload(name, text)
        assert added.path == service.corpus / "uploads" / saved, name
        assert added.path.read_bytes() == text
    after = snapshot(tmp_path)
    new = {k for k in after if k not in outside and not k.startswith("index/")}
    assert new == {f"corpus/uploads/{s}" for s in NAMES.values() if s}           # nothing anywhere else
    assert {k: after[k] for k in seeds} == seeds                                 # the seeds untouched


def test_a_name_that_collides_gets_a_number_and_the_same_text_is_refused(service: IndexService) -> None:
    first = service.add_upload("notes.txt", b"The Quibbleton harbour reopened on Sunday.\n")
    second = service.add_upload("notes.txt", b"The Quibbleton ferry was late on Monday.\n")
    third = service.add_upload("NOTES.txt", b"The Quibbleton mayor resigned on Tuesday.\n")
    assert [p.path.name for p in (first, second, third)] == ["notes.txt", "notes-2.txt", "NOTES.txt"]
    assert first.path.read_bytes() == b"The Quibbleton harbour reopened on Sunday.\n"   # not overwritten
    with pytest.raises(IngestError, match="already indexed"):
        service.add_upload("other.txt", b"The  Quibbleton harbour\nreopened on Sunday.")
    seed = service.add_upload("000_57659c863e939540.txt", b"A text under the seed article's file name.\n")
    assert seed.path.parent.name == "uploads"
    assert (service.corpus / "000_57659c863e939540.txt").read_bytes() == (REPO / "seeds" /
                                                                          "000_57659c863e939540.txt").read_bytes()
    hits = service.current().search("Quibbleton", k=10).hits
    assert {h.article.path for h in hits} == {"uploads/notes.txt", "uploads/notes-2.txt", "uploads/NOTES.txt"}
    # what the running index holds is exactly what a rebuild from the folder holds
    rebuilt = read_corpus(service.corpus)
    assert sorted(a.path for a in rebuilt.articles) == sorted(
        r[0] for r in service.current().db.execute("SELECT path FROM articles"))
    assert not [p for p in service.corpus.rglob(".*")]                           # no partial files left


# ----- uploads through the bot --------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _no_proxy_for_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def test_bad_and_colliding_uploads_through_the_bot(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "seeds", corpus)
    with FakeBotAPI() as api, running(api, corpus, rate_limiter=False):
        api.send_document("image.txt", b"GIF89a\0\0\0\0", chat_id=ADMIN, user_id=ADMIN)
        said(api, ADMIN, "Not added: The file cannot be used: binary file")
        api.send_document("feed.jsonl", b'{"text": "ok"}\nnot json\n', chat_id=ADMIN, user_id=ADMIN)
        said(api, ADMIN, "feed.jsonl:2: invalid JSON")
        api.send_document("big.md", b"Lavrov spoke. " * (11 * MB // 14), chat_id=ADMIN, user_id=ADMIN)
        said(api, ADMIN, "An article file may be at most")
        api.send_document("../../a.md", b"The Plumbanite mine closed.\n", chat_id=ADMIN, user_id=ADMIN)
        said(api, ADMIN, "as uploads/a.md")
        api.send_document("a.md", b"The Plumbanite mine reopened.\n", chat_id=ADMIN, user_id=ADMIN)
        said(api, ADMIN, "as uploads/a-2.md")
        api.send_document("copy.md", b"The Plumbanite mine closed.", chat_id=ADMIN, user_id=ADMIN)
        said(api, ADMIN, "already indexed")
        assert sorted(p.name for p in (corpus / "uploads").iterdir()) == ["a-2.md", "a.md"]
        assert (corpus / "uploads" / "a.md").read_bytes() == b"The Plumbanite mine closed.\n"
        api.send_message("Plumbanite mine", chat_id=ADMIN, user_id=ADMIN)
        said(api, ADMIN, "1–2 of 2")
        assert all(c["status"] == 200 for c in api.calls("sendMessage"))
