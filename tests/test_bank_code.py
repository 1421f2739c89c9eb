"""The Python in model answers runs and does what the answer says it does.

Every ```python block in a built-in answer is executed in a fresh namespace, after the
setup a fragment assumes (SETUP), and followed by checks written here (CHECKS) on small
inputs whose right answers are known independently (by hand or by a library). A new entry
with code needs a check: the first test lists any block without one, and any check whose
entry has no code any more.
"""

from __future__ import annotations

import re

import pytest

from question_bank import load_bank

PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)

SETUP: dict[str, str] = {
    # Pseudocode of one map-reduce round: shards, a pool and a start are its context.
    "parallel-kmeans-pseudocode": """
import itertools
import numpy as np
class pool:
    starmap = staticmethod(lambda f, args: list(itertools.starmap(f, args)))
X = np.array([[0.0, 0], [0, 1], [10, 10], [10, 11], [0.5, 0.5], [10.5, 10.5]])
shards = [X[:3], X[3:]]
C = np.array([[0.0, 0.0], [10.0, 10.0], [100.0, 100.0]])
iters = 5
""",
    "time-series-lag-features": """
import pandas as pd
df = pd.DataFrame({"store": ["a"] * 40 + ["b"] * 40,
                   "sales": [float(i) for i in range(40)] + [100.0 + i for i in range(40)]})
""",
}

CHECKS: dict[str, str] = {
    "parallel-kmeans-pseudocode": """
assert np.allclose(C[0], X[[0, 1, 4]].mean(axis=0))
assert np.allclose(C[1], X[[2, 3, 5]].mean(axis=0))
assert np.allclose(C[2], [100, 100])  # empty cluster keeps its centroid
""",
    "two-strings-palindrome-cut": """
import itertools
def brute(a, b):
    return any((a[:i] + b[i:]) == (a[:i] + b[i:])[::-1] for i in range(len(a) + 1))
assert can_cut("ulacfd", "jizalu")    # "ula" + "alu" = "ulaalu"
assert not can_cut("abc", "def")
for n in range(1, 5):
    for a in itertools.product("ab", repeat=n):
        for b in itertools.product("ab", repeat=n):
            assert can_cut("".join(a), "".join(b)) == brute("".join(a), "".join(b)), (a, b)
""",
    "binary-search-lower-bound": """
import bisect
for nums in ([], [1], [1, 2, 2, 2, 3], [5, 7, 9]):
    for t in range(0, 11):
        assert lower_bound(nums, t) == bisect.bisect_left(nums, t)
""",
    "two-sum-hash-map": """
assert two_sum([2, 7, 11, 15], 9) == (0, 1)
assert two_sum([3, 3], 6) == (0, 1)
assert two_sum([1, 2], 10) is None
""",
    "reservoir-sampling": """
import collections
assert reservoir_sample(range(3), 5) == [0, 1, 2]
counts = collections.Counter()
rng = random.Random(7)
for _ in range(4000):
    counts.update(reservoir_sample(range(10), 3, rng))
assert all(1000 < counts[i] < 1400 for i in range(10))  # each kept with p = 3/10
""",
    "top-k-frequent-elements": """
assert top_k("a b a c b a".split(), 2) == ["a", "b"]
assert top_k([], 3) == []
""",
    "binned-roc-auc-at-scale": """
from sklearn.metrics import roc_auc_score
rng = np.random.default_rng(1)
y = rng.random(20_000) < 0.3
s = np.clip(rng.normal(0.4 + 0.2 * y, 0.15), 0, 1)
halves = [score_histograms(y[:9_000], s[:9_000]), score_histograms(y[9_000:], s[9_000:])]
pos, neg = (sum(h[i] for h in halves) for i in (0, 1))
auc, bound = auc_from_histograms(pos, neg)
exact = roc_auc_score(y, s)
assert abs(auc - exact) <= bound + 1e-12 and bound < 0.01
coarse_auc, coarse_bound = auc_from_histograms(*score_histograms(y, s, bins=4))
assert abs(coarse_auc - exact) <= coarse_bound + 1e-12
""",
    "online-softmax-one-pass": """
import numpy as np
from scipy.special import logsumexp
xs = [1000.0, -3.0, 999.5, 0.0, 1001.2]
assert abs(online_logsumexp(xs) - logsumexp(xs)) < 1e-9
def fold(block):
    state = (-math.inf, 0.0)
    for x in block:
        state = merge(state, (x, 1.0))
    return state
m, t = merge(fold(xs[:2]), fold(xs[2:]))
assert abs(m + math.log(t) - logsumexp(xs)) < 1e-9
try:
    online_logsumexp([])
    raise AssertionError("empty stream accepted")
except ValueError:
    pass
""",
    "lru-cache-design": """
c = LRUCache(2)
c.put("a", 1); c.put("b", 2)
assert c.get("a") == 1
c.put("c", 3)                      # evicts b, the least recently used
assert c.get("b") is None and c.get("a") == 1 and c.get("c") == 3
""",
    "edit-distance-dynamic-programming": """
assert edit_distance("kitten", "sitting") == 3
assert edit_distance("", "abc") == 3
assert edit_distance("flaw", "lawn") == 2
assert edit_distance("same", "same") == 0
""",
    "weighted-random-sampling": """
import collections
s = WeightedSampler([1, 0, 3])
rng = random.Random(3)
counts = collections.Counter(s.sample(rng) for _ in range(8000))
assert counts[1] == 0 and 1700 < counts[0] < 2300 and 5700 < counts[2] < 6300
try:
    WeightedSampler([0, 0])
    raise AssertionError("zero weights accepted")
except ValueError:
    pass
""",
    "time-series-lag-features": """
a = df[df.store == "a"]
assert a["lag7"].iloc[:7].isna().all() and a["lag7"].iloc[7] == 0.0
b = df[df.store == "b"]
assert b["lag7"].iloc[:7].isna().all()          # no leak across stores
assert b["roll28"].iloc[34] == sum(100.0 + i for i in range(0, 28)) / 28
""",
    "implement-standard-scaler": """
X = np.array([[1.0, 5.0], [3.0, 5.0]])
Z = StandardScaler().fit(X).transform(X)
assert np.allclose(Z, [[-1.0, 0.0], [1.0, 0.0]])   # constant column gives 0, not NaN
""",
    "implement-out-of-fold-target-encoding": """
cats = ["a"] * 50 + ["b"] * 50
y = [1.0] * 50 + [0.0] * 50
enc = oof_target_encode(cats, y, k=5, m=10.0)
assert enc.shape == (100,) and np.all(enc[:50] > 0.6) and np.all(enc[50:] < 0.4)
assert np.all((enc > 0) & (enc < 1))          # smoothed toward the prior, never 0 or 1
""",
    "implement-stable-softmax-cross-entropy": """
logits = np.array([[1000.0, 0.0], [0.0, 0.0]])
loss = cross_entropy(logits, np.array([0, 1]))
assert np.isfinite(loss) and abs(loss - np.log(2) / 2) < 1e-9
assert np.allclose(softmax(logits)[1], [0.5, 0.5])
""",
    "conv-layer-output-shape-and-params": """
assert conv2d_shape(224, 224, 3, stride=1, pad=1) == (224, 224, (27 + 1) * 64)
assert conv2d_shape(32, 32, 5, stride=2, pad=0, c_in=16, c_out=8, bias=False)[:2] == (14, 14)
""",
    "roc-auc-from-scores-coding": """
from sklearn.metrics import roc_auc_score
y, s = [0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.4, 0.4]
assert abs(roc_auc(y, s) - roc_auc_score(y, s)) < 1e-12
try:
    roc_auc([1, 1], [0.2, 0.3])
    raise AssertionError("one class accepted")
except ValueError:
    pass
""",
    "precision-recall-f1-from-scratch-coding": """
import numpy as np
from sklearn.metrics import precision_recall_fscore_support
t, p = [1, 0, 1, 1, 0, 0], [1, 1, 0, 1, 0, 0]
want = precision_recall_fscore_support(t, p, average="binary")[:3]
assert np.allclose(precision_recall_f1(t, p), want)
assert precision_recall_f1([0, 0], [0, 0]) == (0.0, 0.0, 0.0)
""",
    "implement-scaled-dot-product-attention": """
rng = np.random.default_rng(0)
Q, K, V = rng.normal(size=(4, 8)), rng.normal(size=(4, 8)), rng.normal(size=(4, 3))
s = Q @ K.T / np.sqrt(8)
w = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
assert np.allclose(attention(Q, K, V), w @ V)
out = attention(Q, K, V, causal=True)
assert np.allclose(out[0], V[0])               # the first token sees only itself
""",
    "permutation-test-coding": """
assert permutation_test([1, 2, 3], [1, 2, 3], n_perm=200) > 0.5
assert permutation_test(np.arange(20), np.arange(20) + 100, n_perm=500) < 0.01
""",
    "item-similarity-top-k-coding": """
X = sparse.csr_matrix(np.array([[1, 1, 0, 0], [1, 1, 0, 1], [0, 0, 1, 0]]))
top = similar_items(X, 0, 2)
assert list(top) == [1, 3]                     # item 1 co-occurs most, never item 0 itself
""",
    "implement-gradient-descent-linear-regression": """
rng = np.random.default_rng(0)
X = rng.normal(size=(200, 2))
y = X @ np.array([2.0, -3.0]) + 0.5
w, b = fit_linear_gd(X, y, lr=0.1, epochs=2000)
assert np.allclose(w, [2, -3], atol=1e-3) and abs(b - 0.5) < 1e-3
""",
    "implement-gradient-check": """
def f(theta):
    return (theta ** 2).sum(), 2 * theta
assert grad_check(f, np.array([1.0, -2.0, 3.0])) < 1e-7
def wrong(theta):
    return (theta ** 2).sum(), 3 * theta
assert grad_check(wrong, np.array([1.0, -2.0, 3.0])) > 0.1
""",
    "knn-classifier-coding": """
X = np.array([[0.0, 0], [0, 1], [5, 5], [5, 6], [6, 5]])
y = np.array([0, 0, 1, 1, 1])
assert list(knn_predict(X, y, np.array([[0.2, 0.3], [5.5, 5.5]]), k=3)) == [0, 1]
""",
    "logistic-regression-gradient-descent-coding": """
assert np.isfinite(sigmoid(np.array([-1000.0, 1000.0]))).all()
X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
w, b = fit_logistic(X, np.array([0.0, 0.0, 1.0, 1.0]), lr=0.5, epochs=2000)
assert w[0] > 0 and (sigmoid(X @ w + b) > 0.5).tolist() == [False, False, True, True]
""",
    "implement-best-gini-split": """
t, g = best_gini_split([1, 2, 3, 10, 11, 12], [0, 0, 0, 1, 1, 1])
assert t == 6.5 and g == 0.0
assert best_gini_split([1, 1, 1], [0, 1, 0])[0] is None   # no threshold between equal values
""",
    "bootstrap-out-of-bag-fraction": """
assert abs(oob_fraction(100_000) - np.exp(-1)) < 0.01
""",
    "k-means-from-scratch-coding": """
X = np.array([[0.0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10]])
centroids, labels = kmeans(X, 2)
assert len(set(labels[:3])) == 1 and len(set(labels[3:])) == 1 and labels[0] != labels[3]
assert np.allclose(sorted(centroids.tolist()), [[1 / 3, 1 / 3], [31 / 3, 31 / 3]])
# Two clusters left empty by a bad start get two different worst-served points.
X = np.array([[0.0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10], [50, 50]])
centroids, labels = kmeans(X, 3, iters=1)
assert len({tuple(c) for c in centroids}) == 3
""",
    "pca-via-svd-coding": """
from sklearn.decomposition import PCA
rng = np.random.default_rng(0)
X = rng.normal(size=(50, 4)) @ rng.normal(size=(4, 4))
components, ratio, projected, mean = pca(X, 2)
ref = PCA(n_components=2).fit(X)
assert np.allclose(ratio, ref.explained_variance_ratio_)
assert np.allclose(np.abs(projected), np.abs(ref.transform(X)))
""",
    # computer-vision, reinforcement-learning and math-foundations entries (h-bank2)
    "non-max-suppression-coding": """
assert np.isclose(iou(np.array([0.0, 0, 2, 2]), np.array([[1.0, 1, 3, 3]]))[0], 1 / 7)
assert np.isclose(iou(np.array([10.0, 10, 50, 50]), np.array([[30.0, 20, 70, 60]]))[0], 600 / 2600)
# A overlaps B (IoU 7/13) and B overlaps C (7/13), A and C less (1/4): greedy keeps A and C.
chain = np.array([[0, 0, 10, 10], [3, 0, 13, 10], [6, 0, 16, 10]], float)
assert nms(chain, np.array([0.9, 0.8, 0.7]), threshold=0.5) == [0, 2]
assert nms(chain, np.array([0.9, 0.8, 0.7]), threshold=0.9) == [0, 1, 2]
assert nms(chain, np.array([0.1, 0.9, 0.2]), threshold=0.5) == [1]
assert nms(np.zeros((0, 4)), np.zeros(0)) == []
""",
    "thompson-sampling-bernoulli-coding": """
for seed in range(5):
    pulls = thompson([0.05, 0.04, 0.10], steps=5000, seed=seed)
    assert pulls.sum() == 5000 and pulls.argmax() == 2 and pulls[2] > 0.6 * 5000
    assert (pulls > 0).all()                    # every arm is tried while posteriors are wide
""",
    "power-iteration-top-eigenvector": """
rng = np.random.default_rng(1)
Q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
A = Q @ np.diag([10.0, 4.0, 2.0, 1.0, 0.5]) @ Q.T
lam, v = power_iteration(A)
values, vectors = np.linalg.eigh(A)
assert np.isclose(lam, values[-1]) and np.isclose(abs(v @ vectors[:, -1]), 1, atol=1e-6)
""",
    "sample-correlated-gaussians-cholesky": """
cov3 = np.array([[2.0, 0.6, -0.4], [0.6, 1.0, 0.2], [-0.4, 0.2, 0.5]])
x3 = correlated_normals(np.zeros(3), cov3, n=300_000, seed=1)
assert np.allclose(np.cov(x3, rowvar=False), cov3, atol=0.02)
try:
    correlated_normals(np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]]), n=10)
    raise AssertionError("an indefinite covariance was accepted")
except np.linalg.LinAlgError:
    pass
""",
}


def python_blocks() -> dict[str, str]:
    blocks: dict[str, str] = {}
    for question in load_bank():
        code = PYTHON_BLOCK.findall(question.answer)
        if code:
            blocks[question.id] = "\n".join(code)
    return blocks


BLOCKS = python_blocks()


def test_every_python_block_has_a_check_and_every_check_a_block() -> None:
    assert sorted(set(BLOCKS) - set(CHECKS)) == [], "add a check for these entries' code"
    assert sorted(set(CHECKS) - set(BLOCKS)) == [], "these checks' entries have no code"


@pytest.mark.parametrize("entry_id", sorted(set(BLOCKS) & set(CHECKS)))
def test_the_code_runs_and_does_what_the_answer_says(entry_id: str) -> None:
    source = "\n".join((SETUP.get(entry_id, ""), BLOCKS[entry_id], CHECKS[entry_id]))
    exec(compile(source, f"<{entry_id}>", "exec"), {"__name__": f"bank_{entry_id}"})
