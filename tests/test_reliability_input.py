"""Any question, however hostile, is searched and answered with a message Telegram accepts.

Property-based (hypothesis): questions are drawn from every kind of Unicode
(lone surrogates and control characters included), emoji, right-to-left text
and bidi marks, zero-width characters, HTML and Telegram markup, phrases and
exclusions, 100,000-character floods, only stopwords, only punctuation, and
mixtures of these with words that do occur in the seed article. Each one goes
through the real `SearchIndex.search` on the seed index and through the bot's
own answer pipeline (`IndexService` search, page and context + `bot.render`: first page, next page,
context, inline result, "nothing found" with "Did you mean"). Every message is
checked with the fake Bot API's Telegram HTML parser (`parse_telegram_html`:
only Telegram's tags, balanced, no nested blockquote, only &lt; &gt; &amp;
&quot; and numeric entities) and must show at most 4096 characters (UTF-16
units, as Telegram counts). A smaller sample then goes end to end through the
real PTB Application and the fake Bot API, which rejects what Telegram rejects.

`CASES` counts the questions actually run; the last test prints the total
(`pytest -s tests/test_reliability_input.py`) and checks it is in the thousands.
"""
from __future__ import annotations

import re
import shutil
import string
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import render
from bot.state import shown
from bot.render import MAX_MESSAGE, u16len
from index.query import MAX_QUERY_CHARS, MAX_QUERY_TERMS, parse_query
from index.service import IndexService
from index.stopwords import STOPWORDS

from tests.fakebotapi import FakeBotAPI, parse_telegram_html
from tests.test_bot_inprocess import running

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
CASES: Counter[str] = Counter()
PAGE = 3

# ----- what questions are made of ---------------------------------------------------------------
SEED_WORDS = ["Lavrov", "mediation", "Belarus", "Minsk", "Moscow", "Tu-214", "said", "plane", "Putin",
              "Lukashenko", "election", "TASS", "Interfax", "lavrov", "BELARUS", "Lavrof", "mediatoin",
              "ex-Soviet", "Russia’s", "3,000", "2020"]
EMOJI = ["😀", "👍🏽", "🇧🇾", "👨‍👩‍👧", "❤️", "🔥", "\U0001F9D1\u200D\U0001F680", "©", "™"]
RTL = ["\u202e", "\u202b", "\u200f", "\u061c", "لافروف", "قال", "שלום", "مينسك", "\u202c", "\u2067"]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u034f", "\ufe0f"]
CONTROL = [chr(c) for c in range(0, 32)] + ["\x7f", "\x85", "\u2028", "\u2029"]
HTML = ["<b>", "</b>", "<i>x</i>", "</blockquote>", "<blockquote>", "<blockquote expandable>",
        '<a href="javascript:alert(1)">', "</a>", "<script>alert(1)</script>", "<!--", "-->", "<br/>",
        "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#x1F600;", "&nbsp;", "&bogus;", "&", "<", ">",
        "<tg-spoiler>", '<span class="tg-spoiler">', "<pre><code class=\"language-python\">", "<>", "</",
        "<b", "&#0;", "&#xD800;", "&#99999999;"]
MARKUP = ["*bold*", "_italic_", "__underline__", "~strike~", "||spoiler||", "`code`", "```pre```",
          "[link](http://example.com)", "[x](tg://user?id=1)", "\\", "@ArticleQABot", "/ask", "#tag",
          "$cashtag", "https://t.me/x", "```", "**"]
PUNCT = list(string.punctuation) + ["…", "–", "—", "«", "»", "“", "”", "„", "¿", "¡", "·", "‽", "、", "。"]
SYNTAX = ['"', '"Lavrov said"', "-Lavrov", '-"said"', "−Belarus", "-", "--", '"', "“mediation”", "«Minsk»"]
STOP = sorted(STOPWORDS)

fragment = st.one_of(
    st.sampled_from(SEED_WORDS), st.sampled_from(EMOJI), st.sampled_from(RTL), st.sampled_from(INVISIBLE),
    st.sampled_from(CONTROL), st.sampled_from(HTML), st.sampled_from(MARKUP), st.sampled_from(PUNCT),
    st.sampled_from(SYNTAX), st.sampled_from(STOP),
    st.text(max_size=12),                                                     # any code point but surrogates
    st.text(st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Zl", "Zp", "Mn"]), max_size=6),
)
mixed = st.lists(fragment, max_size=40).flatmap(
    lambda parts: st.lists(st.sampled_from(["", " ", "  ", "\n", "\t", "\u00a0"]),
                           min_size=len(parts), max_size=len(parts))
    .map(lambda seps: "".join(p + s for p, s in zip(parts, seps))))
any_text = st.text(st.characters(exclude_categories=()), max_size=300)      # surrogates included
only_stopwords = st.lists(st.sampled_from(STOP), min_size=1, max_size=60).map(" ".join)
only_punctuation = st.text(st.sampled_from(PUNCT + [" "]), min_size=1, max_size=200)
flood = st.tuples(st.one_of(mixed, st.sampled_from(SEED_WORDS + EMOJI + HTML + [" "]), any_text),
                  st.integers(10_000, 100_000)).map(lambda t: (t[0] * (t[1] // max(1, len(t[0])) + 1))[:t[1]]
                                                    if t[0] else "x" * t[1])
questions = st.one_of(mixed, mixed, mixed, any_text, only_stopwords, only_punctuation, flood)


# ----- the index and the checks ----------------------------------------------------------------
@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexService]:
    corpus = tmp_path_factory.mktemp("input") / "corpus"
    shutil.copytree(SEEDS, corpus)
    svc = IndexService(corpus, corpus.parent / "index")
    svc.start()
    yield svc
    svc.current().close()


ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def check_message(html: str, limit: int = MAX_MESSAGE) -> str:
    """What Telegram would show for `html`; fails unless Telegram would accept it."""
    html.encode("utf-8")                                  # no lone surrogates: JSON/UTF-8 can carry it
    shown, _ = parse_telegram_html(html)                  # allowed tags, balanced, no nested blockquote
    for name in ENTITY.findall(html):
        assert name in ("lt", "gt", "amp", "quot") or name.startswith("#"), name
    assert 0 < u16len(shown) <= limit
    return shown


def check_question(service: IndexService, question: str) -> None:
    CASES["questions"] += 1
    index = service.current()
    result = index.search(question, k=PAGE)                                # the search core itself
    assert len(result.hits) <= PAGE and result.total >= len(result.hits)
    assert result.hits or result.message
    assert len(result.query) <= MAX_QUERY_CHARS
    for hit in result.hits:
        assert all(0 <= s < e <= len(hit.text) for s, e in hit.highlights)
    parsed = parse_query(question)
    assert len(parsed.text) <= MAX_QUERY_CHARS and len(parsed.terms) <= MAX_QUERY_TERMS

    answer = service.search(question, PAGE)                                # what the bot sends
    if not answer.hits:
        check_message(render.no_hits_html(answer, answer.suggestion))
        CASES["messages"] += 1
        return
    for message in render.answer_html(answer):
        check_message(message)
        CASES["messages"] += 1
    for hit in answer.hits:
        check_message(render.inline_html(hit))
    if answer.has_more:                                                    # "More"
        second = service.page(question, 1, PAGE)
        for message in (render.answer_html(second) if second.hits else [render.no_hits_html(second)]):
            check_message(message)
    items = service.context(question, 0, PAGE, shown(answer))              # "Context"
    assert items is not None
    for message in render.context_html(items):
        check_message(message)


@settings(max_examples=4000, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.data_too_large])
@example("")
@example("\ud800 Lavrov \udfff")                          # lone surrogates (JSON can carry them)
@example("\x00\x01 Lavrov \x1b[31m")
@example("what did Lavrov say about mediation " * 3000)   # ~100k characters
@example("x" * 100_000)
@example("😀" * 50_000)
@example("the of and what did about")
@example("?!.,;:…—«»")
@example('<b>Lavrov</b> &amp; <a href="javascript:x">mediation</a> </blockquote>')
@example("*Lavrov* _said_ `mediation` ||Minsk|| [x](http://e.org)")
@example("\u202eLavrov\u200b\u200d\ufeff mediation\u2066")
@example('"' * 501)
@example("-Lavrov -mediation -said")
@example(" ".join(f"word{n}" for n in range(200)))
@given(questions)
def test_any_question_is_searched_and_rendered_as_valid_telegram_html(service: IndexService,
                                                                    question: str) -> None:
    check_question(service, question)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(SEED_WORDS[:14]), min_size=1, max_size=6), mixed)
def test_questions_with_real_words_and_noise_find_hits(service: IndexService, words: list[str],
                                                        noise: str) -> None:
    """Noise around searchable words never loses the hits (unless it quotes or excludes: &quot; is a quote)."""
    question = " ".join(words) + " " + noise
    check_question(service, question)
    plain = [w for w in words if w.lower() not in ("said", "putin", "lukashenko", "election")]
    if plain and not any(c in noise for c in '"&-\u2212«»“”„‟＂') and len(question) < MAX_QUERY_CHARS // 2:
        CASES["with hits"] += 1
        assert service.current().search(question, k=PAGE).hits


def test_caps_are_documented_values() -> None:
    """The README states these numbers; a change must change the README too."""
    assert (MAX_QUERY_CHARS, MAX_QUERY_TERMS) == (500, 32)
    cut = parse_query("lavrov " * 400)
    assert cut.truncated and len(cut.text) <= MAX_QUERY_CHARS and len(cut.terms) == MAX_QUERY_TERMS
    terms = parse_query(" ".join(f"w{n}x" for n in range(100)))
    assert terms.truncated and len(terms.terms) == MAX_QUERY_TERMS


# ----- end to end: the real Application and the fake Bot API --------------------------------------
@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeBotAPI, dict]]:
    corpus = tmp_path_factory.mktemp("live") / "corpus"
    shutil.copytree(SEEDS, corpus)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        mp.setenv("no_proxy", "127.0.0.1,localhost")
        mp.setenv("PTB_TIMEDELTA", "1")
        with FakeBotAPI() as api, running(api, corpus, questions_per_minute=0, rate_limiter=False):
            yield api, {"chat": 50_000}


# Telegram's updates are UTF-8 JSON: no lone surrogates (the fake could not even encode them).
sendable = st.one_of(mixed, st.text(max_size=300), only_stopwords, only_punctuation, flood).map(
    lambda q: re.sub("[\ud800-\udfff]", "\ufffd", q)).filter(
    lambda q: q.strip(" \t\n\r\f\v\u00a0") and not q.lstrip().startswith("/"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(sendable)
def test_any_question_sent_to_the_bot_gets_a_reply_telegram_accepts(live: tuple[FakeBotAPI, dict],
                                                                     question: str) -> None:
    api, counter = live
    counter["chat"] += 1
    chat = counter["chat"]
    api.send_message(question[:4096], chat_id=chat, user_id=chat)
    call = api.wait_for(lambda p: p["chat_id"] == chat, include_failed=True, timeout=20)
    assert call["status"] == 200, call["response"]                          # the fake parses like Telegram
    CASES["end to end"] += 1


def test_zz_cases_run(live: tuple[FakeBotAPI, dict]) -> None:
    api, _ = live
    failed = [c for c in api.calls("sendMessage") if c["status"] != 200]
    assert failed == [], failed[:3]
    total = CASES["questions"] + CASES["end to end"]
    print(f"\nhypothesis: {CASES['questions']} questions searched and rendered "
          f"({CASES['messages']} first-page messages checked, {CASES['with hits']} with required hits), "
          f"{CASES['end to end']} sent end to end; {total} cases in all")
    if CASES["questions"]:                       # the counts hold when the whole module ran
        assert CASES["questions"] >= 4000 and CASES["end to end"] >= 300
