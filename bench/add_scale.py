"""`bench/scale.py`'s add ("adding one article until a search finds it") for two source trees, alternating.

The same article and question as `bench/scale.py`'s ``ours-add`` phase (a speaker question:
"what did Vantablem say about the zyxquor accord"). Each run is a fresh process with
``PYTHONPATH`` at one tree, on a fresh hard-linked copy of one built index (an add writes a new
generation and changes no file in place), in one of two modes:

* ``cold``: load, then add and search at once (what `bench/scale.py` measured before it asked
  the question once first): the first speaker question of the process is part of the time;
* ``warm``: load, ask the question once (as a serving bot has answered questions before an
  upload comes), then add and search.

Timed from `SearchIndex.add_articles` until `search` returns the new article (wall and CPU
seconds, and the parts: writing and loading the generation, the search); then, on the new index,
one question with unknown words (the typo lexicon) and one with a phrase.

Run: ``python bench/add_scale.py --index IDX --corpus CORPUS --tree main=/tmp/main-old --tree new=.
[--modes cold,warm] [--rounds 3]``; prints one JSON line per run and a Markdown table.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUESTION = "what did Vantablem say about the zyxquor accord"
TEXT = ("Zyxquor Vantablem met the Quillibrand council on Tuesday.\n\n"
        "The Quillibrand council said the zyxquor accord would be signed in Maribelle next week. "
        "Vantablem told reporters that the talks had been difficult but fair.\n")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _timed(fn):  # noqa: ANN001, ANN202
    wall, cpu = time.perf_counter(), _cpu()
    out = fn()
    return out, time.perf_counter() - wall, _cpu() - cpu


def run_phase(index_dir: Path, corpus: Path, mode: str) -> dict:
    from index.corpus import parse_text
    from index.engine import SearchIndex
    index, load_s, _ = _timed(lambda: SearchIndex.load(index_dir))
    if mode == "warm":
        index.search(QUESTION, k=1)
    article = parse_text(f"---\ntitle: Quillibrand accord\n---\n{TEXT}", "added/quillibrand.md")
    (new, added), write_s, write_cpu = _timed(lambda: index.add_articles([article], corpus))
    found, search_s, search_cpu = _timed(lambda: new.search(QUESTION, k=1))
    typo, typo_s, typo_cpu = _timed(lambda: new.search("what did Vantablem say about the zyxqour acord", k=1))
    phrase, phrase_s, phrase_cpu = _timed(lambda: new.search('"zyxquor accord" Vantablem', k=1))
    return {"mode": mode, "load_s": load_s, "add_s": write_s + search_s, "add_cpu": write_cpu + search_cpu,
            "write_load_s": write_s, "search_s": search_s, "typo_s": typo_s, "typo_cpu": typo_cpu,
            "phrase_s": phrase_s, "phrase_cpu": phrase_cpu, "added": added,
            "found": bool(found.hits) and found.hits[0].article.id == article.id,
            "typo_found": bool(typo.hits), "phrase_found": bool(phrase.hits), "loadavg": os.getloadavg()[0]}


def orchestrate(args: argparse.Namespace) -> dict[str, list[dict]]:
    trees = dict(t.split("=", 1) for t in args.tree)
    copy = Path(args.work) / "add-scale-copy"
    results: dict[str, list[dict]] = {}
    for _ in range(args.rounds):
        for mode in args.modes.split(","):
            for name, path in trees.items():
                shutil.rmtree(copy, ignore_errors=True)
                subprocess.run(["cp", "-al", str(args.index), str(copy)], check=True)
                env = dict(os.environ, PYTHONPATH=str(Path(path).resolve()))
                proc = subprocess.run([sys.executable, __file__, "--phase", mode, "--index", str(copy),
                                       "--corpus", str(args.corpus)], env=env, stdout=subprocess.PIPE, text=True)
                row = json.loads(proc.stdout.strip().splitlines()[-1]) | {"tree": name}
                print(json.dumps(row), flush=True)
                results.setdefault(f"{mode}|{name}", []).append(row)
    shutil.rmtree(copy, ignore_errors=True)
    return results


def table(results: dict[str, list[dict]]) -> str:
    lines = ["| mode | tree | add until found: wall s | CPU s | of which write + load s | search s | "
             "typo question after: wall / CPU s | all found |", "|---|---|---|---|---|---|---|---|"]
    for key, rows in results.items():
        mode, name = key.split("|")
        runs = lambda k: " / ".join(f"{r[k]:.2f}" for r in rows)  # noqa: E731
        med = lambda k: statistics.median(r[k] for r in rows)  # noqa: E731
        lines.append(f"| {mode} | {name} | {runs('add_s')} | {runs('add_cpu')} | {runs('write_load_s')} | "
                     f"{runs('search_s')} | {med('typo_s'):.2f} / {med('typo_cpu'):.2f} (median) | "
                     f"{all(r['found'] for r in rows)} |")
    return "\n".join(lines)


def main() -> int:
    from add_speed import tree_arguments    # (bench/, this script's folder, is on the path)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    tree_arguments(p)
    p.add_argument("--modes", default="cold,warm")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--work", default="/tmp", help="where the hard-linked copy goes (same file system as --index)")
    p.add_argument("--phase", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.index, args.corpus, args.phase)))
        return 0
    print(table(orchestrate(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
