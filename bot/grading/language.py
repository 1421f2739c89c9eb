"""Is an answer written in English? The grader's stems and lexicon only know English.

An answer in another language would otherwise be graded as if it were English and told
that it "reads as a list of keywords" or missed every point, which is wrong and unkind.
Two cheap checks, no model: the script (Arabic, Cyrillic, CJK, ... letters are not
English) and, for Latin-script text long enough to judge, whether English function words
outnumber those of the other common Latin-script languages.
"""

from __future__ import annotations

import re

from bot.grading.text import split_code_lines

# Below this many words a Latin-script answer is not judged: "O(n log n)" or "push" is fine.
MIN_WORDS_TO_JUDGE = 6
# Share of letters that must be Latin for the text to count as Latin script.
LATIN_SHARE = 0.6

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_LETTER = re.compile(r"[^\W\d_]")
# Basic Latin, Latin-1, Latin Extended-A/B and Latin Extended Additional letters.
_LATIN = re.compile(r"[A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F\u1E00-\u1EFF]")
_CODE = re.compile(r"```.*?(?:```|$)|`[^`\n]*`", re.S)
# Notation whose one-letter words read as Spanish "y" or Portuguese "o" and "e": big-O
# ("O(n log n)") and "e.g." / "i.e.".
_NOTATION = re.compile(r"\bO\([^)\n]*\)|\b[ei]\.\s?[ge]\.", re.I)

# Very common function words of each language; a word shared by two lists is left out
# of both ("a", "in", "die" ...) so it cannot decide.
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "the of and to is are was were that this it for with as be by on not or from "
        "which you we they can will has have if when than more because but its their "
        "there what how why also each into between does do so only".split()
    ),
    "de": frozenset(
        "der das und ist sind nicht mit für den dem des ein eine einer wird werden zu "
        "auch wenn weil dass oder aber wie bei sich auf von durch kann können".split()
    ),
    "fr": frozenset(
        "le la les et est sont des une du pour avec que qui dans pas sur par ce cette "
        "mais ou comme plus peut sont aux être".split()
    ),
    "es": frozenset(
        "el los las y es son del una por para con que pero como más puede este esta "
        "cuando porque entre sobre también".split()
    ),
    "it": frozenset(
        "il lo gli della che è sono per con una non come più può questo questa quando "
        "perché anche nel dei delle".split()
    ),
    "pt": frozenset(
        "o os as e é são do da dos das uma para com que não como mais pode este esta "
        "quando porque também".split()
    ),
    "nl": frozenset(
        "de het en is zijn van een niet met voor dat die op ook als maar wordt kan "
        "omdat door bij".split()
    ),
}


def _distinct_lists() -> dict[str, frozenset[str]]:
    counts: dict[str, int] = {}
    for words in _FUNCTION_WORDS.values():
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    return {
        lang: frozenset(w for w in words if counts[w] == 1)
        for lang, words in _FUNCTION_WORDS.items()
    }


_DISTINCT = _distinct_lists()
# Each distinct function word belongs to one language: the answer is counted in one pass.
_LANGUAGE_OF = {word: lang for lang, words in _DISTINCT.items() for word in words}


def _latin_share(text: str) -> float:
    if text.isascii():
        return 1.0
    letters = len(_LETTER.findall(text))
    return len(_LATIN.findall(text)) / letters if letters else 1.0


def looks_english(text: str) -> bool:
    """False only when the answer is clearly in another language; code is ignored."""
    prose = _NOTATION.sub(" ", split_code_lines(_CODE.sub(" ", text))[0])
    if _latin_share(prose) < LATIN_SHARE:
        return False
    words = [w.casefold() for w in _WORD.findall(prose)]
    if len(words) < MIN_WORDS_TO_JUDGE:
        return True
    hits = dict.fromkeys(_DISTINCT, 0)
    for word in words:
        lang = _LANGUAGE_OF.get(word)
        if lang is not None:
            hits[lang] += 1
    english = hits.pop("en")
    other = max(hits.values())
    # Another language must clearly lead: English answers quote foreign terms, and a
    # terse English answer may have few function words at all.
    return not (other >= 2 and other > 2 * english)
