"""What a question costs outside the ranking kernel: `SearchIndex.search` phase by phase, before and after.

`bench/query_phases.py` takes the kernel apart; this one times the whole
of `SearchIndex.search` as the bot calls it, split into its phases: the
filters (`index.filters.parse_filters`), the question's analysis
(`index.multilingual.analyze_question`, `index.query.parse_query`, the term
weights), the speller (`Speller.correct`), the ranking (`news.rank_question`,
the compiled kernel and its filters), the hits (`make_hits`: of which the
texts read from SQLite, `TextStore.rows` before, `page` and
`articles_of` now, and the highlighting) and what is
left (the search's own code, "did you mean"). Each phase is timed by
wrapping its function (about a microsecond per call is included) with
process CPU time, so both threads of the kernel count and other people's
jobs on the machine do not.

It compares two source trees in the same run: each round runs the 1,000
questions in a fresh process for the baseline tree (`--baseline`, e.g. a
checkout of main) and for this one, alternating, on the same index. Each
question runs once per round after 20 warm-up questions; the table gives,
per phase, the median over the rounds of each round's p50 / p95 / mean in
ms. Both trees must return the same results: the JSON of every result
(`SearchResult.to_json`, as the CLI prints it) is hashed and compared.

Run: ``.venv/bin/python bench/search_phases.py --size 100k --baseline /tmp/main``
(the index is built under ``bench/data/index-<size>`` on first use).
Writes ``bench/results/search_phases.md`` (``--out``).
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
WARMUP = 20
K = 10
# phase -> the functions whose time it is: (module, attribute, method or None)
PHASES: dict[str, list[tuple[str, str, str | None]]] = {
    "filters": [("index.engine", "parse_filters", None)],
    "analysis": [("index.engine", "analyze_question", None), ("index.engine", "parse_query", None),
                 ("index.engine", "weighted_terms", None)],
    "spell": [("index.spelling", "Speller", "correct")],
    "rank": [("index.news", "rank_question", None)],
    "hits": [("index.engine", "make_hits", None)],
    "of which texts": [("index.texts", "TextStore", "rows"), ("index.texts", "TextStore", "page"),
                       ("index.texts", "TextStore", "articles_of")],
    "of which highlight": [("index.engine", "SearchIndex", "highlights"),
                           ("index.highlight", "Highlighter", "spans")],
}
NESTED = {"of which texts", "of which highlight"}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


# ----- the worker: one tree, one round --------------------------------------------

def _wrap(spent: dict[str, float], phase: str, fn):  # noqa: ANN001, ANN202
    clock = time.process_time

    def run(*a, **kw):  # noqa: ANN002, ANN003, ANN202
        t = clock()
        try:
            return fn(*a, **kw)
        finally:
            spent[phase] += clock() - t
    return run


def _instrument(spent: dict[str, float]) -> None:
    import importlib
    for phase, targets in PHASES.items():
        for module_name, attr, method in targets:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            owner = getattr(module, attr, None)
            if owner is None:
                continue
            if method is None:
                setattr(module, attr, _wrap(spent, phase, owner))
            elif hasattr(owner, method):
                setattr(owner, method, _wrap(spent, phase, getattr(owner, method)))


def worker(tree: Path, size: str, gc_off: bool = False, index_dir: Path | None = None) -> None:
    """Run the questions in this process against `tree`'s `index`; print per-question phase times (JSON)."""
    sys.path.insert(0, str(tree))
    from index.engine import SearchIndex
    index = SearchIndex.load(index_dir or DATA / f"index-{size}")
    if gc_off:  # the cyclic collector's passes land in whichever phase allocates at the time
        gc.disable()
    questions = (DATA / f"queries-{size}.txt").read_text(encoding="utf-8").splitlines()
    spent = {phase: 0.0 for phase in PHASES}
    _instrument(spent)
    digest = hashlib.sha256()
    rows: dict[str, list[float]] = {phase: [] for phase in (*PHASES, "other", "search (CPU)", "search (wall)")}
    for n, question in enumerate(questions[:WARMUP] + questions):
        for phase in spent:
            spent[phase] = 0.0
        w0, c0 = time.perf_counter(), time.process_time()
        result = index.search(question, k=K)
        c1, w1 = time.process_time(), time.perf_counter()
        if n < WARMUP:
            continue
        digest.update(json.dumps(result.to_json(), ensure_ascii=False, sort_keys=True).encode())
        for phase, seconds in spent.items():
            rows[phase].append(seconds * 1e3)
        rows["other"].append(((c1 - c0) - sum(s for p, s in spent.items() if p not in NESTED)) * 1e3)
        rows["search (CPU)"].append((c1 - c0) * 1e3)
        rows["search (wall)"].append((w1 - w0) * 1e3)
    print(json.dumps({"rows": rows, "digest": digest.hexdigest(), "sentences": index.meta["sentences"],
                      "articles": index.meta["articles"], "questions": len(questions)}))


# ----- the driver: alternate the trees, write the table ----------------------------

def _round(tree: Path, size: str, gc_off: bool = False, index_dir: str | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", str(tree), "--size", size]
                         + (["--gc-off"] if gc_off else []) + (["--index", index_dir] if index_dir else []),
                         env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        sys.exit(f"worker for {tree} failed:\n{out.stderr}")
    return json.loads(out.stdout.splitlines()[-1])


def _ensure_index(size: str) -> None:
    sys.path.insert(0, str(ROOT))
    from index.engine import SearchIndex
    try:
        SearchIndex.load(DATA / f"index-{size}").close()
    except Exception:  # noqa: BLE001 - missing or stale: build it
        corpus = DATA / f"corpus-{size}"
        if not corpus.is_dir():
            sys.exit(f"{corpus} is missing: run bench/corpus_gen.py {size} first")
        SearchIndex.build(corpus, DATA / f"index-{size}")[0].close()


def _summary(runs: list[dict], phase: str) -> tuple[float, float, float]:
    """Median over the rounds of each round's p50, p95 and mean."""
    return tuple(statistics.median(f(run["rows"][phase]) for run in runs)  # type: ignore[return-value]
                 for f in (lambda v: pct(v, 50), lambda v: pct(v, 95), statistics.mean))


def table(size: str, rounds: int, baseline: str, before: list[dict], after: list[dict], command: str,
          load: tuple[float, float]) -> str:
    if str(ROOT) not in sys.path:  # (with --index the index is not built here, so nothing added it yet)
        sys.path.insert(0, str(ROOT))
    from bench.machine import cpu_model
    same = {r["digest"] for r in before} == {r["digest"] for r in after} and len({r["digest"] for r in after}) == 1
    first = after[0]
    lines = [
        "# A question outside the kernel: `SearchIndex.search` phase by phase (`bench/search_phases.py`)",
        "",
        f"Command: `{command}`  ",
        f"Index: {first['sentences']:,} sentences, {first['articles']:,} articles (`bench/corpus_gen.py` {size}); "
        f"{first['questions']} questions (`bench/data/queries-{size}.txt`), each once per round after {WARMUP} "
        f"warm-up questions, k={K}; {rounds} rounds per tree, alternating, each in a fresh process.  ",
        f"Before: {baseline}; after: this tree. Machine: {cpu_model()}, shared: 1-minute load average "
        f"{load[0]:.1f} at the start, {load[1]:.1f} at the end (2 = both cores busy).  ",
        "Times: process CPU ms per question; per phase the median over the rounds of each round's p50 / p95 / mean.  ",
        f"Same results (JSON of every `SearchResult`, hashed) before and after: **{'yes' if same else 'NO'}**.",
        "",
        "| phase | before p50 | before p95 | before mean | after p50 | after p95 | after mean | mean saved |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in (*PHASES, "other", "search (CPU)", "search (wall)"):
        b, a = _summary(before, phase), _summary(after, phase)
        lines.append(f"| {phase} | {b[0]:.3f} | {b[1]:.3f} | {b[2]:.3f} | {a[0]:.3f} | {a[1]:.3f} | {a[2]:.3f} "
                     f"| {b[2] - a[2]:+.3f} |".replace("+-", "-"))
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="100k", help="corpus size of bench/corpus_gen.py (10k, 100k, 1m)")
    ap.add_argument("--baseline", help="another source tree (e.g. a checkout of main) to compare with")
    ap.add_argument("--baseline-label", help="what the baseline tree is, for the table (e.g. 'main at 9468fe1')")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=str(RESULTS / "search_phases.md"))
    ap.add_argument("--gc-off", action="store_true", help="disable Python's cyclic garbage collector in the runs")
    ap.add_argument("--index", help="the index this tree loads (default bench/data/index-<size>)")
    ap.add_argument("--baseline-index", help="the index the baseline tree loads (default --index): for a "
                                             "baseline of another index format, built by that tree")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(Path(args.worker), args.size, args.gc_off, Path(args.index) if args.index else None)
    if not args.index:
        _ensure_index(args.size)
    baseline = Path(args.baseline).resolve() if args.baseline else ROOT
    before, after = [], []
    load_start = os.getloadavg()[0]
    for n in range(args.rounds):
        before.append(_round(baseline, args.size, args.gc_off, args.baseline_index or args.index))
        after.append(_round(ROOT, args.size, args.gc_off, args.index))
        print(f"round {n + 1}/{args.rounds}: before {_summary(before[-1:], 'search (CPU)')[0]:.3f} ms p50, "
              f"after {_summary(after[-1:], 'search (CPU)')[0]:.3f} ms p50", file=sys.stderr, flush=True)
    command = " ".join([".venv/bin/python bench/search_phases.py", f"--size {args.size}", f"--rounds {args.rounds}"]
                       + ([f"--baseline {args.baseline}"] if args.baseline else [])
                       + ([f"--baseline-label '{args.baseline_label}'"] if args.baseline_label else [])
                       + ([f"--index {args.index}"] if args.index else [])
                       + ([f"--baseline-index {args.baseline_index}"] if args.baseline_index else [])
                       + ([f"--out {args.out}"] if args.out != str(RESULTS / "search_phases.md") else [])
                       + (["--gc-off"] if args.gc_off else []))
    label = f"the tree at `{baseline}`" + (f" ({args.baseline_label})" if args.baseline_label else "")
    text = table(args.size, args.rounds, label, before, after, command, (load_start, os.getloadavg()[0]))
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
