"""Memory and speed of loading and querying one built index: two code trees side by side, and tantivy.

Why: holding no BM25 weights (`index.weighing`) trades 4 bytes of memory
per posting for arithmetic in the kernels; the trade is only worth it if
the questions stay as fast. This runs `bench/scale.py`'s query phases (each
in a fresh interpreter: load, RSS after load from /proc/self/status as
RssAnon + RssFile, 1,000 questions with wall and CPU time, RSS after them)
for each tree given with ``--tree NAME=PATH`` (that tree's own
`bench/scale.py` and `index`), alternating, `--rounds` times, plus tantivy's
query phase over its index when ``WORK/tantivy`` exists. The index is only
read. Every tree must report the same totals per question (else it says so).

    python bench/memory.py --label 10m --work /work/bigdata/scale-10m-b/10m \\
        --tree main=/tmp/main-old --tree new=. --rounds 2 --out bench/results/memory.md

Each tree needs ``bench/data/queries-LABEL.txt`` (and tantivy
``bench/data/analysed-LABEL/queries.json``, `bench/scale.py`'s preparation).
A tree's first load compiles its kernels into numba's cache: ``--warm
WORK`` first runs every tree once on a small index (not reported).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable


def run_phase(tree: Path | None, phase: str, label: str, work: Path) -> dict:
    """One `bench/scale.py --phase` in a fresh interpreter of `tree` (None: this tree); its RESULT."""
    root = tree or Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root))
    cmd = [PYTHON, str(root / "bench" / "scale.py"), "--phase", phase, "--label", label, "--work", str(work)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, cwd=root, env=env)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode or not lines:
        raise SystemExit(f"{phase} in {root}: exit {proc.returncode}")
    out = json.loads(lines[-1][len("RESULT "):])
    out["wall_s"] = time.perf_counter() - started
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else float("nan")


def row(rnd: int, name: str, r: dict, tantivy_p50: float | None) -> str:
    lat, cpu = r["latency_ms"], r["cpu_ms"]
    loaded, after = r["rss_loaded_mb"], r["rss_after_queries_mb"]
    ratio = f"{pct(lat, 50) / tantivy_p50:.2f}x" if tantivy_p50 and name != "tantivy" else "–"
    return (f"| {rnd} | {name} | {r['load_s']:.1f} | {loaded['VmRSS']:.0f} ({loaded['RssAnon']:.0f} + "
            f"{loaded['RssFile']:.0f}) | {after['VmRSS']:.0f} ({after['RssAnon']:.0f} + {after['RssFile']:.0f}) | "
            f"{pct(lat, 50):.2f} / {pct(lat, 95):.2f} | {ratio} | {pct(cpu, 50):.2f} / {pct(cpu, 95):.2f} / "
            f"{sum(cpu) / len(cpu):.2f} | {r['loadavg'][0]:.1f} |")


HEADER = ("| round | engine | load s | RSS after load MB (anon + file) | RSS after questions MB (anon + file) | "
          "wall p50 / p95 ms | p50 / tantivy's | CPU p50 / p95 / mean ms | load avg |\n"
          "|---|---|---:|---:|---:|---:|---:|---:|---:|")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--label", required=True, help="size label: bench/data/queries-LABEL.txt")
    ap.add_argument("--work", type=Path, required=True, help="folder holding ours/ (and tantivy/): read only")
    ap.add_argument("--tree", action="append", required=True, help="NAME=PATH of a code tree")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--warm", type=Path, help="a small --work (label 10k) to compile each tree's kernels on first")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    trees = [(name, Path(path).resolve()) for name, _, path in (t.partition("=") for t in args.tree)]
    if args.warm:
        for _, path in trees:
            run_phase(path, "ours-query", "10k", args.warm)
    lines = [HEADER]
    totals: dict[str, list[int]] = {}
    for rnd in range(1, args.rounds + 1):
        order = trees if rnd % 2 else trees[::-1]
        results = [(name, run_phase(path, "ours-query", args.label, args.work)) for name, path in order]
        tantivy_p50 = None
        if (args.work / "tantivy").exists():
            t = run_phase(None, "tantivy-query", args.label, args.work)
            tantivy_p50 = pct(t["latency_ms"], 50)
            results.append(("tantivy", t))
        for name, r in results:
            line = row(rnd, name, r, tantivy_p50)
            print(line, flush=True)
            lines.append(line)
            if name != "tantivy":
                totals.setdefault(name, r["totals"])
    same = len({tuple(v) for v in totals.values()}) == 1
    lines.append("")
    lines.append(f"Totals per question identical across trees: {'yes' if same else 'NO'}.")
    print(lines[-1])
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
