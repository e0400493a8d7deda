"""Webhook mode end to end: `python -m bot` with WEBHOOK_URL, fed by POSTs like Telegram's.

The bot must register the webhook with its secret, never poll, answer an
update that carries the right secret, reject (403) one that does not, and
stop cleanly on SIGTERM. It runs with LOG_LEVEL=DEBUG so the "token never in
the log" check sees the chattiest log there is.
"""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from tests.botprocess import BotProcess

from tests.fakebotapi import FakeBotAPI

SECRET = "s3cret_Token-for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def webhook_bot(seed_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    run_dir = tmp_path_factory.mktemp("webhook")
    port = free_port()
    with FakeBotAPI() as api:
        proc = BotProcess({
            "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
            "TELEGRAM_API_FILE_URL": api.base_file_url, "CORPUS_DIR": str(seed_copy),
            "INDEX_PATH": str(run_dir / "index"), "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/hook",
            "WEBHOOK_SECRET": SECRET, "WEBHOOK_LISTEN": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "DEBUG",
        }, cwd=run_dir)
        try:
            api.wait_for(lambda p: True, method="setWebhook", timeout=30)
            proc.wait_log(r"Webhook Server started")       # PTB's DEBUG line once the port is bound
            proc.wait_log(r"Index ready", timeout=60)
            yield api, proc, f"http://127.0.0.1:{port}/telegram/hook"
        finally:
            if proc.proc.poll() is None:
                proc.stop()


def test_webhook_is_registered_with_the_secret(webhook_bot: Any) -> None:
    api, _, url = webhook_bot
    info = api.webhook_info()
    assert info["url"] == url and info["secret_token"] == SECRET
    assert "channel_post" in info["allowed_updates"] and "inline_query" in info["allowed_updates"]
    assert api.calls("getUpdates") == []


def test_update_with_the_right_secret_is_answered(webhook_bot: Any) -> None:
    api, _, url = webhook_bot
    update = api.send_message("what did Lavrov say about mediation", chat_id=7001, user_id=7001)
    assert api.post_to_webhook(url, update, SECRET) == 200
    call = api.wait_for(lambda p: p["chat_id"] == 7001)
    assert "<b>Lavrov</b>" in call["params"]["text"]


def test_update_without_the_right_secret_is_rejected(webhook_bot: Any) -> None:
    api, _, url = webhook_bot
    update = api.send_message("what did Lavrov say", chat_id=7002, user_id=7002)
    assert api.post_to_webhook(url, update, "wrong-secret") == 403
    assert api.post_to_webhook(url, update, None) == 403
    marker = api.send_message("Putin", chat_id=7003, user_id=7003)
    assert api.post_to_webhook(url, marker, SECRET) == 200
    api.wait_for(lambda p: p["chat_id"] == 7003)
    assert [c for c in api.calls("sendMessage") if c["params"]["chat_id"] == 7002] == []


def test_sigterm_stops_cleanly_and_no_secret_appears_in_the_log(webhook_bot: Any) -> None:
    api, proc, _ = webhook_bot
    assert proc.stop() == 0
    assert "Stopped." in proc.log
    assert "DEBUG" in proc.log                      # the chattiest level was on
    assert api.token.split(":", 1)[1] not in proc.log
    assert SECRET not in proc.log and "[REDACTED]" in proc.log


def test_webhook_serves_even_when_the_index_cannot_load(tmp_path: Path) -> None:
    port = free_port()
    with FakeBotAPI() as api:
        proc = BotProcess({
            "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
            "TELEGRAM_API_FILE_URL": api.base_file_url, "CORPUS_DIR": str(tmp_path / "missing"),
            "INDEX_PATH": str(tmp_path / "index"), "WEBHOOK_URL": f"http://127.0.0.1:{port}/",
            "WEBHOOK_SECRET": SECRET, "WEBHOOK_LISTEN": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "DEBUG",
        }, cwd=tmp_path)
        try:
            proc.wait_log(r"Webhook Server started")
            proc.wait_log(r"The index could not be loaded")
            update = api.send_message("Lavrov", chat_id=7010, user_id=7010)
            assert api.post_to_webhook(f"http://127.0.0.1:{port}/", update, SECRET) == 200
            text = api.wait_for(lambda p: p["chat_id"] == 7010)["params"]["text"]
            assert "could not be loaded" in text and "/reindex" in text
        finally:
            assert proc.stop() == 0
