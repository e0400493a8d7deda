"""Start-up and restarts, tried as a new user would: `python -m bot` against the fake Bot API.

- 20 questions that reach the bot before its index has loaded (the fake hands them over in the
  first getUpdates, as Telegram does after a restart) are all answered, correctly, and nobody
  is asked to ask again.
- An answer's "More" and "Context" buttons still work after the bot was restarted.
- An error inside a handler (injected with the test-only DEBUG_FAIL_ON setting) reaches the
  admin chat once however often it happens, and the asker gets an apology.
- In webhook mode `GET /healthz` says "loading" while the index loads, then "ready"; 503 and a
  message to the admins when it cannot be loaded.
"""
from __future__ import annotations

import json
import random
import shutil
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.botprocess import SEEDS, BotProcess
from tests.fakebotapi import FakeBotAPI

ADMIN = 1001
QUESTIONS = 20
FILLER_ARTICLES = 100           # more text to load (the first build also runs in a child process)
LAVROV = "Russian Foreign Minister Sergei Lavrov said on Wednesday there was no need for outside mediation"


def marker_sentence(n: int) -> str:
    return f"The quorvex{n} lighthouse on pier {n} was repainted in blue, the harbour master said."


@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeds, FILLER_ARTICLES generated reports, and one sentence per question to find."""
    corpus = tmp_path_factory.mktemp("big")
    shutil.copytree(SEEDS, corpus, dirs_exist_ok=True)
    rng = random.Random(11)
    words = ("harbour council ferry budget minister talks river bridge festival archive station market "
             "school museum railway airport tunnel reservoir clinic library orchestra stadium").split()
    for n in range(FILLER_ARTICLES):
        paragraphs = [" ".join(f"The {rng.choice(words)} {rng.choice(words)} of district {n}-{p}-{s} was "
                               f"reviewed by the {rng.choice(words)} office on a quiet morning, officials said."
                               for s in range(3)) for p in range(6)]
        if n < QUESTIONS:
            paragraphs.insert(3, marker_sentence(n))
        (corpus / f"report{n:04d}.md").write_text(f"# Report {n}\n\n" + "\n\n".join(paragraphs) + "\n")
    return corpus


def env_for(api: FakeBotAPI, corpus: Path, index: Path, **extra: str) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
            "TELEGRAM_API_FILE_URL": api.base_file_url, "CORPUS_DIR": str(corpus), "INDEX_PATH": str(index),
            "ADMIN_IDS": str(ADMIN), "QUESTIONS_PER_MINUTE": "0", "LOG_LEVEL": "INFO", **extra}


def texts_to(api: FakeBotAPI, chat: int) -> list[str]:
    """What chat `chat` shows: every message sent there and every edit of one, in order."""
    return [c["params"]["text"] for c in api.calls() if c["status"] == 200
            and c["method"] in ("sendMessage", "editMessageText") and c["params"].get("chat_id") == chat]


def wait_until(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def shown_with(api: FakeBotAPI, chat: int, needle: str, timeout: float = 60) -> dict:
    """The call that put `needle` in chat `chat`: a message, or the "loading" notice edited into it."""
    def find() -> list[dict]:
        return [c for c in api.calls() if c["status"] == 200 and c["method"] in ("sendMessage", "editMessageText")
                and c["params"].get("chat_id") == chat and needle in c["params"]["text"]]
    return wait_until(find, timeout, f"{needle!r} in chat {chat}")[0]


def buttons(call: dict) -> dict[str, str]:
    markup = call["params"].get("reply_markup") or {"inline_keyboard": []}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


# ----- questions before the index is ready ------------------------------------------------------
def test_twenty_questions_at_start_are_all_answered_and_none_is_turned_away(big_corpus: Path,
                                                                           tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        bot = BotProcess(env_for(api, big_corpus, tmp_path / "index", RESULTS_PER_PAGE="3"), cwd=tmp_path)
        try:
            asked = []                       # queued at once: the first getUpdates hands them all over
            for n in range(QUESTIONS):
                question = f"what about the quorvex{n} lighthouse"
                if n % 2:
                    update = api.send_message(f"/ask {question}", chat_id=-100_700 - n, user_id=7000 + n,
                                              chat_type="supergroup")
                else:
                    update = api.send_message(question, chat_id=7000 + n, user_id=7000 + n)
                asked.append((n, update["message"]["chat"]["id"], update["update_id"]))
            ready_at = bot.seen_at(r"Index ready", timeout=180)
            for n, chat, _ in asked:
                answer = shown_with(api, chat, "<blockquote>")["params"]["text"]
                first_quote = answer.split("<blockquote>")[1].split("</blockquote>")[0]
                assert first_quote.replace("<b>", "").replace("</b>", "") == marker_sentence(n)
            for n, chat, update_id in asked:
                delivered = api.update_times(update_id)[1]
                assert delivered is not None and delivered < ready_at      # it came before the index
                shown = texts_to(api, chat)
                assert not [t for t in shown if "again" in t or "is loading" in t], shown
                assert sum("Loading the archive" in t for t in shown) <= 1
        finally:
            assert bot.stop() == 0, bot.log
        assert "Error while handling" not in bot.log, bot.log


# ----- buttons across a restart -------------------------------------------------------------------
def test_more_and_context_work_on_an_answer_sent_before_a_restart(seed_copy: Path, tmp_path: Path) -> None:
    chat = 7101
    with FakeBotAPI() as api:
        env = env_for(api, seed_copy, tmp_path / "index", RESULTS_PER_PAGE="3")
        first = BotProcess(env, cwd=tmp_path)
        try:
            api.send_message("what did Lavrov say about mediation", chat_id=chat, user_id=chat)
            answer = shown_with(api, chat, "1–3 of 6")
        finally:
            assert first.stop() == 0, first.log
        message, keys = answer["response"]["result"], buttons(answer)
        second = BotProcess(env, cwd=tmp_path)
        try:
            api.callback_query(message, keys["More ›"], user_id=chat)
            shown_with(api, chat, "4–6 of 6")
            api.callback_query(message, keys["Context"], user_id=chat)
            shown = shown_with(api, chat, "in context:")
            assert LAVROV in shown["response"]["result"]["text"]
            again = api.callback_query(message, keys["More ›"], user_id=chat)["callback_query"]["id"]
            told = api.wait_for(lambda p: p["callback_query_id"] == again, method="answerCallbackQuery")
            assert told["params"]["text"] == "Already shown."          # what was sent is remembered too
        finally:
            assert second.stop() == 0, second.log
        assert "Error while handling" not in second.log, second.log


# ----- errors reach the admins once ---------------------------------------------------------------
def test_an_injected_handler_error_reaches_the_admin_chat_once(seed_copy: Path, tmp_path: Path) -> None:
    user, failing = 7201, "please fail right now"
    with FakeBotAPI() as api:
        bot = BotProcess(env_for(api, seed_copy, tmp_path / "index", DEBUG_FAIL_ON=failing), cwd=tmp_path)
        try:
            api.send_message("/start", chat_id=ADMIN, user_id=ADMIN)      # the admin's chat exists
            shown_with(api, ADMIN, "Hi!")
            for _ in range(3):
                api.send_message(failing, chat_id=user, user_id=user)
            wait_until(lambda: len([t for t in texts_to(api, user) if "went wrong" in t]) == 3, 30, "3 apologies")
            api.send_message("Lukashenko", chat_id=user, user_id=user)    # still answering
            shown_with(api, user, "<b>Lukashenko</b>")
            reports = [t for t in texts_to(api, ADMIN) if "Error" in t]
            assert len(reports) == 1, reports
            assert "message" in reports[0] and "private" in reports[0] and "RuntimeError" in reports[0]
            assert api.token not in reports[0] and api.token.split(":")[1] not in reports[0]
            assert [t for t in texts_to(api, user) if "went wrong" in t] == [
                "Sorry, something went wrong while answering. Please try again."] * 3
        finally:
            assert bot.stop() == 0, bot.log
        assert bot.log.count("Error while handling an update") == 3


# ----- /healthz -----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthz(port: int) -> tuple[int, dict]:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def webhook_env(api: FakeBotAPI, corpus: Path, index: Path, port: int) -> dict[str, str]:
    return env_for(api, corpus, index, WEBHOOK_URL=f"http://127.0.0.1:{port}/hook", WEBHOOK_SECRET="s3cret-for-health",
                   WEBHOOK_LISTEN="127.0.0.1", PORT=str(port))


def test_healthz_reports_loading_then_ready(big_corpus: Path, tmp_path: Path) -> None:
    port = free_port()
    with FakeBotAPI() as api:
        bot = BotProcess(webhook_env(api, big_corpus, tmp_path / "index", port), cwd=tmp_path)
        try:
            bot.wait_log(r"Webhook Server started", timeout=60)           # bound before the index loaded
            code, body = healthz(port)
            assert (code, body["status"], body["loaded"]) == (200, "loading", False)
            bot.wait_log(r"Index ready", timeout=180)
            code, body = healthz(port)
            assert (code, body["status"], body["loaded"]) == (200, "ready", True)
            assert body["articles"] == FILLER_ARTICLES + 1 and body["sentences"] > 1500
            assert body["generation"] and body["last_reindex"]
        finally:
            assert bot.stop() == 0, bot.log


def test_healthz_is_503_and_admins_are_told_when_the_index_cannot_load(tmp_path: Path) -> None:
    port = free_port()
    with FakeBotAPI() as api:
        api.send_message("/start", chat_id=ADMIN, user_id=ADMIN)      # the admin has started the bot before
        bot = BotProcess(webhook_env(api, tmp_path / "missing", tmp_path / "index", port), cwd=tmp_path)
        try:
            bot.wait_log(r"The index could not be loaded", timeout=60)
            told = api.wait_for(lambda p: p["chat_id"] == ADMIN and "could not be loaded" in p["text"], timeout=30)
            assert "corpus folder not found" in told["params"]["text"]
            code, body = healthz(port)
            assert (code, body["status"]) == (503, "failed") and "corpus folder not found" in body["error"]
        finally:
            assert bot.stop() == 0, bot.log
