"""The streamed JSON reader (index/json_stream.py): the same values as json.loads, chunk by chunk."""
from __future__ import annotations

import io
import json

import pytest

from index.json_stream import JsonCursor, JsonStreamError

DOCS = [
    {"name": "Канал «Новости» 🚀", "id": -1001234567890, "ok": True, "none": None, "pi": 3.25e-3,
     "messages": [{"id": n, "text": ["é" * n, {"type": "bold", "text": "\u2028\\\"q\""}], "n": 10 ** n}
                  for n in range(1, 30)]},
    [1, 22, 333, [], {}, [[[]]], "", "\U0001F680 \\ud83d", -0.5, False, None],
    "just a string",
    123456789,
]


def whole(cursor: JsonCursor) -> object:
    """The document rebuilt by stepping into every object and array (as the export reader does)."""
    first = cursor.peek()
    if first == "{":
        return {key: whole(cursor) for key in cursor.members()}
    if first == "[":
        return [whole(cursor) for _ in cursor.items()]
    return cursor.value()


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64, 1 << 20])
@pytest.mark.parametrize("doc", DOCS, ids=["chat", "array", "string", "number"])
def test_the_same_values_as_json_loads_for_any_chunk_size(doc: object, chunk: int) -> None:
    for data in (json.dumps(doc, ensure_ascii=False).encode(), json.dumps(doc, indent=3).encode(),
                 b"\xef\xbb\xbf  " + json.dumps(doc, ensure_ascii=False).encode() + b"\n"):
        cursor = JsonCursor(io.BytesIO(data), chunk=chunk)
        assert whole(cursor) == json.loads(data.decode("utf-8-sig"))
        cursor.end()
        assert JsonCursor(io.BytesIO(data), chunk=chunk).value() == json.loads(data.decode("utf-8-sig"))


def read(data: bytes, chunk: int = 4) -> object:
    cursor = JsonCursor(io.BytesIO(data), chunk=chunk)
    value = whole(cursor)
    cursor.end()
    return value


@pytest.mark.parametrize("data, message", [
    (b'{"a": [1, 2', "cut short"),
    (b'{"a": "text', "cut short"),
    (b'{"a": 1', "cut short"),
    (b'{"a": ', "cut short"),
    (b"", "cut short"),
    (b'{"a": 1} x', "Extra data at byte 9"),
    (b'{"a": [1 2]}', "Expecting ',' or ']' at byte 9"),
    (b'{"a": [1,]}', "Expecting value at byte 9"),
    (b'{a: 1}', "Expecting property name enclosed in double quotes at byte 1"),
    (b'{"a": tru}', "Expecting value at byte 6"),
    (b'{"\xc3\xa9": [1, \xff]}', "invalid UTF-8 at byte 11"),
])
@pytest.mark.parametrize("chunk", [1, 4, 1 << 20])
def test_a_broken_document_says_why_and_where(data: bytes, message: str, chunk: int) -> None:
    with pytest.raises(JsonStreamError, match=message):
        read(data, chunk)


def test_a_value_nested_too_deeply_is_refused() -> None:
    with pytest.raises(JsonStreamError, match="nested too deeply"):
        JsonCursor(io.BytesIO(b"[" * 100_000 + b"]" * 100_000)).value()


def test_byte_offsets_count_multibyte_characters_and_the_bom() -> None:
    data = b"\xef\xbb\xbf" + '{"ключ": [1, 2 3]}'.encode()
    with pytest.raises(JsonStreamError, match=f"at byte {data.index(b'3')}"):
        read(data, 3)


def test_a_file_that_grows_past_its_limit_is_refused() -> None:
    with pytest.raises(JsonStreamError, match="over 10 bytes"):
        JsonCursor(io.BytesIO(b"[1, 2, 3, 4, 5, 6, 7]"), limit=10, chunk=8).value()


def test_memory_holds_a_chunk_and_one_value_not_the_file() -> None:
    """The buffer after each array element stays within one chunk plus one element."""
    element = {"text": "x" * 100}
    data = json.dumps([element] * 5000).encode()        # about 600 kB
    cursor = JsonCursor(io.BytesIO(data), chunk=4096)
    longest = 0
    for _ in cursor.items():
        assert cursor.value() == element
        longest = max(longest, len(cursor._buf))
    assert longest <= 4096 + 2 * len(json.dumps(element))
