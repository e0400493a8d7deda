"""English stopwords: the words a question or a sentence is *not* about.

The analyzer (`index.analysis`) drops these from the index terms of both
articles and questions, and keeps them in `Token.words` so quoted phrases can
still be matched word for word. The list is written out literally (no nltk
corpus download is needed or possible at run time) and is compared against
*normalized* words: casefolded, accents stripped, curly apostrophes already
folded to "'", and a possessive "'s" already removed ("what's" -> "what").

How it was built
----------------
1. nltk's 179-word English list, minus five entries that are real content
   words in news once text is casefolded: "won" (past of win; nltk lists it as
   a fragment of "won't"), "don" (the river, Don Jr.), "ma" (Jack Ma),
   "haven" ("safe haven") and "shan" (a name). The other contraction
   fragments ("didn", "t", "ll", ...) stay: our tokenizer never produces them
   from "didn't", but people type "didn t" or "i ll".
2. Question scaffolding, so "what did Lavrov say about mediation" reduces to
   lavrov/say/mediation: whose, whatever/whoever/..., could/would/might/must/
   shall, done, please, know ("what do we know about X"), explain, summarize,
   happen(ed) ("what happened in Minsk" should search for Minsk, not for
   every sentence that says "happened"), anything/something, article(s)
   ("what does the article say"; in the corpus it is mostly the
   "ARTICLE CONTINUES AFTER AD" boilerplate), greetings and thanks, "mr"/"mrs".
3. Contractions the tokenizer keeps whole ("i'm", "can't", "they're"), and the
   same forms typed without the apostrophe ("dont", "whats", "im").
4. Pronoun "us" (nltk lacks it). The analyzer keeps the acronym "US"/"U.S."
   as a term despite this entry (see `index.analysis`).

Deliberately NOT stopwords
--------------------------
* Reporting verbs: "say", "said", "tell", "told", "speak", "write",
  "think", "announce", "claim", "warn"... In news they are the searchable
  core of "what did X say about Y": a quote sits next to "said".
* "may": the month and Theresa May survive casefolding only if kept.
* "can" stays a stopword (nltk), "will" too (the noun "will" is rare).
Negations ("no", "not", "nor") are stopwords: a bag-of-words ranker cannot
use them, and keeping them would rank every sentence with "not" higher for
"why did X not come". ("never" is not on the list.)

`SMALL_STOPWORDS` is a deliberately minimal list (articles, the commonest
prepositions and auxiliary verbs) for ablation benchmarks that compare list
sizes. Neither list is stemmed: the analyzer checks stopwords before stemming.
"""
from __future__ import annotations

# 1. nltk's English list (179 words) without won / don / ma / haven / shan.
_NLTK_BASED: frozenset[str] = frozenset(
    """
    i me my myself we our ours ourselves
    you you're you've you'll you'd your yours yourself yourselves
    he him his himself she she's her hers herself it it's its itself
    they them their theirs themselves
    what which who whom this that that'll these those
    am is are was were be been being have has had having do does did doing
    a an the and but if or because as until while
    of at by for with about against between into through during before after
    above below to from up down in out on off over under
    again further then once here there when where why how
    all any both each few more most other some such
    no nor not only own same so than too very
    s t can will just don't should should've now
    d ll m o re ve y ain aren aren't couldn couldn't didn didn't
    doesn doesn't hadn hadn't hasn hasn't haven't isn isn't
    mightn mightn't mustn mustn't needn needn't shan't shouldn shouldn't
    wasn wasn't weren weren't won't wouldn wouldn't
    """.split()
)

# 2. Question scaffolding and chat filler: the frame around a question.
_QUESTION_SCAFFOLDING: frozenset[str] = frozenset(
    """
    whose whatever whichever whoever whomever whenever wherever however
    could would might must shall done
    please pls plz kindly thanks thank hi hello hey
    know explain summarize summarise
    happen happens happened happening
    anything something everything anyone someone
    article articles
    also ever even many much
    mr mrs
    """.split()
)

# 3. Contractions kept whole by the tokenizer, and their apostrophe-less forms.
_CONTRACTIONS: frozenset[str] = frozenset(
    """
    i'm i've i'll i'd we're we've we'll we'd they're they've they'll they'd
    he'll he'd she'll she'd it'll can't cannot
    dont doesnt didnt isnt arent wasnt werent cant couldnt wouldnt shouldnt
    hasnt havent hadnt im ive youre theyre
    whats hows whos wheres whens whys thats theres heres
    """.split()
)

# 4. Pronoun missing from nltk's list.
_EXTRA_PRONOUNS: frozenset[str] = frozenset({"us"})

STOPWORDS: frozenset[str] = (
    _NLTK_BASED | _QUESTION_SCAFFOLDING | _CONTRACTIONS | _EXTRA_PRONOUNS
)
"""The product's stopword list (normalized, unstemmed English words)."""

SMALL_STOPWORDS: frozenset[str] = frozenset(
    """
    a an the and or of to in on at by for with from as
    is are was were be been being it its that this
    has have had do does did
    """.split()
)
"""A minimal list (articles, prepositions, auxiliaries) for ablations."""

# Words the analyzer and the docs promise are searchable content.
NEVER_STOPWORDS: frozenset[str] = frozenset(
    {"say", "says", "said", "tell", "tells", "told", "may", "won", "don"}
)

assert not (STOPWORDS & NEVER_STOPWORDS), STOPWORDS & NEVER_STOPWORDS
assert SMALL_STOPWORDS <= STOPWORDS
