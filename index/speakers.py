"""Who speaks in a sentence, when the text says so; and who a question asks about.

The rule (`article_speakers`), applied to each sentence of an article in order:

1. **Named in the sentence**, the first of these that matches, outside quotation marks:
   ``X: "…"`` at the start; ``X said`` / ``X, the foreign minister, said`` /
   ``X has also said`` (a reporting verb, `REPORTING_VERBS`, after a run of
   capitalised words, optionally with an apposition between commas or
   auxiliaries and adverbs such as "has", "also", "further" in between);
   ``"…," said X`` (the verb right after a quote or a comma, a name right
   after the verb); ``according to X``. X is the run of capitalised words
   with titles and roles dropped ("Russian Foreign Minister Sergei Lavrov" ->
   "Sergei Lavrov"; a run of a body's name that ends in a role word stays
   whole: "Central Election Commission"); a run that is a pronoun or a common subject ("Officials",
   "Police") is no name.
2. **He, She, They** opening a sentence without a named speaker: when the
   sentence reports speech (a reporting verb) and the sentence before it, in
   the same paragraph and without a speaker, opens with a name as its subject
   ("Tomas Varga dismissed the demand. He said ..."), that name; otherwise the
   most recent *named* speaker (rule 1, or this rule's subject; not inherited)
   of the same article in this paragraph or the one before it; none when
   there is none.
3. **A quote opening a sentence** without a named speaker continues the
   speaker of the sentence before it in the same paragraph.

A name that is only mentioned ("Protesters criticised Lavrov", "Lavrov's
spokeswoman said") is never the speaker: the verb must have the name as its
subject or follow the quote. A shorter form of a name already given in the
article ("Lavrov" after "Sergei Lavrov") is reported as the full form, so a
sentence's speaker reads the same all through the article.

The question side (`speaker_question`): "what did X say about Y", "what has X
said on Y", "what does X think of Y", "X's view of Y", "X on Y" name a
speaker X and a topic Y.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

REPORTING_VERBS = frozenset("""
said says say told tells warned warns added adds stated states noted notes insisted insists argued argues
claimed claims explained explains announced announces declared declares stressed stresses emphasized
emphasised emphasizes emphasises replied replies wrote writes tweeted tweets asked asks urged urges
acknowledged acknowledges admitted admits denied denies confirmed confirms demanded demands predicted predicts suggested
suggests complained complains vowed vows promised promises recalled recalls remarked remarks commented
comments responded responds countered counters cautioned cautions conceded concedes estimated estimates
observed observes contended contends maintained maintains pledged pledges reiterated reiterates
""".split())
_BETWEEN = frozenset("has had have also later further again then previously earlier reportedly recently "
                     "repeatedly once has already would will separately".split())
TITLES = frozenset("""
mr mrs ms miss dr prof sir dame lord lady gen general col colonel lt lieutenant sgt sergeant capt captain
adm admiral sen senator rep representative gov governor pres president vice deputy prime foreign defence
defense finance interior economy health minister ministers secretary chancellor premier spokesman
spokeswoman spokesperson chief chairman chairwoman chair ceo director head leader ambassador envoy mayor
king queen prince princess pope judge justice commissioner councillor councilor speaker attorney state
mp mep official officer commander russian ukrainian american british french german chinese belarusian
european eu u.s us un nato union council commission ministry former acting incoming outgoing opposition
executive managing party federal national general-secretary secretary-general press central bank
trade opposition
""".split())
NON_NAMES = frozenset("""
he she they it we i you this that these those there here who which what when where why how the a an
officials official police analysts analyst critics sources source experts expert residents witnesses
protesters observers diplomats investigators prosecutors lawyers doctors authorities reports researchers
scientists economists organizers organisers activists spokesman spokeswoman spokesperson people many some
others both all another one neither none each everyone someone nobody government ministry statement
monday tuesday wednesday thursday friday saturday sunday however but and so yet still meanwhile
engineers workers farmers teachers students voters shoppers traders colleagues supporters opponents members
leaders lawmakers legislators officers soldiers troops villagers locals neighbours neighbors parents families
companies exporters importers banks markets investors
""".split())
_PARTICLES = frozenset("de da di del della van von der den bin ibn al el la le du dos das st".split())
PRONOUNS = frozenset(("He", "She", "They"))

_WORD = re.compile(r"[^\W\d_](?:[\w'’\-]*[\w])?\.?")
_OPEN_QUOTES = "“\"«„‘'"
_QUOTE_CHARS = "“”\"«»„"
_ABBREVIATED = frozenset("mr mrs ms dr prof gen col lt sgt capt adm sen rep gov st".split())


class _Word:
    """A word of a sentence: its span, its text (without a sentence-final period, kept on "Mr." and
    the like), its folded form and whether it is capitalised (computed once: each is read often)."""

    __slots__ = ("start", "end", "text", "key", "capitalized")

    def __init__(self, start: int, end: int, text: str) -> None:
        self.start, self.end, self.text = start, end, text
        self.key = fold(text).rstrip(".")
        self.capitalized = text[:1].isupper()


def fold(name: str) -> str:
    """A name compared loosely: case, accents and a possessive 's left out."""
    if name.isascii():
        low = name.lower()
        return low.replace("'s", "") if "'s" in low else low
    text = unicodedata.normalize("NFKD", name.casefold().replace("’", "'"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"'s\b", "", text)


_INITIALS = re.compile(r"(?:\w\.)+")


def _words(text: str) -> list[_Word]:
    out = []
    for m in _WORD.finditer(text):
        word = m.group()
        if word.endswith(".") and fold(word[:-1]) not in _ABBREVIATED and not _INITIALS.fullmatch(word):
            word = word[:-1]
        out.append(_Word(m.start(), m.start() + len(word), word))
    return out


_LAST_WORD = re.compile(r"[\w'’\-.]+$")


def _may_name_a_subject(sentence: str, verb_start: int) -> bool:
    """A quick look before a reporting verb: a lowercase word right before it ("officials said",
    "they say") can be neither a name's end nor an adverb before the verb, and nothing but a quote
    or a comma can precede '"…," said X': then the words need not be read."""
    head = sentence[max(0, verb_start - 40):verb_start].rstrip()
    if not head:
        return False
    if head[-1] in ",”\"'’»":
        return True
    last = _LAST_WORD.search(head)
    return bool(last) and (last.group()[:1].isupper() or last.group().lower() in _BETWEEN)


_QUOTE_MARK = re.compile("[“”\"«»„]")


def _quoted(text: str) -> list[tuple[int, int]]:
    """Spans inside quotation marks (curly pairs, «», or straight quotes taken in pairs)."""
    spans, opened = [], None
    for m in _QUOTE_MARK.finditer(text):
        i, ch = m.start(), m.group()
        if opened is None and ch in "“«„\"":
            opened = i
        elif opened is not None and ch in "”»\"“":
            spans.append((opened, i + 1))
            opened = None
    if opened is not None:
        spans.append((opened, len(text)))
    return spans


def _inside(pos: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(s < pos < e for s, e in spans)


def _name_from_run(run: Sequence[_Word]) -> str | None:
    """The name in a run of capitalised words: after the last title or role word, if a real name."""
    last_title = max((i for i, w in enumerate(run) if w.key in TITLES), default=-1)
    words = list(run[last_title + 1:])
    if not words and any(w.key not in TITLES and w.key not in NON_NAMES for w in run):
        words = list(run)   # a body ending in a role word: "the Central Election Commission"
    while words and words[0].key in _PARTICLES:
        words.pop(0)
    if not words or not words[-1].capitalized:
        return None
    if len(words) == 1 and (words[0].key in NON_NAMES or len(words[0].key) < 2):
        return None
    if words[0].key in NON_NAMES:
        words = words[1:]
        if not words:
            return None
    return " ".join(w.text for w in words)


def _gap_is_space(text: str, a: _Word, b: _Word) -> bool:
    return not text[a.end:b.start].strip()


def _run_before(text: str, words: Sequence[_Word], j: int) -> list[_Word]:
    """Capitalised words (and name particles) ending at word j, joined only by spaces."""
    run: list[_Word] = []
    while j >= 0:
        w = words[j]
        if not (w.capitalized or (w.key in _PARTICLES and run)):
            break
        if run and not _gap_is_space(text, w, run[0]):
            break
        run.insert(0, w)
        j -= 1
    return run


def _run_after(text: str, words: Sequence[_Word], i: int) -> list[_Word]:
    run: list[_Word] = []
    while i < len(words):
        w = words[i]
        if not (w.capitalized or (w.key in _PARTICLES and run)):
            break
        if run and not _gap_is_space(text, run[-1], w):
            break
        run.append(w)
        i += 1
    return run


def _subject_before(text: str, words: Sequence[_Word], i: int) -> str | None:
    """The name whose verb is words[i]: "X said", "X has also said", "X, the minister, said"."""
    j = i - 1
    while j >= 0 and words[j].key in _BETWEEN and _gap_is_space(text, words[j], words[j + 1]):
        j -= 1
    if j < 0:
        return None
    gap = text[words[j].end:words[j + 1].start]
    if gap.strip() == ",":   # an apposition: "X, the foreign minister, said"
        clause_start = text.rfind(",", max(0, words[j].end - 100), words[j].end)
        if clause_start < 0 or any(q in text[clause_start:words[j].end] for q in _QUOTE_CHARS):
            return None
        before = [k for k, w in enumerate(words) if w.end <= clause_start]
        after = [w for w in words if w.start > clause_start]
        if not before or not after:
            return None
        clause = [w for w in after if w.end <= words[j].end]
        k = before[-1]
        if text[words[k].end:clause_start].strip():
            return None
        if clause and all(w.capitalized for w in clause) and not words[k].capitalized:
            # "Valdora's trade minister, Karl Bessen, said": the apposition is the name
            return _name_from_run(clause)
        if after[0].capitalized and after[0].key != "the" and not after[0].text.endswith(("'s", "’s")):
            return None
        return _name_from_run(_run_before(text, words, k))
    if gap.strip():
        return None
    return _name_from_run(_run_before(text, words, j))


def _subject_after(text: str, words: Sequence[_Word], i: int) -> str | None:
    """'"…," said X': the verb right after a quote or comma, the name right after it."""
    before = text[:words[i].start].rstrip()
    if not before or before[-1] not in ",”\"'’»":
        return None
    run = _run_after(text, words, i + 1)
    if not run:
        return None
    rest = text[run[-1].end:].lstrip()
    if rest and rest[0] not in ".,;!?":
        return None
    return _name_from_run(run)


_COLON = re.compile(r"^\s*((?:[^\W\d_][\w'’.\-]*\s+){0,4}[^\W\d_][\w'’\-]*)\s*:\s*[“\"«„]")
_ACCORDING = re.compile(r"\baccording to\s+(?:the\s+)?", re.I)


_LOWER_WORD = re.compile(r"[a-z]+")


def _positions(sentence: str, words: set[str]) -> list[int]:
    """Where the lowercase `words` stand in the sentence as whole words, in order."""
    found = []
    for word in words:
        at = sentence.find(word)
        while at >= 0:
            after = at + len(word)
            if (at == 0 or not sentence[at - 1].isalpha()) and (after == len(sentence)
                                                                or not sentence[after].isalpha()):
                found.append(at)
            at = sentence.find(word, after)
    return sorted(found)


def _around_verb(sentence: str, start: int, end: int) -> str | None:
    """The speaker of the reporting verb at ``sentence[start:end]``, from the words around it only.

    A name fits in the 60 characters before the verb; a name with its apposition in 160. The
    short window is read first and trusted unless it could have cut something off: a name that
    begins at its first word, or a comma before the verb (an apposition) with no name found."""
    for width in (60, 160):
        lo = max(0, start - width)
        window = sentence[lo:end + 60]
        words = _words(window)
        i = next((n for n, w in enumerate(words) if w.start == start - lo), None)
        if i is None:
            return None
        name = _subject_before(window, words, i) or _subject_after(window, words, i)
        if lo == 0 or width == 160:
            return name
        if name is None and "," not in window[:start - lo]:
            return None
        if name is not None and window.find(name.split()[0], words[0].end, start - lo + 1) >= 0:
            return name
        if name is not None and i + 1 < len(words) and window.find(name.split()[0], words[i].end) >= 0:
            return name                                # '"…," said X': X is after the verb
    return None


def named_speaker(sentence: str) -> str | None:
    """Rule 1 of the module docstring on one sentence: the speaker it names, or None."""
    # most sentences have no cue: one scan for lowercase words and a set test, no parsing
    verbs = REPORTING_VERBS.intersection(_LOWER_WORD.findall(sentence))
    if not verbs and ":" not in sentence and "ccording to" not in sentence:
        return None
    colon = _COLON.match(sentence)
    if colon:
        name = _name_from_run(_words(colon.group(1)))
        if name and all(w.capitalized or w.key in _PARTICLES for w in _words(colon.group(1))):
            return name
    quotes = _quoted(sentence)
    for start in _positions(sentence, verbs):
        end = start + len(sentence[start:].split(None, 1)[0].rstrip(".,;:!?\"”’'"))
        if _inside(start, quotes) or not _may_name_a_subject(sentence, start):
            continue
        name = _around_verb(sentence, start, end)
        if name:
            return name
    for m in _ACCORDING.finditer(sentence):
        if _inside(m.start(), quotes):
            continue
        words = _words(sentence)
        rest = [w for w in words if w.start >= m.end()]
        if rest and rest[0].start == m.end():
            name = _name_from_run(_run_after(sentence, words, words.index(rest[0])))
            if name:
                return name
    return None


def leading_subject(sentence: str) -> str | None:
    """The name a sentence opens with as its subject ("Central bank governor Piotr Lind was ..."), or None."""
    words = _words(sentence[:200])
    run: list[_Word] = []
    for w in words:
        if run and not _gap_is_space(sentence, run[-1], w):
            break
        if w.capitalized or (run and (w.key in TITLES or w.key in _PARTICLES)):
            run.append(w)
            continue
        break
    if not run or len(run) == len(words) or not run[-1].capitalized:
        return None
    after = words[len(run)]
    if after.capitalized or not _gap_is_space(sentence, run[-1], after):
        return None
    return _name_from_run(run)


def _has_reporting_verb(sentence: str) -> bool:
    return not REPORTING_VERBS.isdisjoint(_LOWER_WORD.findall(sentence))


def _pronoun_led(sentence: str) -> bool:
    if sentence.lstrip()[:1] not in ("H", "S", "T"):
        return False
    first = _WORD.search(sentence)
    return bool(first) and first.group().rstrip(".") in PRONOUNS and not sentence[:first.start()].strip()


def _quote_led(sentence: str) -> bool:
    stripped = sentence.lstrip()
    return bool(stripped) and stripped[0] in _OPEN_QUOTES


def article_speakers(text: str, spans: Sequence[tuple[int, int, int]]) -> list[str | None]:
    """The speaker of each sentence ``(start, end, paragraph)`` of one article (module docstring)."""
    out: list[str | None] = []
    full_names: list[str] = []
    last_named: tuple[str, int] | None = None    # (name, paragraph)
    for n, (start, end, paragraph) in enumerate(spans):
        sentence = text[start:end]
        name = named_speaker(sentence)
        if name:
            name = _full_form(name, full_names)
            last_named = (name, paragraph)
        elif _pronoun_led(sentence):
            subject = (leading_subject(text[spans[n - 1][0]:spans[n - 1][1]])
                       if n and spans[n - 1][2] == paragraph and out[-1] is None and _has_reporting_verb(sentence)
                       else None)
            if subject:
                name = _full_form(subject, full_names)
                last_named = (name, paragraph)
            elif last_named and paragraph - last_named[1] <= 1:
                name = last_named[0]
        elif _quote_led(sentence) and n and spans[n - 1][2] == paragraph:
            name = out[-1]
        out.append(name)
    return out


def _full_form(name: str, seen: list[str]) -> str:
    """"Lavrov" after "Sergei Lavrov" in the same article reads "Sergei Lavrov"."""
    key = fold(name).split()
    for full in reversed(seen):
        fk = fold(full).split()
        if len(fk) > len(key) and fk[-len(key):] == key:
            return full
    seen.append(name)
    return name


def same_speaker(asked: str, speaker: str) -> bool:
    """Whether a question's "Lavrov" names the indexed speaker "Sergei Lavrov" (every asked word in it)."""
    want = fold(asked).split()
    have = set(fold(speaker).split())
    return bool(want) and all(w in have for w in want)


# --------------------------------------------------------------------------
# Questions
# --------------------------------------------------------------------------

_NAME = r"(?P<name>[^\W\d_][\w'’.\-]*(?:\s+[^\W\d_][\w'’.\-]*){0,3}?)"
_TOPIC = r"(?:\s+(?:about|on|of|regarding|concerning)\s+(?P<topic>.+?))?"
_SAY_FORMS = [
    re.compile(rf"^\s*what\s+(?:did|does|do|has|have|had|will)\s+{_NAME}\s+"
               rf"(?:say|said|tell|told|think|thought|write|wrote|claim|claimed|mean)\b{_TOPIC}\s*[?.!]*\s*$", re.I),
    re.compile(rf"^\s*what\s+{_NAME}\s+(?:said|says|thinks|wrote)\b{_TOPIC}\s*[?.!]*\s*$", re.I),
    re.compile(rf"^\s*{_NAME}(?:'s|’s)\s+(?:view|views|position|stance|opinion|opinions|take|comments|remarks"
               rf"|statement|statements|words)\s+(?:of|on|about|regarding)\s+(?P<topic>.+?)\s*[?.!]*\s*$", re.I),
    re.compile(rf"^\s*{_NAME}\s+on\s+(?P<topic>.+?)\s*[?.!]*\s*$"),
]
_REFRAMED = (2, 3)   # forms whose frame words are not search words ("view", "on")


@dataclass(frozen=True, slots=True)
class SpeakerQuestion:
    speaker: str
    topic: str | None
    text: str          # what to search: the question, or "X Y" for the view/on forms


def speaker_question(question: str) -> SpeakerQuestion | None:
    """The speaker and topic a question asks about ("what did Lavrov say about mediation"), or None."""
    low = question.lower()
    if not (low.lstrip().startswith("what") or " on " in low or "'s " in low or "’s " in low):
        return None
    for n, form in enumerate(_SAY_FORMS):
        m = form.match(question)
        if not m:
            continue
        words = _words(m.group("name"))
        if not words or not all(w.capitalized or w.key in _PARTICLES for w in words):
            continue
        name = _name_from_run(words)
        if not name:
            continue
        topic = (m.group("topic") or "").strip() or None
        text = f"{m.group('name')} {topic or ''}".strip() if n in _REFRAMED else question
        return SpeakerQuestion(name, topic, text)
    return None
