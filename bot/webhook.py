"""Webhook mode: one tornado server on PORT for Telegram's updates and for ``GET /healthz``.

PTB's `run_webhook` serves only the webhook path, and hosts that poll a health URL (Heroku,
Render, Fly, Kubernetes) need one on the same port, so the bot runs PTB's application itself
(the pattern of PTB's ``customwebhookbot`` example): initialize, bind the port, `post_init`
(which starts loading the index), register the webhook, start; on SIGTERM/SIGINT the reverse.
The port is bound before the index has loaded, so a host that kills a web process which has
not bound within 60 s never does.

The webhook handler checks ``X-Telegram-Bot-Api-Secret-Token`` (403 otherwise, before
anything is parsed) and puts the update into the application's queue. ``/healthz`` answers
200 with JSON while the index loads or serves, 503 while it cannot be loaded.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
import re
import signal
from typing import Any

import tornado.httpserver
import tornado.web
from telegram import Update
from telegram.ext import Application

from index.service import IndexService, Status, stop_children

from .config import Settings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def health(status: Status) -> tuple[int, dict[str, Any]]:
    """The /healthz answer for `status`: (HTTP status, JSON body)."""
    when = status.last_reindex
    body = {
        "status": status.phase,
        "loaded": status.phase == "ready",
        "generation": status.generation,
        "articles": status.articles,
        "sentences": status.sentences,
        "last_reindex": dt.datetime.fromtimestamp(when, dt.timezone.utc).isoformat(timespec="seconds")
        if when else None,
        "rebuilding": status.rebuilding,
        "error": status.error,
    }
    return (503 if status.phase == "failed" else 200), body


class HealthHandler(tornado.web.RequestHandler):
    def initialize(self, service: IndexService) -> None:
        self.service = service

    def get(self) -> None:
        code, body = health(self.service.status())
        self.set_status(code)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))


class UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, ptb: Application, secret: str) -> None:
        self.app = ptb
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER)
        if given is None or not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(403)
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("A webhook call carried no readable update")
            self.set_status(400)
            return
        await self.app.update_queue.put(update)
        self.set_status(200)


def web_app(application: Application, settings: Settings, service: IndexService) -> tornado.web.Application:
    path = settings.webhook_path
    hook = rf"/{re.escape(path)}/?" if path else r"/"
    return tornado.web.Application(
        [(r"/healthz/?", HealthHandler, {"service": service}),
         (hook, UpdateHandler, {"ptb": application, "secret": settings.webhook_secret})],
        log_function=lambda handler: None)      # no access log: a line per update is noise


async def serve_webhook(application: Application, settings: Settings, allowed_updates: list[str]) -> None:
    """Run the bot in webhook mode until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:     # a running /reindex child stops too: it would hold the stop for a whole rebuild
        if stop_children():
            log.info("Stopping: child processes told to stop")
        stop.set()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal)
    service: IndexService = application.bot_data["state"].service
    await application.initialize()
    try:
        server = tornado.httpserver.HTTPServer(web_app(application, settings, service), xheaders=True)
        server.listen(settings.port, settings.webhook_listen)        # first: hosts wait for the port
        log.info("Webhook Server started on %s:%d", settings.webhook_listen, settings.port)
        try:
            if application.post_init is not None:
                await application.post_init(application)
            await application.bot.set_webhook(url=settings.webhook_url or "", secret_token=settings.webhook_secret,
                                              allowed_updates=allowed_updates)
            await application.start()
            await stop.wait()
        finally:
            server.stop()
            if application.running:
                await application.stop()
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
