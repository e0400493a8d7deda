"""End to end: `python -m bot` as a subprocess, polling the fake Bot API over real HTTP.

One bot process serves every scenario in this module (module-scoped
fixture), so each test uses its own chat/user ids and only looks at what the
fake received for those. Nothing sleeps: tests wait for an API call or a log
line. Ignored messages are checked by sending a "marker" message after them
and waiting for its answer: updates are fetched in order, so an answer to
the ignored one would have been started by then.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.botprocess import BotProcess


from tests.fakebotapi import FakeBotAPI, parse_telegram_html

ADMIN = 1001
CHANNEL = -1001234
OTHER_CHANNEL = -1009999
# verbatim from seeds/: the article has no-break spaces around "TASS and Interfax"
LAVROV = ("Russian Foreign Minister Sergei Lavrov said on Wednesday there was no need for outside mediation "
          "over the unrest in Belarus and accused foreign powers of using the crisis to interfere in Belarus, "
          "Russia’s\u00a0TASS\u00a0and\u00a0Interfax\u00a0news agencies reported.")
QUESTION = "what did Lavrov say about mediation"
BOT = "ArticleQABot"


@pytest.fixture(scope="module")
def api() -> Any:
    with FakeBotAPI(bot_username=BOT) as server:
        yield server


@pytest.fixture(scope="module")
def bot(api: FakeBotAPI, seed_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    (seed_copy / "broken.txt").write_bytes(b"\xff\xfe\xfa not text")   # /reindex must report it as skipped
    run_dir = tmp_path_factory.mktemp("run")
    proc = BotProcess({
        "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url,
        "TELEGRAM_API_FILE_URL": api.base_file_url, "ADMIN_IDS": f"{ADMIN}, 1005",
        "CORPUS_DIR": str(seed_copy), "INDEX_PATH": str(run_dir / "index"),
        "INGEST_CHANNEL_IDS": str(CHANNEL), "RESULTS_PER_PAGE": "5", "QUESTIONS_PER_MINUTE": "1000",
        "LOG_LEVEL": "INFO",
    }, cwd=run_dir)
    try:
        api.wait_until_polling(timeout=30)
        proc.wait_log(r"Index ready", timeout=60)
        yield proc
    finally:
        code = proc.stop()
    assert code == 0, proc.log
    assert not api.server_errors


# ----- helpers ----------------------------------------------------------------------------------
def reply_to(api: FakeBotAPI, update: dict, timeout: float = 15.0, method: str = "sendMessage") -> dict:
    """The bot's message replying to an injected group/channel message (reply_parameters)."""
    msg = next(v for k, v in update.items() if k != "update_id")
    chat, mid = msg["chat"]["id"], msg["message_id"]
    return api.wait_for(lambda p: p["chat_id"] == chat and p["reply_parameters"]["message_id"] == mid,
                        method=method, timeout=timeout)


def said(api: FakeBotAPI, chat_id: int, needle: str, timeout: float = 15.0) -> dict:
    """The first message the bot sent to `chat_id` containing `needle` (in the raw HTML)."""
    return api.wait_for(lambda p: p["chat_id"] == chat_id and needle in p["text"], timeout=timeout)


def buttons(call: dict) -> dict[str, str]:
    markup = call["params"].get("reply_markup") or {"inline_keyboard": []}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


def messages_to(api: FakeBotAPI, chat_id: int) -> list[dict]:
    return [c for c in api.calls("sendMessage") if c["params"]["chat_id"] == chat_id and c["status"] == 200]


def callback_answer(api: FakeBotAPI, update: dict) -> dict:
    qid = update["callback_query"]["id"]
    return api.wait_for(lambda p: p["callback_query_id"] == qid, method="answerCallbackQuery")["params"]


# ----- asking in private ------------------------------------------------------------------------
def test_start_welcomes_with_a_working_example(api: FakeBotAPI, bot: BotProcess) -> None:
    api.send_message("/start", chat_id=ADMIN, user_id=ADMIN)
    call = said(api, ADMIN, "Hi!")
    assert "<code>" in call["params"]["text"] and "/help" in call["params"]["text"]
    [try_it] = [data for text, data in buttons(call).items() if text.startswith("Try:")]
    press = api.callback_query(call["response"]["result"], try_it, user_id=ADMIN)
    assert callback_answer(api, press).get("text") is None
    said(api, ADMIN, "<blockquote>")          # the example question has hits
    # menus: private and group scopes at start, the admin's own once they started the bot
    assert {c["command"] for c in api.commands({"type": "all_private_chats"})} == {"ask", "help", "start"}
    assert {c["command"] for c in api.commands({"type": "all_group_chats"})} == {"ask", "help"}
    api.wait_for(lambda p: p["scope"] == {"type": "chat", "chat_id": ADMIN}, method="setMyCommands")
    assert "reindex" in {c["command"] for c in api.commands({"type": "chat", "chat_id": ADMIN})}


def test_help_explains_and_shows_admin_commands_to_admins_only(api: FakeBotAPI, bot: BotProcess) -> None:
    api.send_message("/help", chat_id=3001, user_id=3001)
    text = said(api, 3001, "<b>Asking</b>")["params"]["text"]
    for needle in ('"exact phrase"', "-word", "More", "Context", f"@{BOT}"):
        assert needle in text
    assert "/reindex" not in text
    api.send_message("/help", chat_id=ADMIN, user_id=ADMIN)
    assert "/reindex" in said(api, ADMIN, "<b>Admin</b>")["params"]["text"]


def test_private_question_quotes_the_seed_sentence(api: FakeBotAPI, bot: BotProcess) -> None:
    api.send_message(QUESTION, chat_id=3002, user_id=3002)
    call = said(api, 3002, "<blockquote>")
    params, message = call["params"], call["response"]["result"]
    assert params["parse_mode"] == "HTML"
    assert params["link_preview_options"] == {"is_disabled": True}
    first_quote = params["text"].split("<blockquote>")[1].split("</blockquote>")[0]
    assert first_quote.replace("<b>", "").replace("</b>", "") == LAVROV
    assert "<b>Lavrov</b>" in first_quote and "<b>mediation</b>" in first_quote
    assert LAVROV in message["text"]
    assert any(e["type"] == "blockquote" for e in message["entities"])
    assert set(buttons(call)) == {"More ›", "Context"}          # 6 hits, 5 per page


def test_html_in_a_question_is_escaped(api: FakeBotAPI, bot: BotProcess) -> None:
    api.send_message("<b>Lavrov</b> & <script>alert(1)</script>", chat_id=3003, user_id=3003)
    call = said(api, 3003, "&lt;script&gt;")
    assert "<script>" in call["response"]["result"]["text"]       # shown literally
    api.send_message('<a href="x">zzqqxx</a> "&amp;', chat_id=3003, user_id=3003)
    call = said(api, 3003, "Nothing found")
    assert '<a href="x">zzqqxx</a>' in call["response"]["result"]["text"]
    assert all(c["status"] == 200 for c in messages_to(api, 3003))


# ----- groups -----------------------------------------------------------------------------------
def group_message(api: FakeBotAPI, text: str, chat_id: int, user_id: int = 4001, **kw: Any) -> dict:
    return api.send_message(text, chat_id=chat_id, user_id=user_id, chat_type="supergroup", **kw)


def test_group_ask_is_answered_as_a_reply(api: FakeBotAPI, bot: BotProcess) -> None:
    asked = group_message(api, f"/ask {QUESTION}", -100501)
    call = reply_to(api, asked)
    assert LAVROV in call["response"]["result"]["text"]
    asked = group_message(api, f"/ask@{BOT} Putin", -100501)
    assert "Putin" in reply_to(api, asked)["response"]["result"]["text"]


def test_group_ignores_other_bots_and_chatter_but_answers_mentions(api: FakeBotAPI, bot: BotProcess) -> None:
    chat = -100502
    other = group_message(api, "/ask@OtherBot what did Lavrov say", chat)
    chatter = group_message(api, "Lavrov said something about mediation today", chat)
    mention = group_message(api, f"@{BOT} what did Lavrov say about mediation?", chat)
    call = reply_to(api, mention)
    assert LAVROV in call["response"]["result"]["text"]
    ids = {other["message"]["message_id"], chatter["message"]["message_id"]}
    assert [c for c in messages_to(api, chat) if c["params"]["reply_parameters"]["message_id"] in ids] == []
    assert len(messages_to(api, chat)) == 1


def test_group_reply_to_the_bot_is_a_question(api: FakeBotAPI, bot: BotProcess) -> None:
    chat = -100503
    first = reply_to(api, group_message(api, "/ask Lukashenko", chat))["response"]["result"]
    follow_up = group_message(api, "and what about Putin", chat, reply_to_message=first)
    assert "Putin" in reply_to(api, follow_up)["response"]["result"]["text"]


def test_group_forum_topic_reply_stays_in_the_topic(api: FakeBotAPI, bot: BotProcess) -> None:
    asked = group_message(api, "/ask Lavrov", -100504, message_thread_id=42, is_topic_message=True)
    call = reply_to(api, asked)
    assert call["params"]["message_thread_id"] == 42
    assert call["response"]["result"]["message_thread_id"] == 42


def test_edited_ask_is_not_answered_twice(api: FakeBotAPI, bot: BotProcess) -> None:
    chat = -100505
    asked = group_message(api, "/ask Lavrov", chat)
    reply_to(api, asked)
    api.edit_message(asked, "/ask Putin")
    reply_to(api, group_message(api, "/ask Minsk", chat))           # marker
    assert len(messages_to(api, chat)) == 2


# ----- buttons ----------------------------------------------------------------------------------
def test_more_and_context_buttons(api: FakeBotAPI, bot: BotProcess) -> None:
    chat = 3004
    api.send_message(QUESTION, chat_id=chat, user_id=chat)
    first = said(api, chat, "1–5 of 6")
    answer_msg = first["response"]["result"]
    more = api.callback_query(answer_msg, buttons(first)["More ›"], user_id=chat)
    page2 = said(api, chat, "6 of 6")
    assert callback_answer(api, more).get("text") is None
    assert "More ›" not in buttons(page2) and "Context" in buttons(page2)
    # the used button is gone from the first answer (one markup edit, no identical re-edit)
    api.wait_for(lambda p: p["message_id"] == answer_msg["message_id"], method="editMessageReplyMarkup")
    again = api.callback_query(answer_msg, buttons(first)["More ›"], user_id=chat)
    assert callback_answer(api, again)["text"] == "Already shown."

    context = api.callback_query(answer_msg, buttons(first)["Context"], user_id=chat)
    shown = said(api, chat, "in context:")
    assert callback_answer(api, context).get("text") is None
    assert LAVROV in shown["response"]["result"]["text"]
    twice = api.callback_query(answer_msg, buttons(first)["Context"], user_id=chat)
    assert callback_answer(api, twice)["text"] == "The context is already shown."
    assert not [(c["params"], c["response"]) for c in api.calls() if c["method"].startswith("edit") and c["status"] != 200]


def test_forged_old_and_past_the_end_callbacks_get_polite_answers(api: FakeBotAPI, bot: BotProcess) -> None:
    chat = 3005
    api.send_message(QUESTION, chat_id=chat, user_id=chat)
    call = said(api, chat, "<blockquote>")
    message = call["response"]["result"]
    token = buttons(call)["More ›"].split(":")[1]
    cases = {
        "not json, not ours": "This button is not one of mine.",
        "m:AAAAAAAA:1": "This answer is too old for its buttons; please ask again.",
        f"m:{token}:40": "No more results.",
        f"c:{token}:7": "This answer is too old for its buttons; please ask again.",
        "x" * 64: "This button is not one of mine.",
    }
    for data, expected in cases.items():
        assert callback_answer(api, api.callback_query(message, data, user_id=chat))["text"] == expected
    assert len(messages_to(api, chat)) == 1
    assert bot.proc.poll() is None


def test_did_you_mean_button_asks_the_corrected_question(api: FakeBotAPI, bot: BotProcess) -> None:
    chat = 3011
    api.send_message("Lavrof", chat_id=chat, user_id=chat)
    call = said(api, chat, "Did you mean")
    [data] = [d for text, d in buttons(call).items() if text.startswith("Did you mean")]
    press = api.callback_query(call["response"]["result"], data, user_id=chat)
    said(api, chat, "<b>Lavrov</b>")
    assert callback_answer(api, press).get("text") is None


# ----- inline mode --------------------------------------------------------------------------------
def test_inline_query_offers_quotes(api: FakeBotAPI, bot: BotProcess) -> None:
    qid = api.inline_query(QUESTION, user_id=3006)["inline_query"]["id"]
    params = api.wait_for(lambda p: p["inline_query_id"] == qid, method="answerInlineQuery")["params"]
    results = params["results"]
    assert 1 <= len(results) <= 10 and params["cache_time"] <= 60
    first = results[0]["input_message_content"]
    assert first["parse_mode"] == "HTML"
    visible, _ = parse_telegram_html(first["message_text"])
    assert visible.startswith(LAVROV)
    assert len({r["id"] for r in results}) == len(results)
    empty = api.inline_query("   ", user_id=3006)["inline_query"]["id"]
    assert api.wait_for(lambda p: p["inline_query_id"] == empty, method="answerInlineQuery")["params"]["results"] == []


# ----- admin --------------------------------------------------------------------------------------
def test_reindex_by_admin_reports_counts_and_skipped_files(api: FakeBotAPI, bot: BotProcess) -> None:
    api.send_message("/reindex", chat_id=ADMIN, user_id=ADMIN)
    said(api, ADMIN, "Reindexing")
    report = said(api, ADMIN, "Reindex done", timeout=60)["response"]["result"]["text"]
    assert "articles" in report and "sentences" in report and "broken.txt" in report
    api.send_message(QUESTION, chat_id=ADMIN, user_id=ADMIN)        # still answering afterwards
    api.wait_for(lambda p: p["chat_id"] == ADMIN and LAVROV in p["text"].replace("<b>", "").replace("</b>", ""))


def test_reindex_and_stats_are_refused_to_non_admins(api: FakeBotAPI, bot: BotProcess) -> None:
    mark = bot.mark()
    api.send_message("/reindex", chat_id=3007, user_id=3007)
    said(api, 3007, "only for the bot's admins")
    bot.wait_log(r"Refused /reindex from user 3007", start=mark)
    api.send_message("/stats", chat_id=3007, user_id=3007)
    said(api, 3007, "/stats is only for")
    api.send_message("/stats", chat_id=ADMIN, user_id=ADMIN)
    text = said(api, ADMIN, "Questions answered since start")["params"]["text"]
    assert "Articles:" in text and "Sentences:" in text and "Terms:" in text and "Index built" in text


def test_upload_by_admin_is_indexed_and_can_be_asked_about(api: FakeBotAPI, bot: BotProcess,
                                                           seed_copy: Path) -> None:
    body = ("# Quokkaphone trial\n\nThe quokkaphone trial in Perth ended on Monday with a verdict nobody "
            "expected. Engineers said the quokkaphone works.\n")
    api.send_document("../../quokka notes.md", body.encode(), chat_id=ADMIN, user_id=ADMIN)
    said(api, ADMIN, "Added 1 article")
    assert [p.name for p in (seed_copy / "uploads").iterdir()] == ["quokka_notes.md"]
    api.send_message("quokkaphone verdict", chat_id=ADMIN, user_id=ADMIN)
    said(api, ADMIN, "<b>quokkaphone</b> trial in Perth")


def test_invalid_uploads_change_nothing(api: FakeBotAPI, bot: BotProcess, seed_copy: Path) -> None:
    uploads = seed_copy / "uploads"
    before = sorted(p.name for p in uploads.iterdir()) if uploads.exists() else []
    api.send_document("broken.jsonl", b'{"title": "x", "text": \n{not json}\n', chat_id=ADMIN, user_id=ADMIN)
    said(api, ADMIN, "Not added:")
    api.send_document("photo.png", b"\x89PNG\r\n", chat_id=ADMIN, user_id=ADMIN)
    said(api, ADMIN, "photo.png is not one")
    getfiles = len(api.calls("getFile"))
    api.send_document("huge.txt", b"a" * (20 * 1024 * 1024 + 1), chat_id=ADMIN, user_id=ADMIN)
    said(api, ADMIN, "up to 20 MB")
    assert len(api.calls("getFile")) == getfiles                     # refused before downloading
    api.send_document("notes.txt", b"Some article text here.", chat_id=3008, user_id=3008)
    said(api, 3008, "only for the bot's admins")
    assert (sorted(p.name for p in uploads.iterdir()) if uploads.exists() else []) == before


def test_long_answer_is_split_between_hits_under_4096(api: FakeBotAPI, bot: BotProcess) -> None:
    filler = ("the committee of the northern harbour reviewed budget line {n} with the usual care and a "
              "great deal of patience while the auditors from the coastal office compared receipts ")
    paragraphs = []
    for n in range(8):
        sentence = f"Report {n} on zorblatt funding: " + "".join(filler.format(n=f"{n}-{k}") for k in range(6))[:880] + "."
        paragraphs.append(sentence)
    doc = "# Zorblatt funding review\n\n" + "\n\n".join(paragraphs) + "\n"
    api.send_document("zorblatt.md", doc.encode(), chat_id=ADMIN, user_id=ADMIN)
    said(api, ADMIN, "as uploads/zorblatt.md")
    chat = 3009
    api.send_message("zorblatt funding", chat_id=chat, user_id=chat)
    last = api.wait_for(lambda p: p["chat_id"] == chat and p.get("reply_markup"))
    sent = messages_to(api, chat)
    assert len(sent) >= 2 and sent[-1]["time"] == last["time"]
    texts = [c["response"]["result"]["text"] for c in sent]
    assert all(len(t) <= 4096 for t in texts)
    assert sum(t.count("on zorblatt funding") for t in texts) == 5
    for call in sent:                                   # every part is whole: tags balanced, quotes closed
        html = call["params"]["text"]
        assert html.count("<blockquote>") == html.count("</blockquote>") >= 1


# ----- channels -----------------------------------------------------------------------------------
def test_channel_posts_are_ingested_edits_replace_and_ask_is_answered(api: FakeBotAPI, bot: BotProcess,
                                                                      seed_copy: Path) -> None:
    mark = bot.mark()
    api.channel_post("Gribblefish exports rose sharply, the fisheries ministry said on Friday.",
                     chat_id=OTHER_CHANNEL)
    post = api.channel_post("Snorkwhistle prices fell in Minsk, the statistics office said on Tuesday.",
                            chat_id=CHANNEL, title="Daily News")["channel_post"]
    bot.wait_log(rf"Saved channel post {CHANNEL}/{post['message_id']} \(new\)", start=mark)
    assert not (seed_copy / "channels" / str(OTHER_CHANNEL).lstrip("-")).exists()
    chat = 3010
    api.send_message("snorkwhistle prices", chat_id=chat, user_id=chat)
    call = said(api, chat, "<b>Snorkwhistle</b> <b>prices</b> fell")
    assert " · Daily News · " in call["response"]["result"]["text"]

    api.channel_post("Plumbanite prices fell in Minsk, the statistics office corrected on Tuesday.",
                     chat_id=CHANNEL, title="Daily News", edited_of=post)
    bot.wait_log(rf"Saved channel post {CHANNEL}/{post['message_id']} \(edit\)", start=mark)
    bot.wait_log(r"Edited post .*: 1 old version\(s\) replaced", start=mark)   # tombstoned, no rebuild
    api.send_message("plumbanite", chat_id=chat, user_id=chat)
    said(api, chat, "<b>Plumbanite</b>")
    api.send_message("snorkwhistle", chat_id=chat, user_id=chat)
    said(api, chat, "Nothing found")

    photo = api.channel_post(None, caption="Wobblestone bridge reopened after repairs, the mayor said.",
                             chat_id=CHANNEL, title="Daily News")["channel_post"]
    bot.wait_log(rf"Saved channel post {CHANNEL}/{photo['message_id']} \(new\)", start=mark)
    api.send_message("wobblestone bridge", chat_id=chat, user_id=chat)
    said(api, chat, "<b>Wobblestone</b> <b>bridge</b> reopened")

    asked = api.channel_post(f"/ask {QUESTION}", chat_id=CHANNEL, title="Daily News")
    call = reply_to(api, asked)
    assert LAVROV in call["response"]["result"]["text"]
    api.channel_post("/ask Lavrov", chat_id=OTHER_CHANNEL)
    asked = api.channel_post("/ask Putin", chat_id=CHANNEL, title="Daily News")   # marker
    reply_to(api, asked)
    assert messages_to(api, OTHER_CHANNEL) == []
    saved = sorted(p.name for p in (seed_copy / "channels" / str(CHANNEL).lstrip("-")).iterdir())
    assert saved == sorted([f"{post['message_id']}.md", f"{photo['message_id']}.md"])   # /ask posts are not


def test_token_never_in_the_log(api: FakeBotAPI, bot: BotProcess) -> None:
    secret = api.token.split(":", 1)[1]
    assert bot.lines and secret not in bot.log
    assert "Error while handling" not in bot.log, bot.log


# ----- languages, news-aware answers (issues 12 and 13, the bot's part) ----------------------------
MINES = 12           # dated articles about one word: more than an inline page, over several days


def mines_uploaded(api: FakeBotAPI) -> None:
    """Admin uploads MINES dated articles about "zanzibarite" (every third without a title), once."""
    if any("zanzibarite" in c["params"].get("text", "") for c in api.calls("sendMessage")):
        return
    lines = [json.dumps({"id": f"mine-{n}", "title": "" if n % 3 == 0 else f"Mine {n}",
                         "published": f"2024-03-{n:02d}", "source": "Mining Weekly",
                         "text": f"The zanzibarite mine number {n} reopened after a long winter of repairs."})
             for n in range(1, MINES + 1)]
    api.send_document("mines.jsonl", "\n".join(lines).encode(), chat_id=ADMIN, user_id=ADMIN)
    said(api, ADMIN, f"Added {MINES} articles", timeout=60)


def test_a_russian_user_gets_russian_replies_and_buttons(api: FakeBotAPI, bot: BotProcess) -> None:
    chat = 3101
    api.send_message(QUESTION, chat_id=chat, user_id=chat, language_code="ru")
    first = said(api, chat, "1–5 из ")         # of 6 or more: uploads by earlier tests may add hits
    assert "по запросу <i>what did Lavrov say about mediation</i>:" in first["params"]["text"]
    assert {"Ещё ›", "Контекст"} <= set(buttons(first))
    more = api.callback_query(first["response"]["result"], buttons(first)["Ещё ›"], user_id=chat)
    api.wait_for(lambda p: p["chat_id"] == chat and re.match(r"6(–\d+)? из \d+ по запросу", p["text"]))
    again = api.callback_query(first["response"]["result"], buttons(first)["Ещё ›"], user_id=chat)
    assert callback_answer(api, more).get("text") is None
    assert callback_answer(api, again)["text"] == "Уже показано."
    api.send_message("/help", chat_id=chat, user_id=chat, language_code="ru-RU")
    help_text = said(api, chat, "<b>Даты</b>")["params"]["text"]
    assert "sort:date" in help_text and "source:" in help_text
    api.send_message("/start", chat_id=chat, user_id=chat, language_code="ru")
    start = said(api, chat, "Привет!")
    assert [text for text in buttons(start) if text.startswith("Спросить: ")]
    api.send_message("/nosuchcommand", chat_id=chat, user_id=chat, language_code="ru")
    said(api, chat, "Такой команды я не знаю.")
    qid = api.inline_query(QUESTION, user_id=chat, language_code="ru")["inline_query"]["id"]
    inline = api.wait_for(lambda p: p["inline_query_id"] == qid, method="answerInlineQuery")["params"]
    assert inline["button"]["text"] == "Полный ответ в личном чате"
    # an English user in the same bot still gets English
    api.send_message(QUESTION, chat_id=3102, user_id=3102, language_code="de")
    said(api, 3102, " for <i>what did Lavrov say about mediation</i>:")


def test_inline_pages_with_next_offset_and_opens_the_full_answer(api: FakeBotAPI, bot: BotProcess) -> None:
    mines_uploaded(api)
    user = 3103
    qid = api.inline_query("zanzibarite mine", user_id=user)["inline_query"]["id"]
    first = api.wait_for(lambda p: p["inline_query_id"] == qid, method="answerInlineQuery")["params"]
    assert len(first["results"]) == 10 and first["next_offset"] == "10"
    token = first["button"]["start_parameter"]
    assert first["button"]["text"] == "Full answer in a private chat" and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token)
    qid = api.inline_query("zanzibarite mine", user_id=user, offset="10")["inline_query"]["id"]
    second = api.wait_for(lambda p: p["inline_query_id"] == qid, method="answerInlineQuery")["params"]
    assert len(second["results"]) == MINES - 10 and not second.get("next_offset")
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    # an untitled article is signed with its first words, never with a file name
    described = [r["description"] for r in first["results"] + second["results"]]
    assert any(d.startswith("The zanzibarite mine number") for d in described)
    assert all("mines" not in d and "Mining Weekly" in d and "Mar 2024" in d for d in described)
    api.send_message(f"/start {token}", chat_id=user, user_id=user)
    answer = said(api, user, f"1–5 of {MINES} for <i>zanzibarite mine</i>")
    assert "More ›" in buttons(answer)


def test_newest_first_button_asks_again_by_date(api: FakeBotAPI, bot: BotProcess) -> None:
    mines_uploaded(api)
    chat = 3104
    api.send_message("zanzibarite mine reopened", chat_id=chat, user_id=chat)
    answer = said(api, chat, "for <i>zanzibarite mine reopened</i>")
    assert "Newest first" in buttons(answer)
    press = api.callback_query(answer["response"]["result"], buttons(answer)["Newest first"], user_id=chat)
    newest = said(api, chat, "zanzibarite mine reopened sort:date")
    assert callback_answer(api, press).get("text") is None
    assert "More ›" in buttons(newest) and "Newest first" not in buttons(newest)
    visible, _ = parse_telegram_html(newest["params"]["text"])
    days = [int(d) for d in re.findall(r"· (\d+) Mar 2024", visible)]
    assert days == sorted(days, reverse=True) and days[0] == MINES
