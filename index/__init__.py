"""The search core: from a folder of news articles to ranked, quoted sentences.

No Telegram here. The bot (and anything else) uses `SearchIndex`/`open_index`
(or `index.service.IndexService` in a long-running process) and renders the
`Hit` objects they return; `IndexConfig` says where the corpus and the index
are and how articles are read. Names are imported lazily so that using one
module (say `index.bm25` in a benchmark) does not load the rest.
"""
from __future__ import annotations

from typing import Any

_EXPORTS = {
    "SearchIndex": "engine", "open_index": "engine",
    "ArticleRef": "hits", "Hit": "hits", "SearchResult": "hits",
    "IndexConfig": "config",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        from importlib import import_module
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(name)


__all__ = list(_EXPORTS)
