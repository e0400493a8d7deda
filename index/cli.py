"""``python -m index``: build, search and inspect the index from a shell.

The output is a contract that other tools and the bot's tests rely on:
``search --json`` prints one JSON object per query, and with no QUERY the
command reads one query per line from stdin and prints JSON Lines, so
thousands of questions run in one process. Exit codes: 0 success (also when
nothing was found), 2 usage error, 1 failure with a one-line reason on stderr.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from . import store
from .config import IndexConfig
from .corpus import CorpusError
from .engine import MAX_K, SearchIndex, open_index, write_index
from .hits import Hit, SearchResult
from .progress import ProgressBar


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except BadSetting as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (CorpusError, store.IndexCorrupt, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m index",
                                description="Search a folder of news articles sentence by sentence.")
    sub = p.add_subparsers(dest="command", required=True)

    def common(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--corpus", type=Path, help="corpus folder (default $CORPUS_DIR or seeds/)")
        sp.add_argument("--index", type=Path, help="index folder (default $INDEX_PATH or .index/)")

    b = sub.add_parser("build", help="build the index from the corpus folder "
                                     "($BOILERPLATE_FILE: extra boilerplate regexes, one per line)")
    common(b)
    b.add_argument("--json", action="store_true", help="print the summary as JSON")
    b.set_defaults(func=cmd_build)

    s = sub.add_parser("search", help="answer questions with ranked sentences")
    common(s)
    s.add_argument("-k", type=_k, default=5, help=f"hits per query (1..{MAX_K}, default 5)")
    s.add_argument("--offset", type=int, default=0, help="skip this many hits (paging)")
    s.add_argument("--json", action="store_true", help="one JSON object per query")
    s.add_argument("query", nargs="*", help="the question (its words form one query); "
                                            "none: read one query per line from stdin, print JSON Lines")
    s.set_defaults(func=cmd_search)

    a = sub.add_parser("add", help="add article files (.txt, .md, .jsonl) without a rebuild: each is saved "
                                   "under CORPUS/uploads/ and searchable at once (the delta segment)")
    common(a)
    a.add_argument("--json", action="store_true", help="one JSON object per file")
    a.add_argument("files", nargs="+", type=Path, help="the files to add")
    a.set_defaults(func=cmd_add)

    m = sub.add_parser("merge", help="merge the articles added since the build into the main segment now")
    common(m)
    m.set_defaults(func=cmd_merge)

    st = sub.add_parser("stats", help="what the index holds")
    common(st)
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_stats)
    return p


def _k(value: str) -> int:
    try:
        k = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 1 <= k <= MAX_K:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_K}")
    return k


def _config(args: argparse.Namespace) -> IndexConfig:
    """The flags over the environment and `.env` ($CORPUS_DIR, $INDEX_PATH, $BOILERPLATE_FILE, ...);
    a bad setting (BadSetting) is said before anything is read."""
    try:
        return IndexConfig.from_env(corpus=args.corpus, root=args.index)
    except ValueError as exc:
        raise BadSetting(str(exc)) from None


class BadSetting(ValueError):
    """A setting of the environment or `.env` has a value the index cannot use (exit 2)."""


def cmd_build(args: argparse.Namespace) -> int:
    config = _config(args)
    root = config.root
    bar = ProgressBar("indexing")
    report = write_index(config.corpus, root, progress=bar, config=config)
    bar.close()
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print(report.summary())
        print(f"index written to {root}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    config = _config(args)
    bar = ProgressBar("indexing")
    index = open_index(config.corpus, config.root, progress=bar, config=config)
    bar.close()
    if args.query:
        result = index.search(" ".join(args.query), k=args.k, offset=args.offset)
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            print(render_text(result))
        return 0
    for line in sys.stdin:
        query = line.rstrip("\n")
        result = index.search(query, k=args.k, offset=args.offset)
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Each file through `IndexService.add_upload`, as an admin's upload: the same checks and messages."""
    from .ingest import IngestError
    from .service import IndexService
    config = _config(args)
    service = IndexService(config.corpus, config.root, config=config, warm=False)   # one command, then exit
    service.start()
    failed = 0
    for path in args.files:
        try:
            added = service.add_upload(path.name, path.read_bytes())
        except (IngestError, OSError) as exc:
            failed += 1
            print(f"error: {path}: {exc}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps({"file": str(path), "saved_as": str(added.path), "articles": added.articles,
                              "sentences": added.sentences, "seconds": round(added.seconds, 3)}))
        else:
            print(f"{path}: {added.articles} articles, {added.sentences} sentences added as {added.path} "
                  f"in {added.seconds:.2f} s")
    service.merges.wait()         # a delta past INDEX_MERGE_SENTENCES: the merge finishes before the exit
    return 1 if failed else 0


def cmd_merge(args: argparse.Namespace) -> int:
    from .merging import MergeRaced
    from .service import IndexService
    config = _config(args)
    service = IndexService(config.corpus, config.root, config=config, warm=False)   # one command, then exit
    started = time.perf_counter()
    sentences = service.start().delta_sentences     # (no reference kept: the merge lets the index go)
    try:
        if not service.merge(serve=False):            # publishes the merged index; this process loads none of it
            print("nothing to merge: no articles were added since the last build or merge")
            return 0
    except MergeRaced as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"merged {sentences} added sentences into the main segment in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    config = _config(args)
    root = config.root
    try:
        index = SearchIndex.load(root)
    except store.IndexMissing:
        print(f"error: no index at {root}; run `python -m index build`", file=sys.stderr)
        return 1
    st = index.stats()
    try:
        stale = index.stale_reason(config.corpus, config)
        status = "up to date" if stale is None else f"stale: {stale}"
    except CorpusError as exc:
        status = f"corpus unavailable: {exc}"
    data = {
        "articles": st.articles, "sentences": st.sentences, "terms": st.terms,
        "bytes_on_disk": st.bytes_on_disk, "build_seconds": round(st.build_seconds, 3),
        "built_at": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(st.built_at)),
        "corpus": st.corpus, "fingerprint": status, "skipped": len(st.skipped),
        "languages": st.languages,
    }
    if args.json:
        print(json.dumps(data, ensure_ascii=False))
    else:
        for key, value in data.items():
            if key == "languages":  # articles per language, most first: "ru 120, en 14"
                value = ", ".join(f"{code} {n}" for code, n in sorted(value.items(), key=lambda kv: -kv[1]))
            print(f"{key:>14}: {value}")
    return 0


def render_text(result: SearchResult) -> str:
    """Readable hits: the verbatim sentence, matched words in [brackets], then its source."""
    if not result.hits:
        return result.message or "No results."
    blocks = [f"{result.total} matching sentence(s) for: {result.query}" + (f"\n{result.message}" if result.message else "")]
    for hit in result.hits:
        blocks.append(f"{hit.rank}. {mark(hit)}\n   -- {source_line(hit)}  (score {hit.score:.3f})")
    return "\n\n".join(blocks)


def mark(hit: Hit, left: str = "[", right: str = "]") -> str:
    out, pos = [], 0
    for start, end in hit.highlights:
        out += [hit.text[pos:start], left, hit.text[start:end], right]
        pos = end
    out.append(hit.text[pos:])
    return "".join(out)


def source_line(hit: Hit) -> str:
    a = hit.article
    parts = [a.title] if a.title else []      # an untitled article: its path says where
    if a.published:
        parts.append(a.published)
    parts.append(a.url or a.path)
    where = f"paragraph {hit.paragraph + 1}, sentence {hit.sentence + 1}"
    if hit.section:
        where = f"{hit.section}: {where}"
    return " | ".join(parts) + f" | {where}"
