"""What the news columns cost the build: the speaker rule and the dates, against the rest of an
article's analysis, measured in one process on the same articles (issue 13's build budget: +15%).

A whole build's CPU time on this shared machine moves by tens of percent with the load, so
comparing the build before the news work with today's (`bench/scale.py --phase ours-build`) mixes
the news columns with everything else that changed and with the noise. This times, per article and
in CPU (`time.process_time`), each step `index.build.analyse_article` runs, plus the two date
conversions the build does per article (`iso_published`, `article_day`). Steps run one after
another on the same article, so load spreads over all of them alike. Usage:

    python bench/news_build_cost.py bench/data/corpus-1m [--files 10]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.config import IndexConfig  # noqa: E402
from index.build import article_day, article_language, iso_published  # noqa: E402
from index.corpus import corpus_files, read_file  # noqa: E402
from index.sentences import split_article  # noqa: E402
from index.speakers import article_speakers  # noqa: E402

STEPS = ("language", "sentences", "terms", "speakers", "dates")
NEWS = ("speakers", "dates")


def timed(totals: dict[str, float], step: str, fn, *args):
    start = time.process_time()
    value = fn(*args)
    totals[step] += time.process_time() - start
    return value


def measure(corpus: Path, files: int, limit: int | None = None) -> tuple[dict[str, float], int, int]:
    index_config = IndexConfig.from_env()
    analyzer = index_config.make_analyzer()     # what the build analyses with
    totals = dict.fromkeys(STEPS, 0.0)
    articles = sentences_seen = 0
    for path in corpus_files(corpus)[:files]:
        for article in read_file(path, path.relative_to(corpus).as_posix()):
            if not hasattr(article, "text"):
                continue
            lang = timed(totals, "language", article_language, article, index_config.language)
            reader = analyzer.for_language(lang)
            sentences = timed(totals, "sentences", lambda: split_article(article.text, article.body_start, None, lang=lang))
            text = article.text
            timed(totals, "terms", lambda: [reader.analyze(text[s.start:s.end]) for s in sentences]
                  + [reader.analyze(article.title)])
            timed(totals, "speakers", article_speakers, text, [(s.start, s.end, s.paragraph) for s in sentences])
            timed(totals, "dates", lambda: (iso_published(article.published), article_day(article)))
            articles += 1
            sentences_seen += len(sentences)
            if articles == limit:
                return totals, articles, sentences_seen
    return totals, articles, sentences_seen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--files", type=int, default=10, help="the first N corpus files (a 1m part holds ~1,000 articles)")
    ap.add_argument("--articles", type=int, help="stop after this many articles")
    args = ap.parse_args()
    totals, articles, sentences = measure(args.corpus, args.files, args.articles)
    rest = sum(v for k, v in totals.items() if k not in NEWS)
    news = sum(totals[k] for k in NEWS)
    print(f"{articles} articles, {sentences} sentences from the first {args.files} files of {args.corpus}; CPU s")
    print()
    print("| step | CPU s | us per sentence | share of the analysis |")
    print("|---|---|---|---|")
    for step in STEPS:
        print(f"| {step}{' (news)' if step in NEWS else ''} | {totals[step]:.2f} | "
              f"{1e6 * totals[step] / max(1, sentences):.1f} | {100 * totals[step] / (rest + news):.1f}% |")
    print(f"| news columns vs the rest of the analysis | {news:.2f} vs {rest:.2f} | | "
          f"+{100 * news / rest:.1f}% |")


if __name__ == "__main__":
    main()
