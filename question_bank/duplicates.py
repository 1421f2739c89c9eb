"""Semantic near-duplicates: entries that ask and answer the same thing in other words.

``fuzz.ratio`` on prompts catches copies with small edits; two entries written separately
about one subject share vocabulary instead (the same terms in prompt and answer) while
their wording differs. TF-IDF cosine over prompt plus answer measures that: words both
entries use that are rare in the rest of the bank weigh most. scikit-learn is only a
development dependency, and a bank of a few hundred entries needs nothing more than
sparse dictionaries, so this is a small implementation of the standard formula.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

# Measured on the shipped bank (tests/test_bank_loader.py checks both ends): put back next
# to it, the two pairs issue 16 found (ROC AUC from ranks twice, stable softmax twice)
# score 0.63-0.65 and 0.69-0.70 (255 and 271 entries); the closest distinct pairs
# (confusion matrix vs precision/recall from scratch, gradient descent for linear vs
# logistic regression) 0.39, and 99% of the pairs that share a word under 0.2. The
# threshold sits in the gap, away from both ends.
SEMANTIC_DUPLICATE_COSINE = 0.55
# Words in more than this share of entries ("model", "data", "train") say nothing about an
# entry's subject: dropped, like scikit-learn's ``max_df``. It also keeps the pair count low.
MAX_DF = 0.1
MIN_KEPT_DF = 3

_WORD = re.compile(r"[^\W_]+")
_STOP = frozenset(
    """a an and are as at be been but by can do does for from has have how if in into is it
    its itself no not of on or so such than that the their them then there these they this
    those to was we were what when where which while who why will with would you your""".split()
)


def terms(text: str) -> Counter[str]:
    """Content words of a text, with their counts.

    Not stemmed: the pure-Python stemmer took seconds on a bank, and without it the known
    duplicates and the closest distinct pair are as far apart (measured, see above)."""
    return Counter(w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1)


def tfidf_vectors(texts: Sequence[str], max_df: float = MAX_DF) -> list[dict[str, float]]:
    """Unit-length TF-IDF vectors, as scikit-learn's ``TfidfVectorizer(sublinear_tf=True,
    max_df=max_df)`` computes them: 1 + log(tf), so one long answer repeating a word does
    not dominate, times the smoothed IDF log((1 + n) / (1 + df)) + 1."""
    counts = [terms(text) for text in texts]
    df: Counter[str] = Counter(term for c in counts for term in c)
    n = len(texts)
    # A small custom bank keeps every word: there a word in a few entries is still telling.
    cut = max(max_df * n, MIN_KEPT_DF)
    idf = {term: math.log((1 + n) / (1 + d)) + 1 for term, d in df.items() if d <= cut}
    vectors = []
    for c in counts:
        raw = {term: (1 + math.log(tf)) * idf[term] for term, tf in c.items() if term in idf}
        norm = math.sqrt(sum(w * w for w in raw.values())) or 1.0
        vectors.append({term: w / norm for term, w in raw.items()})
    return vectors


def similar_pairs(
    texts: Sequence[str], threshold: float = SEMANTIC_DUPLICATE_COSINE, max_df: float = MAX_DF
) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, cosine)`` with i < j whose TF-IDF cosine reaches ``threshold``.

    Dot products are accumulated through an inverted index, so only pairs that share a
    term cost anything (measured: 0.35 s for the 303 entries of this bank plus a draft
    generative-AI file, about 0.6 s for 550 entries on a shared two-core machine).
    """
    vectors = tfidf_vectors(texts, max_df)
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    found = []
    for j, vector in enumerate(vectors):
        dots = [0.0] * j  # dot products with every earlier entry
        for term, weight in vector.items():
            entries = postings[term]
            for i, other in entries:
                dots[i] += weight * other
            entries.append((j, weight))
        found.extend((i, j, dot) for i, dot in enumerate(dots) if dot >= threshold)
    return found


def all_cosines(texts: Sequence[str], max_df: float = MAX_DF) -> list[tuple[int, int, float]]:
    """Every pair's cosine (to measure where the threshold sits)."""
    return similar_pairs(texts, threshold=-1.0, max_df=max_df)
