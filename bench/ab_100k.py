"""Before/after at 100k sentences: build and query time of the search core of one tree.

Run it once per tree, alternating trees, with that tree first on the path (the editable install
would otherwise import /work/main's `index`): `PYTHONPATH=TREE python bench/ab_100k.py SCRATCH LABEL`.
Same interpreter, corpus and 1,000 questions (bench/data/*-100k, made by bench/scale.py) for both;
the figures of the last such run are in bench/results/ab_100k.md. One process, no peers: the ratio
between the two trees in the same minute is the figure to read, not the absolute times.
"""
import statistics
import sys
import time
from pathlib import Path

from index.engine import SearchIndex

DATA = Path(__file__).resolve().parent / "data"


def main() -> None:
    root, label = Path(sys.argv[1]), sys.argv[2]
    started = time.perf_counter()
    SearchIndex.build(DATA / "corpus-100k", root)
    build = time.perf_counter() - started
    index = SearchIndex.load(root)
    questions = (DATA / "queries-100k.txt").read_text(encoding="utf-8").splitlines()[:1000]
    for q in questions[:50]:
        index.search(q, k=10)
    times = []
    for q in questions:
        t = time.perf_counter()
        index.search(q, k=10)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print(f"{label}: build {build:.1f} s, p50 {statistics.median(times):.2f} ms, "
          f"p95 {times[int(len(times) * 0.95)]:.2f} ms")


if __name__ == "__main__":
    main()
