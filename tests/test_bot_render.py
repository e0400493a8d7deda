"""bot.render: escaping, highlights, and the 4096-character split, checked with Telegram's HTML rules.

Every rendered message goes through the fake Bot API's Telegram-like HTML
parser (`parse_telegram_html`), which rejects what Telegram rejects
(unbalanced tags, unknown entities, a raw "<"), and its visible length is
compared with the limit.
"""
from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot import render
from bot.i18n import Catalogue
from index import filters as NEWS
from index.hits import ArticleRef, Hit, SearchResult

from tests.fakebotapi import parse_telegram_html


def make_hit(text: str, rank: int = 1, highlights: tuple = (), title: str = "Title", url: str | None = None,
             published: str | None = "2020-08-19T10:00:00Z", source: str | None = None, sid: int = 0) -> Hit:
    article = ArticleRef(id="a1", title=title, path="a1.txt", url=url, published=published, source=source)
    return Hit(rank=rank, score=1.0, text=text, article=article, paragraph=0, sentence=0, start=0,
               end=len(text), highlights=highlights, section=None, before=None, after=None, sentence_id=sid)


def result(hits: list[Hit], query: str = "q", total: int | None = None, offset: int = 0) -> SearchResult:
    return SearchResult(query, tuple(hits), len(hits) if total is None else total, offset)


def visible(message: str) -> str:
    return parse_telegram_html(message)[0]


def test_a_hit_is_a_blockquote_with_bold_matches_and_a_linked_source() -> None:
    hit = make_hit("Lavrov said no.", highlights=((0, 6),), url="https://example.com/a?b=1&c=2")
    [message] = render.answer_html(result([hit], "Lavrov"))
    assert "<blockquote><b>Lavrov</b> said no.</blockquote>" in message
    assert '<a href="https://example.com/a?b=1&amp;c=2">Title</a> · 19 Aug 2020' in message
    assert render.tag("a", render.text("x"), href='a"b<c').html == '<a href="a&quot;b&lt;c">x</a>'
    text, entities = parse_telegram_html(message)
    assert "Lavrov said no.\n— Title · 19 Aug 2020" in text
    assert {"blockquote", "bold", "text_link"} <= {e["type"] for e in entities}


def test_everything_from_the_corpus_and_the_user_is_escaped() -> None:
    hit = make_hit('a <b>bold</b> & "quoted" \'x\' </blockquote>', highlights=((2, 5),),
                   title="<script>alert(1)</script>", url="javascript:alert(1)", published="<now>",
                   source="A & B")
    messages = render.answer_html(result([hit], "<i>q</i> & co"))
    [message] = messages
    assert "&#" not in message                            # only &lt; &gt; &amp; &quot; are allowed
    assert "javascript" not in message                    # not a link
    text = visible(message)
    assert 'a <b>bold</b> & "quoted" \'x\' </blockquote>' in text
    assert "<script>alert(1)</script> · A & B · <now>" in text
    assert "<i>q</i> & co" in text


def test_overlapping_and_out_of_range_highlights_stay_balanced() -> None:
    hit = make_hit("alpha beta gamma", highlights=((6, 10), (0, 5), (3, 8), (14, 99), (-4, -1)))
    [message] = render.answer_html(result([hit]))
    assert "<blockquote><b>alpha beta</b> gam<b>ma</b></blockquote>" in message
    visible(message)


def test_many_long_hits_are_split_between_hits_under_the_limit() -> None:
    hits = [make_hit(f"Sentence {n} " + "word " * 190 + "end.", rank=n + 1, highlights=((0, 8),), sid=n)
            for n in range(10)]
    messages = render.answer_html(result(hits, total=40))
    assert len(messages) >= 3
    texts = [visible(m) for m in messages]
    assert all(len(t) <= 4096 for t in texts)
    assert messages[0].startswith("1–10 of 40 for <i>q</i>:")
    joined = "\n".join(texts)
    assert [int(n) for n in re.findall(r"^(\d+)\.$", joined, re.M)] == list(range(1, 11))
    for m in messages:                                     # every message holds whole hits
        assert m.count("<blockquote>") == m.count("</blockquote>") == len(re.findall(r"^<b>\d+\.</b>$", m, re.M))


def test_a_single_hit_longer_than_a_message_is_shortened_safely() -> None:
    long = "&<>\"" * 600 + " " + "x" * 5000
    hit = make_hit(long, highlights=((0, 4), (2399, 2600), (7000, 7005)), title="T" * 500)
    [message] = render.answer_html(result([hit]))
    text = visible(message)
    assert len(text) <= 4096 and "…" in text
    assert "T" * 200 not in text                           # a long title is shortened too


def test_limit_counts_utf16_units() -> None:
    hits = [make_hit("😀" * 900, rank=n + 1, sid=n) for n in range(5)]
    for message in render.answer_html(result(hits)):
        assert render.u16len(visible(message)) <= 4096


@settings(max_examples=150, deadline=None)
@example([("x" * 1400, [(0, 3)], "T" * 600)], "q" * 300, 200)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=1500),
                          st.lists(st.tuples(st.integers(-5, 1600), st.integers(-5, 1600)), max_size=6),
                          st.text(max_size=600)),
                min_size=1, max_size=12),
       st.text(max_size=300), st.integers(200, 4096))
def test_any_hits_render_to_valid_messages_under_the_limit(raw: list, query: str, limit: int) -> None:
    hits = [make_hit(t, rank=n + 1, highlights=tuple(spans), title=title, sid=n)
            for n, (t, spans, title) in enumerate(raw)]
    messages = render.answer_html(result(hits, query), limit=limit)
    for message in messages:
        text = visible(message)                            # raises on invalid HTML
        assert render.u16len(text) <= limit
    contexts = render.context_html([(h, [(h.sentence_id - 1, "before <"), (h.sentence_id, h.text)])
                                    for h in hits], limit=limit)
    for message in contexts:
        assert render.u16len(visible(message)) <= limit
    assert render.u16len(visible(render.inline_html(hits[0], limit))) <= limit


def test_no_hits_and_did_you_mean() -> None:
    empty = SearchResult("lavorv <x>", (), 0, 0, "No sentence matches the question.")
    message = render.no_hits_html(empty, "lavrov")
    assert visible(message) == ("Nothing found for lavorv <x>. No sentence matches the question.\n"
                                "Did you mean lavrov?")


def test_context_bolds_the_hit_among_its_neighbours() -> None:
    hit = make_hit("Middle one.", rank=2, sid=5)
    [message] = render.context_html([(hit, [(4, "Before."), (5, "Middle one."), (6, "After & so.")])])
    assert "<blockquote expandable>Before. <b>Middle one.</b> After &amp; so.</blockquote>" in message
    assert message.startswith("<b>2.</b> in context:")


def test_context_drops_far_neighbours_before_shortening() -> None:
    hit = make_hit("Hit.", sid=10)
    around = [(i, f"Neighbour {i} " + "z" * 1500) if i != 10 else (10, "Hit.") for i in range(8, 13)]
    [message] = render.context_html([(hit, around)])
    text = visible(message)
    assert len(text) <= 4096 and "Hit." in text and "Neighbour 9" in text and "Neighbour 8" not in text


def test_inline_quote_has_source_and_no_rank() -> None:
    hit = make_hit("Quote here.", rank=7, highlights=((0, 5),), title="Paper")
    message = render.inline_html(hit)
    assert visible(message) == "Quote here.\n— Paper · 19 Aug 2020"
    assert render.inline_description(hit) == "Paper · 19 Aug 2020"


def test_plain_text_for_the_console() -> None:
    hit = make_hit("Lavrov said <no>.", highlights=((0, 6),), url="https://x.org/a")
    out = render.answer_plain(result([hit], "lavrov"), bold=lambda s: s.upper())
    assert out == ("1 of 1 for “lavrov”:\n\n1. “LAVROV said <no>.”\n   — Title <https://x.org/a> · 19 Aug 2020")


@pytest.mark.parametrize("value, limit, expected", [
    ("short", 10, "short"), ("two words here", 9, "two word…"), ("one two three four", 12, "one two…"), ("abcdefghij", 5, "abcd…"), ("abc", 1, "…"),
])
def test_shorten(value: str, limit: int, expected: str) -> None:
    assert render.shorten(value, limit) == expected


def test_a_typo_corrected_search_says_what_was_searched() -> None:
    from dataclasses import replace
    res = replace(result([make_hit("Lavrov said so.")], query="Lavrof <said>"), suggestion="Lavrov <said>")
    first = render.answer_html(res)[0]
    assert "(searched as <i>Lavrov &lt;said&gt;</i>)" in first
    assert "(searched as “Lavrov <said>”)" in render.answer_plain(res)
    assert "searched as" not in render.answer_html(result([make_hit("Lavrov said so.")]))[0]


# ----- issue 13: who, what, where from, when ------------------------------------------------------


def news_hit(text: str = "He said mediation was not needed.", speaker: str | None = "Sergei Lavrov",
             title: str = "Lavrov rejects mediation", published: str | None = "2020-08-26",
             opening: str | None = None, sid: int = 0, rank: int = 1) -> Hit:
    article = ArticleRef(id="r1", title=title, path="r1.md", url="https://reuters.example/a", published=published,
                         source="Reuters", opening=opening)
    return Hit(rank=rank, score=1.0, text=text, article=article, paragraph=0, sentence=0, start=0, end=len(text),
               highlights=(), section=None, before=None, after=None, sentence_id=sid, speaker=speaker)


def test_source_line_is_speaker_title_source_date() -> None:
    [message] = render.answer_html(result([news_hit()], "what did Lavrov say"))
    assert '— Sergei Lavrov · <a href="https://reuters.example/a">Lavrov rejects mediation</a> · Reuters · 26 Aug 2020' \
        in message
    [ru] = render.answer_html(result([news_hit()], "что сказал Лавров"), tr=Catalogue("ru"))
    assert "· Reuters · 26 авг. 2020" in ru and "1 из 1 по запросу" in ru
    bare = visible(render.answer_html(result([news_hit(speaker=None, published=None)]))[0])
    assert bare.endswith("\n— Lavrov rejects mediation · Reuters")


def test_an_untitled_article_is_shown_under_its_first_words() -> None:
    opening = "Russian Foreign Minister Sergei Lavrov said on Wednesday there was no need for outside mediation."
    hit = news_hit(title="", opening=opening)
    line = visible(render.answer_html(result([hit]))[0]).splitlines()[-1]
    shown = line.split(" · ")[1]
    assert shown.endswith("…") and len(shown) <= render.OPENING_CHARS and opening.startswith(shown[:-1])
    assert shown[:-1] == shown[:-1].rstrip() and opening[len(shown) - 1] == " "      # cut at a word
    assert render.display_title(hit.article.__class__(id="x", title="", path="x.txt")) == "x"
    assert render.inline_description(hit).startswith("Sergei Lavrov · Russian Foreign Minister")


def test_header_names_the_date_range_and_source_and_the_index_note() -> None:
    from datetime import date
    from index.dates import DateRange
    from index.query import NOTE_PHRASE_FALLBACK
    filters = NEWS.Filters(dates=DateRange(date(2023, 6, 1), date(2023, 7, 1)), source="Reuters")
    found = SearchResult("Lavrov", (news_hit(),), 6, 0, message=NOTE_PHRASE_FALLBACK, filters=filters)
    head = visible(render.answer_html(found)[0]).splitlines()[0]
    assert head == f"1 of 6 from June 2023 in Reuters for Lavrov: {NOTE_PHRASE_FALLBACK}"
    ru = visible(render.answer_html(found, tr=Catalogue("ru"))[0]).splitlines()[0]
    assert ru.startswith("1 из 6 за июнь 2023 в Reuters по запросу Lavrov: Точной фразы нет")
    assert render.answer_plain(found).startswith(f"1 of 6 from June 2023 in Reuters for “Lavrov”: {NOTE_PHRASE_FALLBACK}")


def test_newest_first_is_offered_when_hits_span_days_and_not_by_date() -> None:
    two_days = (news_hit(published="2020-08-26", sid=1), news_hit(published="2020-08-27T10:00:00Z", sid=2, rank=2))
    one_day = (news_hit(published="2020-08-26T08:00:00Z", sid=1), news_hit(published="2020-08-26", sid=2, rank=2))
    assert render.newest_first_offered(SearchResult("q", two_days, 2))
    assert not render.newest_first_offered(SearchResult("q", one_day, 2))
    assert not render.newest_first_offered(SearchResult("q", two_days[:1] + (news_hit(published=None, sid=3),), 2))
    assert not render.newest_first_offered(SearchResult("q", two_days, 2, filters=NEWS.Filters(by_date=True)))


def test_no_article_in_a_range_is_said_in_the_readers_language() -> None:
    from datetime import date
    from index.dates import DateRange
    from index.news import no_match_message
    filters = NEWS.Filters(dates=DateRange(date(2023, 6, 1), date(2023, 7, 1)))
    empty = SearchResult("Lavrov", (), 0, message=no_match_message(filters, 2), filters=filters, undated_left_out=2)
    english = visible(render.no_hits_html(empty))
    assert english.endswith("No article from June 2023 matches (2 matching articles without a date left out).")
    russian = visible(render.no_hits_html(empty, tr=Catalogue("ru")))
    assert russian.endswith("Ни одной подходящей статьи за июнь 2023 (не учтены подходящие статьи без даты: 2).")
