"""One large JSON document read a value at a time, so memory holds one value, not the file.

`json.loads` of a Telegram export holds the file's bytes, its text and every
message object at once (613 MB peak for 100,000 messages). `JsonCursor`
decodes the file in chunks and lets its reader step into the objects and
arrays it cares about (`members`, `items`: a chat, its ``messages``) and decode
everything else one value at a time (`value`, with `json.JSONDecoder.raw_decode`,
so each value is parsed by the C decoder exactly as `json.loads` would). The
buffer keeps only the text from the current value on: a chunk, or one value
when a value is longer than a chunk (its read then doubles, so a long value is
scanned a few times, not once per chunk).

Errors (`JsonStreamError`) say where, by byte offset, and say "cut short" when
the file ends inside the document, so a truncated copy reads as one.
"""
from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

CHUNK_BYTES = 1 << 20
_NOT_SPACE = re.compile(r"[^ \t\n\r]")
_NEAR_END = 12   # a value cut by the buffer's end (a "\\uXXXX" escape, a number) ends or fails this close to it


class JsonStreamError(ValueError):
    """The document is not readable JSON; the message says why and where, in words."""


class JsonCursor:
    """A position in one JSON document read from a binary file (UTF-8, a BOM allowed)."""

    def __init__(self, fh: BinaryIO, limit: int | None = None, chunk: int | None = None) -> None:
        self._fh, self._limit, self._chunk = fh, limit, chunk or CHUNK_BYTES
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._decode = json.JSONDecoder().raw_decode
        self._buf, self._pos = "", 0
        self._bytes_read = 0
        self._bytes_before = 0     # bytes of the file before self._buf (the BOM included)
        self._eof = False

    # ----- reading --------------------------------------------------------------
    def _fill(self) -> bool:
        """More text at the end of the buffer (the consumed text dropped first); False at the end."""
        if self._eof:
            return False
        try:
            data = self._fh.read(max(self._chunk, len(self._buf) - self._pos))
        except OSError as exc:
            raise JsonStreamError(f"unreadable: {exc.strerror or exc}") from None
        if self._limit is not None and self._bytes_read + len(data) > self._limit:
            raise JsonStreamError(f"too large: over {self._limit} bytes (it grew while being read)")
        if self._bytes_read == 0 and data.startswith(codecs.BOM_UTF8):
            self._bytes_before = len(codecs.BOM_UTF8)
        pending = len(self._decoder.getstate()[0])
        try:
            text = self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise JsonStreamError(f"invalid UTF-8 at byte {self._bytes_read - pending + exc.start}") from None
        self._bytes_read += len(data)
        if self._pos:
            self._bytes_before += len(self._buf[:self._pos].encode("utf-8", "surrogatepass"))
            self._buf, self._pos = self._buf[self._pos:], 0
        self._buf += text
        self._eof = not data
        return True

    def peek(self) -> str:
        """The next character that is not whitespace ("" at the end of the file), left unread."""
        while True:
            found = _NOT_SPACE.search(self._buf, self._pos)
            if found:
                self._pos = found.start()
                return self._buf[self._pos]
            self._pos = len(self._buf)
            if not self._fill():
                return ""

    def take(self, char: str) -> bool:
        """Read `char` if it is next."""
        if self.peek() == char:
            self._pos += 1
            return True
        return False

    def expect(self, char: str) -> None:
        if not self.take(char):
            raise self._error(f"Expecting {char!r}", self._pos)

    def value(self) -> Any:
        """The next whole value, decoded (a message, a name, an object to skip)."""
        self.peek()
        while True:
            try:
                value, end = self._decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if (exc.pos >= len(self._buf) - _NEAR_END or exc.msg.startswith("Unterminated string")) \
                        and self._fill():
                    continue                       # the value goes on in the next chunk
                raise self._error(exc.msg, exc.pos) from None
            except RecursionError:
                raise JsonStreamError("invalid JSON: nested too deeply") from None
            if end > len(self._buf) - _NEAR_END and self._fill():
                continue                           # a number ("3" of "3.25e-3") may go on in the next chunk
            self._pos = end
            return value

    def members(self) -> Iterator[str]:
        """The keys of the object that is next; after each key the caller reads its value."""
        self.expect("{")
        if self.take("}"):
            return
        while True:
            if self.peek() != '"':
                raise self._error("Expecting property name enclosed in double quotes", self._pos)
            key = self.value()
            self.expect(":")
            yield key
            if not self.take(","):
                self._close("}")
                return

    def items(self) -> Iterator[int]:
        """The positions of the array that is next; after each the caller reads one value."""
        self.expect("[")
        if self.take("]"):
            return
        n = 0
        while True:
            yield n
            n += 1
            if not self.take(","):
                self._close("]")
                return

    def _close(self, char: str) -> None:
        if not self.take(char):
            raise self._error(f"Expecting ',' or {char!r}", self._pos)

    def end(self) -> None:
        """Nothing but whitespace may follow the document."""
        if self.peek():
            raise self._error("Extra data", self._pos)

    # ----- errors ---------------------------------------------------------------
    def byte_offset(self, pos: int) -> int:
        return self._bytes_before + len(self._buf[:pos].encode("utf-8", "surrogatepass"))

    def _error(self, msg: str, pos: int) -> JsonStreamError:
        if self._eof and (pos >= len(self._buf) or msg.startswith("Unterminated string")):
            return JsonStreamError(f"invalid JSON: the file is cut short (it ends inside the document, "
                                   f"after {self._bytes_read} bytes)")
        return JsonStreamError(f"invalid JSON: {msg} at byte {self.byte_offset(pos)}")
