"""From "add this article" to "a search finds it": two source trees side by side, one built index.

Each run is a fresh process with ``PYTHONPATH`` at one tree (e.g. a checkout of main and this
tree, alternating, `--rounds` times), on a hard-linked copy of the same index (an add writes a
new generation and never changes a file in place, so the copy costs nothing and the original
stays as built). The process loads the index (not timed), then adds `--adds` articles one after
the other, each timed from the call of `SearchIndex.add_articles` until `search` returns the new
article's sentence first: wall seconds and this process's CPU seconds. Trees that have the delta
segment also time a merge (`SearchIndex.merged`: written and loaded) with `--merge`.

Run: ``python bench/add_speed.py --index IDX --corpus CORPUS --tree main=/tmp/main --tree
segments=. [--rounds 2] [--adds 5] [--merge]``; prints a Markdown table and one JSON line per run.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

LETTERS = "bcdfghjklmnpqrstvwz"


def unique_word(n: int) -> str:
    """A made-up word no corpus holds, different for each add ("zorbak" + letters)."""
    tail = ""
    while True:
        tail += LETTERS[n % len(LETTERS)]
        n //= len(LETTERS)
        if not n:
            return "zorbak" + tail


def run_phase(index_dir: Path, corpus: Path, adds: int, merge: bool) -> dict:
    from index.corpus import parse_text
    from index.engine import SearchIndex
    started = time.perf_counter()
    index = SearchIndex.load(index_dir)
    load_s = time.perf_counter() - started
    rows = []
    for n in range(adds):
        word = unique_word(n)
        text = (f"---\ntitle: The {word} accord\n---\nThe {word} council met on Tuesday.\n\n"
                f"Its chair said the {word} accord would be signed next week, after difficult talks.\n")
        article = parse_text(text, f"added/{word}.md")
        wall, cpu = time.perf_counter(), time.process_time()
        index, _ = index.add_articles([article], corpus)
        hits = index.search(f"what did the {word} council say", k=1).hits
        rows.append({"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                     "found": bool(hits) and hits[0].article.id == article.id})
    out = {"load_s": load_s, "adds": rows, "sentences": index.meta["sentences"]}
    if merge and hasattr(index, "merged"):
        wall, cpu = time.perf_counter(), time.process_time()
        merged = index.merged()
        out["merge"] = {"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                        "found": bool(merged and merged.search(f"the {unique_word(0)} council", k=1).hits)}
    return out


def orchestrate(args: argparse.Namespace) -> int:
    trees = [t.split("=", 1) for t in args.tree]
    work = Path(args.work)
    results: dict[str, list[dict]] = {name: [] for name, _ in trees}
    for _ in range(args.rounds):
        for name, tree in trees:
            copy = work / f"add-speed-{name}"
            shutil.rmtree(copy, ignore_errors=True)
            subprocess.run(["cp", "-al", str(args.index), str(copy)], check=True)
            env = dict(os.environ, PYTHONPATH=str(Path(tree).resolve()))
            cmd = [sys.executable, __file__, "--phase", "--index", str(copy), "--corpus", str(args.corpus),
                   "--adds", str(args.adds)] + (["--merge"] if args.merge else [])
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            print(json.dumps({"tree": name, **result}), flush=True)
            results[name].append(result)
            shutil.rmtree(copy, ignore_errors=True)
    print(table(results, args))
    return 0


def table(results: dict[str, list[dict]], args: argparse.Namespace) -> str:
    lines = [f"index: `{args.index}` ({results[next(iter(results))][0]['sentences']:,} sentences after the adds), "
             f"{args.adds} adds per run, {args.rounds} runs per tree, alternating", "",
             "| tree | first add: wall s | first add: CPU s | later adds: wall s (median) | later adds: CPU s "
             "(median) | all found | merge wall s | merge CPU s |", "|---|---|---|---|---|---|---|---|"]
    for name, runs in results.items():
        first = [r["adds"][0] for r in runs]
        later = [a for r in runs for a in r["adds"][1:]] or first
        merges = [r["merge"] for r in runs if "merge" in r]
        fmt = lambda xs: " / ".join(f"{x:.2f}" for x in xs)  # noqa: E731
        lines.append(f"| {name} | {fmt(a['wall_s'] for a in first)} | {fmt(a['cpu_s'] for a in first)} | "
                     f"{statistics.median(a['wall_s'] for a in later):.2f} | "
                     f"{statistics.median(a['cpu_s'] for a in later):.2f} | "
                     f"{all(a['found'] for r in runs for a in r['adds'])} | "
                     f"{fmt(m['wall_s'] for m in merges) or '-'} | {fmt(m['cpu_s'] for m in merges) or '-'} |")
    return "\n".join(lines)


def tree_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of a benchmark of two trees on one index (this one and `bench/add_scale.py`)."""
    p.add_argument("--index", type=Path, required=True)
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--tree", action="append", default=[], help="NAME=PATH of a source tree (repeat)")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    tree_arguments(p)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--adds", type=int, default=5)
    p.add_argument("--merge", action="store_true")
    p.add_argument("--work", default="/tmp")
    p.add_argument("--phase", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.index, args.corpus, args.adds, args.merge)))
        return 0
    return orchestrate(args)


if __name__ == "__main__":
    sys.exit(main())
