"""The real Application in this process (the fake Bot API over HTTP), for states a subprocess
cannot be put in on cue: the index still loading or failed, a rate-limited user, a reindex
already running or failing, Telegram answering 500 or 429, a slow answer (typing indicator).

Nothing is mocked: the IndexService is real (on a copy of the seeds), faults come from the
fake server, and states come from real causes (a missing corpus, a second /reindex).
"""
from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, Message

from bot.app import build_application
from bot.config import Settings
from bot.i18n import ENGLISH
from bot.replies import TYPING_AFTER, typing_while
from bot.state import BotState
from index.service import IndexService

from tests.fakebotapi import FakeBotAPI

ADMIN = 1001
LOADING_NOTICE = ENGLISH("loading_notice")


@pytest.fixture(autouse=True)
def _no_proxy_for_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("PTB_TIMEDELTA", "1")                  # as `python -m bot` sets it


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    shutil.copytree(Path(__file__).resolve().parents[1] / "seeds", tmp_path / "corpus")
    return tmp_path / "corpus"


@contextlib.contextmanager
def running(api: FakeBotAPI, corpus: Path, start: bool = True, network_retries: int | None = None,
            **overrides: Any) -> Iterator[BotState]:
    service = IndexService(corpus, corpus.parent / "index")
    if start:
        service.start()
    settings = Settings(token=api.token, api_base_url=api.base_url, api_file_url=api.base_file_url,
                        admin_ids=frozenset({ADMIN}), corpus_dir=corpus, index_path=corpus.parent / "index",
                        **overrides)
    app = build_application(settings, service)
    if network_retries is not None:                 # bot.retry: how often a 5xx/timeout is retried
        app.bot.rate_limiter.network_retries = network_retries
    with api.running_app(app):
        yield app.bot_data["state"]


@pytest.fixture
def api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as server:
        yield server


def said(api: FakeBotAPI, chat_id: int, needle: str) -> dict:
    return api.wait_for(lambda p: p["chat_id"] == chat_id and needle in p["text"])


def test_questions_while_the_index_loads_wait_and_are_answered(api: FakeBotAPI, corpus: Path) -> None:
    with running(api, corpus, start=False) as state:
        api.send_message("what did Lavrov say", chat_id=11, user_id=11)
        api.send_message("/start", chat_id=11, user_id=11)
        said(api, 11, "Hi!")                                         # /start does not wait
        notice = said(api, 11, LOADING_NOTICE)["response"]["result"]   # after NOTICE_AFTER seconds
        api.wait_for(lambda p: p["chat_id"] == 11, method="sendChatAction")   # typing meanwhile
        qid = api.inline_query("Lavrov")["inline_query"]["id"]
        state.service.start()
        answer = api.wait_for(lambda p: p["message_id"] == notice["message_id"], method="editMessageText")
        assert "<b>Lavrov</b>" in answer["params"]["text"] and answer["params"]["reply_markup"]
        inline = api.wait_for(lambda p: p["inline_query_id"] == qid, method="answerInlineQuery")["params"]
        assert inline["results"] or inline["button"]["text"] == LOADING_NOTICE    # quotes, or "follows"
        texts = [c["params"]["text"] for c in api.calls("sendMessage")]
        assert sum(LOADING_NOTICE in t for t in texts) == 1 and not [t for t in texts if "again" in t]


def test_a_failed_load_is_explained(api: FakeBotAPI, corpus: Path) -> None:
    shutil.rmtree(corpus)
    with running(api, corpus, start=False) as state:
        with pytest.raises(Exception, match="corpus folder not found"):
            state.service.start()
        api.send_message("Lavrov", chat_id=12, user_id=12)
        said(api, 12, "could not be loaded (CorpusError: corpus folder not found")


def test_too_many_questions_get_one_polite_note(api: FakeBotAPI, corpus: Path) -> None:
    with running(api, corpus, questions_per_minute=2):
        for question in ("Lavrov", "Putin", "Minsk", "Belarus"):
            api.send_message(question, chat_id=13, user_id=13)
        said(api, 13, "Please wait")
        api.send_message("Lavrov", chat_id=14, user_id=14)          # another user is not limited
        said(api, 14, "<b>Lavrov</b>")
        def texts() -> list[str]:
            return [c["params"]["text"] for c in api.calls("sendMessage") if c["params"]["chat_id"] == 13]
        deadline = time.monotonic() + 15      # the two allowed answers may still be searching
        while len(texts()) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)                       # a fourth message would show by now
        # distinct texts: under heavy machine load a reply can time out on the client and be
        # retried (bot/retry.py) after the fake already stored it; that is a retry, not a new answer
        distinct = set(texts())
        assert len(distinct) == 3 and sum("Please wait" in t for t in distinct) == 1


def test_reindex_already_running_and_failing_reindex(api: FakeBotAPI, corpus: Path) -> None:
    with running(api, corpus) as state:
        api.send_message("/reindex", chat_id=ADMIN, user_id=ADMIN)
        api.send_message("/reindex", chat_id=ADMIN, user_id=ADMIN)      # while the first one runs
        said(api, ADMIN, "already running")
        said(api, ADMIN, "Reindex done")
        shutil.rmtree(corpus)                       # the rebuild cannot read the corpus any more
        api.send_message("/reindex", chat_id=ADMIN, user_id=ADMIN)
        said(api, ADMIN, "Reindex failed")
        assert not state.service.rebuilding
        api.send_message("what did Lavrov say", chat_id=ADMIN, user_id=ADMIN)   # the old index serves
        said(api, ADMIN, "<b>Lavrov</b>")


def test_an_error_is_logged_and_the_user_told(api: FakeBotAPI, corpus: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    with running(api, corpus, network_retries=0):     # a 500 is retried; here it is final
        api.inject_fault("sendMessage", "500", count=1)
        api.send_message("Lavrov", chat_id=15, user_id=15)
        said(api, 15, "something went wrong")
        api.send_message("Putin", chat_id=15, user_id=15)           # still alive
        said(api, 15, "<b>Putin</b>")
    assert "Error while handling an update" in caplog.text


def test_flood_control_delays_rather_than_drops(api: FakeBotAPI, corpus: Path) -> None:
    with running(api, corpus):
        api.inject_fault("sendMessage", "429", count=1, retry_after=1)
        api.send_message("Lavrov", chat_id=16, user_id=16)
        said(api, 16, "<b>Lavrov</b>")
        statuses = [c["status"] for c in api.calls("sendMessage") if c["params"]["chat_id"] == 16]
        assert statuses == [429, 200]


def test_typing_shows_for_a_slow_upload(api: FakeBotAPI, corpus: Path) -> None:
    with running(api, corpus):
        api.inject_fault("getFile", "timeout", count=1, delay=1.5)  # a slow download
        api.send_document("slow.txt", b"Quibbleton harbour reopened on Sunday.", chat_id=ADMIN, user_id=ADMIN)
        said(api, ADMIN, "Added 1 article")
        actions = api.calls("sendChatAction")   # one, or more where the machine made the upload slower
        assert actions and all(a["params"]["action"] == "typing" and a["params"]["chat_id"] == ADMIN
                               for a in actions)


def test_typing_only_after_the_delay(api: FakeBotAPI) -> None:
    async def main() -> None:
        async with Bot(api.token, base_url=api.base_url) as bot:
            update = api.send_message("hi", chat_id=17, user_id=17)
            message = Message.de_json(update["message"], bot)
            async with typing_while(message):
                pass                                    # done at once: the indicator never starts
            assert api.calls("sendChatAction") == []
            async with typing_while(message):            # a slow answer: ends once "typing" was sent
                await api.wait_for_async(lambda p: p["chat_id"] == 17, method="sendChatAction",
                                         timeout=TYPING_AFTER + 10)

    asyncio.run(main())
