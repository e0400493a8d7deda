"""Performance at scale: this search core next to rank-bm25, bm25s and tantivy.

For each corpus size (10k, 100k, 1M sentences of `bench/corpus_gen.py`'s
synthetic news) and each engine, separate subprocesses build, load and query,
so every memory figure belongs to one engine and one phase:

* **ours**: `SearchIndex.build` from the corpus folder (reading, sentence
  splitting, analysis, postings, SQLite, atomic write; a progress bar on a
  terminal), then in a fresh process `SearchIndex.load` and
  `search(question, k=10)`: query analysis + ranking + the top-10 hits with
  their texts, context and highlights. Also: adding one article to the index
  (`add_articles`) until a search finds it, on a copy of the index.
* **peers** get the *same sentences and the same analysed tokens*: our
  splitter and analyzer are run once per size (`prep`, cached under
  ``bench/data/analysed-<size>/``; its time is reported) and each peer indexes
  the token lists; each question is given to them as the list of terms
  `parse_query` produces for it (positive terms, repeats kept). Their query
  time therefore excludes question analysis, which ours includes.

  - rank-bm25: ``BM25Okapi(tokens)`` in memory, ``get_top_n(terms, texts, 10)``
    (texts in a Python list). It scores every sentence in Python, so it runs
    on a bounded sample: the first ``--rank-sample`` questions of the list.
  - bm25s: numpy backend (and the numba backend when numba imports),
    ``method="lucene"``; index saved with the texts (``corpus.jsonl``), loaded
    with ``mmap=True, load_corpus=True``; one ``retrieve([terms], k=10)`` per
    question, returning the texts.
  - tantivy: one document per sentence, a ``tokens`` field holding the analysed
    terms joined by spaces under a whitespace tokenizer (``index_option=freq``,
    no positions, as ours) and the sentence text stored; a question is a
    boolean SHOULD of term queries (repeats kept); ``search(limit=10,
    count=True)`` (the total like ours; ``count=False`` also measured) and the
    ten stored texts fetched.

Every engine gets the same question list (``bench/data/queries-<size>.txt``),
the first 20 run once untimed as a warm-up, then every question is timed
one at a time (one client, no concurrency): p50/p95/p99 and questions per
second (= 1000 / mean ms). Memory: peak RSS of the phase (VmHWM, plus the
largest child for ours' parallel build), resident set after load (VmRSS;
anonymous and file-backed parts, since memory-mapped index pages count as
resident once touched) and again after all questions.

Run: ``make bench-scale`` or ``.venv/bin/python bench/scale.py [--sizes 10k,100k]``.
Writes ``bench/results/scale.md`` and ``bench/results/scale.json``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench import corpus_gen  # noqa: E402

DATA = REPO / "bench" / "data"
RESULTS = REPO / "bench" / "results"
ENGINES = ("ours", "rank-bm25", "bm25s", "bm25s-numba", "tantivy")
WARMUP = 20
# rank-bm25 holds every sentence as a Python dict: above 1M it indexes only the first 1M sentences
# (its time per question grows linearly with them, so the ratio at 10M is ~10x the one printed)
RANK_SENTENCES = {"3m": 1_000_000, "10m": 1_000_000}
RANK_SAMPLE = {"10k": 1000, "100k": 200, "1m": 50, "3m": 20, "10m": 10}  # rank-bm25 questions (it scores every sentence)
PREP_VERSION = "1"
REUSE_PREP = False  # --reuse-prep
REUSE_BUILD: set[str] = set()  # --reuse-build: engines whose kept index (and build figures) a run reuses
BUILD_ONLY = False  # --build-only: build and keep the indexes (with their records), measure nothing else


# --------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------

def proc_status() -> dict[str, float]:
    """VmRSS, VmHWM, RssAnon and RssFile of this process, in MB."""
    out: dict[str, float] = {}
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[key] = int(value.split()[0]) / 1024
    return out


def children_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def disk_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


CPU_MS: list[float] = []  # CPU time (all threads of the process) of the last timed_queries run


def timed_queries(run: Callable[[int], object], n: int, warmup: int = WARMUP) -> list[float]:
    """Latency in ms of run(i) for i in range(n), after running the first `warmup` once.

    Also records each call's CPU time in `CPU_MS`: on a shared machine wall
    time includes waiting for a core, CPU time much less so."""
    for i in range(min(warmup, n)):
        run(i)
    out = []
    CPU_MS.clear()
    for i in range(n):
        cpu = time.process_time()
        start = time.perf_counter()
        run(i)
        out.append((time.perf_counter() - start) * 1000)
        CPU_MS.append((time.process_time() - cpu) * 1000)
    return out


def loadavg() -> float:
    return os.getloadavg()[0]


def emit(result: dict) -> None:
    print("RESULT " + json.dumps(result), flush=True)


# --------------------------------------------------------------------------
# Shared preparation: the same sentences and tokens for every peer
# --------------------------------------------------------------------------

def _prep_chunk(articles: list) -> list[tuple[str, str]]:
    from index.analysis import DEFAULT_ANALYZER
    from index.build import analyse_article
    out = []
    for article in articles:
        item = analyse_article(article, DEFAULT_ANALYZER)
        for s, terms in zip(item.sentences, item.terms):
            out.append((article.text[s.start:s.end], " ".join(terms)))
    return out


def _article_chunks(label: str, step: int = 200) -> Iterator[list]:
    """The corpus in index order, `step` articles at a time (streamed: a 10M corpus never sits in memory)."""
    from index.corpus import CorpusRead, iter_corpus
    chunk: list = []
    for article in iter_corpus(DATA / f"corpus-{label}", CorpusRead(), keep_hashes=False):
        chunk.append(article)
        if len(chunk) == step:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def prep(label: str) -> Path:
    """Sentence texts and analysed tokens of corpus-<label> (cached), in index sentence order."""
    import multiprocessing as mp

    from index.analysis import DEFAULT_ANALYZER
    from index.query import parse_query

    manifest = corpus_gen.ensure(label)
    folder = DATA / f"analysed-{label}"
    stamp = {"prep_version": PREP_VERSION, "corpus": manifest, "analyzer": DEFAULT_ANALYZER.version}
    done = folder / "manifest.json"
    made = json.loads(done.read_text())["stamp"] if done.exists() else None
    if made is not None and (made == stamp or (REUSE_PREP and made["corpus"] == manifest)):
        return folder   # (--reuse-prep: an earlier analyzer's tokens, e.g. when only other languages changed)
    started = time.perf_counter()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    n = 0
    with mp.get_context("fork").Pool(len(os.sched_getaffinity(0))) as pool, \
            open(folder / "texts.jsonl", "w", encoding="utf-8") as texts, \
            open(folder / "tokens.txt", "w", encoding="utf-8") as tokens:
        for rows in pool.imap(_prep_chunk, _article_chunks(label), chunksize=4):
            for text, joined in rows:
                assert "\n" not in joined
                texts.write(json.dumps(text, ensure_ascii=False) + "\n")
                tokens.write(joined + "\n")
                n += 1
    questions = (DATA / f"queries-{label}.txt").read_text(encoding="utf-8").splitlines()
    terms = [list(parse_query(q).terms) for q in questions]
    (folder / "queries.json").write_text(json.dumps({"questions": questions, "terms": terms}), encoding="utf-8")
    seconds = time.perf_counter() - started
    done.write_text(json.dumps({"stamp": stamp, "sentences": n, "seconds": round(seconds, 2)}), encoding="utf-8")
    return folder


def iter_prep(label: str, limit: int | None = None) -> Iterator[tuple[str, list[str]]]:
    """(text, tokens) per sentence from the prep files, streamed (at most `limit`)."""
    folder = DATA / f"analysed-{label}"
    with open(folder / "texts.jsonl", encoding="utf-8") as fh, open(folder / "tokens.txt", encoding="utf-8") as fk:
        for i, (text, toks) in enumerate(zip(fh, fk)):
            if limit is not None and i >= limit:
                return
            yield json.loads(text), toks.split()


def load_prep(label: str) -> tuple[list[str], list[list[str]], list[str], list[list[str]]]:
    folder = DATA / f"analysed-{label}"
    with open(folder / "texts.jsonl", encoding="utf-8") as fh:
        texts = [json.loads(line) for line in fh]
    with open(folder / "tokens.txt", encoding="utf-8") as fh:
        tokens = [line.split() for line in fh]
    q = json.loads((folder / "queries.json").read_text(encoding="utf-8"))
    return texts, tokens, q["questions"], q["terms"]


# --------------------------------------------------------------------------
# Phases, each run in its own subprocess (python bench/scale.py --phase ...)
# --------------------------------------------------------------------------

def phase_ours_build(label: str, work: Path) -> None:
    from index.engine import write_index
    from index.progress import ProgressBar
    bar = ProgressBar(f"indexing {label}")
    start = time.perf_counter()
    load_before = loadavg()
    report = write_index(DATA / f"corpus-{label}", work / "ours", progress=bar)  # as `python -m index build`
    seconds = time.perf_counter() - start
    bar.close()
    from index.store import current_generation
    emit({"build_s": seconds, "loadavg": [load_before, loadavg()], "peak_mb": proc_status()["VmHWM"], "children_peak_mb": children_peak_mb(),
          "disk_bytes": disk_bytes(current_generation(work / "ours")), "sentences": report.sentences,
          "articles": report.articles, "terms": report.terms})


def phase_ours_query(label: str, work: Path) -> None:
    from index.engine import SearchIndex
    questions = (DATA / f"queries-{label}.txt").read_text(encoding="utf-8").splitlines()
    before = proc_status()
    start = time.perf_counter()
    index = SearchIndex.load(work / "ours")
    load_s = time.perf_counter() - start
    loaded = proc_status()
    totals: list[int] = [0] * len(questions)

    def run(i: int) -> None:
        result = index.search(questions[i], k=10)
        totals[i] = result.total
        assert all(h.text for h in result.hits)
    load_before = loadavg()
    lat = timed_queries(run, len(questions))
    cpu = CPU_MS[:]
    after = proc_status()
    load_after = loadavg()
    # the same questions again: the analyzer's word caches (used to highlight the hits) are warm
    repeat = timed_queries(run, len(questions), warmup=0)
    emit({"load_s": load_s, "rss_before_mb": before, "rss_loaded_mb": loaded,
          "rss_after_queries_mb": after, "latency_ms": lat, "cpu_ms": cpu, "totals": totals,
          "latency_repeat_ms": repeat, "loadavg": [load_before, load_after]})


def phase_ours_add(label: str, work: Path) -> None:
    """Add one new article to a copy of the index; seconds until a search returns it.

    The loaded index first answers the same question once (timed apart: a serving bot has answered
    questions before an upload comes, and the first speaker question of a process reads the
    speakers of the whole archive, 9 s at 10M, which an add no longer repeats)."""
    from index.corpus import parse_text
    from index.engine import SearchIndex
    copy = work / "ours-add"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(work / "ours", copy)
    index = SearchIndex.load(copy)
    text = ("Zyxquor Vantablem met the Quillibrand council on Tuesday.\n\n"
            "The Quillibrand council said the zyxquor accord would be signed in Maribelle next week. "
            "Vantablem told reporters that the talks had been difficult but fair.\n")
    article = parse_text(f"---\ntitle: Quillibrand accord\n---\n{text}", "added/quillibrand.md")
    question = "what did Vantablem say about the zyxquor accord"
    start = time.perf_counter()
    index.search(question, k=1)
    first_s = time.perf_counter() - start
    start, cpu = time.perf_counter(), time.process_time()
    new, added = index.add_articles([article], DATA / f"corpus-{label}")
    found = new.search(question, k=1)
    seconds, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    ok = bool(found.hits) and found.hits[0].article.id == article.id
    emit({"add_s": seconds, "add_cpu_s": cpu_s, "first_question_s": first_s, "sentences_added": added, "found": ok})
    shutil.rmtree(copy, ignore_errors=True)


def phase_rank_bm25(label: str, work: Path, sample: int) -> None:
    from rank_bm25 import BM25Okapi
    cap = RANK_SENTENCES.get(label)
    texts, tokens = [], []
    for text, toks in iter_prep(label, cap):
        texts.append(text)
        tokens.append(toks)
    terms = json.loads((DATA / f"analysed-{label}" / "queries.json").read_text(encoding="utf-8"))["terms"]
    base = proc_status()
    start = time.perf_counter()
    model = BM25Okapi(tokens)
    build_s = time.perf_counter() - start
    del tokens
    loaded = proc_status()
    n = min(sample, len(terms))
    load_before = loadavg()
    lat = timed_queries(lambda i: model.get_top_n(terms[i], texts, n=10), n, warmup=0)
    emit({"build_s": build_s, "load_s": None, "peak_mb": proc_status()["VmHWM"], "rss_before_mb": base,
          "rss_loaded_mb": loaded, "rss_after_queries_mb": proc_status(), "latency_ms": lat,
          "cpu_ms": CPU_MS[:], "loadavg": [load_before, loadavg()]})


def phase_bm25s_build(label: str, work: Path, backend: str) -> None:
    import bm25s
    texts, tokens, _, _ = load_prep(label)
    start = time.perf_counter()
    model = bm25s.BM25(method="lucene", k1=1.5, b=0.75, backend=backend)
    model.index(tokens, show_progress=False)
    model.save(work / f"bm25s-{backend}", corpus=texts, show_progress=False)
    build_s = time.perf_counter() - start
    emit({"build_s": build_s, "peak_mb": proc_status()["VmHWM"], "disk_bytes": disk_bytes(work / f"bm25s-{backend}")})


def phase_bm25s_query(label: str, work: Path, backend: str) -> None:
    import bm25s
    folder = DATA / f"analysed-{label}"
    terms = json.loads((folder / "queries.json").read_text(encoding="utf-8"))["terms"]
    before = proc_status()
    start = time.perf_counter()
    model = bm25s.BM25.load(work / f"bm25s-{backend}", mmap=True, load_corpus=True, show_progress=False)
    model.backend = backend
    load_s = time.perf_counter() - start
    loaded = proc_status()
    known = [[t for t in q if t in model.vocab_dict] for q in terms]

    def run(i: int) -> object:
        if not known[i]:
            return None
        return model.retrieve([known[i]], k=10, show_progress=False, n_threads=0)
    load_before = loadavg()
    lat = timed_queries(run, len(terms))
    emit({"load_s": load_s, "rss_before_mb": before, "rss_loaded_mb": loaded,
          "rss_after_queries_mb": proc_status(), "latency_ms": lat, "cpu_ms": CPU_MS[:],
          "loadavg": [load_before, loadavg()]})


def phase_tantivy_build(label: str, work: Path) -> None:
    import tantivy
    path = work / "tantivy"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    start = time.perf_counter()
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("tokens", stored=False, tokenizer_name="ws", index_option="freq")
    builder.add_text_field("text", stored=True, tokenizer_name="raw", index_option="basic")
    schema = builder.build()
    index = tantivy.Index(schema, path=str(path))
    index.register_tokenizer("ws", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    writer = index.writer(heap_size=512_000_000)
    for text, toks in iter_prep(label):  # streamed: 10M sentences' lists would not fit beside the rest
        writer.add_document(tantivy.Document(tokens=" ".join(toks), text=text))
    writer.commit()
    writer.wait_merging_threads()
    build_s = time.perf_counter() - start
    emit({"build_s": build_s, "peak_mb": proc_status()["VmHWM"], "disk_bytes": disk_bytes(path)})


def phase_tantivy_query(label: str, work: Path) -> None:
    import tantivy
    folder = DATA / f"analysed-{label}"
    terms = json.loads((folder / "queries.json").read_text(encoding="utf-8"))["terms"]
    before = proc_status()
    start = time.perf_counter()
    index = tantivy.Index.open(str(work / "tantivy"))
    index.register_tokenizer("ws", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build())
    searcher = index.searcher()
    load_s = time.perf_counter() - start
    loaded = proc_status()
    schema = index.schema
    totals: list[int] = [0] * len(terms)

    def run_with(count: bool) -> Callable[[int], object]:
        def run(i: int) -> list[str]:
            if not terms[i]:
                return []
            query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, tantivy.Query.term_query(schema, "tokens", t)) for t in terms[i]])
            result = searcher.search(query, limit=10, count=count)
            if count:
                totals[i] = result.count
            return [searcher.doc(addr)["text"][0] for _, addr in result.hits]
        return run
    load_before = loadavg()
    lat = timed_queries(run_with(True), len(terms))
    cpu = CPU_MS[:]
    after = proc_status()
    lat_nocount = timed_queries(run_with(False), len(terms))
    emit({"load_s": load_s, "rss_before_mb": before, "rss_loaded_mb": loaded, "rss_after_queries_mb": after,
          "latency_ms": lat, "cpu_ms": cpu, "latency_nocount_ms": lat_nocount, "totals": totals,
          "loadavg": [load_before, loadavg()]})


PHASES: dict[str, Callable[..., None]] = {
    "ours-build": phase_ours_build, "ours-query": phase_ours_query, "ours-add": phase_ours_add,
    "rank-bm25": phase_rank_bm25,
    "bm25s-build": lambda label, work: phase_bm25s_build(label, work, "numpy"),
    "bm25s-query": lambda label, work: phase_bm25s_query(label, work, "numpy"),
    "bm25s-numba-build": lambda label, work: phase_bm25s_build(label, work, "numba"),
    "bm25s-numba-query": lambda label, work: phase_bm25s_query(label, work, "numba"),
    "tantivy-build": phase_tantivy_build, "tantivy-query": phase_tantivy_query,
}


def run_phase(phase: str, label: str, work: Path, extra: list[str] | None = None) -> dict:
    """Run one phase in a fresh interpreter; its RESULT line as a dict."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--label", label, "--work", str(work)]
    cmd += extra or []
    started = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=None, text=True, cwd=REPO)
    wall = time.perf_counter() - started
    lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        print(f"  {phase} {label}: FAILED (exit {proc.returncode})", file=sys.stderr)
        return {"error": f"exit {proc.returncode}", "wall_s": wall}
    result = json.loads(lines[-1][len("RESULT "):])
    result["wall_s"] = wall
    return result


# --------------------------------------------------------------------------
# Orchestration and the report
# --------------------------------------------------------------------------

def numba_available() -> bool:
    try:
        import numba  # noqa: F401
    except Exception:
        return False
    return True


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version
    out = {"python": platform.python_version()}
    for pkg in ("numpy", "nltk", "rank-bm25", "bm25s", "tantivy", "numba", "pyinstrument"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": model, "nproc": str(len(os.sched_getaffinity(0))), "memory_gb": f"{mem:.1f}",
            "os": platform.platform(), "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "")}


def run_size(label: str, engines: list[str], work: Path, rank_sample: int, rounds: int) -> dict:
    out: dict[str, dict] = {}
    manifest = corpus_gen.ensure(label)
    folder = prep(label)
    out["corpus"] = {**manifest, "corpus_bytes": disk_bytes(DATA / f"corpus-{label}"),
                     "prep": json.loads((folder / "manifest.json").read_text())}
    for engine in engines:
        print(f"[{label}] {engine} ...", file=sys.stderr, flush=True)
        if BUILD_ONLY:
            out[engine] = {"build": peer_build(engine, label, work)}
        elif engine == "ours":
            out[engine] = {"build": peer_build(engine, label, work), "query": run_phase("ours-query", label, work),
                           "add": run_phase("ours-add", label, work)}
        elif engine == "rank-bm25":
            out[engine] = {"query": run_phase("rank-bm25", label, work, ["--rank-sample", str(rank_sample)])}
            out[engine]["build"] = out[engine]["query"]
        else:
            out[engine] = {"build": peer_build(engine, label, work),
                           "query": run_phase(f"{engine}-query", label, work)}
        print(f"[{label}] {engine}: {summary_line(out[engine])}", file=sys.stderr, flush=True)
    if BUILD_ONLY:
        return out
    # This machine is shared: the same questions, ours and tantivy's, run back to back a few
    # more times so that their ratio is taken under the same conditions.
    paired = [e for e in ("ours", "tantivy") if e in engines]
    if len(paired) == 2:
        out["rounds"] = []
        for r in range(rounds):
            row = {e: run_phase(f"{e}-query", label, work) for e in paired}
            out["rounds"].append({e: {k: row[e].get(k) for k in ("latency_ms", "cpu_ms", "loadavg")} for e in paired})
            print(f"[{label}] round {r + 1}: " + ", ".join(f"{e} {summary_line({'query': row[e]})}" for e in paired),
                  file=sys.stderr, flush=True)
    return out


def peer_build(engine: str, label: str, work: Path) -> dict:
    """A build, or with --reuse-build the index and figures kept from an earlier run.

    A peer's index depends only on the corpus and the shared preparation, so a kept one
    (`--keep`) can serve the next run's query phases; its build record, written beside it,
    says when and by which commit it was built. Ours is reused only when named
    (`--build-only` first, then `--reuse-build ours`: the 10M build is most of a run), and
    the report names the commit that built it."""
    record = work / f"{engine}.build.json"
    if engine in REUSE_BUILD and record.exists() and (work / engine).exists():
        kept = json.loads(record.read_text(encoding="utf-8"))
        print(f"  {engine} {label}: reusing the index built {kept.get('built_at', '?')}", file=sys.stderr)
        return {**kept, "reused": True}
    result = run_phase(f"{engine}-build", label, work)
    if "error" not in result:
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        record.write_text(json.dumps({**result, "built_at": stamp, "commit": git_commit()}), encoding="utf-8")
    return result


def git_commit() -> str:
    """The checked-out commit (and "+changes" if the tree differs from it), for build records."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return head + ("+changes" if dirty else "")


def pct(values: list[float], q: float) -> float:
    import numpy as np
    return float(np.percentile(values, q)) if values else float("nan")


def summary_line(r: dict) -> str:
    q, b = r.get("query", {}), r.get("build", {})
    if "latency_ms" not in q:
        return f"error {q.get('error') or b.get('error')}"
    lat = q["latency_ms"]
    return (f"build {b.get('build_s', float('nan')):.1f}s load {q.get('load_s') or 0:.2f}s "
            f"p50 {pct(lat, 50):.2f}ms p95 {pct(lat, 95):.2f}ms p99 {pct(lat, 99):.2f}ms")


def fmt(x: float | None, digits: int = 2) -> str:
    if x is None:
        return "–"
    return f"{x:.{digits}f}"


def _shown_python() -> str:
    exe = Path(sys.executable)
    try:
        return exe.relative_to(REPO).as_posix()
    except ValueError:
        return exe.name


LEGEND = """\
How to read this (details in the docstring of `bench/scale.py`):

- Corpus: `bench/corpus_gen.py`, synthetic news-like JSONL (Zipf words seeded from the seed
  article and the SQuAD paragraphs, growing vocabulary, repeated sign-off sentences), the
  same 1,000 questions for every engine (`bench/data/queries-<size>.txt`).
- **ours**: build = `SearchIndex.build` from the corpus folder (reading, sentence splitting,
  analysis, postings, SQLite, atomic write; 2 worker processes); query = `search(question,
  k=10)` in a fresh process: question analysis + BM25 over sentences, paragraphs and titles
  (the product's ranking model, compiled in `index/kernel.py`: exact top 10 with cuts, a
  count of all matches) + top 10 with texts, context and highlights.
- **Peers** index our sentences as our analyzer tokenised them (that preparation is not in
  their build time) and get each question as its analysed terms (so their query time has
  no question analysis). rank-bm25: `BM25Okapi` + `get_top_n`, in memory, first N questions
  only. bm25s: `method="lucene"`, index and texts on disk, loaded with mmap. tantivy: one
  document per sentence, terms in a whitespace-tokenised field (freq, no positions), text
  stored; `search(limit=10, count=True)` (a total, as ours computes) + the ten texts.
- Latency: each question once, one at a time, after 20 warm-up questions; queries/s =
  1000 / mean ms. CPU ms = process CPU time per question. RSS after load/queries: resident
  set of the query process (anonymous + file-backed: memory-mapped index pages count once
  touched); build peak RSS: VmHWM of the build process (+ the largest worker for ours).
- The machine is shared with other engineers' jobs: "load avg" is the 1-minute load
  average during each query run (2 = both cores busy); the back-to-back rounds compare ours
  and tantivy under the same conditions.
"""


def render(results: dict, meta: dict) -> str:
    lines = ["# Scale benchmark: search core vs rank-bm25, bm25s, tantivy", ""]
    lines += [f"Date: {meta['date']}  ", f"Command: `{meta['command']}`  ",
              f"Machine: {meta['machine']['cpu']}, {meta['machine']['nproc']} cores, "
              f"{meta['machine']['memory_gb']} GB RAM, {meta['machine']['os']}  ",
              "Versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()), "", LEGEND]
    for label, r in results.items():
        c = r["corpus"]
        lines += [f"## {label}: {c['articles']} articles, {c.get('prep', {}).get('sentences')} sentences "
                  f"({c['corpus_bytes'] / 1e6:.0f} MB of JSONL)", ""]
        lines += ["| engine | build s | build peak RSS MB | index on disk MB | load s | RSS after load MB "
                  "(anon+file) | RSS after queries MB | p50 ms | p95 ms | p99 ms | queries/s | "
                  "p50 vs rank-bm25 | p50 vs tantivy | CPU ms p50 / p95 | load avg |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        rank = r.get("rank-bm25", {}).get("query", {}).get("latency_ms")
        tant = r.get("tantivy", {}).get("query", {}).get("latency_ms")
        for engine in ENGINES:
            e = r.get(engine)
            if not e:
                continue
            q, b = e["query"], e["build"]
            if "latency_ms" not in q:
                lines.append(f"| {engine} | failed: {q.get('error') or b.get('error')} |" + " |" * 13)
                continue
            lat = q["latency_ms"]
            n = len(lat)
            peak = b.get("peak_mb")
            if engine == "ours" and b.get("children_peak_mb"):
                peak_s = f"{peak:.0f} + {b['children_peak_mb']:.0f} (worker)"
            else:
                peak_s = fmt(peak, 0)
            loaded = q["rss_loaded_mb"]
            after = q["rss_after_queries_mb"]
            vs_rank = "–"
            if rank and engine != "rank-bm25":
                m = len(rank)
                vs_rank = f"{pct(rank, 50) / pct(lat[:m], 50):.0f}x faster"
            vs_tant = "–"
            if tant and engine != "tantivy":
                vs_tant = f"{pct(lat, 50) / pct(tant, 50):.2f}x"
            cpu = q.get("cpu_ms")
            cpu_s = f"{pct(cpu, 50):.2f} / {pct(cpu, 95):.2f}" if cpu else "–"
            load_s = "–" if not q.get("loadavg") else "{:.1f}–{:.1f}".format(*q["loadavg"])
            disk = b.get("disk_bytes")
            label_e = engine
            if engine == "rank-bm25":
                cap = RANK_SENTENCES.get(label)
                label_e += f" (first {n} questions" + (f", first {cap:,} sentences only)" if cap else ")")
            lines.append(
                f"| {label_e} | {fmt(b.get('build_s'), 1)} | {peak_s} | {fmt(disk / 1e6 if disk else None, 0)} | "
                f"{fmt(q.get('load_s'))} | {loaded['VmRSS']:.0f} ({loaded['RssAnon']:.0f}+{loaded['RssFile']:.0f}) | "
                f"{after['VmRSS']:.0f} | {pct(lat, 50):.2f} | {pct(lat, 95):.2f} | {pct(lat, 99):.2f} | "
                f"{1000 / (sum(lat) / n):.0f} | {vs_rank} | {vs_tant} | {cpu_s} | {load_s} |")
        notes = []
        ours = r.get("ours", {})
        if ours.get("add", {}).get("add_s") is not None:
            a = ours["add"]
            notes.append(f"ours, adding one article ({a['sentences_added']} sentences) until a search finds it: "
                         f"{a['add_s']:.2f} s" + (f" ({a['add_cpu_s']:.2f} s CPU)" if "add_cpu_s" in a else "")
                         + f" (found: {a['found']})" + (
                             f"; the same question on the freshly loaded index before the add (its first speaker "
                             f"question: the archive's speakers read): {a['first_question_s']:.2f} s"
                             if "first_question_s" in a else ""))
        if ours.get("query", {}).get("latency_repeat_ms"):
            rep = ours["query"]["latency_repeat_ms"]
            notes.append(f"ours, the same questions a second time (word caches of the highlighter warm): "
                         f"p50 {pct(rep, 50):.2f} ms, p95 {pct(rep, 95):.2f} ms, p99 {pct(rep, 99):.2f} ms")
        if ours.get("query", {}).get("rss_before_mb"):
            notes.append(f"ours, RSS of the interpreter with the search core imported (numpy, nltk, numba), "
                         f"before loading: "
                         f"{ours['query']['rss_before_mb']['VmRSS']:.0f} MB")
        if tant and r["tantivy"]["query"].get("latency_nocount_ms"):
            nc = r["tantivy"]["query"]["latency_nocount_ms"]
            notes.append(f"tantivy without the total count (count=False, lets it skip non-competitive "
                         f"documents): p50 {pct(nc, 50):.2f} ms, p95 {pct(nc, 95):.2f} ms, p99 {pct(nc, 99):.2f} ms")
        if rank:
            m = len(rank)
            ol = r.get("ours", {}).get("query", {}).get("latency_ms")
            if ol:
                notes.append(f"rank-bm25 ratio on the same first {m} questions: its p50 {pct(rank, 50):.1f} ms / "
                             f"ours {pct(ol[:m], 50):.2f} ms")
        for engine in ENGINES:
            built = r.get(engine, {}).get("build", {})
            if built.get("reused"):
                notes.append(f"{engine}: index and build figures from the build of {built.get('built_at', '?')}"
                             + (f" at commit {built['commit']}" if built.get("commit") else "")
                             + " (same corpus, `--reuse-build`); its query figures are this run's")
        prep_s = c.get("prep", {}).get("seconds")
        if prep_s:
            notes.append(f"shared preparation for the peers (our splitting + analysis of every sentence, "
                         f"2 processes): {prep_s:.1f} s, not included in their build times")
        if notes:
            lines += [""] + [f"- {n}" for n in notes]
        if r.get("rounds"):
            lines += ["", "Back-to-back query runs (same questions, ours then tantivy, fresh processes):", "",
                      "| round | ours p50 / p95 ms | ours CPU p50 / p95 ms | tantivy p50 / p95 ms | "
                      "ours p50 / tantivy p50 | load avg |", "|---|---|---|---|---|---|"]
            for i, rd in enumerate(r["rounds"], start=1):
                o, t = rd["ours"], rd["tantivy"]
                if not o.get("latency_ms") or not t.get("latency_ms"):
                    lines.append(f"| {i} | failed | | | | |")
                    continue
                ol, tl, oc = o["latency_ms"], t["latency_ms"], o.get("cpu_ms") or [float("nan")]
                lines.append(f"| {i} | {pct(ol, 50):.2f} / {pct(ol, 95):.2f} | {pct(oc, 50):.2f} / {pct(oc, 95):.2f} | "
                             f"{pct(tl, 50):.2f} / {pct(tl, 95):.2f} | {pct(ol, 50) / pct(tl, 50):.2f}x | "
                             f"{o['loadavg'][0]:.1f} |")
        lines.append("")
    return "\n".join(lines)


def _rounded(value: object) -> object:
    """Floats to 4 decimals (the raw latencies make the JSON large otherwise)."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def main() -> None:
    ap = argparse.ArgumentParser(description="Scale benchmark (see the module docstring).")
    ap.add_argument("--sizes", default="10k,100k,1m")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--work", default=None, help="scratch folder for indexes (default: a temp dir)")
    ap.add_argument("--out", default=str(RESULTS / "scale.md"))
    ap.add_argument("--rank-sample", type=int, default=None)
    ap.add_argument("--rounds", type=int, default=3,
                    help="extra back-to-back query runs of ours and tantivy per size (shared machines)")
    ap.add_argument("--render-only", action="store_true", help="rewrite the .md from the .json of the last run")
    ap.add_argument("--keep", action="store_true", help="keep the indexes built under --work")
    ap.add_argument("--reuse-prep", action="store_true",
                    help="reuse the peers' analysed sentences of the same corpus even if the analyzer changed since")
    ap.add_argument("--reuse-build", default="",
                    help="peers (e.g. tantivy) whose index kept under --work by an earlier run is reused, "
                         "with that run's build figures")
    ap.add_argument("--build-only", action="store_true",
                    help="only build (and keep, under --work) the engines' indexes with their build records")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--label", help=argparse.SUPPRESS)
    args = ap.parse_args()
    global REUSE_PREP, BUILD_ONLY
    REUSE_PREP = args.reuse_prep
    REUSE_BUILD.update(e for e in args.reuse_build.split(",") if e)
    BUILD_ONLY = args.build_only
    if args.phase:
        work = Path(args.work)
        if args.phase == "rank-bm25":
            phase_rank_bm25(args.label, work, args.rank_sample)
        else:
            PHASES[args.phase](args.label, work)
        return
    if args.render_only:
        data = json.loads(Path(args.out).with_suffix(".json").read_text(encoding="utf-8"))
        Path(args.out).write_text(render(data["results"], data["meta"]), encoding="utf-8")
        return
    if args.build_only and not args.work:
        ap.error("--build-only needs --work (the indexes are kept there for a later --reuse-build)")
    engines = [e for e in args.engines.split(",") if e]
    if "bm25s-numba" in engines and not numba_available():
        print("numba is not importable: skipping bm25s-numba", file=sys.stderr)
        engines.remove("bm25s-numba")
    meta = {"date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": " ".join([_shown_python(), "bench/scale.py", *sys.argv[1:]]),
            "machine": machine(), "versions": versions()}
    results: dict[str, dict] = {}
    scratch = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="scale-", dir=DATA))
    try:
        for label in [s for s in args.sizes.split(",") if s]:
            work = scratch / label
            work.mkdir(parents=True, exist_ok=True)
            sample = args.rank_sample or RANK_SAMPLE[label]
            results[label] = run_size(label, engines, work, sample, args.rounds)
            if not (args.keep or BUILD_ONLY):
                shutil.rmtree(work, ignore_errors=True)
    finally:
        if not args.work:
            shutil.rmtree(scratch, ignore_errors=True)
    if BUILD_ONLY:
        print(json.dumps(_rounded(results), indent=1), file=sys.stderr)
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = Path(args.out)
    out.write_text(render(results, meta), encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(_rounded({"meta": meta, "results": results})),
                                        encoding="utf-8")
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
