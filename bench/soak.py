"""Soak run: 10,000 questions from 100 chats through the fake Bot API while it fails at random.

    .venv/bin/python bench/soak.py                      # the full run (~7 min), writes bench/results/soak.md
    .venv/bin/python bench/soak.py --questions 500 --out -   # a quick look, report on stdout only

The bot runs as users run it: ``python -m bot`` as a subprocess, polling
`tests/fakebotapi/` on 127.0.0.1, RATE_LIMITER on (Telegram's 30 messages/s
and its retries), QUESTIONS_PER_MINUTE=0 (the per-user limit would refuse a
soak). The fake answers a share of the bot's calls with a fault instead:

* ``sendMessage``: 429 with ``retry_after`` = 1 s, 500 (JSON), 502 (nginx
  HTML page), a slow answer (0.5-2 s, within the bot's 5 s read timeout),
  and a call that is never answered (the request is lost: the bot's read
  timeout fires and it retries);
* ``getUpdates``: 500, 502 and 429 (PTB's polling loop retries those).

Each question carries a unique tag (``q00042``) that the reply repeats in its
header, so every successful ``sendMessage`` is matched to its question.
Reported: questions answered exactly once, lost (never answered), answered
twice, "something went wrong" replies, the fault answers the fake gave (each
one is a retry the bot had to make), and the bot's resident memory (VmRSS
from /proc/PID/status) after warm-up and at the end, against a stated bound.

At most ``--window`` questions are outstanding at a time (a chat waits for
its answer before asking again, as people do), the run stops by itself after
``--timeout`` seconds whatever happens, and nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))       # run as a file, like every script in bench/: the repo's packages first

from bench.machine import cpu_model  # noqa: E402
from tests.fakebotapi import FakeBotAPI  # noqa: E402

QUESTIONS_FILE = REPO / "tests" / "data" / "seed_questions.jsonl"
MEMORY_BOUND_MB = 64.0     # end RSS may exceed the warmed-up RSS by at most this (see the report)
TAG = re.compile(r"\bq(\d{5})\b")

# (method, kind, share of that method's calls, extra fault fields)
FAULTS = [
    ("sendMessage", "429", 0.003, {"retry_after": 1}),
    ("sendMessage", "500", 0.010, {}),
    ("sendMessage", "502", 0.010, {}),
    ("sendMessage", "slow", 0.010, {}),                 # "timeout" with a delay of 0.5-2 s
    ("sendMessage", "lost", 0.002, {}),                 # "timeout" never answered
    ("getUpdates", "500", 0.010, {}),
    ("getUpdates", "502", 0.005, {}),
    ("getUpdates", "429", 0.005, {"retry_after": 1}),
]


class FaultyBotAPI(FakeBotAPI):
    """The fake Bot API, failing a share of calls at random; it records what it answered."""

    def __init__(self, seed: int, scale: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rng = random.Random(seed)
        self.scale = scale
        self.lock = threading.Lock()
        self.faults: Counter[tuple[str, str]] = Counter()
        self.replies: dict[int, list[str]] = defaultdict(list)     # question number -> texts sent for it
        self.other: list[tuple[int, str]] = []                      # successful texts without a tag
        self.sends = Counter()
        self.answered = threading.Condition()

    def _take_fault(self, method: str) -> dict[str, Any] | None:
        queued = super()._take_fault(method)
        if queued is not None:
            return queued
        with self.lock:
            roll = self.rng.random()
            delay = self.rng.uniform(0.5, 2.0)
        for name, kind, share, extra in FAULTS:
            if name != method:
                continue
            share *= self.scale
            if roll < share:
                self.faults[(method, kind)] += 1
                if kind == "slow":
                    return {"kind": "timeout", "remaining": 0, "retry_after": 1, "delay": delay}
                if kind == "lost":
                    return {"kind": "timeout", "remaining": 0, "retry_after": 1, "delay": 0}
                return {"kind": kind, "remaining": 0, "retry_after": extra.get("retry_after", 1), "delay": 0}
            roll -= share
        return None

    def _execute(self, call: dict, token: str, method: str, params: dict) -> tuple:
        status, payload, raw = super()._execute(call, token, method, params)
        if method == "sendMessage":
            with self.lock:
                self.sends[status] += 1
                if status == 200:
                    text = str(params.get("text", ""))
                    tags = TAG.findall(text)
                    if tags:
                        self.replies[int(tags[0])].append(text)
                    else:
                        self.other.append((params.get("chat_id"), text))
            if status == 200:
                with self.answered:
                    self.answered.notify_all()
        return status, payload, raw


def rss_kb(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    return out


def questions(n: int, path: Path) -> list[str]:
    base = [json.loads(line)["question"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    base += ["zzqx blorfen", "Lavrof mediatoin", '"Lavrov said" -Belarus', "<b>Lavrov</b> & Minsk",
             "what did Lukashenko say 😀", "\u202eLavrov\u200b sanctions"]
    rng = random.Random(7)
    return [f"{rng.choice(base)} q{i:05d}" for i in range(n)]


def machine() -> dict[str, str]:
    cpu = cpu_model()
    mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split(":")[1].strip()
    import httpx
    import numpy
    import telegram
    return {"cpu": f"{cpu}, {os.cpu_count()} cores", "memory": mem,
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "python-telegram-bot": telegram.__version__, "httpx": httpx.__version__, "numpy": numpy.__version__}


def run(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    corpus = work / "corpus"
    shutil.copytree(args.corpus, corpus)
    asked = questions(args.questions, args.questions_file)
    result: dict[str, Any] = {}
    with FaultyBotAPI(seed=args.seed, scale=0.0) as api:          # no faults during start-up and warm-up
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TMPDIR")}
        env.update({
            "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", "ENV_FILE": str(work / "no.env"),
            "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
            "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
            "TELEGRAM_API_FILE_URL": api.base_file_url, "CORPUS_DIR": str(corpus),
            "INDEX_PATH": str(work / "index"), "QUESTIONS_PER_MINUTE": "0", "RATE_LIMITER": "on",
            "RESULTS_PER_PAGE": "3", "LOG_LEVEL": "INFO",
        })
        log_path = work / "bot.log"
        with open(log_path, "w", encoding="utf-8") as log:
            bot = subprocess.Popen([sys.executable, "-m", "bot"], cwd=work, env=env, stdout=subprocess.DEVNULL,
                                   stderr=log, text=True)
        try:
            deadline = time.monotonic() + 120
            while "Index ready" not in log_path.read_text(encoding="utf-8"):
                if bot.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the bot did not start:\n" + log_path.read_text(encoding="utf-8"))
                time.sleep(0.2)
            # warm-up: 200 questions without faults, so "start" memory is a bot that has answered
            for i in range(200):
                api.send_message(f"what did Lavrov say w{i}", chat_id=900_000 + i % 10, user_id=900_000 + i % 10)
            api.wait_for(lambda p: "w199" in p["text"], timeout=120)
            time.sleep(1)
            result["rss_start_kb"] = rss_kb(bot.pid)["VmRSS"]
            api.scale = args.fault_scale
            started = time.monotonic()
            stop_at = started + args.timeout
            chats = [1_000 + c for c in range(args.chats)]
            pending: dict[int, int] = {}                           # question -> chat, sent not yet answered
            busy: set[int] = set()
            nxt = 0
            samples = []
            with api.answered:
                while (nxt < len(asked) or pending) and time.monotonic() < stop_at:
                    for q in [q for q in pending if api.replies.get(q)]:
                        busy.discard(pending.pop(q))
                    free = [c for c in chats if c not in busy]
                    while nxt < len(asked) and free and len(pending) < args.window:
                        chat = free.pop(random.Random(nxt).randrange(len(free)))
                        api.send_message(asked[nxt], chat_id=chat, user_id=chat)
                        pending[nxt] = chat
                        busy.add(chat)
                        nxt += 1
                    if int(time.monotonic() - started) // 30 > len(samples):
                        samples.append(rss_kb(bot.pid)["VmRSS"])
                        print(f"  {time.monotonic() - started:5.0f} s: {nxt - len(pending)} answered, "
                              f"{len(pending)} waiting, RSS {samples[-1] / 1024:.1f} MB", flush=True)
                    api.answered.wait(0.5)
            result["seconds"] = time.monotonic() - started
            api.scale = 0.0
            time.sleep(3)                                          # a late duplicate would arrive by now
            mem = rss_kb(bot.pid)
            result["rss_end_kb"], result["rss_peak_kb"] = mem["VmRSS"], mem["VmHWM"]
            result["rss_samples_kb"] = samples
        finally:
            if bot.poll() is None:
                bot.send_signal(signal.SIGTERM)
                try:
                    result["exit_code"] = bot.wait(30)
                except subprocess.TimeoutExpired:
                    bot.kill()
                    result["exit_code"] = "killed"
        bot_log = log_path.read_text(encoding="utf-8")
        counts = Counter(len(api.replies.get(i, [])) for i in range(args.questions))
        result.update(
            questions=args.questions, chats=args.chats, sent=nxt,
            answered_once=counts[1], lost=counts[0], duplicated=sum(v for k, v in counts.items() if k > 1),
            went_wrong=sum("went wrong" in t for _, t in api.other),
            faults={f"{m} {k}": n for (m, k), n in sorted(api.faults.items())},
            send_statuses={str(k): v for k, v in sorted(api.sends.items(), key=lambda kv: str(kv[0]))},
            bot_network_retries=len(re.findall(r"failed \(.*\); retry \d+ of", bot_log)),
            bot_timeout_retries=len(re.findall(r"failed \(TimedOut.*\); retry \d+ of", bot_log)),
            bot_other_retries=[line.split("failed (", 1)[1][:160] for line in bot_log.splitlines()
                               if "bot.retry" in line and "; retry " in line and not any(
                                   known in line for known in ("Internal Server Error", "Bad Gateway (502)",
                                                               "TimedOut: Timed out"))],
            bot_flood_waits=bot_log.count("Rate limit hit. Retrying"),
            bot_errors=bot_log.count("Error while handling an update"),
            polling_retries=bot_log.count("Getting updates failed"),
        )
    if args.keep:
        print(f"kept {work} (the bot's log is {work / 'bot.log'})")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return result


def report(args: argparse.Namespace, r: dict[str, Any], command: str) -> str:
    m = machine()
    growth = (r["rss_end_kb"] - r["rss_start_kb"]) / 1024
    ok = r["lost"] == 0 and r["duplicated"] == 0 and r["went_wrong"] == 0 and growth <= MEMORY_BOUND_MB
    send_faults = sum(n for k, n in r["faults"].items() if k.startswith("sendMessage"))
    poll_faults = sum(n for k, n in r["faults"].items() if k.startswith("getUpdates"))
    lines = [
        "# Soak run: questions through a failing Bot API",
        "",
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, `{command}` "
        f"({'PASS' if ok else 'FAIL'}: nothing lost, nothing doubled, memory within the bound)",
        "",
        f"Machine: {m['cpu']}, {m['memory']} RAM, {m['os']}; Python {m['python']}, "
        f"python-telegram-bot {m['python-telegram-bot']}, httpx {m['httpx']}, numpy {m['numpy']}.",
        "",
        f"The bot (`python -m bot`, RATE_LIMITER=on, QUESTIONS_PER_MINUTE=0, corpus `{args.corpus.name}/`) "
        f"polled `tests/fakebotapi/` on 127.0.0.1; {r['questions']:,} questions from {r['chats']} chats, "
        f"at most {args.window} waiting at a time, each chat waiting for its answer before asking again. "
        f"The fake failed calls at random (seed {args.seed}; shares of each method's calls): "
        + ", ".join(f"{m_} {k} {s * args.fault_scale:.1%}" for m_, k, s, _ in FAULTS) + ". "
        "\"slow\" answers after 0.5-2 s; \"lost\" never answers (the bot's 5 s read timeout fires).",
        "",
        "| | |",
        "|---|---|",
        f"| questions asked | {r['sent']:,} of {r['questions']:,} |",
        f"| answered exactly once | {r['answered_once']:,} |",
        f"| **lost** (no answer) | **{r['lost']}** |",
        f"| answered twice | {r['duplicated']} |",
        f"| \"something went wrong\" replies | {r['went_wrong']} |",
        f"| faults the fake injected | {send_faults + poll_faults:,}: "
        f"sendMessage {send_faults}, getUpdates {poll_faults} (all but the "
        f"{r['faults'].get('sendMessage slow', 0)} slow answers had to be retried) |",
        "| … by kind | " + ", ".join(f"{k} {n}" for k, n in r["faults"].items()) + " |",
        "| sendMessage answers by status | " + ", ".join(
            f"{'never answered' if k == '0' else k} {v:,}" for k, v in r["send_statuses"].items()) + " |",
        f"| bot log: sendMessage retried after a 5xx / after a timeout (bot/retry.py) | "
        f"{r['bot_network_retries'] - r['bot_timeout_retries']} / {r['bot_timeout_retries']} |",
        f"| … of which not after an injected fault (other network errors) | "
        f"{len(r['bot_other_retries'])}" + (": " + "; ".join(sorted(set(r["bot_other_retries"])))[:400]
                                             if r["bot_other_retries"] else "") + " |",
        f"| bot log: waits after a 429 (AIORateLimiter) | {r['bot_flood_waits']} |",
        f"| bot log: failed getUpdates (PTB polls again) | {r['polling_retries']} |",
        f"| bot log: errors while handling an update | {r['bot_errors']} |",
        f"| time for the {r['questions']:,} questions | {r['seconds']:.0f} s "
        f"({r['questions'] / r['seconds']:.1f} answers/s; Telegram's limit, kept by the rate limiter, is 30 messages/s) |",
        f"| bot memory (VmRSS) after warm-up → end | {r['rss_start_kb'] / 1024:.1f} MB → "
        f"{r['rss_end_kb'] / 1024:.1f} MB ({growth:+.1f} MB; peak VmHWM {r['rss_peak_kb'] / 1024:.1f} MB) |",
        "| RSS every 30 s (MB) | " + " ".join(f"{s / 1024:.0f}" for s in r["rss_samples_kb"]) + " |",
        f"| bot exit code after SIGTERM | {r['exit_code']} |",
        "",
        f"Memory bound: the end RSS may exceed the warmed-up RSS by at most {MEMORY_BOUND_MB:.0f} MB. "
        "What grows with use is bounded by design: the buttons' question store is on disk "
        "(`bot/button_store.py`, SQLite beside the index, at most 100,000 questions and 30 days), "
        "the per-user limiter keeps at most 50,000 users (off here), and PTB keeps no per-update state. "
        "Beyond these, the analyzer's word caches "
        "(`index/analysis.py`, 300,000 entries each, cleared when full) keep every new word asked, "
        "and each soak question carries one (its tag).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--window", type=int, default=100, help="questions outstanding at most")
    parser.add_argument("--fault-scale", type=float, default=1.0, help="multiply every fault share")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800, help="stop after this many seconds")
    parser.add_argument("--corpus", type=Path, default=REPO / "seeds")
    parser.add_argument("--questions-file", type=Path, default=QUESTIONS_FILE)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (corpus, index, bot log)")
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "soak.md"),
                        help="Markdown report path, or - for stdout only")
    args = parser.parse_args()
    command = "python bench/soak.py" + "".join(f" {a}" for a in sys.argv[1:])
    r = run(args)
    text = report(args, r, command)
    print(text)
    print(json.dumps(r, indent=1))
    if args.out != "-":
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
    growth = (r["rss_end_kb"] - r["rss_start_kb"]) / 1024
    return 0 if r["lost"] == 0 and r["duplicated"] == 0 and growth <= MEMORY_BOUND_MB else 1


if __name__ == "__main__":
    sys.exit(main())
