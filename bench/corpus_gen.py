"""A deterministic, news-like synthetic corpus at any size, and questions about it.

`bench/scale.py` needs 10k, 100k and 1M sentences of text that behave like a
newsroom archive for an inverted index: a Zipf-shaped word distribution (a
few very common words, a long tail of rare ones), a vocabulary that keeps
growing with corpus size, articles with titles and paragraphs, names that
recur within an article, and quotes ("..., Lavrov said."). Real archives are
not redistributable at that size and nothing may be downloaded, so the text
is generated, seeded from real text that is in the repository or the shared
eval folder:

* **Vocabulary and head frequencies** come from the seed article(s) in
  ``seeds/`` and the 2,067 SQuAD paragraphs in
  ``../shared/eval/squad-dev/docs.jsonl`` (about 254k word tokens, 23k word
  types). Each word keeps its most frequent spelling (so "Lavrov" stays
  capitalised and "the" does not). Words seen at least twice keep their
  measured relative frequency (the head: stopwords, common verbs and nouns).
* **The tail** continues the measured curve as a power law
  ``p(r) = p(R0) * (R0 / r) ** TAIL_EXPONENT`` over ranks beyond the head up to
  `VOCABULARY` ranks: first the real words seen once, then synthetic words
  (pronounceable syllable strings, a quarter of them capitalised as names),
  so the number of distinct words grows with corpus size as in real text
  (Heaps' law). With exponent 2.0 the expected vocabulary is ~29k word types
  at 250k tokens (the real seed text has 23k), ~83k at 2M and ~258k at 20M,
  close to what news corpora show (RCV1: ~54k at 2M tokens, ~166k at 20M).
* **Articles**: per article a few topic words (mid/low frequency) and two
  people's names recur across its sentences (12% of tokens) and in its title;
  3 to 60 sentences of 5 to 55 words in paragraphs of 1 to 3 sentences; about
  a quarter of the sentences are attributed quotes; 30% of articles end in a
  wire-style sign-off ("Reporting by X; Editing by Y.") from a pool of 40
  bylines, so identical sentences recur across articles as in real archives
  (they exercise the de-duplication of hits). Sentences never end in an
  abbreviation, initial or number, so Punkt's sentence count stays close to
  the generated one (both are reported).
* **Questions**: 2 to 6 content words taken from a random sentence of a random
  article (so most have answers), mixing its rarest and commonest words, in
  question scaffolding ("what did Sergei Lavrov say about ...", "why did ...",
  "when did ..."); a tenth add a random word from the whole distribution, and
  3% ask about a byline ("what did X Y report"), matching sign-offs.

Everything is a pure function of (`SEED`, article number): article ``n`` is the
same in every size, so the 10k corpus is a prefix of the 100k one, and two
runs write byte-identical files.

Output: a corpus folder of JSONL shards (``part-0000.jsonl``, 1,000 articles
each) that `SearchIndex.build` reads as is. JSONL rather than one ``.txt``
per article because a 1M-sentence archive is ~55k articles: as files that is
55k inodes to stat (fingerprint) and open per build, which measures the file
system rather than the index; archive exports usually are JSONL anyway, and
title/url/date travel as fields. Both formats go through the same
per-article pipeline after reading.

Run: ``python bench/corpus_gen.py 100k`` (writes ``bench/data/corpus-100k/``
and ``bench/data/queries-100k.txt``).
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from index.sentences import _ABBREVIATIONS  # noqa: E402
from index.stopwords import STOPWORDS  # noqa: E402

GENERATOR_VERSION = "2"
SEED = 20240805
VOCABULARY = 4_000_000       # ranks in the word distribution (real + synthetic)
HEAD_MIN_COUNT = 2           # real words seen this often keep their measured frequency
TAIL_EXPONENT = 2.0
TOPIC_SHARE = 0.12           # tokens replaced by the article's topic words and names
FIRST_CONTENT_RANK = 300     # topic words and names come from below the stopword-heavy top
SIGN_OFF_SHARE = 0.3         # articles ending in a "Reporting by ...; Editing by ..." line
ARTICLES_PER_SHARD = 1000
DATA = REPO / "bench" / "data"
SQUAD_DOCS = REPO.parent / "shared" / "eval" / "squad-dev" / "docs.jsonl"
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "3m": 3_000_000, "10m": 10_000_000}

_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
_SYLLABLES = [c + v for c in _CONSONANTS for v in _VOWELS]  # 70
_SAFE_ENDINGS = ("today", "officials", "again", "there", "recently", "overall", "abroad")
_TEMPLATES = (
    "what did {name} say about {words}",
    "what did {name} say about {words}",
    "what did officials say about {words}",
    "what happened to {words}",
    "why did {words}",
    "how did {words}",
    "when did {words}",
    "where did {words}",
    "who {words}",
    "what is known about {words}",
    "tell me about {words}",
    "{words}?",
)


class SeedDataMissing(RuntimeError):
    """The real text the vocabulary is measured on is not there: another corpus would be written."""


def seed_texts(squad: Path | None = None) -> list[str]:
    """The real text the word table is measured on: the seed articles and SQuAD paragraphs.

    Both are required: without the SQuAD paragraphs the head of the word
    distribution is measured on one article, and a "1M" corpus had ~400k
    matching sentences per question instead of ~39k, so every figure measured
    on it was wrong. Better no corpus than a different one under the same name.
    """
    squad = squad or SQUAD_DOCS
    seeds = sorted((REPO / "seeds").glob("*.txt"))
    if not squad.is_file() or not seeds:
        missing = squad if not squad.is_file() else REPO / "seeds" / "*.txt"
        raise SeedDataMissing(
            f"{missing} is missing: the synthetic corpus seeds its vocabulary from the SQuAD dev "
            f"paragraphs ({SQUAD_DOCS.relative_to(REPO.parent)} beside the repository, the shared eval "
            "data) and seeds/; without them it would silently be a different corpus. "
            "Put the file there or pass --seed-data PATH.")
    texts = [p.read_text(encoding="utf-8") for p in seeds]
    with open(squad, encoding="utf-8") as fh:
        for line in fh:
            doc = json.loads(line)
            texts += [doc["title"], doc["text"]]
    return texts


def synthetic_word(i: int) -> str:
    """The i-th synthetic word: bijective base-70 over syllables, at least two syllables."""
    n = i + len(_SYLLABLES) + 1
    out = []
    while n > 0:
        n -= 1
        n, digit = divmod(n, len(_SYLLABLES))
        out.append(_SYLLABLES[digit])
    word = "".join(reversed(out))
    return word.capitalize() if (i * 2654435761) % 4 == 0 else word


@dataclass
class WordTable:
    """Rank -> word and the cumulative distribution over ranks."""

    real: list[str]          # real words by descending frequency (most common spelling)
    head: int                # ranks < head keep their measured frequency
    cdf: np.ndarray          # float64, VOCABULARY

    @classmethod
    def measure(cls, squad: Path | None = None) -> "WordTable":
        counts: Counter[str] = Counter()
        spellings: dict[str, Counter[str]] = {}
        for text in seed_texts(squad):
            for w in _WORD.findall(text):
                key = w.lower()
                counts[key] += 1
                spellings.setdefault(key, Counter())[w] += 1
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        real = [_spelling(spellings[k]) for k, _ in ranked]
        freq = np.array([c for _, c in ranked], dtype=np.float64)
        head = int((freq >= HEAD_MIN_COUNT).sum())
        p = np.empty(VOCABULARY)
        p[:head] = freq[:head] / freq.sum()
        ranks = np.arange(head + 1, VOCABULARY + 1, dtype=np.float64)
        p[head:] = p[head - 1] * (head / ranks) ** TAIL_EXPONENT
        cdf = np.cumsum(p / p.sum())
        cdf[-1] = 1.0
        return cls(real, head, cdf)

    def draw(self, rng: np.random.Generator, n: int, lowest_rank: int = 0) -> np.ndarray:
        lo = self.cdf[lowest_rank - 1] if lowest_rank else 0.0
        u = lo + (1.0 - lo) * rng.random(n)
        return np.minimum(np.searchsorted(self.cdf, u, side="right"), VOCABULARY - 1)

    @cached_property
    def _cache(self) -> dict[int, str]:
        return {}

    def word(self, rank: int) -> str:
        if rank < len(self.real):
            return self.real[rank]
        w = self._cache.get(rank)
        if w is None:
            w = self._cache[rank] = synthetic_word(rank - len(self.real))
        return w


def _spelling(forms: Counter[str]) -> str:
    """The most frequent spelling, preferring lower case on a tie (sentence-initial capitals)."""
    return max(forms.items(), key=lambda kv: (kv[1], kv[0].islower(), kv[0]))[0]


def _is_content(word: str) -> bool:
    return len(word) >= 3 and word.isalpha() and word.lower() not in STOPWORDS


def _safe_end(word: str) -> bool:
    return len(word) >= 3 and word.isalpha() and word.lower() not in _ABBREVIATIONS


@dataclass
class GenArticle:
    number: int
    title: str
    paragraphs: list[list[str]]      # sentences
    sentence_ranks: list[np.ndarray]  # word ranks of each sentence body (for questions)
    names: list[str]

    @property
    def n_sentences(self) -> int:
        return sum(len(p) for p in self.paragraphs)

    def record(self) -> dict:
        n = self.number
        return {
            "id": f"scale-{n:07d}",
            "title": self.title,
            "url": f"https://news.example/{2015 + n % 10}/{n:07d}",
            "published": f"{2015 + n % 10}-{1 + n % 12:02d}-{1 + n % 28:02d}",
            "source": "synthetic",
            "text": "\n\n".join(" ".join(p) for p in self.paragraphs),
        }


def generate_article(table: WordTable, number: int) -> GenArticle:
    rng = np.random.default_rng([SEED, number])
    n_sent = int(np.clip(round(rng.lognormal(np.log(18.0), 0.5)), 3, 60))
    lengths = np.clip(np.rint(rng.lognormal(np.log(19.0), 0.4, n_sent)), 5, 55).astype(int)
    topic = table.draw(rng, 6, FIRST_CONTENT_RANK)
    names = []
    for _ in range(2):
        first, last = (table.word(int(r)) for r in table.draw(rng, 2, FIRST_CONTENT_RANK))
        names.append(f"{first.capitalize()} {last.capitalize()}")
    ranks = table.draw(rng, int(lengths.sum()))
    swap = rng.random(len(ranks)) < TOPIC_SHARE
    ranks[swap] = topic[rng.integers(0, len(topic), int(swap.sum()))]
    commas = rng.random(len(ranks)) < 0.06
    kinds = rng.random(n_sent)
    speakers = rng.integers(0, 2, n_sent)
    endings = rng.integers(0, len(_SAFE_ENDINGS), n_sent)
    sentences: list[str] = []
    sentence_ranks: list[np.ndarray] = []
    pos = 0
    for i, length in enumerate(lengths):
        rs = ranks[pos:pos + length]
        words = [table.word(int(r)) for r in rs]
        for j in np.flatnonzero(commas[pos:pos + length - 1]):
            words[j] += ","
        pos += length
        if not _safe_end(words[-1].rstrip(",")):
            words.append(_SAFE_ENDINGS[endings[i]])
        words[-1] = words[-1].rstrip(",")
        words[0] = words[0][:1].upper() + words[0][1:]
        body = " ".join(words)
        name = names[speakers[i]]
        if kinds[i] < 0.18:
            sentence = f"{body}, {name} said."
        elif kinds[i] < 0.26:
            sentence = f"\u201c{body},\u201d {name} said."
        elif kinds[i] < 0.28:
            sentence = f"{body}?"
        else:
            sentence = f"{body}."
        sentences.append(sentence)
        sentence_ranks.append(rs)
    paragraphs: list[list[str]] = []
    sizes = rng.choice([1, 2, 3], size=n_sent, p=[0.45, 0.35, 0.20])
    i = 0
    for size in sizes:
        if i >= n_sent:
            break
        paragraphs.append(sentences[i:i + size])
        i += size
    if rng.random() < SIGN_OFF_SHARE:  # wire-style sign-offs: the same sentence in many articles
        by, editor = rng.choice(len(_reporters(table)), 2, replace=False)
        paragraphs.append([f"Reporting by {_reporters(table)[by]}; Editing by {_reporters(table)[editor]}."])
    title_words = [table.word(int(r)) for r in topic[:3]] + [names[0].split()[1]]
    title_words += [table.word(int(r)) for r in table.draw(rng, int(rng.integers(1, 5)), 50)]
    order = rng.permutation(len(title_words))
    title = " ".join(_title_case(title_words[k]) for k in order)
    return GenArticle(number, title, paragraphs, sentence_ranks, names)


_REPORTERS: list[str] = []


def _reporters(table: WordTable) -> list[str]:
    """A fixed pool of 40 bylines, so sign-off sentences repeat across articles."""
    if not _REPORTERS:
        rng = np.random.default_rng([SEED, 2])
        ranks = table.draw(rng, 80, FIRST_CONTENT_RANK)
        _REPORTERS.extend(f"{table.word(int(a)).capitalize()} {table.word(int(b)).capitalize()}"
                          for a, b in zip(ranks[::2], ranks[1::2]))
    return _REPORTERS


def _title_case(word: str) -> str:
    return word if word.lower() in STOPWORDS else word[:1].upper() + word[1:]


def make_question(table: WordTable, article: GenArticle, rng: np.random.Generator) -> str:
    """2-6 content words from one sentence of the article, common and rare mixed, in scaffolding."""
    k = int(rng.integers(0, len(article.sentence_ranks)))
    ranks = article.sentence_ranks[k]
    by_rank: dict[str, int] = {}
    for r in ranks.tolist():
        w = table.word(r)
        if _is_content(w):
            by_rank.setdefault(w.lower() if w[0].islower() else w, r)
    words = sorted(by_rank, key=by_rank.__getitem__)  # commonest first
    want = int(rng.integers(2, 7))
    template = _TEMPLATES[int(rng.integers(0, len(_TEMPLATES)))]
    if rng.random() < 0.03:  # about a byline: hits the repeated sign-off sentences
        return f"what did {_reporters(table)[int(rng.integers(0, 40))]} report"
    name = ""
    if "{name}" in template:
        name = article.names[int(rng.integers(0, 2))]
        want -= 2 if want >= 4 else 1
        if want == 1 and rng.random() < 0.5:
            name = name.split()[1]
            want = 2
    chosen: list[str] = []
    if words:
        chosen.append(words[-1])                   # the rarest
        if len(words) > 1:
            chosen.append(words[0])                # the commonest
        rest = words[1:-1]
        rng.shuffle(rest)
        chosen += rest[:max(0, want - len(chosen))]
    if rng.random() < 0.1 or len(chosen) < 2:
        extra = table.word(int(table.draw(rng, 1, FIRST_CONTENT_RANK)[0]))
        chosen.append(extra.lower() if extra[0].islower() else extra)
    chosen = chosen[:max(want, 2)]
    rng.shuffle(chosen)
    return template.format(name=name, words=" ".join(chosen))


def generate(label: str, target: int, n_questions: int = 1000, out: Path = DATA,
             squad: Path | None = None) -> dict:
    """Write corpus-<label>/ and queries-<label>.txt under `out`; returns the manifest.
    Raises SeedDataMissing (before writing anything) when the seed text is absent."""
    table = WordTable.measure(squad)
    folder = out / f"corpus-{label}"
    tmp = out / f".corpus-{label}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    sentences = articles = 0
    shard = None
    while sentences < target:
        if articles % ARTICLES_PER_SHARD == 0:
            if shard:
                shard.close()
            shard = open(tmp / f"part-{articles // ARTICLES_PER_SHARD:04d}.jsonl", "w", encoding="utf-8")
        art = generate_article(table, articles)
        shard.write(json.dumps(art.record(), ensure_ascii=False) + "\n")
        sentences += art.n_sentences
        articles += 1
    if shard:
        shard.close()
    qrng = np.random.default_rng([SEED, 1, target])
    questions = [make_question(table, generate_article(table, int(a)), qrng)
                 for a in qrng.integers(0, articles, n_questions)]
    (out / f"queries-{label}.txt").write_text("\n".join(questions) + "\n", encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    manifest = {"generator_version": GENERATOR_VERSION, "seed": SEED, "label": label,
                "target_sentences": target, "generated_sentences": sentences, "articles": articles,
                "questions": n_questions}
    (out / f"corpus-{label}.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def ensure(label: str, n_questions: int = 1000, out: Path = DATA) -> dict:
    """The manifest of corpus-<label>, generating it first when missing or from another version."""
    path = out / f"corpus-{label}.json"
    if path.exists() and (out / f"corpus-{label}").is_dir() and (out / f"queries-{label}.txt").exists():
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if (manifest.get("generator_version"), manifest.get("seed"), manifest.get("questions")) == \
                (GENERATOR_VERSION, SEED, n_questions):
            return manifest
    return generate(label, SIZES[label], n_questions, out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sizes", nargs="+", choices=list(SIZES))
    ap.add_argument("--questions", type=int, default=1000)
    ap.add_argument("--out", type=Path, default=DATA, help=f"where to write (default {DATA})")
    ap.add_argument("--seed-data", type=Path, default=SQUAD_DOCS,
                    help=f"the SQuAD dev paragraphs the vocabulary is measured on (default {SQUAD_DOCS})")
    args = ap.parse_args(argv)
    try:
        for label in args.sizes:
            print(json.dumps(generate(label, SIZES[label], args.questions, args.out, args.seed_data)))
    except SeedDataMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
