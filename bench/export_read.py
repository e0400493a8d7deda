"""Reading a Telegram export: streamed (`index.telegram_export.read_export`) against a whole
`json.loads` of the same file, each in a fresh process: CPU seconds, peak RSS, articles.

The whole read is the reference (what `read_export` did before it streamed): the same articles
(`parsed_export_articles`), with the file's bytes, text and objects in memory at once. Usage:

    python bench/gen_export.py 100000 /tmp/export-100k
    python bench/export_read.py /tmp/export-100k/result.json
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def phase(mode: str, path: Path) -> None:
    from index.corpus import Article
    from index.telegram_export import parsed_export_articles, read_export
    started = time.process_time()
    if mode == "streamed":
        with open(path, "rb") as fh:
            articles = sum(isinstance(a, Article) for a in read_export(fh, "result.json", {}))
    else:
        parsed = json.loads(path.read_bytes().decode("utf-8-sig"))
        articles = sum(isinstance(a, Article) for a in parsed_export_articles(parsed, "result.json", {}))
    print(json.dumps({"cpu_s": time.process_time() - started, "articles": articles,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def run(mode: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--phase", mode, str(path)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("export", type=Path)
    ap.add_argument("--phase", choices=("streamed", "whole"))
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    if args.phase:
        phase(args.phase, args.export)
        return
    results: dict[str, list[dict]] = {"whole": [], "streamed": []}
    for _ in range(args.rounds):                 # alternating, on a shared machine
        for mode in results:
            results[mode].append(run(mode, args.export))
    print(f"{args.export}: {args.export.stat().st_size / 1e6:.1f} MB, {args.rounds} alternating rounds "
          "(CPU s: best; peak RSS: largest)")
    print()
    print("| read | articles | CPU s | peak RSS MB |")
    print("|---|---|---|---|")
    for mode, rows in results.items():
        print(f"| {mode} | {rows[0]['articles']} | {min(r['cpu_s'] for r in rows):.2f} | "
              f"{max(r['peak_mb'] for r in rows):.0f} |")


if __name__ == "__main__":
    main()
