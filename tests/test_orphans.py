"""No orphans, ever: every worker and child process ends with its parent (`index.lifecycle`).

Processes are found by walking /proc: a build started in its own session is
its process group; the bot's descendants are recorded while it runs (pid and
start time, so a reused pid is not mistaken for a survivor). A process that
is gone or a zombie (dead, waiting to be reaped) counts as ended.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

try:
    from conftest import BotProcess
    from fakebotapi import FakeBotAPI
except ImportError:  # tests/ became a package
    from tests.conftest import BotProcess
    from tests.fakebotapi import FakeBotAPI

from index import store
from index.engine import SearchIndex

REPO = Path(__file__).resolve().parents[1]
ADMIN = 1001
SURVIVAL_SECONDS = 5.0
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


# ----- processes, from /proc ----------------------------------------------------------------------
def _stat(pid: int) -> tuple[str, int, int, int] | None:
    """(state, ppid, process group, start time) of a process, None when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # the name in (...) may hold spaces
    return fields[0], int(fields[1]), int(fields[2]), int(fields[19])


def _all() -> dict[int, tuple[str, int, int, int]]:
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (st := _stat(int(entry))) is not None:
            out[int(entry)] = st
    return out


def descendants(pid: int) -> dict[int, int]:
    """Living descendants of `pid`: pid -> start time."""
    procs = _all()
    children: dict[int, list[int]] = {}
    for p, (_, ppid, _, _) in procs.items():
        children.setdefault(ppid, []).append(p)
    found, todo = {}, list(children.get(pid, []))
    while todo:
        p = todo.pop()
        if procs[p][0] != "Z":
            found[p] = procs[p][3]
        todo += children.get(p, [])
    return found


def group(pgid: int) -> dict[int, int]:
    """Living members of a process group: pid -> start time."""
    return {p: st[3] for p, st in _all().items() if st[2] == pgid and st[0] != "Z"}


def still_alive(procs: dict[int, int]) -> dict[int, int]:
    alive = {}
    for pid, started in procs.items():
        st = _stat(pid)
        if st is not None and st[0] != "Z" and st[3] == started:
            alive[pid] = started
    return alive


def survivors(procs: dict[int, int], timeout: float = SURVIVAL_SECONDS) -> dict[int, str]:
    """The processes of `procs` still running `timeout` seconds from now (pid -> command line)."""
    deadline = time.monotonic() + timeout
    while (alive := still_alive(procs)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return {pid: _cmdline(pid) for pid in alive}


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


def wait_for(predicate: Any, timeout: float = 30.0, step: float = 0.01) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


def make_corpus(root: Path, articles: int, marker: str) -> None:
    """Small articles, many of them: a second or two of analysis in forked build workers."""
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(articles)
    words = "minsk moscow lavrov talks sanctions protest election plane flight crisis ally vote".split()
    for shard in range(0, articles, 500):
        lines = []
        for i in range(shard, min(shard + 500, articles)):
            body = "\n\n".join(" ".join(rng.choices(words, k=12)).capitalize() + f" {marker}." for _ in range(8))
            lines.append(json.dumps({"id": f"a{i}", "title": f"Story {i}", "text": body}))
        (root / f"part-{shard:05d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def temp_folders(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.name.startswith(".tmp-")) if root.exists() else []


# ----- the helper itself ------------------------------------------------------------------------
PARENT = """
import multiprocessing as mp, os, sys, threading, time
from index.lifecycle import die_with_parent

def child(delay, blocked):
    time.sleep(delay)                     # the parent may die before this point
    die_with_parent()
    if blocked:                           # like a build worker: writing to a pipe nobody reads
        r, w = os.pipe()
        while True:
            os.write(w, b"x" * 65536)
    time.sleep(600)

if __name__ == "__main__":
    ctx = mp.get_context(sys.argv[1])
    delay, blocked = float(sys.argv[2]), sys.argv[3] == "1"
    procs = []
    def start():                          # from a thread that ends at once (PDEATHSIG follows threads)
        p = ctx.Process(target=child, args=(delay, blocked))
        p.start()
        procs.append(p)
    t = threading.Thread(target=start)
    t.start(); t.join()
    print(procs[0].pid, flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("method,delay,blocked", [("fork", 0.0, True), ("spawn", 0.0, False),
                                                  ("fork", 1.5, False)])
def test_a_child_ends_with_its_parent_and_not_with_the_thread_that_started_it(
        method: str, delay: float, blocked: bool, tmp_path: Path) -> None:
    script = tmp_path / "parent.py"           # a file, not -c: a spawned child imports its target from it
    script.write_text(PARENT, encoding="utf-8")
    parent = subprocess.Popen([sys.executable, str(script), method, str(delay), "1" if blocked else "0"],
                              cwd=REPO, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        child = int(parent.stdout.readline())
        procs = {child: _stat(child)[3]}
        if delay == 0.0:
            time.sleep(1.5)               # its starting thread has ended: the child lives on
            assert still_alive(procs), "the child died with the thread that started it"
        parent.kill()                      # with delay 1.5 s: before the child's die_with_parent
        parent.wait()
        assert not survivors(procs), "the child outlived its parent"
    finally:
        parent.kill()


# ----- python -m index build --------------------------------------------------------------------
def test_killed_builds_leave_no_process_behind(tmp_path: Path) -> None:
    corpus, root = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 3000, "marker")
    rng = random.Random(11)
    hit_workers = 0
    for _ in range(20):
        proc = subprocess.Popen([sys.executable, "-m", "index", "build", "--corpus", str(corpus),
                                 "--index", str(root)], cwd=REPO, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: descendants(proc.pid) or proc.poll() is not None)  # the workers started
            time.sleep(rng.uniform(0.0, 0.8))   # a random moment of their part or after it
            seen = group(proc.pid)
            hit_workers += len(seen) > 1
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            left = survivors(seen)
            assert not left, f"processes of a killed build still run {SURVIVAL_SECONDS}s later: {left}"
            assert not group(proc.pid)
        finally:
            proc.kill()
            proc.wait()
    assert hit_workers >= 10, "most kills should find the forked analysis workers running"
    SearchIndex.build(corpus, root, workers=1)   # and the next build sweeps the killed ones' folders
    assert not temp_folders(root)


# ----- the bot during a reindex -----------------------------------------------------------------
@pytest.fixture()
def bot_env(tmp_path: Path):
    """A corpus whose rebuild takes a second or two, already indexed (the bot loads it at once)."""
    corpus, root = tmp_path / "corpus", tmp_path / "index"
    make_corpus(corpus, 3000, "marker")
    index, _ = SearchIndex.build(corpus, root, workers=1)
    index.close()
    with FakeBotAPI(bot_username="ArticleQABot") as api:
        env = {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
               "TELEGRAM_API_FILE_URL": api.base_file_url, "ADMIN_IDS": str(ADMIN),
               "CORPUS_DIR": str(corpus), "INDEX_PATH": str(root), "SEARCH_PROCESSES": "1",
               "LOG_LEVEL": "INFO"}
        yield api, env, tmp_path, root


def start_reindex(api: FakeBotAPI, env: dict, cwd: Path) -> tuple[BotProcess, dict[int, int]]:
    """A bot that has begun a /reindex: returns it with its descendants once the child builds."""
    bot = BotProcess(env, cwd=cwd)
    api.wait_until_polling(timeout=30)
    bot.wait_log(r"Index ready", timeout=60)
    api.send_message("/reindex", chat_id=ADMIN, user_id=ADMIN)
    api.wait_for(lambda p: p["chat_id"] == ADMIN and "Reindexing" in p["text"], timeout=20)
    # the reindex child (a spawned process) is running once it has forked its analysis workers
    wait_for(lambda: any(_stat(p) and _stat(p)[1] != bot.proc.pid for p in descendants(bot.proc.pid)))
    return bot, descendants(bot.proc.pid)


def test_bot_killed_during_a_reindex_leaves_no_process_behind(bot_env) -> None:
    api, env, tmp_path, root = bot_env
    rng = random.Random(5)
    for run in range(5):
        bot, _ = start_reindex(api, env, tmp_path)
        try:
            time.sleep(rng.uniform(0.0, 1.0))
            seen = descendants(bot.proc.pid)
            bot.proc.send_signal(signal.SIGKILL)
            bot.proc.wait()
            left = survivors(seen)
            assert not left, f"run {run}: processes of a killed bot still run {SURVIVAL_SECONDS}s later: {left}"
            assert not temp_folders(root), f"run {run}: the reindex child left its temporary folder"
        finally:
            bot.proc.kill()
            bot.proc.wait()
        SearchIndex.load(root).close()  # the index left behind loads: old or new, never half


def test_sigterm_during_a_reindex_stops_the_bot_within_10_s_and_leaves_no_temp_folder(bot_env) -> None:
    api, env, tmp_path, root = bot_env
    before = store.current_generation(root).name
    bot, _ = start_reindex(api, env, tmp_path)
    try:
        wait_for(lambda: temp_folders(root) or bot.proc.poll() is not None, timeout=60, step=0.002)
        seen = descendants(bot.proc.pid)
        started = time.monotonic()
        assert bot.stop(timeout=10) == 0, bot.log
        assert time.monotonic() - started < 10
    finally:
        bot.proc.kill()
        bot.proc.wait()
    assert not survivors(seen)
    assert not temp_folders(root)
    index = SearchIndex.load(root)     # the previous generation serves (or the finished new one)
    assert index.meta["sentences"] == 3000 * 8
    index.close()
    if store.current_generation(root).name == before:
        assert any("Reindex failed" in c["params"]["text"] and c["params"]["chat_id"] == ADMIN
                   for c in api.calls("sendMessage")), textwrap.shorten(bot.log, 2000)
