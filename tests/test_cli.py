"""The CLI as a user types it: `python -m index ...` in a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MEDIATION = ("Russian Foreign Minister Sergei Lavrov said on Wednesday there was no need for outside "
             "mediation over the unrest in Belarus and accused foreign powers of using the crisis to "
             "interfere in Belarus, Russia’s\xa0TASS\xa0and\xa0Interfax\xa0news agencies reported.")
# (the seed has non-breaking spaces there: quotes keep them, verbatim)


def run(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in ("CORPUS_DIR", "INDEX_PATH")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "index", *args], cwd=REPO, input=stdin,
                          capture_output=True, text=True, timeout=120, env=full_env)


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("idx") / "index"


def test_build_prints_a_summary(seed_index: Path) -> None:
    res = run("build", "--index", str(seed_index))
    assert res.returncode == 0, res.stderr
    assert "1 articles, 12 sentences" in res.stdout
    assert (seed_index / "CURRENT").exists()


def test_search_ranks_the_mediation_sentence_first(seed_index: Path) -> None:
    res = run("search", "--index", str(seed_index), "what did Lavrov say about mediation")
    assert res.returncode == 0, res.stderr
    first = res.stdout.split("\n\n")[1]
    assert first.startswith("1. ")
    assert first.replace("[", "").replace("]", "").startswith("1. " + MEDIATION)
    assert "[Lavrov] [said]" in first and "[mediation]" in first
    assert "000_57659c863e939540.txt" in first and "000 57659c863e939540" not in first   # untitled: the path


def test_search_json_shape(seed_index: Path) -> None:
    res = run("search", "--index", str(seed_index), "--json", "-k", "2", "Lavrov mediation")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["query"] == "Lavrov mediation" and data["message"] is None
    hit = data["hits"][0]
    assert set(hit) >= {"rank", "score", "text", "article", "paragraph", "sentence", "start", "end",
                        "highlights", "section", "context"}
    assert set(hit["article"]) >= {"id", "title", "path", "url"}
    assert set(hit["context"]) == {"before", "after"}
    assert hit["rank"] == 1 and hit["text"] == MEDIATION
    raw = (REPO / "seeds" / "000_57659c863e939540.txt").read_text(encoding="utf-8")
    assert raw[hit["start"]:hit["end"]] == hit["text"]
    assert [hit["text"][s:e] for s, e in hit["highlights"]] == ["Lavrov", "mediation"]
    assert hit["context"]["before"] is None and hit["context"]["after"] is None  # a one-sentence paragraph
    assert len(data["hits"]) <= 2 and data["hits"][0]["score"] >= data["hits"][-1]["score"]


def test_stdin_batch_prints_json_lines(seed_index: Path) -> None:
    queries = ["what did Lavrov say about mediation", "", "the of and", "Tu-214", "<b>zzzz</b> 🙂"]
    res = run("search", "--index", str(seed_index), "-k", "1", stdin="\n".join(queries) + "\n")
    assert res.returncode == 0, res.stderr
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert [d["query"] for d in lines] == [q for q in queries]
    assert lines[0]["hits"][0]["text"] == MEDIATION
    assert lines[1]["hits"] == [] and lines[1]["message"]
    assert lines[2]["hits"] == [] and lines[2]["message"]
    assert "Tu-214" in lines[3]["hits"][0]["text"]
    assert lines[4]["hits"] == [] and lines[4]["message"]


def test_stats(seed_index: Path) -> None:
    res = run("stats", "--index", str(seed_index), "--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["articles"] == 1 and data["sentences"] == 12 and data["terms"] > 100
    assert data["fingerprint"] == "up to date" and data["bytes_on_disk"] > 0


def test_exit_codes(tmp_path: Path) -> None:
    assert run("search", "-k", "0", "x").returncode == 2
    assert run("frobnicate").returncode == 2
    missing = run("build", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i"))
    assert missing.returncode == 1
    assert missing.stderr.strip().startswith("error: corpus folder not found")
    assert "Traceback" not in missing.stderr
    assert run("stats", "--index", str(tmp_path / "none")).returncode == 1


def test_search_rebuilds_a_missing_or_stale_index(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The cat sat on the mat.\n", encoding="utf-8")
    res = run("search", "--corpus", str(corpus), "--index", str(index), "cat")
    assert res.returncode == 0 and "No index" in res.stderr and "[cat] sat" in res.stdout
    (corpus / "b.txt").write_text("A dog barked at the cat.\n", encoding="utf-8")
    res = run("search", "--corpus", str(corpus), "--index", str(index), "--json", "dog")
    assert "stale" in res.stderr
    assert json.loads(res.stdout)["hits"][0]["text"] == "A dog barked at the cat."
    res = run("search", "--corpus", str(corpus), "--index", str(index), "--json", "dog")
    assert res.stderr == ""


def test_tricky_corpus_builds_and_reports(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "deep" / "er").mkdir(parents=True)
    (corpus / "ok.md").write_text("---\ntitle: Minsk talks\nurl: https://e.org/m\n---\nTalks began in Minsk.\n")
    (corpus / "deep" / "er" / "feed.jsonl").write_text('{"text": "Sanctions were announced."}\n{oops\n')
    (corpus / "bad.txt").write_bytes(b"\xff\xfe\x00bad")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "z_dup.txt").write_text("Talks began in Minsk.\n")
    res = run("build", "--corpus", str(corpus), "--index", str(tmp_path / "i"))
    assert res.returncode == 0, res.stderr
    assert "2 articles" in res.stdout
    for expected in ("deep/er/feed.jsonl:2: invalid JSON", "bad.txt: binary", "empty.txt: empty file",
                     "z_dup.txt: same text as article ok"):
        assert expected in res.stdout
    res = run("search", "--corpus", str(corpus), "--index", str(tmp_path / "i"), "--json", "Minsk talks")
    hit = json.loads(res.stdout)["hits"][0]
    assert hit["article"]["url"] == "https://e.org/m" and hit["article"]["title"] == "Minsk talks"


def test_a_bad_build_memory_budget_is_refused_in_words(tmp_path: Path) -> None:
    res = run("build", "--index", str(tmp_path / "index"), env={"BUILD_MEMORY_MB": "lots"})
    assert res.returncode == 2
    assert "BUILD_MEMORY_MB must be a whole number of megabytes" in res.stderr
    assert "Traceback" not in res.stderr and not (tmp_path / "index").exists()
