"""Per-language Punkt data: abbreviations, titles and date collocations.

Punkt breaks after every period followed by whitespace unless it knows the
token before is an abbreviation. nltk's trained models (``punkt_tab``) are not
installed and must not be downloaded, and the corpus of one bot is too small
for `PunktTrainer` to learn its abbreviations reliably (it learns some, see
`index.sentences.learn_tokenizer`), so the common ones of news prose are
listed here, per ISO 639-1 code, as Punkt looks them up: lower case, without
the final period, dotted forms with their inner periods ("z.b").

* ``titles`` always precede a name ("Dr. Müller", "Sr. García"): they are
  treated as initials, after which Punkt never breaks before a capital.
* ``abbreviations`` are other forms that rarely end a sentence.
* ``months``: an ordinal date ("am 1. Mai", "op 3. mei" in older Dutch) is a
  (number, month) collocation: no break.

English keeps its own lists in `index.sentences` (today's behaviour exactly).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PunktLanguage:
    """The hand-listed Punkt knowledge of one language."""

    titles: frozenset[str]
    abbreviations: frozenset[str]
    months: frozenset[str] = frozenset()
    question_marks: str = ""  # sentence-final marks besides . ? ! (Greek ';')


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Shared by every listed language: Latin forms and international titles.
_COMMON_TITLES = "dr prof"
_COMMON = "etc vs ca cf approx u.s u.k u.n e.u"

_TABLE: dict[str, tuple[str, str, str]] = {
    # lang: (titles, abbreviations, months)
    "de": ("hr hrn fr frl dr prof dipl ing", "bzw usw z.b d.h u.a o.a s.o s.u vgl evtl ggf inkl "
           "nr str mio mrd bspw sog z.t v.a u.ä abs art bd hrsg jh jhd geb gest tel",
           "jan januar feb februar märz mär apr april mai juni jun juli jul aug august sep sept "
           "september okt oktober nov november dez dezember"),
    "nl": ("dhr mevr mr dr prof ir ing drs", "bijv o.a d.w.z enz nr blz m.a.w resp ca jl",
           "januari februari maart april mei juni juli augustus september oktober november december"),
    "es": ("sr sra srta sres dr dra d dña lic ing gral", "ud uds vd vds pág págs núm art aprox "
           "av avda ee.uu p.ej cía admón dpto", ""),
    "pt": ("sr sra srs dr dra prof profa", "av pág págs nº núm art p.ex ltda cia dept", ""),
    "fr": ("m mm mme mmes mlle dr pr me", "av apr j.-c st ste bd env p.ex cie", ""),
    "it": ("sig sigg dott dott.ssa prof ing avv on", "ecc pag pagg art ca s.p.a p.es", ""),
    "ro": ("dl dna dlui dnei dr prof ing", "nr str pag art ex ș.a aprox", ""),
    "ru": ("г-н г-жа", "т.е т.к т.д т.п т.н др пр ул им проф акад см тыс млн млрд руб коп стр рис "
           "напр ок пос обл", ""),
    "uk": ("п пані", "т.д т.п т.ч ім проф акад вул див тис млн млрд грн обл напр", ""),
    "el": ("κ κα", "π.χ δηλ κτλ σελ βλ αρ", ""),
    "tr": ("sn dr prof doç yrd av", "vb vs bkz örn sok cad mah no", ""),
    "vi": ("ông bà ts ths pgs gs", "tp tt q", ""),
    "id": ("dr prof ir drs h hj", "jl no tsb dll dsb dst sdr", ""),
    "pl": ("dr prof mgr inż", "np tzn tj itd itp ok ul al godz zł", ""),
}

_EXTRA_MARKS = {"el": ";\u037e"}  # the Greek question mark is ';' (or U+037E)


def _language(lang: str, titles: str, abbreviations: str, months: str) -> PunktLanguage:
    title_set = _words(f"{_COMMON_TITLES} {titles}")
    return PunktLanguage(
        titles=title_set,
        abbreviations=title_set | _words(f"{_COMMON} {abbreviations}"),
        months=_words(months),
        question_marks=_EXTRA_MARKS.get(lang, ""),
    )


LANGUAGES: dict[str, PunktLanguage] = {
    lang: _language(lang, *row) for lang, row in _TABLE.items()
}


def base_language(lang: str | None) -> str | None:
    """The ISO 639-1 part of a language tag ("pt-BR" -> "pt"), lower case; None for none."""
    if not lang:
        return None
    return lang.strip().lower().replace("_", "-").split("-")[0] or None
