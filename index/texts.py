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
from collections.abc import Iterable, Sequence
from pathlib import Path

from . import store, text_packing
from .hits import ArticleRef, new_article_ref

ARTICLE_TEXT = f"{text_packing.SQL_FUNCTION}(a.text)"   # the stored text is packed (index.text_packing)


def sentence_text(row: str) -> str:
    """The text of sentence row `row` of article row ``a``: the one place a sentence is cut from its article."""
    return f'substr({ARTICLE_TEXT}, {row}.start + 1, {row}."end" - {row}.start)'


SENTENCE_TEXT = sentence_text("s")

_SENTENCES = "FROM sentences s JOIN articles a ON a.id = s.article"
# an untitled article's first words (ArticleRef.opening): the bot shows it under them
_KEYS_PER_QUERY = 500    # well under SQLite's limit on bound parameters
OPENING = f"CASE WHEN a.title = '' THEN substr({ARTICLE_TEXT}, a.body_start + 1, 200) END"
_REF = f"a.ext_id, a.title, a.path, a.url, a.published, a.source, {OPENING}"  # ArticleRef's fields
# the sentences before and after row s when in its paragraph (b, n: NULL at the paragraph's edges)
_NEIGHBOURS = " ".join(
    f"LEFT JOIN sentences {t} ON {t}.id = s.id {op} 1 AND {t}.article = s.article AND {t}.paragraph = s.paragraph"
    for t, op in (("b", "-"), ("n", "+")))
_PAGE = (f'SELECT s.id, s.article, s.paragraph, s.idx, s.start, s."end", s.section, {SENTENCE_TEXT}, sp.name, '
         f"{sentence_text('b')}, {sentence_text('n')}, {_REF} {_SENTENCES} {_NEIGHBOURS} "
         "LEFT JOIN speakers sp ON sp.sentence = s.id WHERE s.id IN ({})")
_ARTICLES_OF = f"SELECT s.id, s.article, {_REF} {_SENTENCES} WHERE s.id IN ({{}})"

# (id, article, paragraph, idx, start, end, section, text, speaker, text before, text after):
# before and after are the neighbours in the same paragraph, None at its edges
PageRow = tuple


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
                                    for title, text in self.db.execute(f"SELECT title, {ARTICLE_TEXT} FROM articles a")))

    # ----- per query ---------------------------------------------------------------
    def texts(self, ids: Iterable[int]) -> dict[int, str]:
        ids = list(ids)
        return dict(self.db.execute(f"SELECT s.id, {SENTENCE_TEXT} {_SENTENCES} WHERE s.id IN ({_marks(len(ids))})",
                                    ids))

    def page(self, ids: Iterable[int]) -> tuple[dict[int, PageRow], dict[int, ArticleRef]]:
        """The rows of the sentences `ids` with their neighbours' texts, and their articles.

        One query and one result row per sentence: SQLite reads the article's text once and
        cuts the sentence and both neighbours from it (reading the neighbours as rows of their
        own, as this did before, read it three times and made three times the Python rows)."""
        ids = sorted(set(ids))
        rows: dict[int, PageRow] = {}
        refs: dict[int, ArticleRef] = {}
        for r in self.db.execute(_PAGE.format(_marks(len(ids))), ids):
            rows[r[0]] = r[:11]
            if r[1] not in refs:
                refs[r[1]] = new_article_ref(*r[11:])
        return rows, refs

    def articles_of(self, ids: Iterable[int]) -> tuple[dict[int, int], dict[int, ArticleRef]]:
        """The article of each of the sentences `ids` (sentence id -> article row), and those articles."""
        ids = sorted(set(ids))
        articles: dict[int, int] = {}
        refs: dict[int, ArticleRef] = {}
        for r in self.db.execute(_ARTICLES_OF.format(_marks(len(ids))), ids):
            articles[r[0]] = r[1]
            if r[1] not in refs:
                refs[r[1]] = new_article_ref(*r[2:])
        return articles, refs

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
            f"SELECT substr({ARTICLE_TEXT}, a.body_start + 1, ?) FROM articles a ORDER BY a.id LIMIT ?", (chars, articles))]

    def articles_with_hashes(self, keys: Sequence[int]) -> dict[int, str]:
        """For each of `keys` (`index.corpus.text_hash` of a body) an indexed article has, that
        article's id: a few hundred keys a query (an export's messages are checked at once)."""
        unique = list(dict.fromkeys(keys))
        found: dict[int, str] = {}
        for start in range(0, len(unique), _KEYS_PER_QUERY):
            part = unique[start:start + _KEYS_PER_QUERY]
            marks = ",".join("?" * len(part))
            for key, ext_id in self.db.execute(f"SELECT hash, ext_id FROM articles WHERE hash IN ({marks})", part):
                found.setdefault(key, ext_id)
        return found

    def skipped(self) -> list[dict]:
        return [{"path": p, "line": l, "reason": r}
                for p, l, r in self.db.execute("SELECT path, line, reason FROM skipped")]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        self._keeper.close()
