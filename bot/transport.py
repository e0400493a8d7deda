"""The HTTP client of the bot's Bot API calls: aiohttp instead of PTB's httpx.

Profiled under load (bench/bot_load.py --profile), a third of the bot's main-process CPU per
answer was httpx and the layers below it (httpcore's connection-pool bookkeeping, anyio's
socket wrappers, h11): pure Python for every request and every response. aiohttp parses HTTP
in C and keeps its pool with little work per call, so each reply costs less of the one core the
event loop has. PTB documents this seam (`telegram.request.BaseRequest`: a request class does the
HTTP exchange, PTB does everything around it: parameters, JSON, error codes, retries via the rate
limiter). getUpdates uses it too (its own one-connection instance): at a steady 200 questions/s
the bot polled ~120 times a second (bench/bot_load.py), each poll an HTTP exchange.

A message the bot sent or edited comes back without the question it quotes, its formatting
entities, its buttons, its sender (the bot itself) and its link-preview options
(`UNREAD_FIELDS`): the bot keeps only its chat and message id (to edit it later), and turning
those fields into PTB objects was a sixth of the main process's CPU per answer; the last three
still cost 70-80 us per reply (PTB 22.8, a 1 kB reply with three buttons: 155-172 us parsed with
them, 73-101 us without). Updates (getUpdates) are parsed whole.

Errors map as PTB's own client maps them: a timeout is `TimedOut`, any other transport failure
`NetworkError`; an HTTP error status is returned as is (PTB turns it into the right exception).
"""
from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

UNREAD_FIELDS = ("reply_to_message", "entities", "reply_markup", "from", "link_preview_options")
SENT_MESSAGE_METHODS = ("/sendMessage", "/editMessageText")
CONNECT_TIMEOUT = 5.0       # PTB's default (aiohttp has no write timeout: a stuck send ends at the read timeout)


class AiohttpRequest(BaseRequest):
    """Bot API requests over one `aiohttp.ClientSession` with at most `connections` connections."""

    def __init__(self, connections: int, read_timeout: float, pool_timeout: float,
                 connect_timeout: float = CONNECT_TIMEOUT) -> None:
        self.connections = connections
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # trust_env: HTTP(S)_PROXY and NO_PROXY are honoured, as httpx does
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.connections), trust_env=True,
                headers={"User-Agent": self.USER_AGENT}, auto_decompress=True)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        timeout = aiohttp.ClientTimeout(
            total=None, sock_read=_given(read_timeout, self._read_timeout),
            connect=_sum(_given(pool_timeout, self._pool_timeout), _given(connect_timeout, self._connect_timeout)),
            sock_connect=_given(connect_timeout, self._connect_timeout))
        try:
            async with self._session.request(method, url, data=_body(request_data), timeout=timeout) as response:
                body = await response.read()
                if response.status == 200 and url.endswith(SENT_MESSAGE_METHODS):
                    return response.status, _SentMessage(body)
                return response.status, body
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


    def parse_json_payload(self, payload: bytes) -> JSONDict:  # type: ignore[override]
        """PTB's parsing; for a sent or edited message, without the fields the bot never reads."""
        data = BaseRequest.parse_json_payload(payload)
        result = data.get("result") if isinstance(payload, _SentMessage) else None
        if isinstance(result, dict):
            for key in UNREAD_FIELDS:
                result.pop(key, None)
        return data


class _SentMessage(bytes):
    """The body of a sendMessage/editMessageText answer: `parse_json_payload` trims it."""


def _body(request_data: RequestData | None) -> Any:
    """The parameters form-encoded, or as multipart form data when there are files (as httpx sends them)."""
    if request_data is None:
        return None
    files = request_data.multipart_data
    if not files:
        return request_data.json_parameters or None
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _sum(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b
