"""Telegram Desktop exports as articles (index/telegram_export.py) and in the corpus reader."""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from index.corpus import Article, Skipped, read_corpus
from index.ingest import post_markdown
from index.telegram_export import chat_key, message_text, parsed_export_articles, read_export

CHANNEL = {
    "name": "Minsk Daily", "type": "public_channel", "id": 1234567890,
    "messages": [
        {"id": 1, "type": "service", "date": "2020-08-01T09:00:00", "date_unixtime": "1596272400",
         "actor": "Minsk Daily", "action": "create_channel", "title": "Minsk Daily", "text": ""},
        {"id": 2, "type": "message", "date": "2020-08-26T13:00:00", "date_unixtime": "1598446800",
         "from": "Minsk Daily", "from_id": "channel1234567890",
         "text": "Lavrov rejects mediation\nSergei Lavrov said there was no need for outside mediation."},
        {"id": 3, "type": "message", "date": "2020-08-27T08:00:00", "date_unixtime": "1598515200",
         "text": ["Protests continue in ", {"type": "bold", "text": "Minsk"}, ", witnesses said. ",
                  {"type": "text_link", "text": "Read the report", "href": "https://example.org"}, "."]},
        {"id": 4, "type": "message", "date": "2020-08-28T08:00:00", "date_unixtime": "1598601600",
         "photo": "photos/photo_1.jpg", "width": 800, "height": 600,
         "text": "A photo caption: riot police on Independence Avenue."},
        {"id": 5, "type": "message", "date": "2020-08-28T09:00:00", "date_unixtime": "1598605200",
         "photo": "photos/photo_2.jpg", "text": ""},
        {"id": 6, "type": "message", "date": "2020-08-29T09:00:00", "date_unixtime": "1598691600",
         "edited": "2020-08-29T10:00:00", "edited_unixtime": "1598695200",
         "media_type": "video_file", "file": "video_files/v.mp4",
         "text": [{"type": "plain", "text": "Corrected: the march drew 100,000 people."}]},
        {"id": 7, "type": "service", "date": "2020-08-30T09:00:00", "action": "pin_message", "text": ""},
        {"id": 8, "type": "message", "date": "2020-08-31T09:00:00", "date_unixtime": "1598864400",
         "text": "Already posted live: Lukashenko refused to step down."},
    ],
}


def export_bytes(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode()


def articles(data: object, **kw) -> tuple[list[Article], list[Skipped]]:
    items = list(read_export(export_bytes(data), "export/result.json", kw.get("usernames", {})))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Skipped)]


def test_channel_export() -> None:
    found, skipped = articles(CHANNEL)
    by_id = {a.id: a for a in found}
    assert list(by_id) == [f"channel/1001234567890/{n}" for n in (2, 3, 4, 6, 8)]
    first = by_id["channel/1001234567890/2"]
    assert first.title == "Lavrov rejects mediation"
    assert first.text.startswith("Lavrov rejects mediation\nSergei Lavrov said")
    assert first.published == "2020-08-26T13:00:00+00:00"
    assert first.source == "Minsk Daily" and first.url is None
    assert by_id["channel/1001234567890/3"].text == \
        "Protests continue in Minsk, witnesses said. Read the report."
    assert by_id["channel/1001234567890/4"].text == "A photo caption: riot police on Independence Avenue."
    assert by_id["channel/1001234567890/6"].text == "Corrected: the march drew 100,000 people."
    assert [str(s) for s in skipped] == \
        ["export/result.json: Telegram export: 2 service messages and 1 messages without text skipped"]


def test_username_from_setting_or_export() -> None:
    found, _ = articles(CHANNEL, usernames={"1001234567890": "minskdaily"})
    assert found[0].url == "https://t.me/minskdaily/2"
    found, _ = articles({**CHANNEL, "username": "@minsk_daily"})
    assert found[0].url == "https://t.me/minsk_daily/2"


def test_an_id_twice_keeps_the_last_edit() -> None:
    messages = [
        {"id": 10, "type": "message", "date": "2021-01-01T00:00:00", "text": "First version."},
        {"id": 10, "type": "message", "date": "2021-01-01T00:00:00", "edited": "2021-01-02T00:00:00",
         "text": "Second version."},
        {"id": 10, "type": "message", "date": "2021-01-01T00:00:00", "edited": "2021-01-01T12:00:00",
         "text": "An older edit, merged later."},
    ]
    found, _ = articles({"name": "C", "type": "private_channel", "id": 55, "messages": messages})
    assert [(a.id, a.text, a.published) for a in found] == [("channel/10055/10", "Second version.",
                                                             "2021-01-01T00:00:00")]


def test_full_account_export() -> None:
    data = {"about": "Here is the data you requested.",
            "personal_information": {"user_id": 1, "first_name": "A"},
            "chats": {"about": "...", "list": [
                CHANNEL,
                {"name": "Bob", "type": "personal_chat", "id": 777,
                 "messages": [{"id": 1, "type": "message", "date": "2022-03-01T10:00:00", "text": "hi Bob"}]}]},
            "left_chats": {"about": "...", "list": [
                {"name": "Old group", "type": "private_supergroup", "id": 42,
                 "messages": [{"id": 9, "type": "message", "date": "2019-05-05T10:00:00",
                               "text": "An old post."}]}]}}
    found, _ = articles(data)
    ids = [a.id for a in found]
    assert "telegram/777/1" in ids and "channel/10042/9" in ids and "channel/1001234567890/2" in ids
    assert next(a for a in found if a.id == "telegram/777/1").source == "Bob"


@pytest.mark.parametrize("data, reason", [
    (b"{not json", "invalid JSON"),
    (b"\xff\xfe", "invalid UTF-8"),
    (b'{"name": "x"}', "not a Telegram export"),
    (b"[1, 2]", "not a Telegram export"),
])
def test_bad_exports(data: bytes, reason: str) -> None:
    items = list(read_export(data, "result.json", {}))
    assert len(items) == 1 and isinstance(items[0], Skipped) and reason in items[0].reason


def test_message_text_and_chat_key() -> None:
    assert message_text(["a", {"type": "bold", "text": "b"}, {"type": "x"}, 3, "c"]) == "abc"
    assert message_text(None) == ""
    assert chat_key({"id": 1234, "type": "public_channel"}) == "1001234"
    assert chat_key({"id": 1234, "type": "personal_chat"}) == "1234"


def test_corpus_reads_an_export_once_beside_live_posts(tmp_path: Path) -> None:
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "result.json").write_bytes(export_bytes(CHANNEL))
    live = tmp_path / "channels" / "1001234567890"
    live.mkdir(parents=True)
    (live / "8.md").write_text(post_markdown("Already posted live: Lukashenko refused to step down.",
                                             "Already posted live", "channel/1001234567890/8",
                                             "2020-08-31T09:00:00+00:00", None, "Minsk Daily"))
    (tmp_path / "a.txt").write_text("Lavrov spoke.\n\nHe said more.")
    read = read_corpus(tmp_path)
    ids = [a.id for a in read.articles]
    assert ids.count("channel/1001234567890/8") == 1
    assert ids[:2] == ["a", "channel/1001234567890/8"]          # the live file is read first
    assert sum(1 for i in ids if i.startswith("channel/")) == 5
    reasons = [s.reason for s in read.skipped]
    assert "1 messages already indexed from the live channel or another export (indexed once)" in reasons
    assert read.files == 3


def test_an_admin_uploads_an_export_beside_live_posts(tmp_path: Path) -> None:
    """An uploaded result.json is saved as an export under uploads/, its messages the live channel
    already delivered are left out, the rest are searchable at once and after a rebuild, once."""
    from index.ingest import IngestError
    from index.service import IndexService
    corpus = tmp_path / "corpus"
    live = corpus / "channels" / "1001234567890"
    live.mkdir(parents=True)
    (live / "8.md").write_text(post_markdown("Already posted live: Lukashenko refused to step down.",
                                             "Already posted live", "channel/1001234567890/8",
                                             "2020-08-31T09:00:00+00:00", None, "Minsk Daily"))
    service = IndexService(corpus, tmp_path / "index")
    try:
        service.start()
        before = sorted(corpus.rglob("*"))
        with pytest.raises(IngestError, match="the file is cut short"):     # refused in words, nothing saved
            service.add_upload("result.json", export_bytes(CHANNEL)[:-40])
        assert sorted(corpus.rglob("*")) == before
        added = service.add_upload("result.json", export_bytes(CHANNEL))
        assert added.articles == 4 and added.path.name == "result.json"
        assert added.path.parent.parent == corpus / "uploads"
        hits = service.search("outside mediation").hits
        assert hits and hits[0].article.published.startswith("2020-08-26")
        assert len(service.search("Lukashenko refused to step down").hits) == 1   # indexed once
        with pytest.raises(IngestError, match="already indexed"):
            service.add_upload("result.json", export_bytes(CHANNEL))
        with pytest.raises(IngestError, match="not a Telegram export"):
            service.add_upload("notes.json", b'{"hello": 1}')
        service.rebuild()
        assert service.stats().articles == 5           # the rebuild reads the export once too
        assert len(service.search("Lukashenko refused to step down").hits) == 1
    finally:
        service.close()


# ----- streamed reading: the same articles as a whole read, memory for one message -----------

def whole_read(data: bytes, usernames: dict | None = None) -> list:
    return list(parsed_export_articles(json.loads(data.decode("utf-8-sig")), "export/result.json", usernames or {}))


def streamed(data: bytes, usernames: dict | None = None) -> list:
    return list(read_export(io.BytesIO(data), "export/result.json", usernames or {}))


FULL_ACCOUNT = {
    "about": "Here is the data you requested.", "personal_information": {"user_id": 1, "first_name": "A"},
    "chats": {"about": "...", "list": [
        CHANNEL, [1, 2], "not a chat", {"name": "no messages"}, {"name": "bad", "messages": {"id": 1}},
        {"messages": [{"id": 1, "type": "message", "date": "2022-03-01T10:00:00", "text": "hi Bob"}],
         "name": "Bob", "type": "personal_chat", "id": 777}]},
    "left_chats": {"about": "...", "list": [
        {"name": "Old group", "type": "private_supergroup", "id": 42,
         "messages": [{"id": 9, "type": "message", "date": "2019-05-05T10:00:00", "text": "An old post."},
                      {"id": 3, "type": "message", "date": "2019-05-01T10:00:00", "text": "Out of order."},
                      {"id": 9, "type": "message", "edited": "2019-06-01T10:00:00", "text": "Edited later."},
                      "garbage", {"type": "message", "text": "No id."}]}]},
    "other_data": {"changes_log": [{"x": n} for n in range(50)]}}
TRAILING_KEYS = {"messages": CHANNEL["messages"], "username": "@minsk", "id": 1234567890,
                 "type": "public_channel", "name": "Minsk Daily"}     # a tool writing its keys last


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
@pytest.mark.parametrize("data", [CHANNEL, FULL_ACCOUNT, TRAILING_KEYS, {**CHANNEL, "chats": FULL_ACCOUNT["chats"]}],
                         ids=["channel", "full-account", "keys-after-messages", "chat-with-chats"])
def test_streamed_reading_gives_the_articles_of_a_whole_read(data: dict, chunk: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("index.json_stream.CHUNK_BYTES", chunk)      # chunk edges inside every value
    raw = export_bytes(data)
    assert streamed(raw, {"10042": "oldgroup"}) == whole_read(raw, {"10042": "oldgroup"})
    assert streamed(b"\xef\xbb\xbf" + raw) == whole_read(raw)


def test_keys_after_the_messages_still_name_and_link_the_chat() -> None:
    found = [a for a in streamed(export_bytes(TRAILING_KEYS)) if isinstance(a, Article)]
    assert found[0].id == "channel/1001234567890/2" and found[0].url == "https://t.me/minsk/2"
    assert {a.source for a in found} == {"Minsk Daily"}


@pytest.fixture(scope="module")
def generated_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.corpus_gen import SeedDataMissing
    from bench.gen_export import write_export
    try:
        return write_export(2500, tmp_path_factory.mktemp("export"))    # 1.3 MB: more than one read chunk
    except SeedDataMissing as exc:   # its words come from the shared SQuAD paragraphs beside the repo
        pytest.skip(str(exc).split(":")[0])


def test_streamed_reading_of_a_generated_export_equals_a_whole_read(generated_export: Path) -> None:
    data = generated_export.read_bytes()
    with open(generated_export, "rb") as fh:
        items = list(read_export(fh, "export/result.json", {}))
    assert items == whole_read(data)
    assert sum(isinstance(i, Article) for i in items) == 2500 - 50 - 33   # every 50th service, 60th no text
    assert str(items[-1]) == "export/result.json: Telegram export: 50 service messages and 33 messages " \
                             "without text skipped"


@pytest.mark.parametrize("cut", [1, 100, 1000, -200, -3, -1])
def test_a_cut_short_export_is_reported_and_gives_no_article(cut: int) -> None:
    raw = export_bytes(CHANNEL).rstrip()
    items = streamed(raw[:cut])
    assert len(items) == 1 and isinstance(items[0], Skipped)
    assert "invalid JSON: the file is cut short" in items[0].reason, items[0].reason


def test_a_broken_message_is_reported_with_where_it_is() -> None:
    raw = export_bytes(CHANNEL).replace(b'"text": "A photo caption', b'"text" "A photo caption')
    items = streamed(raw)
    assert len(items) == 1 and isinstance(items[0], Skipped)
    where = raw.index(b'"text" "A photo caption') + len(b'"text" ')
    assert items[0].reason == (f"invalid JSON: Expecting ':' delimiter at byte {where} "
                               "(after message 3 of chat 1)")


def test_a_cut_short_export_in_the_corpus_loses_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "result.json").write_bytes(export_bytes(CHANNEL)[:-40])
    (tmp_path / "a.txt").write_text("Lavrov spoke.\n\nHe said more.")
    read = read_corpus(tmp_path)
    assert [a.id for a in read.articles] == ["a"]
    assert [str(s) for s in read.skipped] == [
        f"export/result.json: invalid JSON: the file is cut short (it ends inside the document, after "
        f"{len(export_bytes(CHANNEL)) - 40} bytes) (after message 7 of chat 1)"]     # the 8th is cut
