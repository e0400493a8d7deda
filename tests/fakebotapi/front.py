"""The fake's HTTP front: the server thread, request parsing, dispatch to the method handlers,
file downloads and injected faults.

Bodies arrive form-encoded, multipart or as JSON (PTB sends form fields whose non-string
values are JSON-encoded); answers are ``{"ok": true, "result": ...}`` or Telegram's error
shape with the matching HTTP status, so PTB raises exactly what it raises against Telegram.
"""
from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .validate import APIError
from .world import World

# Parameters whose values are plain strings on the wire and must never be JSON-decoded
# (a text "123" or "true" stays a string).
_STRING_PARAMS = {
    "text", "caption", "parse_mode", "callback_query_id", "inline_query_id", "query", "data",
    "file_id", "url", "secret_token", "ip_address", "language_code", "next_offset", "action",
    "description", "short_description", "name", "message_effect_id", "business_connection_id",
    "title", "emoji", "inline_message_id", "custom_title", "quote", "address", "document",
    "photo", "audio", "video", "voice", "animation", "sticker", "thumbnail", "certificate",
}


def _decode_param(key: str, value: str) -> Any:
    if key in _STRING_PARAMS or value in ("NaN", "Infinity", "-Infinity"):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, dict]]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise APIError(400, "Bad Request: multipart boundary not found")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: dict[str, str] = {}
    files: dict[str, dict] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        if part.startswith(b"\r\n"):
            part = part[2:]
        if part.endswith(b"\r\n"):
            part = part[:-2]
        head, _, content = part.partition(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
        disposition = headers.get("content-disposition", "")
        name_m = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        if not name_m:
            continue
        name = urllib.parse.unquote(name_m.group(1))
        file_m = re.search(r'filename="([^"]*)"', disposition)
        if file_m is not None:
            files[name] = {
                "file_name": urllib.parse.unquote(file_m.group(1)),
                "mime_type": headers.get("content-type", "application/octet-stream"),
                "content": content,
            }
        else:
            fields[name] = content.decode("utf-8")
    return fields, files


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # listen() backlog (socketserver's default is 5): a client opening many connections at
    # once (PTB's pool under a burst of replies) would otherwise see dropped SYNs/resets.
    request_queue_size = 128
    api: HttpFront

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet disconnects
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeTelegramBotAPI/1.0"
    # TCP_NODELAY: headers and body go out as two writes; with Nagle on, the body waits for
    # the client's delayed ACK of the headers (~40 ms per call on a keep-alive connection).
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.api._track_connection(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.api._track_connection(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.server.api._handle_http(self)

    do_POST = do_GET

    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def respond(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.wfile.flush()
        except (ConnectionError, OSError):
            self.close_connection = True


_BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


# --------------------------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------------------------


class HttpFront(World):
    """Serving, dispatching and fault injection; the handlers table comes from `FakeBotAPI`."""

    FAULT_KINDS = ("429", "500", "502", "timeout")
    _handlers: dict[str, Callable[[dict[str, Any]], Any]]

    def _init_front(self) -> None:
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._calls: list[dict[str, Any]] = []
        self._get_updates_count = 0
        self._faults: dict[str, list[dict[str, Any]]] = {}
        #: Exceptions raised by the fake's own handlers (bugs in the fake); answered with 500.
        self.server_errors: list[BaseException] = []
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self._method_names = {name.lower(): name for name in self._handlers}

    def start(self) -> HttpFront:
        """Bind 127.0.0.1 on a free port and serve in a background thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.api = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"FakeBotAPI:{server.server_address[1]}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; wakes blocked long polls and drops open connections."""
        server = self._server
        if server is None:
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        server.shutdown()
        with self._cond:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> HttpFront:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    def _track_connection(self, conn: socket.socket, add: bool) -> None:
        with self._cond:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def _handle_http(self, handler: _Handler) -> None:
        parsed = urllib.parse.urlsplit(handler.path)
        path = parsed.path
        try:
            body = handler.read_body()
        except (ConnectionError, OSError, ValueError):
            handler.close_connection = True
            return
        if path.startswith("/file/bot"):
            self._serve_file(handler, path[len("/file/bot"):])
            return
        match = re.fullmatch(r"/bot([^/]+)/([A-Za-z0-9_]*)", urllib.parse.unquote(path))
        if not match:
            self._send_json(handler, 404, APIError(404, "Not Found").payload())
            return
        token, raw_method = match.group(1), match.group(2)
        try:
            params = self._parse_params(handler, body, parsed.query)
        except APIError as exc:
            self._send_json(handler, exc.error_code, exc.payload())
            return
        method = self._method_names.get(raw_method.lower(), raw_method)
        call: dict[str, Any] = {
            "method": method, "params": params, "time": time.time(), "status": None,
            "response": None, "fault": None,
        }
        with self._cond:
            self._calls.append(call)
            if method == "getUpdates":
                self._get_updates_count += 1
            self._cond.notify_all()

        status, payload, raw = self._execute(call, token, method, params)
        with self._cond:
            call["status"] = status
            call["response"] = payload
            self._cond.notify_all()
        if raw is not None:
            handler.respond(status, raw, "text/html")
        elif payload is None:  # hung "timeout" fault during stop(): drop the connection
            handler.close_connection = True
        else:
            self._send_json(handler, status, payload)
        for listener in self._listeners:  # after answering: observers never delay the bot
            try:
                listener(call)
            except Exception as exc:  # noqa: BLE001 - a broken observer must not kill the server
                self.server_errors.append(exc)

    def _execute(self, call: dict, token: str, method: str,
                 params: dict) -> tuple[int, dict | None, bytes | None]:
        if token != self.token:
            return 401, APIError(401, "Unauthorized").payload(), None
        fault = self._take_fault(method)
        if fault is not None:
            call["fault"] = fault["kind"]
            if fault["kind"] == "timeout" and fault["delay"] <= 0:
                self._stopping.wait()
                return 0, None, None
            if fault["delay"] > 0 and self._stopping.wait(fault["delay"]):
                return 0, None, None
            if fault["kind"] == "429":
                n = fault["retry_after"]
                return 429, APIError(
                    429, f"Too Many Requests: retry after {n}", {"retry_after": n}
                ).payload(), None
            if fault["kind"] == "500":
                return 500, APIError(500, "Internal Server Error").payload(), None
            if fault["kind"] == "502":
                return 502, None, _BAD_GATEWAY_PAGE
        handler = self._handlers.get(method)
        if handler is None:
            return 404, APIError(404, "Not Found").payload(), None
        try:
            result = handler(params)
        except APIError as exc:
            return exc.error_code, exc.payload(), None
        except Exception as exc:  # noqa: BLE001 - a bug in the fake: report, don't hang
            self.server_errors.append(exc)
            error = APIError(500, f"Internal Server Error: fake failed: {exc!r}")
            return 500, error.payload(), None
        return 200, {"ok": True, "result": result}, None

    @staticmethod
    def _send_json(handler: _Handler, status: int, payload: dict) -> None:
        handler.respond(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))

    @staticmethod
    def _parse_params(handler: _Handler, body: bytes, query: str) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
            params[key] = _decode_param(key, value)
        content_type = handler.headers.get("Content-Type") or ""
        ctype = content_type.split(";")[0].strip().lower()
        if ctype == "multipart/form-data":
            fields, files = _parse_multipart(body, content_type)
            for key, value in fields.items():
                params[key] = _decode_param(key, value)
            params.update(files)
        elif ctype == "application/json" and body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                raise APIError(400, "Bad Request: can't parse JSON encoded request") from None
            if not isinstance(data, dict):
                raise APIError(400, "Bad Request: JSON object expected")
            params.update(data)
        elif body:
            for key, value in urllib.parse.parse_qsl(body.decode("utf-8"),
                                                     keep_blank_values=True):
                params[key] = _decode_param(key, value)
        return params

    def _serve_file(self, handler: _Handler, rest: str) -> None:
        # PTB percent-quotes the whole path, so the token's ":" arrives as %3A
        token, _, file_path = urllib.parse.unquote(rest).partition("/")
        with self._cond:
            record = self._files_by_path.get(file_path)
        if token != self.token or record is None:
            self._send_json(handler, 404, APIError(404, "Not Found").payload())
            return
        handler.respond(200, record["content"], record.get("mime_type")
                        or "application/octet-stream")

    def inject_fault(
        self, method: str, kind: str, count: int = 1, retry_after: int = 1, delay: float = 0.0
    ) -> None:
        """Make the next ``count`` calls of ``method`` fail.

        kind "429": flood control (``parameters.retry_after``) -> PTB ``RetryAfter``;
        "500": JSON Internal Server Error -> ``NetworkError``; "502": nginx HTML page ->
        ``NetworkError``; "timeout": hang ``delay`` seconds and then process the call
        normally (its effect happens even if the client gave up, as with a real timeout);
        with ``delay <= 0`` hang until :meth:`stop` and never answer. For the other kinds a
        positive ``delay`` is waited before answering.
        """
        if kind not in self.FAULT_KINDS:
            raise ValueError(f"kind must be one of {self.FAULT_KINDS}, not {kind!r}")
        with self._cond:
            self._faults.setdefault(method.lower(), []).append(
                {"kind": kind, "remaining": count, "retry_after": retry_after, "delay": delay}
            )

    def _take_fault(self, method: str) -> dict[str, Any] | None:
        with self._cond:
            queue = self._faults.get(method.lower())
            while queue:
                fault = queue[0]
                if fault["remaining"] <= 0:
                    queue.pop(0)
                    continue
                fault["remaining"] -= 1
                return dict(fault)
            return None

