"""The bot's HTTP client (`bot/transport.py`): what it leaves out of the messages it sent.

(Its requests themselves run in every end-to-end test against the fake Bot API.)"""
from __future__ import annotations

import json

from telegram import Bot, Message

from bot.transport import SENT_MESSAGE_METHODS, AiohttpRequest, _SentMessage

CHAT = {"id": -100123, "type": "supergroup", "title": "Group 7"}
SENT = {"message_id": 812, "from": {"id": 4242, "is_bot": True, "first_name": "Bot", "username": "news_bot"},
        "chat": CHAT, "date": 1764670000, "text": "1–3 of 40 for “talks”",
        "entities": [{"type": "bold", "offset": 0, "length": 3}],
        "reply_to_message": {"message_id": 811, "chat": CHAT, "date": 1764669999, "text": "/ask talks",
                             "from": {"id": 7, "is_bot": False, "first_name": "Ann"}},
        "reply_markup": {"inline_keyboard": [[{"text": "Next ›", "callback_data": "p:ab12:2"}]]},
        "link_preview_options": {"is_disabled": True}}


def payload(result: object) -> bytes:
    return json.dumps({"ok": True, "result": result}).encode()


def test_a_sent_message_is_read_without_the_fields_the_bot_never_reads() -> None:
    request = AiohttpRequest(1, 5.0, 1.0)
    trimmed = request.parse_json_payload(_SentMessage(payload(SENT)))["result"]
    assert set(trimmed) == {"message_id", "chat", "date", "text"}
    message = Message.de_json(trimmed, Bot("1:TOKEN"))
    assert (message.chat_id, message.message_id, message.text) == (-100123, 812, SENT["text"])   # what edits use
    assert SENT_MESSAGE_METHODS == ("/sendMessage", "/editMessageText")


def test_updates_and_other_answers_are_read_whole() -> None:
    request = AiohttpRequest(1, 5.0, 1.0)
    update = {"update_id": 5, "message": {**SENT, "from": {"id": 7, "is_bot": False, "first_name": "Ann"}}}
    assert request.parse_json_payload(payload([update]))["result"] == [update]     # a reply to the bot stays one
    assert request.parse_json_payload(payload(SENT))["result"] == SENT              # not a sendMessage answer
