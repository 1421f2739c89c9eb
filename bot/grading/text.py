"""Turns free text into comparable terms: stems, ML concepts, and the polarity of each.

One pass over the text does everything the grader needs: code blocks are split into
words, British spellings are folded into American ones, words are stemmed (cached, the
stemmer is pure Python), multi-word phrases become one concept term ("area under the ROC
curve" -> ``_auc``), and every term remembers whether it sat inside a negation ("does not
reduce variance"). It also counts the words in clauses that make claims, so the grader
can tell an explanation from a bare list of keywords.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

from bot.grading.lexicon import (
    ADVICE_MODALS,
    ADVICE_NEGATORS,
    GLUE_WORDS,
    IMPERATIVE_NEGATORS,
    INTENSIFIERS,
    LINKING_VERBS,
    NEGATION_CANCELLERS,
    NEGATION_SCOPE_WORDS,
    NEGATORS,
    SCOPE_BREAKERS,
    SHORT_ITEM_WORDS,
    SHORT_NEGATION_WORDS,
    SHORT_NEGATORS,
    STOP_VERBS,
    STOPPED_CHANGES,
    STOPWORDS,
    SYNONYMS,
    VERB_STEMS,
    WEAK_GLUE,
)

CONCEPT_PREFIX = "_"

_STEMMER = snowballstemmer.stemmer("english")
_CODE_BLOCK = re.compile(r"```[^\n`]*\n?(.*?)(?:```|$)", re.S)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_RELATION = re.compile(r"\w\s*(?::|->|=>|→|=)\s*[^\W\d_]")
_SENTENCE_SPLIT = re.compile(r"[.!?;]+(?:\s|$)|\n\s*\n|\n\s*(?=[-*•+]\s|\d+[.)]\s)")
_CLAUSE_SPLIT = re.compile(r"[,:()\[\]{}=<>|\n]|\s[-–—]+\s|->|=>|^\s*[-*•+]\s", re.M)
_ITEM_SPLIT = re.compile(r",")
_WORD = re.compile(r"\d+(?:\.\d+)+%?|[^\W_]+(?:['-][^\W_]+)*%?")
_BRITISH = (
    (re.compile(r"(?<=[a-z]{3})is(ation|ations|e|ed|es|ing|er|ers)$"), r"iz\1"),
    (re.compile(r"(?<=[a-z]{2})ys(e|ed|es|ing)$"), r"yz\1"),
    (re.compile(r"(?<=[a-z]{3}[^aeiou])our(s|ed|ing)?$"), r"or\1"),
)
# Stems that would otherwise collide with unrelated words ("regularization" -> "regular",
# "derivative" -> "deriv" as in "derived").
_PREFIX_STEMS = (
    ("regulariz", "regulariz"),
    ("normaliz", "normaliz"),
    ("generaliz", "generaliz"),
    ("optimiz", "optimiz"),
    ("randomiz", "randomiz"),
    ("vectoriz", "vectoriz"),
    ("tokeniz", "tokeniz"),
    ("derivativ", "derivativ"),  # a derivative is a gradient; "derived from" is not
)
# A single line break inside a paragraph is a soft wrap, unless a list item follows ("- x",
# "2) x"; "**bold**" at the start of a line is not one).
_SOFT_WRAP = re.compile(r"(?<![\n.!?;:])\n(?![ \t]*(?:[-*•+]\s|\d+[.)]\s|\n))")
_GREEK = str.maketrans(
    {
        "α": " alpha ",
        "β": " beta ",
        "γ": " gamma ",
        "δ": " delta ",
        "ε": " epsilon ",
        "η": " eta ",
        "θ": " theta ",
        "λ": " lambda ",
        "μ": " mu ",
        "σ": " sigma ",
        "ρ": " rho ",
        "π": " pi ",
        "Σ": " sum ",
        "∑": " sum ",
        "→": " -> ",
        "⇒": " => ",
        "√": " sqrt ",
    }
)
_SPELLING = {"centre": "center", "centres": "centers", "metre": "meter", "fibre": "fiber"}

# Word kinds, as cached by _word_info.
CONTENT, FUNCTION, NEGATOR, BREAKER, SHORT_NEGATOR = 0, 1, 2, 3, 4
_WORD_CACHE: dict[str, tuple[int, str]] = {}
_WORD_CACHE_LIMIT = 200_000


@lru_cache(maxsize=65_536)
def stem_word(word: str) -> str:
    """The stem of one lowercase word, spelling variants folded together."""
    word = _SPELLING.get(word, word)
    if len(word) > 6:
        for pattern, repl in _BRITISH:
            word = pattern.sub(repl, word)
    for prefix, stem in _PREFIX_STEMS:
        if word.startswith(prefix):
            return stem
    return _STEMMER.stemWord(word)


def _word_info(word: str) -> tuple[int, str]:
    info = _WORD_CACHE.get(word)
    if info is not None:
        return info
    bare = word.replace("'", "")
    if bare in NEGATORS:
        info = (NEGATOR, bare)
    elif bare in SHORT_NEGATORS:
        info = (SHORT_NEGATOR, bare)
    elif bare in SCOPE_BREAKERS:
        info = (BREAKER, bare)
    elif bare in STOPWORDS:
        info = (FUNCTION, bare)
    else:
        stem = stem_word(bare.rstrip("%")) if not bare[0].isdigit() else bare
        info = (CONTENT, _SINGLE.get(stem, stem))
    if len(_WORD_CACHE) >= _WORD_CACHE_LIMIT:
        _WORD_CACHE.clear()
    _WORD_CACHE[word] = info
    return info


@dataclass(slots=True)
class Clause:
    terms: list[str]
    # per term: True inside a negation, False outside, None inside advice ("don't fit the
    # scaler on all rows"): it names what not to do, so it neither affirms nor denies
    negated: list[bool | None]
    words: list[str]  # the surface word behind each term
    sentence: int = 0  # which sentence of the answer the clause belongs to
    # per term: it follows a linking verb ("error is low"), so it describes what came before
    linked: list[bool] = field(default_factory=list)


@dataclass(slots=True)
class Scan:
    clauses: list[Clause] = field(default_factory=list)
    prose_words: int = 0
    explained_words: int = 0  # prose words in clauses that read as claims, not keywords
    code_words: int = 0
    sentences: int = 0


# A line of code typed without a fence: an assignment or a call of a dotted or snake_case
# name ("mae = np.mean(...)", "clip_grad_norm_(...)"), or a block header ("for x in y:").
# Its "# comment" stays prose.
_CODE_START = re.compile(
    r"^\s*(?:[A-Za-z_][\w.]*(?:\[[^\]\n]*\])?\s*(?:[-+*/]|\*\*)?=(?!=)"
    r"|[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)+\s+=\s"  # a, b = ...
    r"|[A-Za-z_]\w*(?:\[[^\]\n]*\]|\.\w+)+\(|[A-Za-z]+_\w*\(|[A-Za-z_]\w*\(.*\)\s*;?\s*$)"
)
_CODE_TOKEN = re.compile(
    r"[A-Za-z]\w*(?:\[[^\]\n]*\]|\.\w+)+\(|[A-Za-z0-9]_\w|[A-Za-z_]\w+\(|\*\*|[-+]="
)
_BLOCK_HEADER = re.compile(r"^\s*(?:for|while|if|elif|else|def|with|try|except|class|return)\b")
_COMMENT = re.compile(r"(?:^|\s)(?:#|//)\s?(.*)$")


def split_code_lines(text: str) -> tuple[str, str]:
    """(prose, code) of text whose code lines are not fenced."""
    if "=" not in text and "(" not in text and ":" not in text:
        return text, ""
    prose: list[str] = []
    code: list[str] = []
    for line in text.split("\n"):
        comment = _COMMENT.search(line)
        body = line[: comment.start()] if comment else line
        header = _BLOCK_HEADER.match(body) is not None
        starts = header or _CODE_START.match(body) is not None
        if starts and (_CODE_TOKEN.search(body) or (header and body.rstrip().endswith(":"))):
            code.append(body)
            prose.append(comment.group(1) if comment else "")
        else:
            prose.append(line)
    if not code:
        return text, ""
    return "\n".join(prose), "\n".join(code)


def _split_code(text: str) -> tuple[str, str]:
    """Prose and code parts of a message; code identifiers are split into words."""
    code_parts: list[str] = []

    def take(match: re.Match[str]) -> str:
        code_parts.append(match.group(1))
        return "\n\n"

    prose = _CODE_BLOCK.sub(take, text) if "```" in text else text
    prose, loose = split_code_lines(prose)
    if loose:
        code_parts.append(loose)
    code = ""
    if code_parts:
        code = "\n".join(code_parts)
        code = _CAMEL.sub(" ", code).replace("_", " ")
    return prose, code


def scan(text: str) -> Scan:
    text = unicodedata.normalize("NFKC", text).replace("’", "'")
    prose, code = _split_code(text)
    prose = _SOFT_WRAP.sub(" ", prose.replace("`", " ").translate(_GREEK))
    result = Scan()
    _scan_part(prose.lower(), result, is_code=False)
    if code:
        _scan_part(code.lower(), result, is_code=True)
    return result


def _scan_part(text: str, result: Scan, *, is_code: bool) -> None:
    for sentence_text in _SENTENCE_SPLIT.split(text):
        sentence = result.sentences
        found = False
        opening = True  # the sentence's first clause, where an imperative starts
        # "L1: sparse weights" or "L2 -> small weights" states a relation without glue
        # words. It speaks for its own comma-separated item, not for a whole list
        # ("mean, std, axis=0, leakage" is still a list).
        for item in _ITEM_SPLIT.split(sentence_text):
            relation = not is_code and _RELATION.search(item) is not None
            for clause_text in _CLAUSE_SPLIT.split(item):
                words = _WORD.findall(clause_text)
                if not words:
                    continue
                clause = _scan_clause(
                    words, result, is_code=is_code, relation=relation, opening=opening
                )
                opening = False
                if clause.terms:
                    clause.sentence = sentence
                    result.clauses.append(clause)
                    found = True
        if found:
            result.sentences += 1


def _is_advice(words: list[str], i: int, bare: str, opening: bool) -> bool:
    """A negation that advises rather than denies: "Don't fit the scaler on all rows",
    "Never tune on the test set", "a feature shouldn't be derived from the label"."""
    if bare in ADVICE_NEGATORS:
        return True
    before = words[i - 1] if i else ""
    if before in ADVICE_MODALS:
        return True
    return (
        opening
        and (i == 0 or (i == 1 and before in ("do", "please")))
        and (bare in IMPERATIVE_NEGATORS or (bare == "not" and before == "do"))
    )


def _scan_clause(
    words: list[str], result: Scan, *, is_code: bool, relation: bool, opening: bool = False
) -> Clause:
    terms: list[str] = []
    negated: list[bool | None] = []
    advice = False
    surface: list[str] = []
    scope = 0
    prefix = ""
    explained = relation
    linked: list[bool] = []
    after_link = False
    # A hyphenated compound ("co-adapting") is split into its parts but counts as one word
    # for the reach of a negation.
    ends: list[bool] = []
    if any("-" in w for w in words):
        parts: list[str] = []
        for w in words:
            pieces = [p for p in w.split("-") if p]
            parts.extend(pieces)
            ends.extend([False] * (len(pieces) - 1) + [True])
        words = parts
    last = len(words) - 1
    for i, word in enumerate(words):
        kind, term = _word_info(word)
        if not explained and (
            (word in GLUE_WORDS and (len(words) > SHORT_ITEM_WORDS or word not in WEAK_GLUE))
            or _is_verb_form(word, term, i)
        ):
            explained = True
        if kind == CONTENT:
            if term == "non" and i < last:
                prefix = "non"  # "non-linear" is its own concept, not "linear"
                continue
            if prefix:
                term, word, prefix = prefix + term, prefix + "-" + word, ""
            terms.append(term)
            negated.append(None if scope and advice else scope > 0)
            surface.append(word)
            linked.append(after_link)
            # "is too big", "stays fairly low": an intensifier does not end the link.
            after_link = after_link and word in INTENSIFIERS
            if scope and (not ends or ends[i]):
                scope -= 1
            if word in STOP_VERBS and i < last and _stops_doing(words[i + 1]):
                # "stops improving" says what "no longer improves" says
                scope = max(scope, 2 if words[i + 1] == "getting" else 1)
                advice = False
            continue
        if word in LINKING_VERBS:
            after_link = True
        elif word not in INTENSIFIERS:
            after_link = False
        if (
            scope
            and word in ("and", "or")
            and i < last
            and _is_verb_form(words[i + 1], _word_info(words[i + 1])[1], i + 1)
        ):
            scope = 0  # "never reaches zero and handles ...": a new verb, a new claim
        if kind == NEGATOR:
            follower = words[i + 1] if i < last else ""
            if follower not in NEGATION_CANCELLERS:
                scope = NEGATION_SCOPE_WORDS
                advice = _is_advice(words, i, term, opening)
        elif kind == SHORT_NEGATOR:
            if not scope:
                advice = False
            scope = max(scope, SHORT_NEGATION_WORDS)
        elif kind == BREAKER:
            scope = 0
    if is_code:
        result.code_words += len(words)
    else:
        result.prose_words += len(words)
        if explained:
            result.explained_words += len(words)
    return Clause(terms, negated, surface, linked=linked)


def _stops_doing(word: str) -> bool:
    """A change after "stop" ("stops improving"), not the name of the procedure ("stop
    training"): a misspelt "trainning" must not be denied."""
    return word in STOPPED_CHANGES


def _is_verb_form(word: str, term: str, position: int) -> bool:
    """A conjugated verb ("drives", "reduced") after the first word of a clause."""
    if position == 0 or len(word) < 4:
        return False
    if not (word.endswith("ed") or (word.endswith("s") and not word.endswith("ss"))):
        return False
    stem = stem_word(word) if term.startswith(CONCEPT_PREFIX) else term
    return stem in VERB_STEMS


# --- concepts -------------------------------------------------------------------------------

_SINGLE: dict[str, str] = {}
_PHRASES: dict[tuple[str, ...], str] = {}
_PHRASE_MAX: dict[str, int] = {}  # first term -> longest phrase starting with it
CONCEPT_SURFACES: dict[str, tuple[str, ...]] = {}  # concept -> one-word ways to say it
# concept -> the words of its spelled-out form, which an abbreviation ("iid", "sgd") implies
EXPANSIONS: dict[str, tuple[str, ...]] = {}
ABBREVIATION_MAX_CHARS = 5


def _phrase_terms(phrase: str) -> list[str]:
    out: list[str] = []
    for word in _WORD.findall(phrase.lower().replace("-", " ")):
        kind, term = _word_info(word)
        if kind == CONTENT:
            out.append(term)
    return out


def _build_concepts() -> None:
    # Single words first: a phrase is stored as the sequence of its (already mapped) terms.
    for concept, phrases in SYNONYMS.items():
        name = CONCEPT_PREFIX + concept
        singles: list[str] = []
        for phrase in phrases:
            words = _WORD.findall(phrase)
            if len(words) == 1:
                _SINGLE[stem_word(words[0])] = name
                singles.append(words[0])
        CONCEPT_SURFACES[name] = tuple(singles)
    _WORD_CACHE.clear()
    for concept, phrases in SYNONYMS.items():
        name = CONCEPT_PREFIX + concept
        for phrase in phrases:
            terms = tuple(_phrase_terms(phrase))
            if len(terms) < 2:
                continue
            if name not in EXPANSIONS:
                EXPANSIONS[name] = tuple(t for t in terms if not t.startswith(CONCEPT_PREFIX))
            _PHRASES[terms] = name
            _PHRASE_MAX[terms[0]] = max(_PHRASE_MAX.get(terms[0], 0), len(terms))


_build_concepts()


def _joint(negated: list[bool | None]) -> bool | None:
    """A phrase is negated if any word is, advice if any word is and none is negated."""
    if any(negated):
        return True
    return None if None in negated else False


def merge_phrases(clause: Clause, *, keep_parts: bool) -> Iterable[tuple[str, bool | None, str]]:
    """(term, negated, surface) for a clause, multi-word concepts merged into one term.

    With ``keep_parts`` the words of a merged phrase are also yielded, so an answer that
    says "area under the ROC curve" still contains "roc" and "curv".
    """
    terms, negated, words = clause.terms, clause.negated, clause.words
    n = len(terms)
    i = 0
    while i < n:
        longest = _PHRASE_MAX.get(terms[i], 0)
        matched = 0
        for size in range(min(longest, n - i), 1, -1):
            concept = _PHRASES.get(tuple(terms[i : i + size]))
            if concept is not None:
                matched = size
                yield concept, _joint(negated[i : i + size]), " ".join(words[i : i + size])
                break
        if matched:
            if keep_parts:
                for j in range(i, i + matched):
                    yield terms[j], negated[j], words[j]
            i += matched
        else:
            yield terms[i], negated[i], words[i]
            i += 1
