"""Admin power only for admins, however an update arrives; no secret in any log or reply.

In process (the real Application, the fake Bot API over HTTP): /reindex, /stats and uploads
from a non-admin are refused in a private chat, in a group, as a forward of an admin's
message, as an edited message, as a channel post, from an anonymous group admin
(`sender_chat` set, `from` = GroupAnonymousBot) or a linked channel, and as a reply to an
admin's message. "Refused" means: no reindex ran (the index object is the same), no stats
were shown, the corpus folder is unchanged, and where the bot answers at all, it says no.
Channel posts from channels not in INGEST_CHANNEL_IDS never reach the corpus folder.

As a subprocess at LOG_LEVEL=DEBUG in webhook mode (the chattiest configuration): faults,
errors and wrong-secret webhook calls, then the captured log and every reply the bot sent
are searched for the token (whole, its secret half, URL-quoted) and the webhook secret.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import socket
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.botprocess import BotProcess
from tests.fakebotapi import GROUP_ANONYMOUS_BOT, FakeBotAPI
from tests.test_bot_inprocess import ADMIN, running

REPO = Path(__file__).resolve().parents[1]
STRANGER = 2002
GROUP = -100777
CHANNEL = -1001234          # in INGEST_CHANNEL_IDS
OTHER_CHANNEL = -1005555    # not
REFUSED = "only for the bot's admins"
ADMIN_USER = {"id": ADMIN, "is_bot": False, "first_name": "Admin"}


@pytest.fixture(autouse=True)
def _no_proxy_for_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def texts(api: FakeBotAPI) -> list[str]:
    return [c["params"]["text"] for c in api.calls("sendMessage") if c["status"] == 200]


def settle(api: FakeBotAPI, chat: int) -> None:
    """Wait until the bot has handled everything sent so far: a question in `chat`, answered."""
    marker = f"Lavrov {time.monotonic_ns()}"
    api.send_message(marker if chat > 0 else f"/ask {marker}", chat_id=chat,
                     user_id=chat if chat > 0 else STRANGER, chat_type="private" if chat > 0 else "supergroup")
    api.wait_for(lambda p: p["chat_id"] == chat and marker.split()[1] in p["text"], timeout=15)
    time.sleep(0.3)                     # updates run concurrently: let a slower one finish too


def test_admin_commands_and_uploads_are_refused_however_a_non_admin_sends_them(tmp_path: Path,
                                                                                caplog: Any) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "seeds", corpus)
    before = snapshot(corpus)
    with FakeBotAPI() as api, running(api, corpus, rate_limiter=False, questions_per_minute=0,
                                      ingest_channel_ids=frozenset({CHANNEL})) as state:
        index = state.service.current()
        group = dict(chat_id=GROUP, chat_type="supergroup")
        # an admin's own messages, which others will forward, reply to or impersonate
        admin_cmd = api.send_message("/reindex", chat_id=ADMIN, user_id=ADMIN)
        api.wait_for(lambda p: p["chat_id"] == ADMIN and "Reindex done" in p["text"], timeout=30)
        index = state.service.current()             # the admin's reindex ran; nothing may run again
        admin_in_group = api.send_message("/ask Lavrov", user_id=ADMIN, **group)
        admin_doc = api.send_document("admin.txt", b"The Quibbleton harbour reopened.\n", chat_id=ADMIN,
                                      user_id=ADMIN)
        api.wait_for(lambda p: p["chat_id"] == ADMIN and "Added 1 article" in p["text"])
        index = state.service.current()
        before = snapshot(corpus)
        forwarded = {"type": "user", "date": int(time.time()), "sender_user": ADMIN_USER}
        anonymous = {"id": GROUP, "type": "supergroup", "title": "Test Group"}
        linked = {"id": CHANNEL, "type": "channel", "title": "News channel"}

        refused_with_a_reply = []
        for command in ("/reindex", "/stats", "/reindex@ArticleQABot", "/stats full"):
            refused_with_a_reply += [
                api.send_message(command, chat_id=STRANGER, user_id=STRANGER),                  # private
                api.send_message(command, user_id=STRANGER, **group),                          # group
                api.send_message(command, chat_id=STRANGER, user_id=STRANGER,                  # a forward
                                 forward_origin=forwarded),
                api.send_message(command, user_id=STRANGER, forward_origin=forwarded, **group),
                api.send_message(command, user_id=STRANGER, sender_chat=anonymous, **group),  # anonymous admin
                api.send_message(command, user_id=STRANGER, sender_chat=linked, **group),     # a linked channel
                api.send_message(command, user_id=STRANGER, reply_to_message=admin_in_group,  # a reply
                                 **group),
                api.send_message(command, chat_id=STRANGER, user_id=STRANGER, reply_to_message=admin_cmd),
            ]
        # edited messages and channel posts: no command handler takes them at all
        chatter = api.send_message("just chatting", chat_id=STRANGER, user_id=STRANGER)
        api.edit_message(chatter, "/reindex")
        in_group = api.send_message("hello all", user_id=STRANGER, **group)
        api.edit_message(in_group, "/stats")
        api.edit_message(admin_cmd, "/reindex")         # even an admin's edit is not a new command
        for channel in (CHANNEL, OTHER_CHANNEL):
            api.channel_post("/reindex", chat_id=channel)
            api.channel_post("/stats", chat_id=channel)
        # uploads: private, group, forwarded from an admin, anonymous admin, as a reply to an admin
        doc = b"The Snorkwhistle mine closed, officials said.\n"
        api.send_document("private.txt", doc, chat_id=STRANGER, user_id=STRANGER)
        api.send_document("forwarded.txt", doc, chat_id=STRANGER, user_id=STRANGER, forward_origin=forwarded)
        api.send_document("reply.txt", doc, chat_id=STRANGER, user_id=STRANGER, reply_to_message=admin_doc)
        api.send_document("group.txt", doc, user_id=STRANGER, **group)
        api.send_document("group-admin.txt", doc, user_id=ADMIN, **group)         # uploads are private-only
        api.send_document("anonymous.txt", doc, user_id=STRANGER, sender_chat=anonymous, **group)
        api.send_document("forward-group.txt", doc, user_id=STRANGER, forward_origin=forwarded, **group)
        settle(api, STRANGER)
        settle(api, GROUP)

        # nothing ran ...
        assert state.service.current() is index
        assert not state.service.rebuilding
        assert snapshot(corpus) == before
        assert len([t for t in texts(api) if t.startswith("Reindexing")]) == 1   # the admin's own
        assert not [t for t in texts(api) if "Articles:" in t]
        # ... and every refusal was said, to the chat it came from
        for update in refused_with_a_reply:
            msg = update["message"]
            api.wait_for(lambda p, m=msg: p["chat_id"] == m["chat"]["id"] and REFUSED in p["text"]
                         and (m["chat"]["type"] == "private" or
                              p["reply_parameters"]["message_id"] == m["message_id"]))
        deadline = time.monotonic() + 15
        while len([t for t in texts(api) if "adding articles is only for" in t]) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        assert len([t for t in texts(api) if "adding articles is only for" in t]) == 3   # the 3 private ones
        assert len(api.calls("getFile")) == 1              # only the admin's file was ever downloaded
        assert not [c for c in api.calls("sendMessage") if c["params"]["chat_id"] in (CHANNEL, OTHER_CHANNEL)]
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Refused")]
    assert len(refusals) == len(refused_with_a_reply) + 3
    assert all("from user 2002" in r or f"from user {GROUP_ANONYMOUS_BOT['id']}" in r or
               "from user 136817688" in r for r in refusals)


def test_channel_posts_enter_the_corpus_only_from_ingest_channels(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "seeds", corpus)
    with FakeBotAPI() as api, running(api, corpus, rate_limiter=False,
                                      ingest_channel_ids=frozenset({CHANNEL})) as state:
        index = state.service.current()
        post = api.channel_post("Gribblefish exports rose, the ministry said.", chat_id=OTHER_CHANNEL)
        api.channel_post("Gribblefish exports fell, the ministry said.", chat_id=OTHER_CHANNEL,
                         edited_of=post)
        api.channel_post(None, caption="Gribblefish photo caption, the ministry said.", chat_id=OTHER_CHANNEL)
        # the ingest channel's post auto-forwarded into its discussion group is a group message
        api.send_message("Gribblefish exports rose in the group, the ministry said.", chat_id=GROUP,
                         chat_type="supergroup", sender_chat={"id": CHANNEL, "type": "channel", "title": "N"})
        # and forwarded to the bot privately by a stranger it is a question, not an article
        api.send_message("Gribblefish exports, forwarded.", chat_id=STRANGER, user_id=STRANGER,
                         forward_origin={"type": "channel", "date": int(time.time()),
                                         "chat": {"id": CHANNEL, "type": "channel", "title": "N"},
                                         "message_id": 1})
        api.wait_for(lambda p: p["chat_id"] == STRANGER and "Nothing found" in p["text"])
        settle(api, STRANGER)
        assert not (corpus / "channels").exists()
        assert state.service.current() is index
        api.channel_post("Gribblefish exports doubled, the ministry said.", chat_id=CHANNEL)   # the real one
        deadline = time.monotonic() + 20
        while not (corpus / "channels").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [p.relative_to(corpus).as_posix() for p in (corpus / "channels").rglob("*.md")] == \
            [f"channels/{str(CHANNEL).lstrip('-')}/1.md"]


# ----- secrets in logs and replies: a subprocess at DEBUG through faults and errors ------------
TOKEN = "7012345678:AAH-verySecretTokenPart_0123456789abc"
SECRET = "Webhook_Secret-0123456789-xyz"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def forms(secret: str) -> set[str]:
    out = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote(secret)}
    if ":" in secret:
        out.add(secret.split(":", 1)[1])
    return out


def test_no_secret_in_logs_or_replies_through_faults_errors_and_forged_webhook_calls(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "seeds", corpus)
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    with FakeBotAPI(token=TOKEN) as api:
        proc = BotProcess({
            "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": api.base_url,
            "TELEGRAM_API_FILE_URL": api.base_file_url, "CORPUS_DIR": str(corpus),
            "INDEX_PATH": str(tmp_path / "index"), "WEBHOOK_URL": url, "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_LISTEN": "127.0.0.1", "PORT": str(port), "LOG_LEVEL": "DEBUG",
            "ADMIN_IDS": str(ADMIN), "QUESTIONS_PER_MINUTE": "0",
        }, cwd=tmp_path)
        try:
            proc.wait_log(r"Webhook Server started", timeout=30)
            proc.wait_log(r"Index ready", timeout=60)

            def post(update: dict, secret: str | None = SECRET) -> int:
                return api.post_to_webhook(url, update, secret)

            # faults on the way out: retried (and logged at WARNING with the error)
            for kind in ("500", "502", "429"):
                api.inject_fault("sendMessage", kind, count=1, retry_after=1)
            api.inject_fault("sendMessage", "timeout", count=1, delay=1.0)
            for n in range(4):
                assert post(api.send_message(f"what did Lavrov say {n}", chat_id=ADMIN, user_id=ADMIN)) == 200
            for n in range(4):
                api.wait_for(lambda p, n=n: p["chat_id"] == ADMIN and f"say {n}" in p["text"], timeout=30)
            # an upload (the file URL holds the token) with a failing getFile
            api.inject_fault("getFile", "500", count=1)
            assert post(api.send_document("notes.txt", b"The Quibbleton harbour reopened.\n",
                                          chat_id=ADMIN, user_id=ADMIN)) == 200
            api.wait_for(lambda p: p["chat_id"] == ADMIN and "Added 1 article" in p["text"], timeout=30)
            # an error while handling: a chat Telegram does not know (400 on every reply)
            ghost = {"update_id": 999_001, "message": {
                "message_id": 1, "date": int(time.time()), "text": "Lavrov",
                "chat": {"id": 4242, "type": "private", "first_name": "Ghost"},
                "from": {"id": 4242, "is_bot": False, "first_name": "Ghost"}}}
            assert post(ghost) == 200
            proc.wait_log(r"Error while handling an update", timeout=30)
            # a failing reindex: its reason is sent to the admin
            shutil.rmtree(corpus)
            assert post(api.send_message("/reindex", chat_id=ADMIN, user_id=ADMIN)) == 200
            api.wait_for(lambda p: p["chat_id"] == ADMIN and "Reindex failed" in p["text"], timeout=30)
            # forged webhook calls never reach a handler: an admin's /stats with a wrong or no secret
            forged = api.send_message("/stats", chat_id=ADMIN, user_id=ADMIN)
            for wrong in (None, "", "wrong", SECRET.lower(), SECRET + "x", SECRET[:-1], TOKEN):
                assert post(forged, wrong) == 403
            request = urllib.request.Request(url + f"?secret_token={SECRET}", data=json.dumps(forged).encode(),
                                             headers={"Content-Type": "application/json"}, method="POST")
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=10)
            assert refused.value.code == 403
            marker = api.send_message("Putin", chat_id=ADMIN, user_id=ADMIN)
            assert post(marker) == 200
            api.wait_for(lambda p: p["chat_id"] == ADMIN and "Putin" in p["text"], timeout=30)
            time.sleep(0.3)
            assert not [t for t in texts(api) if "Articles:" in t]            # the forged /stats never ran
        finally:
            code = proc.stop()
    log = proc.log
    assert code == 0 and "DEBUG" in log and "Error while handling an update" in log and "retry 1 of" in log
    replies = "\n".join(texts(api))
    for secret in forms(TOKEN) | forms(SECRET):
        assert secret not in log, f"{secret!r} is in the log"
        assert secret not in replies, f"{secret!r} is in a reply"
    assert "[REDACTED]" in log


def test_a_rejected_token_is_not_printed(tmp_path: Path) -> None:
    with FakeBotAPI() as api:
        wrong = "7000000001:AAwrong-token-but-still-secret_987654"
        proc = BotProcess({"TELEGRAM_BOT_TOKEN": wrong, "TELEGRAM_API_BASE_URL": api.base_url,
                           "TELEGRAM_API_FILE_URL": api.base_file_url, "CORPUS_DIR": str(REPO / "seeds"),
                           "INDEX_PATH": str(tmp_path / "index"), "LOG_LEVEL": "DEBUG"}, cwd=tmp_path)
        assert proc.proc.wait(60) == 1
        proc.wait_log(r"Telegram rejected TELEGRAM_BOT_TOKEN")
        for secret in forms(wrong):
            assert secret not in proc.log
