"""kill -9 at random moments: the index and the corpus folder are never left half-written,
and no process of a killed build lives on (its forked analysis workers end with it)."""
from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

try:
    from test_orphans import group, survivors
except ImportError:  # tests/ became a package
    from tests.test_orphans import group, survivors

from index import store
from index.corpus import read_corpus
from index.engine import SearchIndex

REPO = Path(__file__).resolve().parents[1]
RUNS = 20


def make_corpus(root: Path, articles: int, marker: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(articles)
    words = "minsk moscow lavrov talks sanctions protest election plane flight crisis ally vote".split()
    for i in range(articles):
        body = "\n\n".join(" ".join(rng.choices(words, k=12)).capitalize() + f" {marker}." for _ in range(8))
        (root / f"a{i:04d}.txt").write_text(body + "\n", encoding="utf-8")


def test_killed_builds_always_leave_a_loadable_index(tmp_path: Path) -> None:
    corpus, root = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 1500, "oldmarker")
    SearchIndex.build(corpus, root)
    make_corpus(corpus, 1500, "newmarker")  # same files, new text: a rebuild changes every article
    rng = random.Random(1)
    outcomes = {"old": 0, "new": 0}
    for _ in range(RUNS):
        proc = subprocess.Popen([sys.executable, "-m", "index", "build", "--corpus", str(corpus),
                                 "--index", str(root)], cwd=REPO, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, 1.4))
        build = group(proc.pid)             # the builder and its workers: one process group
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert not survivors(build), "a killed build left processes running"
        index = SearchIndex.load(root)  # never raises: CURRENT always names a complete generation
        old = bool(index.search("oldmarker").hits)
        new = bool(index.search("newmarker").hits)
        assert old != new, "an index must be wholly old or wholly new"
        assert index.meta["sentences"] == 1500 * 8
        outcomes["new" if new else "old"] += 1
        index.close()
    # leftovers of killed builds are swept by the next successful write
    SearchIndex.build(corpus, root)
    leftovers = [p.name for p in root.iterdir() if p.name != store.CURRENT]
    assert len(leftovers) == 1 and leftovers[0].startswith("gen-")
    print(f"crash loop: {RUNS} kills, outcome {outcomes}")


WRITER = """
import sys
from pathlib import Path
from index.ingest import write_new
payload = "".join("Line %06d about the Minsk talks and sanctions.\\n" % i for i in range(40000)).encode()
print("writing", flush=True)
for n in range(1000):
    write_new(Path(sys.argv[1]), "upload.txt", payload)
"""


def test_killed_uploads_never_leave_a_truncated_article(tmp_path: Path) -> None:
    folder = tmp_path / "corpus" / "uploads"
    folder.mkdir(parents=True)
    expected = "".join("Line %06d about the Minsk talks and sanctions.\n" % i for i in range(40000))  # ~2 MB
    rng = random.Random(2)
    for _ in range(RUNS):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(folder)], cwd=REPO, stdout=subprocess.PIPE)
        proc.stdout.readline()                  # imported (slow on a loaded machine): now it writes
        time.sleep(rng.uniform(0.1, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    visible = [p for p in folder.iterdir() if not p.name.startswith(".")]
    assert visible, "some uploads should have completed"
    for path in visible:
        assert path.read_text(encoding="utf-8") == expected, f"{path.name} is truncated"
    read = read_corpus(tmp_path / "corpus")  # hidden partial files are never read as articles
    assert len(read.articles) == 1 and all("same text" in s.reason for s in read.skipped)


def test_a_running_builds_temp_folder_survives_another_write(tmp_path: Path) -> None:
    """A full build writes into its temporary folder as long as it runs: a concurrent write's sweep
    must not take it away, while a dead writer's folder is swept."""
    corpus, root = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 3, "marker")
    root.mkdir()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live, dead = root / f".tmp-{other.pid}-feed", root / ".tmp-999999999-dead"
        live.mkdir()
        dead.mkdir()
        SearchIndex.build(corpus, root, workers=1)
        assert live.is_dir() and not dead.exists()
    finally:
        other.kill()
        other.wait()
    SearchIndex.build(corpus, root, workers=1)
    assert not live.exists()
