"""A fake Telegram Bot API server for end-to-end tests (and the bot benchmarks in bench/).

Why this exists
---------------
The bot's end-to-end tests must exercise the *real* python-telegram-bot (PTB)
``Application`` -- its HTTP client, update polling, webhook server, error
mapping and retry logic -- without talking to Telegram. Mocking ``Bot``
methods would skip exactly the layers that break in production (JSON/form
encoding, HTML parse errors, flood control, long polling, file downloads), so
instead this module serves the Bot API over real HTTP on 127.0.0.1 using only
the standard library, and behaves like Telegram where it matters:

* ``POST {base_url}{token}/{method}`` with form-encoded, multipart or JSON
  bodies (PTB sends form fields whose non-string values are JSON-encoded);
  answers ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code",
  "description"[, "parameters"]}`` with the matching HTTP status, so PTB
  raises ``BadRequest``, ``RetryAfter``, ``InvalidToken``, ``Conflict``,
  ``NetworkError``... exactly as against the real API;
* ``getUpdates`` is a true long poll: it honours ``offset``, ``limit``,
  ``timeout`` and ``allowed_updates`` and wakes up as soon as a test injects
  an update; a newer ``getUpdates`` terminates an older one with 409 (as
  Telegram does), and polling while a webhook is set is a 409 as well;
* ``sendMessage``/``editMessageText`` validate like Telegram: HTML
  ``parse_mode`` is parsed (unsupported/unbalanced tags, unknown named
  entities, nested blockquotes, a raw ``<`` -> 400 "can't parse entities"),
  the visible text is limited to 4096 characters, empty text is rejected,
  ``callback_data`` is limited to 64 bytes, unknown chats / reply targets are
  rejected, and edits that change nothing get "message is not modified";
* files injected with :meth:`FakeBotAPI.send_document` can be fetched through
  ``getFile`` plus ``GET {url}/file/bot{token}/{file_path}`` (20 MB limit);
* faults can be injected per method (429 with ``retry_after``, 500, 502 HTML
  page from "nginx", or a hang) to test reliability code.

How a test uses it
------------------
::

    from tests.fakebotapi import FakeBotAPI

    with FakeBotAPI() as api:                  # binds 127.0.0.1:<free port>
        app = (Application.builder().token(api.token)
               .base_url(api.base_url).base_file_url(api.base_file_url)
               .build())
        ...add handlers...
        with api.running_app(app):             # polls in a background thread
            api.send_message("/start")         # queue an update from "alice"
            call = api.wait_for(lambda p: "Welcome" in p["text"])
            assert call["params"]["parse_mode"] == "HTML"
            assert api.sent(chat_id=1001)[-1]["reply_markup"] is None

``wait_for``/``wait_until_polling``/``post_to_webhook`` block the calling
thread. If the PTB application runs on the *same* asyncio loop as the test
(``await app.updater.start_polling()``), use the ``*_async`` variants (they
run the blocking call in a worker thread), otherwise the bot cannot process
anything while the test waits.

``FakeBotAPI.base_url`` is what ``TELEGRAM_API_BASE_URL`` should be set to
when the bot under test is configured through the environment.

The parts: `validate` (what Telegram accepts: its HTML, limits, keyboards), `world` (users,
chats, messages, files, the update queue), `inject` (updates a test makes happen), `methods`
and `bot_methods` (the method handlers), `front` (HTTP, dispatch, faults), `drive` (running a PTB app, posting to
a webhook), `api` (the assembled
`FakeBotAPI` and what a test inspects).
"""
from .api import FakeBotAPI
from .validate import APIError, parse_telegram_html
from .world import CHANNEL_BOT, GROUP_ANONYMOUS_BOT

__all__ = ["FakeBotAPI", "APIError", "parse_telegram_html", "GROUP_ANONYMOUS_BOT", "CHANNEL_BOT"]
