"""Everything a loaded index reads from its SQLite database.

The arrays say *which* sentences answer; this module says what they *say*:
sentence texts, their neighbours and articles (the rows a `Hit` is made
of), the context around a sentence, the opening of the first articles (for
example questions), the duplicate-text lookup for uploads, the vocabulary
and the spelling lexicon. Writing those rows is `index.store`'s job.

Connections are per thread (`sqlite3` objects must not be shared while a
statement runs), read-only and opened lazily; one is opened at once, while
the generation folder surely exists, and serves as the fallback once a
newer generation has swept this one's folder (Linux keeps an open file
readable, but a new connection could not be opened any more).
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from . import store
from .hits import ArticleRef

SENTENCE_TEXT = 'substr(a.text, s.start + 1, s."end" - s.start)'
"""The text of sentence row ``s`` of article row ``a``: the one place a sentence is cut from its article."""

_SENTENCES = "FROM sentences s JOIN articles a ON a.id = s.article"
# an untitled article's first words (ArticleRef.opening): the bot shows it under them
OPENING = "CASE WHEN a.title = '' THEN substr(a.text, a.body_start + 1, 200) END"

Row = tuple  # (id, article, paragraph, idx, start, end, section, text, speaker)


def _marks(n: int) -> str:
    return ",".join("?" * n)


class TextStore:
    """Read-only access to one generation's database, from any thread."""

    def __init__(self, generation: Path) -> None:
        self.path = generation / store.DB_NAME
        self._local = threading.local()
        self._keeper = store.open_db(self.path)

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = store.open_db(self.path)
            except store.IndexCorrupt:
                conn = self._keeper     # swept by a newer generation: share the one opened at load
            self._local.conn = conn
        return conn

    # ----- read once at load -----------------------------------------------------
    def meta(self) -> dict[str, object]:
        return store.read_meta(self._keeper)

    def vocabulary(self) -> dict[str, int]:
        try:
            return dict(self._keeper.execute("SELECT term, id FROM terms"))
        except sqlite3.DatabaseError as exc:
            raise store.IndexCorrupt(f"vocabulary unreadable: {exc}") from exc

    def words(self) -> dict[str, int]:
        """The spelling lexicon's counts: the ``words`` table, or counted from the texts
        for an index built before that table existed."""
        try:
            return dict(self.db.execute("SELECT word, freq FROM words"))
        except sqlite3.OperationalError:
            from .spelling import count_words
            return dict(count_words(title + "\n" + text
                                    for title, text in self.db.execute("SELECT title, text FROM articles")))

    # ----- per query ---------------------------------------------------------------
    def texts(self, ids: Iterable[int]) -> dict[int, str]:
        ids = list(ids)
        return dict(self.db.execute(f"SELECT s.id, {SENTENCE_TEXT} {_SENTENCES} WHERE s.id IN ({_marks(len(ids))})",
                                    ids))

    def rows(self, ids: Iterable[int], referenced: set[int]) -> tuple[dict[int, Row], dict[int, ArticleRef]]:
        """The sentence rows of `ids` (texts included), and the articles of those in `referenced`.

        One query: the sentences, their texts and their articles' references.
        """
        ids = sorted(ids)
        rows: dict[int, Row] = {}
        refs: dict[int, ArticleRef] = {}
        for r in self.db.execute(
                f'SELECT s.id, s.article, s.paragraph, s.idx, s.start, s."end", s.section, {SENTENCE_TEXT}, '
                f"a.ext_id, a.title, a.path, a.url, a.published, a.source, {OPENING}, sp.name {_SENTENCES} "
                f"LEFT JOIN speakers sp ON sp.sentence = s.id WHERE s.id IN ({_marks(len(ids))})", ids):
            rows[r[0]] = r[:8] + r[15:]
            if r[0] in referenced and r[1] not in refs:
                refs[r[1]] = ArticleRef(*r[8:15])
        return rows, refs

    def article_languages(self) -> list[str]:
        """Every article's language code, by article row (for an index of several languages)."""
        return [lang for (lang,) in self.db.execute("SELECT lang FROM articles ORDER BY id")]

    def context(self, sentence_id: int, width: int) -> list[tuple[int, str]]:
        """The sentences of the same paragraph around one sentence: (sentence id, text)."""
        rows = self.db.execute(
            f"SELECT s.id, {SENTENCE_TEXT} {_SENTENCES} JOIN sentences t ON t.id = ? "
            "WHERE s.article = t.article AND s.paragraph = t.paragraph AND s.id BETWEEN ? AND ? ORDER BY s.id",
            (sentence_id, sentence_id - width, sentence_id + width)).fetchall()
        return [(int(i), str(t)) for i, t in rows]

    def article_openings(self, articles: int = 5, chars: int = 2000) -> list[str]:
        """The first `chars` characters of the first articles' bodies."""
        return [text for (text,) in self.db.execute(
            "SELECT substr(text, body_start + 1, ?) FROM articles ORDER BY id LIMIT ?", (chars, articles))]

    def article_with_hash(self, key: int) -> str | None:
        """The id of an article whose body has this `index.corpus.text_hash`, if any."""
        row = self.db.execute("SELECT ext_id FROM articles WHERE hash = ? LIMIT 1", (key,)).fetchone()
        return row[0] if row else None

    def skipped(self) -> list[dict]:
        return [{"path": p, "line": l, "reason": r}
                for p, l, r in self.db.execute("SELECT path, line, reason FROM skipped")]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        self._keeper.close()
