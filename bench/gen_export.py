"""A generated Telegram Desktop channel export (`result.json`) of N messages, for build benchmarks.

Deterministic: message n is the first paragraph of `bench.corpus_gen`'s synthetic
article n (Zipf words, "X said" attributions), dated one hour apart from
2019-01-01, with the export's shapes mixed in: every 7th text an entity list,
every 11th a photo caption, every 13th edited, every 50th a service message
and every 60th a photo without text. Generating an article costs ~1.5 ms, so
``--distinct M`` makes a large export fast: message n > M reuses message
((n - 1) % M + 1)'s text with " (n)" appended (every text still differs). Usage:

    python bench/gen_export.py 100000 /tmp/export-corpus   # writes /tmp/export-corpus/result.json
    python bench/gen_export.py 1000000 /tmp/export-1m --distinct 100000 [--texts-from /tmp/export-corpus/result.json]

``--texts-from`` takes the distinct texts from an export written before (of at least M messages)
instead of generating them again: the same file, in seconds.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.corpus_gen import WordTable, generate_article  # noqa: E402

START = 1546300800  # 2019-01-01T00:00:00Z


def message(n: int, table: WordTable, distinct: int | None = None, texts: dict[int, str] | None = None) -> dict:
    stamp = START + 3600 * n
    when = datetime.fromtimestamp(stamp, timezone.utc)
    base = {"id": n, "type": "message", "date": when.strftime("%Y-%m-%dT%H:%M:%S"),
            "date_unixtime": str(stamp), "from": "Generated News", "from_id": "channel1777000000"}
    if n % 50 == 0:
        return {**base, "type": "service", "actor": "Generated News", "action": "pin_message", "text": ""}
    if n % 60 == 0:
        return {**base, "photo": f"photos/photo_{n}.jpg", "width": 1280, "height": 720, "text": ""}
    text = _text(n, table, distinct, texts if texts is not None else {})
    if n % 7 == 0:
        head, _, rest = text.partition(" ")
        base["text"] = [{"type": "bold", "text": head}, " " + rest]
        base["text_entities"] = [{"type": "bold", "text": head}, {"type": "plain", "text": " " + rest}]
    else:
        base["text"] = text
    if n % 11 == 0:
        base.update(photo=f"photos/photo_{n}.jpg", width=1280, height=720)
    if n % 13 == 0:
        base.update(edited=when.strftime("%Y-%m-%dT%H:%M:%S"), edited_unixtime=str(stamp + 600))
    return base


def _text(n: int, table: WordTable, distinct: int | None, texts: dict[int, str]) -> str:
    """Message n's text: article n's title and first paragraph, or with `distinct`, a repeat of one."""
    if distinct and n > distinct:
        return _text((n - 1) % distinct + 1, table, distinct, texts) + f" ({n})"
    text = texts.get(n)
    if text is None:
        article = generate_article(table, n)
        text = article.title + "\n\n" + " ".join(article.paragraphs[0])
        if distinct:
            texts[n] = text       # kept for its repeats
    return text


def texts_of(path: Path, upto: int) -> dict[int, str]:
    """The texts of messages 1..upto of an export this script wrote (as `_text` makes them)."""
    from index.telegram_export import message_text
    with open(path, encoding="utf-8") as fh:
        return {m["id"]: message_text(m["text"]) for m in json.load(fh)["messages"]
                if m["id"] <= upto and m.get("type") == "message" and m.get("text")}


def write_export(n_messages: int, folder: Path, distinct: int | None = None, texts_from: Path | None = None) -> Path:
    table = WordTable.measure()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "result.json"
    texts: dict[int, str] = texts_of(texts_from, distinct or n_messages) if texts_from else {}
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{\n "name": "Generated News",\n "type": "public_channel",\n "id": 1777000000,\n "messages": [\n')
        for n in range(1, n_messages + 1):
            fh.write(("  " if n == 1 else ",\n  ") + json.dumps(message(n, table, distinct, texts), ensure_ascii=False))
        fh.write("\n ]\n}\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("messages", type=int)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--distinct", type=int, help="generate only this many texts, then repeat them numbered")
    parser.add_argument("--texts-from", type=Path, help="an earlier export of this script to take the texts from")
    args = parser.parse_args()
    started = time.perf_counter()
    path = write_export(args.messages, args.folder, args.distinct, args.texts_from)
    print(f"{path}: {args.messages} messages, {path.stat().st_size / 1e6:.1f} MB "
          f"in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
