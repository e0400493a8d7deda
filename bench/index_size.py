"""What an index takes on disk, file by file and SQLite table by table, for indexes side by side.

For issue 14's disk goal (<= 3 GB at 10M sentences): give it the same corpus's
index built by two trees (e.g. a checkout of main and this one) and it prints
each file's size, the SQLite tables' sizes (``dbstat``: pages, of which
unused bytes) and the ratio of the last index to the first; ``--project N``
adds the sizes scaled from the first index's sentences to N sentences with
each file's ratio (a projection, said so in the table).

Run: ``.venv/bin/python bench/index_size.py old=/tmp/idx-old new=/tmp/idx-new [--project 10000000]``
"""
from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

MB = 1e6


def generation(root: Path) -> Path:
    return root / (root / "CURRENT").read_text(encoding="utf-8").strip()


def file_sizes(gen: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in sorted(gen.iterdir()) if p.is_file()}


def table_sizes(db: Path) -> dict[str, tuple[int, int]]:
    """SQLite table or index -> (bytes of its pages, of which unused)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro&immutable=1", uri=True)
    try:
        return {name: (int(size), int(unused)) for name, size, unused in
                conn.execute("SELECT name, sum(pgsize), sum(unused) FROM dbstat GROUP BY name ORDER BY 2 DESC")}
    finally:
        conn.close()


def sentences(gen: Path) -> int:
    conn = sqlite3.connect(f"file:{gen / 'index.sqlite'}?mode=ro&immutable=1", uri=True)
    try:
        return int(json.loads(conn.execute("SELECT value FROM meta WHERE key = 'sentences'").fetchone()[0]))
    finally:
        conn.close()


def table(labels: list[str], rows: dict[str, list[int]], project: float | None) -> list[str]:
    head = "| | " + " | ".join(f"{label} MB" for label in labels) + f" | {labels[-1]}/{labels[0]} |"
    if project:
        head += f" {labels[-1]} projected MB |"
    lines = [head, "|---" * (len(labels) + 2 + bool(project)) + "|"]
    for name, sizes in rows.items():
        ratio = sizes[-1] / sizes[0] if sizes[0] else float("nan")
        line = f"| {name} | " + " | ".join(f"{s / MB:,.1f}" for s in sizes) + f" | {ratio:.3f} |"
        if project:
            line += f" {sizes[-1] * project / MB:,.0f} |"
        lines.append(line)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("indexes", nargs="+", help="label=index folder, the reference first")
    ap.add_argument("--project", type=float, help="sentences to project the last index's sizes to")
    args = ap.parse_args()
    labels, gens = zip(*((s.split("=", 1)[0], generation(Path(s.split("=", 1)[1]))) for s in args.indexes))
    files = [file_sizes(g) for g in gens]
    names = sorted(set().union(*files), key=lambda n: -files[0].get(n, 0))
    rows = {n: [f.get(n, 0) for f in files] for n in names}
    rows["**total**"] = [sum(f.values()) for f in files]
    n_sent = sentences(gens[-1])
    scale = args.project / n_sent if args.project else None
    print(f"Sentences: {', '.join(f'{label} {sentences(g):,}' for label, g in zip(labels, gens))}\n")
    print("\n".join(table(list(labels), rows, scale)))
    tables = [table_sizes(g / "index.sqlite") for g in gens]
    names = sorted(set().union(*tables), key=lambda n: -tables[0].get(n, (0, 0))[0])
    print("\nSQLite pages by table (dbstat), of which unused in brackets:\n")
    print("| table | " + " | ".join(f"{label} MB" for label in labels) + " |")
    print("|---" * (len(labels) + 1) + "|")
    for name in names:
        cells = [t.get(name, (0, 0)) for t in tables]
        print(f"| {name} | " + " | ".join(f"{s / MB:,.1f} ({u / MB:,.1f})" for s, u in cells) + " |")


if __name__ == "__main__":
    sys.exit(main())
