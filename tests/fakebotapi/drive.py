"""Driving a bot against the fake: run a PTB application polling it, or post to a bot's webhook
as Telegram does."""
from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from .world import World


class Driving(World):
    """`running_app` and `post_to_webhook` (they need `wait_until_polling` from `FakeBotAPI`)."""

    wait_until_polling: Any

    def post_to_webhook(self, url: str, update: dict, secret_token: str | None) -> int:
        """POST ``update`` to the bot's webhook like Telegram does; return the HTTP status.

        A delivered (2xx) update is removed from the getUpdates queue. Blocks: if the
        webhook server runs on the test's own event loop use :meth:`post_to_webhook_async`.
        """
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        request = urllib.request.Request(
            url, data=json.dumps(update).encode("utf-8"), headers=headers, method="POST"
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        if 200 <= status < 300:
            with self._cond:
                self._updates = [u for u in self._updates
                                 if u["update_id"] != update.get("update_id")]
        return status

    async def post_to_webhook_async(
        self, url: str, update: dict, secret_token: str | None
    ) -> int:
        return await asyncio.to_thread(self.post_to_webhook, url, update, secret_token)

    @contextlib.contextmanager
    def running_app(self, app: Any, poll_timeout: int = 1, **polling_kwargs: Any) -> Iterator[Any]:
        """Run a PTB ``Application`` (polling this fake) on its own event loop in a
        background thread for the duration of the ``with`` block, so the test thread can
        use the blocking helpers. Re-raises startup errors."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        errors: list[BaseException] = []
        holder: dict[str, asyncio.Event] = {}

        async def main() -> None:
            holder["stop"] = asyncio.Event()
            await app.initialize()
            await app.start()
            await app.updater.start_polling(
                poll_interval=0, timeout=poll_timeout, **polling_kwargs
            )
            ready.set()
            await holder["stop"].wait()
            if app.updater.running:
                await app.updater.stop()
            if app.running:
                await app.stop()
            await app.shutdown()

        def runner() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(main())
            except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
                errors.append(exc)
            finally:
                ready.set()
                loop.close()

        thread = threading.Thread(target=runner, name="ptb-app", daemon=True)
        thread.start()
        ready.wait(30)
        if errors:
            thread.join(5)
            raise errors[0]
        try:
            self.wait_until_polling()
            yield app
        finally:
            if "stop" in holder and not loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(holder["stop"].set)
            thread.join(30)
            if errors:
                raise errors[0]
