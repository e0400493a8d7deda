"""Tests of the fake Telegram Bot API (tests/fakebotapi.py).

Most tests drive the fake with the real python-telegram-bot stack (httpx client, Updater
long polling, webhook server, error mapping); the rest check the Telegram-like validation
rules over raw HTTP. Each PTB test runs its asyncio code with ``asyncio.run`` inside a
plain test function (no pytest-asyncio); blocking helpers of the fake are awaited through
their ``*_async`` variants so the bot keeps running on the loop meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fakebotapi import FakeBotAPI, parse_telegram_html


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(autouse=True)
def _no_proxy_for_localhost(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx honours HTTP(S)_PROXY; a CI proxy must not intercept 127.0.0.1.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def api() -> Any:
    with FakeBotAPI() as server:
        yield server


def build_app(api: FakeBotAPI, read_timeout: float | None = None) -> Application:
    builder = (
        Application.builder()
        .token(api.token)
        .base_url(api.base_url)
        .base_file_url(api.base_file_url)
    )
    if read_timeout is not None:
        builder = builder.request(HTTPXRequest(read_timeout=read_timeout))
    return builder.build()


@contextlib.asynccontextmanager
async def polling(app: Application, api: FakeBotAPI, timeout: int = 1) -> Any:
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=timeout)
    try:
        await api.wait_until_polling_async(timeout=10)
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("More", callback_data="more:1")]])
    await update.message.reply_html(
        f"<b>You said:</b> {html.escape(update.message.text)}", reply_markup=keyboard
    )


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer("Loading…")
    await query.edit_message_text(f"<i>pressed {html.escape(query.data)}</i>", parse_mode="HTML")


def raw_call(
    api: FakeBotAPI, method: str, token: str | None = None, **params: Any
) -> tuple[int, dict]:
    """POST form-encoded params the way PTB does (non-strings JSON-encoded)."""
    body = urllib.parse.urlencode(
        {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    ).encode()
    request = urllib.request.Request(f"{api.base_url}{token or api.token}/{method}", data=body)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    """For state that no fake call reflects (e.g. PTB's own app.running flag)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------------------ PTB end-to-end


def test_ptb_echo_and_callback_roundtrip(api: FakeBotAPI) -> None:
    async def main() -> None:
        app = build_app(api)
        app.add_handler(MessageHandler(filters.TEXT, echo))
        app.add_handler(CallbackQueryHandler(on_button))
        async with polling(app, api):
            update = api.send_message("what about <tags> & @bob?")
            call = await api.wait_for_async(lambda p: "You said" in p["text"])
            params = call["params"]
            assert params["chat_id"] == 1001
            assert params["parse_mode"] == "HTML"
            assert params["text"] == "<b>You said:</b> what about &lt;tags&gt; &amp; @bob?"
            result = call["response"]["result"]
            assert result["text"] == "You said: what about <tags> & @bob?"
            assert result["entities"] == [{"type": "bold", "offset": 0, "length": 9}]
            assert result["from"]["username"] == "ArticleQABot"

            # the update was injected with the auto-detected mention entity
            assert update["message"]["entities"] == [{"type": "mention", "offset": 20, "length": 4}]

            [record] = api.sent(chat_id=1001)
            assert record["reply_markup"] == {
                "inline_keyboard": [[{"text": "More", "callback_data": "more:1"}]]
            }
            assert record["plain_text"] == result["text"]

            api.callback_query(record, "more:1")
            answer = await api.wait_for_async(lambda p: True, method="answerCallbackQuery")
            assert answer["params"]["text"] == "Loading…"
            edit = await api.wait_for_async(lambda p: True, method="editMessageText")
            assert edit["params"]["message_id"] == record["message_id"]
            [record] = api.sent(chat_id=1001)
            assert record["edits"] == 1
            assert record["text"] == "<i>pressed more:1</i>"
            assert "reply_markup" not in record["message"]  # edit without markup drops it

            # a command is delivered with a bot_command entity, so CommandHandler-style
            # filters see it
            api.send_message("/help@ArticleQABot now")
            await api.wait_for_async(lambda p: "/help@ArticleQABot now" in p["text"])

    asyncio.run(main())
    methods = [c["method"] for c in api.calls()]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]


def test_ptb_command_handler_and_group_topics(api: FakeBotAPI) -> None:
    async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"args={context.args}", do_quote=True)

    async def main() -> None:
        app = build_app(api)
        app.add_handler(CommandHandler("ask", ask))
        async with polling(app, api):
            api.send_message("/ask@ArticleQABot who won", chat_id=-100500, user_id=7,
                             chat_type="supergroup", username="bob", first_name="Bob",
                             message_thread_id=42, is_topic_message=True)
            call = await api.wait_for_async(lambda p: p["text"].startswith("args="))
            assert call["params"]["text"] == "args=['who', 'won']"
            assert call["params"]["message_thread_id"] == 42
            assert call["params"]["reply_parameters"]["message_id"] == 1
            result = call["response"]["result"]
            assert result["message_thread_id"] == 42
            assert result["reply_to_message"]["text"].startswith("/ask")
            # addressed to another bot: CommandHandler must ignore it
            api.send_message("/ask@OtherBot x", chat_id=-100500, chat_type="supergroup")
            api.send_message("/ask last", chat_id=-100500, chat_type="supergroup")
            await api.wait_for_async(lambda p: p["text"] == "args=['last']")
            assert len(api.sent(chat_id=-100500)) == 2

    asyncio.run(main())


def test_ptb_invalid_html_reply_is_bad_request(api: FakeBotAPI) -> None:
    errors: list[BaseException] = []
    got_error = asyncio.Event()

    async def unescaped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_html(f"Quote: {update.message.text}")  # bug: not escaped

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        errors.append(context.error)
        got_error.set()

    async def main() -> None:
        app = build_app(api)
        app.add_handler(MessageHandler(filters.TEXT, unescaped))
        app.add_error_handler(on_error)
        async with polling(app, api):
            api.send_message("if a < b then")
            failed = await api.wait_for_async(lambda p: True, include_failed=True)
            assert failed["status"] == 400
            await asyncio.wait_for(got_error.wait(), timeout=5)
            assert isinstance(errors[0], BadRequest)
            # PTB strips "Bad Request: " and str.capitalize()s the rest of the description
            assert errors[0].message.startswith("Can't parse entities: unsupported start tag")
            # direct calls raise as well
            with pytest.raises(BadRequest, match="(?i)can't find end tag"):
                await app.bot.send_message(1001, "<b>unclosed", parse_mode="HTML")
            with pytest.raises(BadRequest, match="Message is too long"):
                await app.bot.send_message(1001, "x" * 4097)
            with pytest.raises(BadRequest, match="Chat not found"):
                await app.bot.send_message(999999, "hi")
            assert api.sent() == []

    asyncio.run(main())


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_ptb_sees_faults_as_telegram_errors(api: FakeBotAPI) -> None:
    async def main() -> None:
        app = build_app(api, read_timeout=0.3)
        async with polling(app, api):
            api.send_message("hello")  # makes chat 1001 known
            api.inject_fault("sendMessage", "429", retry_after=7)
            with pytest.raises(RetryAfter) as excinfo:
                await app.bot.send_message(1001, "first")
            assert "Retry in 7" in str(excinfo.value)
            api.inject_fault("sendMessage", "500")
            with pytest.raises(NetworkError, match="Internal Server Error"):
                await app.bot.send_message(1001, "second")
            api.inject_fault("sendMessage", "502")
            with pytest.raises(NetworkError, match="Bad Gateway"):
                await app.bot.send_message(1001, "third")
            api.inject_fault("sendMessage", "timeout", delay=1.0)
            with pytest.raises(TimedOut):
                await app.bot.send_message(1001, "fourth")
            # faults are consumed: the next call goes through
            message = await app.bot.send_message(1001, "fifth")
            assert message.text == "fifth"
            # the timed-out call is still processed server-side after its delay
            await api.wait_for_async(lambda p: p["text"] == "fourth", timeout=5)

    asyncio.run(main())
    faults = [(c["params"]["text"], c["fault"], c["status"]) for c in api.calls("sendMessage")]
    assert faults[:3] == [("first", "429", 429), ("second", "500", 500), ("third", "502", 502)]
    assert sorted(r["text"] for r in api.sent()) == ["fifth", "fourth"]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_ptb_rate_limiter_retries_after_429(api: FakeBotAPI) -> None:
    """With AIORateLimiter (the project's rate-limiter extra) a 429 is retried after
    retry_after seconds; wait_for only matches the successful attempt."""
    from telegram.ext import AIORateLimiter

    async def main() -> None:
        app = (Application.builder().token(api.token).base_url(api.base_url)
               .base_file_url(api.base_file_url).rate_limiter(AIORateLimiter(max_retries=2))
               .build())
        app.add_handler(MessageHandler(filters.TEXT, echo))
        async with polling(app, api):
            api.inject_fault("sendMessage", "429", retry_after=1)
            t0 = time.monotonic()
            api.send_message("flood")
            call = await api.wait_for_async(lambda p: "flood" in p["text"], timeout=10)
            assert call["status"] == 200 and time.monotonic() - t0 >= 1.0
            attempts = api.calls("sendMessage")
            assert [(c["fault"], c["status"]) for c in attempts] == [("429", 429), (None, 200)]
            assert attempts[0]["response"]["parameters"] == {"retry_after": 1}
            assert len(api.sent()) == 1

    asyncio.run(main())


def test_ptb_get_file_and_download(api: FakeBotAPI) -> None:
    content = bytes(range(256)) * 40 + b"\r\n\r\n--boundary-like--\r\n"

    async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        document = update.message.document
        tg_file = await document.get_file()
        data = await tg_file.download_as_bytearray()
        context.bot_data["downloaded"] = bytes(data)
        await update.message.reply_text(f"{document.file_name}: {len(data)} bytes")
        await update.message.reply_document(bytes(data), filename="copy.bin", caption="<b>copy</b>",
                                            parse_mode="HTML")

    async def main() -> None:
        app = build_app(api)
        app.add_handler(MessageHandler(filters.Document.ALL, on_document))
        async with polling(app, api):
            update = api.send_document("articles.bin", content, caption="please index")
            await api.wait_for_async(lambda p: p["text"] == f"articles.bin: {len(content)} bytes")
            assert app.bot_data["downloaded"] == content
            upload = await api.wait_for_async(lambda p: True, method="sendDocument")
            assert upload["params"]["document"]["content"] == content
            assert upload["params"]["document"]["file_name"] == "copy.bin"
            sent_doc = api.sent()[-1]
            assert sent_doc["document_bytes"] == content
            assert sent_doc["message"]["caption"] == "copy"
            assert update["message"]["document"]["file_size"] == len(content)
            with pytest.raises(BadRequest, match="Invalid file_id"):
                await app.bot.get_file("nope")

    asyncio.run(main())


def test_ptb_long_poll_wakes_up_immediately(api: FakeBotAPI) -> None:
    async def main() -> None:
        app = build_app(api)
        app.add_handler(MessageHandler(filters.TEXT, echo))
        async with polling(app, api, timeout=30):  # the poll would block 30 s without updates
            t0 = time.monotonic()
            api.send_message("ping")
            await api.wait_for_async(lambda p: "ping" in p["text"], timeout=5)
            assert time.monotonic() - t0 < 1.5
        # and stopping the updater does not wait for the 30 s poll either

    t_start = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - t_start < 5


def test_ptb_run_polling_and_stop_running(api: FakeBotAPI) -> None:
    """Application.run_polling() (the production entry point) works against the fake."""
    app = build_app(api)

    async def stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text("bye")
        context.application.stop_running()

    app.add_handler(CommandHandler("stop", stop))
    errors: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        try:
            app.run_polling(poll_interval=0, timeout=1, stop_signals=None, close_loop=True)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    api.wait_until_polling()
    api.send_message("/stop")
    api.wait_for(lambda p: p["text"] == "bye")
    thread.join(10)
    assert not thread.is_alive() and not errors
    assert api.pending_updates() == []  # the final getUpdates confirmed the /stop update


def test_ptb_run_webhook_with_secret_token(api: FakeBotAPI) -> None:
    port = free_port()
    app = build_app(api)
    app.add_handler(MessageHandler(filters.TEXT, echo))
    errors: list[BaseException] = []
    loop = asyncio.new_event_loop()

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            app.run_webhook(listen="127.0.0.1", port=port, url_path="hook",
                            webhook_url=f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t",
                            stop_signals=None, close_loop=True)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        # run_webhook calls setWebhook before its server listens; app.running flips after
        wait_until(lambda: app.running or bool(errors))
        assert not errors
        set_hook = api.wait_for(lambda p: True, method="setWebhook")
        assert set_hook["params"]["url"] == f"http://127.0.0.1:{port}/hook"
        assert set_hook["params"]["secret_token"] == "s3cr3t"
        assert api.webhook_info()["secret_token"] == "s3cr3t"
        update = api.send_message("via webhook")
        # polling while a webhook is set is a conflict, like on Telegram
        status, body = raw_call(api, "getUpdates")
        assert (status, body["description"].split(":")[0]) == (409, "Conflict")
        hook_url = f"http://127.0.0.1:{port}/hook"
        assert api.post_to_webhook(hook_url, update, "wrong") == 403
        assert api.post_to_webhook(hook_url, update, None) == 403
        assert api.post_to_webhook(hook_url, update, "s3cr3t") == 200
        api.wait_for(lambda p: "via webhook" in p["text"])
        assert api.pending_updates() == []
    finally:
        # stop_running() must be called on the application's loop
        with contextlib.suppress(RuntimeError):  # loop already closed after a startup error
            loop.call_soon_threadsafe(app.stop_running)
        thread.join(10)
    assert not thread.is_alive() and not errors


def test_running_app_helper(api: FakeBotAPI) -> None:
    app = build_app(api)
    app.add_handler(MessageHandler(filters.TEXT, echo))
    with api.running_app(app):
        api.send_message("sync style", chat_id=5, user_id=5)
        call = api.wait_for(lambda p: p["chat_id"] == 5)
        assert "sync style" in call["params"]["text"]
    assert not app.running


# ------------------------------------------------------------------------------ raw HTTP rules


def test_get_me_and_token_and_unknown_method(api: FakeBotAPI) -> None:
    status, body = raw_call(api, "getMe")
    assert status == 200 and body["ok"] is True
    me = body["result"]
    assert me["is_bot"] is True and me["username"] == "ArticleQABot" and me["id"] == 123456
    assert me["can_join_groups"] is True and me["can_read_all_group_messages"] is False
    assert me["supports_inline_queries"] is True
    assert raw_call(api, "GETME")[0] == 200  # method names are case-insensitive
    status, body = raw_call(api, "getMe", token="123456:WRONG")
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    status, body = raw_call(api, "sendPigeon", chat_id=1)
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert api.calls("sendPigeon")[0]["params"] == {"chat_id": 1}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("é <div>x</div>", 'Unsupported start tag "div" at byte offset 3'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<blockquote>a<blockquote>b</blockquote></blockquote>", "can't be nested"),
        ("a&nbsp;b", 'Unsupported HTML entity "&nbsp;"'),
        ("<!-- c -->x", "Unsupported start tag"),
        ("<br/>x", "Unsupported start tag"),
    ],
)
def test_html_rejected_like_telegram(api: FakeBotAPI, text: str, error: str) -> None:
    api.send_message("hi")
    status, body = raw_call(api, "sendMessage", chat_id=1001, text=text, parse_mode="HTML")
    assert status == 400 and body["error_code"] == 400
    assert body["description"].startswith("Bad Request: can't parse entities: ")
    assert error in body["description"]


def test_html_accepted_with_entities() -> None:
    text = (
        '<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>'
        '<strike>k</strike><del>d</del><span class="tg-spoiler">p</span>'
        '<tg-spoiler>q</tg-spoiler><a href="https://x.org/?a=1&amp;b=2">l</a><code>c</code>'
        '<pre><code class="language-python">py</code></pre><blockquote>bq</blockquote>'
        '<blockquote expandable>ex</blockquote><tg-emoji emoji-id="5368324170671202286">👍'
        '</tg-emoji> &lt;&gt;&amp;&quot;&#65;&#x42; AT&T 😀<b>z</b>'
    )
    visible, entities = parse_telegram_html(text)
    assert visible == 'bsieunskdpqlcpybqex👍 <>&"AB AT&T 😀z'
    types = [e["type"] for e in entities]
    assert types == ["bold", "bold", "italic", "italic", "underline", "underline",
                     "strikethrough", "strikethrough", "strikethrough", "spoiler", "spoiler",
                     "text_link", "code", "pre", "blockquote", "expandable_blockquote",
                     "custom_emoji", "bold"]
    link = entities[11]
    assert link["url"] == "https://x.org/?a=1&b=2"
    assert entities[13]["language"] == "python"
    assert entities[16] == {"type": "custom_emoji", "offset": 19, "length": 2,
                            "custom_emoji_id": "5368324170671202286"}
    # offsets are UTF-16 code units: 😀 counts 2
    assert entities[-1] == {"type": "bold", "offset": 36, "length": 1}


def test_text_length_empty_and_trimming(api: FakeBotAPI) -> None:
    api.send_message("hi")
    # 4096 visible characters are fine even though the HTML source is longer
    status, body = raw_call(api, "sendMessage", chat_id=1001,
                            text="<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert status == 200 and len(body["result"]["text"]) == 4096
    status, body = raw_call(api, "sendMessage", chat_id=1001,
                            text="&amp;" * 4097, parse_mode="HTML")
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    for empty in ("", "   \n", "<b> </b>"):
        status, body = raw_call(api, "sendMessage", chat_id=1001, text=empty, parse_mode="HTML")
        assert (status, body["description"]) == (400, "Bad Request: message text is empty")
    status, body = raw_call(api, "sendMessage", chat_id=1001, text="\n <b>hi</b> \n",
                            parse_mode="HTML")
    assert body["result"]["text"] == "hi"
    assert body["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
    status, body = raw_call(api, "sendMessage", chat_id=1001, text="x", parse_mode="html5")
    assert status == 400
    # string params stay strings even when they look like JSON
    status, body = raw_call(api, "sendMessage", chat_id=1001, text="123")
    assert body["result"]["text"] == "123" and api.sent()[-1]["text"] == "123"


def test_callback_data_limit_and_keyboard_validation(api: FakeBotAPI) -> None:
    api.send_message("hi")

    def send(markup: Any) -> tuple[int, dict]:
        return raw_call(api, "sendMessage", chat_id=1001, text="k", reply_markup=markup)

    ok_data = "é" * 32  # 64 bytes
    assert send({"inline_keyboard": [[{"text": "a", "callback_data": ok_data}]]})[0] == 200
    status, body = send({"inline_keyboard": [[{"text": "a", "callback_data": ok_data + "x"}]]})
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    status, body = send({"inline_keyboard": [[{"text": "a"}]]})
    assert status == 400 and "Text buttons are unallowed" in body["description"]
    status, body = send({"inline_keyboard": [[{"text": "a", "url": "javascript:x"}]]})
    assert (status, body["description"]) == (400, "Bad Request: BUTTON_URL_INVALID")
    assert send({"keyboard": [[{"text": "reply kb"}]]})[0] == 200
    assert "reply_markup" not in api.sent()[-1]["message"]  # only inline keyboards echo back


def test_edit_message_text_rules(api: FakeBotAPI) -> None:
    api.send_message("hi")
    markup = {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
    _, body = raw_call(api, "sendMessage", chat_id=1001, text="<b>v1</b>", parse_mode="HTML",
                       reply_markup=markup)
    mid = body["result"]["message_id"]
    status, body = raw_call(api, "editMessageText", chat_id=1001, message_id=mid,
                            text="<b>v1</b>", parse_mode="HTML", reply_markup=markup)
    assert status == 400 and body["description"].startswith(
        "Bad Request: message is not modified: specified new message content and reply markup"
        " are exactly the same"
    )
    # same visible text but different entities is a modification
    status, body = raw_call(api, "editMessageText", chat_id=1001, message_id=mid, text="v1",
                            reply_markup=markup)
    assert status == 200 and "entities" not in body["result"]
    # dropping the keyboard is a modification, too
    status, body = raw_call(api, "editMessageText", chat_id=1001, message_id=mid, text="v1")
    assert status == 200 and "reply_markup" not in body["result"]
    status, body = raw_call(api, "editMessageText", chat_id=1001, message_id=mid, text="<x>",
                            parse_mode="HTML")
    assert status == 400 and "can't parse entities" in body["description"]
    status, body = raw_call(api, "editMessageText", chat_id=1001, message_id=999, text="z")
    assert (status, body["description"]) == (400, "Bad Request: message to edit not found")
    status, body = raw_call(api, "editMessageText", chat_id=1001, message_id=1, text="z")
    assert (status, body["description"]) == (400, "Bad Request: message can't be edited")
    status, body = raw_call(api, "editMessageReplyMarkup", chat_id=1001, message_id=mid,
                            reply_markup=markup)
    assert status == 200 and body["result"]["reply_markup"] == markup
    status, _ = raw_call(api, "editMessageReplyMarkup", chat_id=1001, message_id=mid,
                         reply_markup=markup)
    assert status == 400
    record = api.sent()[-1]
    assert record["edits"] == 3 and record["message"]["text"] == "v1"
    deleted = raw_call(api, "deleteMessage", chat_id=1001, message_id=mid)
    assert deleted == (200, {"ok": True, "result": True})
    assert raw_call(api, "deleteMessage", chat_id=1001, message_id=mid)[0] == 400
    assert api.sent()[-1]["deleted"] is True


def test_reply_parameters_and_chat_lookup(api: FakeBotAPI) -> None:
    update = api.send_message("question", chat_id=-42, chat_type="group", user_id=9)
    mid = update["message"]["message_id"]
    status, body = raw_call(api, "sendMessage", chat_id=-42, text="answer",
                            reply_parameters={"message_id": mid})
    assert status == 200 and body["result"]["reply_to_message"]["text"] == "question"
    status, body = raw_call(api, "sendMessage", chat_id=-42, text="answer",
                            reply_parameters={"message_id": 777})
    assert (status, body["description"]) == (400, "Bad Request: message to be replied not found")
    status, _ = raw_call(api, "sendMessage", chat_id=-42, text="answer",
                         reply_parameters={"message_id": 777, "allow_sending_without_reply": True})
    assert status == 200
    assert raw_call(api, "sendMessage", chat_id=-43, text="x")[1]["description"] == \
        "Bad Request: chat not found"
    status, body = raw_call(api, "getChat", chat_id=-42)
    assert body["result"]["type"] == "group" and body["result"]["title"]
    _, body = raw_call(api, "getChatMember", chat_id=-42, user_id=123456)
    assert body["result"]["status"] == "administrator"
    _, body = raw_call(api, "getChatMember", chat_id=-42, user_id=9)
    assert body["result"]["status"] == "member"
    assert raw_call(api, "sendChatAction", chat_id=-42, action="typing")[0] == 200
    assert raw_call(api, "sendChatAction", chat_id=-42, action="dancing")[0] == 400


def test_get_updates_offset_limit_allowed_and_timeout(api: FakeBotAPI) -> None:
    first = api.send_message("one")["update_id"]
    api.send_message("two")
    api.inline_query("q")
    _, body = raw_call(api, "getUpdates", limit=2)
    assert [u["update_id"] for u in body["result"]] == [first, first + 1]
    _, body = raw_call(api, "getUpdates", offset=first + 1)  # confirms "one"
    assert [u["update_id"] for u in body["result"]] == [first + 1, first + 2]
    _, body = raw_call(api, "getUpdates", offset=first + 1, allowed_updates=["inline_query"])
    assert [list(u)[1] for u in body["result"]] == ["inline_query"]
    _, body = raw_call(api, "getUpdates", offset=first + 3, timeout=0)
    assert body["result"] == []
    t0 = time.monotonic()
    _, body = raw_call(api, "getUpdates", offset=first + 3, timeout=1)
    elapsed = time.monotonic() - t0
    assert body["result"] == [] and 0.9 <= elapsed < 3

    # a long poll returns as soon as an update is queued
    result: dict[str, Any] = {}

    def poll() -> None:
        result["response"] = raw_call(api, "getUpdates", offset=first + 3, timeout=20,
                                      allowed_updates=[])
        result["done"] = time.monotonic()

    thread = threading.Thread(target=poll)
    generation = api._poll_generation
    thread.start()
    wait_until(lambda: api._poll_generation > generation)  # the poll is now waiting
    t0 = time.monotonic()
    api.send_message("wake up")
    thread.join(5)
    assert result["done"] - t0 < 0.5
    assert result["response"][1]["result"][0]["message"]["text"] == "wake up"


def test_concurrent_get_updates_conflict(api: FakeBotAPI) -> None:
    result: dict[str, Any] = {}
    thread = threading.Thread(
        target=lambda: result.update(r=raw_call(api, "getUpdates", timeout=20))
    )
    thread.start()
    # the generation is bumped under the lock the long poll then waits on
    wait_until(lambda: api._poll_generation >= 1)
    assert raw_call(api, "getUpdates", timeout=0)[0] == 200
    thread.join(5)
    status, body = result["r"]
    assert status == 409 and "terminated by other getUpdates request" in body["description"]


def test_files_and_size_limit(api: FakeBotAPI) -> None:
    update = api.send_document("notes.txt", b"hello file")
    file_id = update["message"]["document"]["file_id"]
    assert update["message"]["document"]["mime_type"] == "text/plain"
    status, body = raw_call(api, "getFile", file_id=file_id)
    assert status == 200 and body["result"]["file_size"] == 10
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    url = f"{api.base_file_url}{api.token}/{body['result']['file_path']}"
    assert opener.open(url, timeout=5).read() == b"hello file"
    status, body = raw_call(api, "getFile", file_id="unknown")
    assert (status, body["description"]) == (400, "Bad Request: invalid file_id")
    big = api.send_document("big.pdf", b"\0" * (20 * 1024 * 1024 + 1))
    status, body = raw_call(api, "getFile", file_id=big["message"]["document"]["file_id"])
    assert (status, body["description"]) == (400, "Bad Request: file is too big")


def test_inline_and_callback_answers(api: FakeBotAPI) -> None:
    qid = api.inline_query("lavrov")["inline_query"]["id"]

    def article(i: Any) -> dict:
        return {"type": "article", "id": str(i), "title": "t",
                "input_message_content": {"message_text": "<b>x</b>", "parse_mode": "HTML"}}

    status, body = raw_call(api, "answerInlineQuery", inline_query_id=qid,
                            results=[article(i) for i in range(51)])
    assert (status, body["description"]) == (400, "Bad Request: RESULTS_TOO_MUCH")
    status, body = raw_call(api, "answerInlineQuery", inline_query_id=qid,
                            results=[article(1), article(1)])
    assert (status, body["description"]) == (400, "Bad Request: RESULT_ID_DUPLICATE")
    bad = article(3)
    bad["input_message_content"]["message_text"] = "<b>x"
    assert raw_call(api, "answerInlineQuery", inline_query_id=qid, results=[bad])[0] == 400
    assert raw_call(api, "answerInlineQuery", inline_query_id=qid,
                    results=[article(i) for i in range(50)])[0] == 200
    assert raw_call(api, "answerInlineQuery", inline_query_id=qid, results=[])[0] == 400  # twice

    api.send_message("hi")
    _, body = raw_call(api, "sendMessage", chat_id=1001, text="pick",
                       reply_markup={"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]})
    cq = api.callback_query(body["result"], "a")["callback_query"]
    assert cq["message"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"
    assert cq["from"]["username"] == "alice"
    assert raw_call(api, "answerCallbackQuery", callback_query_id=cq["id"])[0] == 200
    status, body = raw_call(api, "answerCallbackQuery", callback_query_id=cq["id"])
    assert status == 400 and "query is too old" in body["description"]


def test_commands_webhook_and_misc_methods(api: FakeBotAPI) -> None:
    commands = [{"command": "ask", "description": "Ask a question"}]
    group_scope = {"type": "all_group_chats"}
    assert raw_call(api, "setMyCommands", commands=commands)[0] == 200
    assert raw_call(api, "setMyCommands", commands=commands[:0], scope=group_scope)[0] == 200
    assert raw_call(api, "getMyCommands")[1]["result"] == commands
    assert raw_call(api, "getMyCommands", scope=group_scope)[1]["result"] == []
    assert api.commands() == commands
    status, body = raw_call(api, "setMyCommands", commands=[{"command": "Ask", "description": "x"}])
    assert (status, body["description"]) == (400, "Bad Request: BOT_COMMAND_INVALID")
    assert raw_call(api, "deleteMyCommands")[0] == 200 and api.commands() == []

    api.send_message("pending")
    status, _ = raw_call(api, "setWebhook", url="https://example.org/hook",
                         secret_token="ok_tok-1")
    assert status == 200
    info = raw_call(api, "getWebhookInfo")[1]["result"]
    assert info["url"] == "https://example.org/hook" and info["pending_update_count"] == 1
    assert raw_call(api, "setWebhook", url="https://e.org", secret_token="bad token!")[0] == 400
    assert raw_call(api, "deleteWebhook", drop_pending_updates=True)[0] == 200
    info = raw_call(api, "getWebhookInfo")[1]["result"]
    assert info == {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    assert raw_call(api, "setChatMenuButton", menu_button={"type": "commands"})[0] == 200
    assert raw_call(api, "getChatMenuButton")[1]["result"] == {"type": "commands"}
    assert raw_call(api, "close")[1]["result"] is True
    assert raw_call(api, "logOut")[1]["result"] is True


def test_injected_update_shapes(api: FakeBotAPI) -> None:
    post = api.channel_post("Breaking: @someone said /nothing")["channel_post"]
    assert post["chat"] == {"id": -1001234, "type": "channel", "title": "News channel"}
    assert post["sender_chat"]["id"] == -1001234 and "from" not in post
    assert post["entities"] == [{"type": "mention", "offset": 10, "length": 8}]
    edited = api.channel_post("Corrected", edited_of=post)["edited_channel_post"]
    assert edited["message_id"] == post["message_id"] and "edit_date" in edited
    photo_post = api.channel_post(None, caption="pic")["channel_post"]
    assert photo_post["caption"] == "pic" and photo_post["photo"][0]["file_id"]

    msg = api.send_message("/ask x", chat_id=-500, chat_type="supergroup",
                           sender_chat={"id": -500, "type": "supergroup", "title": "G"})
    assert msg["message"]["from"]["username"] == "GroupAnonymousBot"
    assert msg["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 4}]
    edit = api.edit_message(msg, "/ask y")["edited_message"]
    assert edit["text"] == "/ask y" and edit["message_id"] == msg["message"]["message_id"]
    reply = api.send_message("follow-up", chat_id=-500, chat_type="supergroup",
                             reply_to_message=msg)["message"]
    assert reply["reply_to_message"]["message_id"] == msg["message"]["message_id"]
    fwd = api.send_message("fwd", forward_origin={"type": "hidden_user", "date": 1,
                                                  "sender_user_name": "X"})["message"]
    assert fwd["forward_origin"]["type"] == "hidden_user"
    # PTB can parse everything the fake produces
    updates = [Update.de_json(u, None) for u in api.pending_updates()]
    assert [u.effective_message.message_id for u in updates] == [1, 1, 2, 1, 1, 2, 1]
