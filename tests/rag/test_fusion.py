import numpy as np
import pytest

from ragtune.rag.fusion import minmax, mmr, near_best, top, weighted_rrf, weighted_scores
from ragtune.rag.retrieve import top_positive


def test_weighted_rrf_by_hand():
    fused = weighted_rrf([[1, 2, 3], [3, 1]], [0.5, 1.0], k=1)
    # item 1: 0.5/2 + 1/3 ; item 2: 0.5/3 ; item 3: 0.5/4 + 1/2
    assert fused == pytest.approx({1: 0.25 + 1 / 3, 2: 0.5 / 3, 3: 0.125 + 0.5})
    assert [i for i, _ in top(fused, 3)] == [3, 1, 2]


def test_plain_rrf_is_equal_weights():
    assert weighted_rrf([[1, 2], [2, 1]], [1, 1]) == pytest.approx({1: 1 / 61 + 1 / 62, 2: 1 / 62 + 1 / 61})


def test_minmax_and_weighted_scores():
    assert minmax({1: 2.0, 2: 4.0, 3: 3.0}) == {1: 0.0, 2: 1.0, 3: 0.5}
    assert minmax({1: 5.0}) == {1: 1.0}
    fused = weighted_scores({1: 0.9, 2: 0.5}, {2: 10.0, 3: 4.0}, dense_weight=0.25)
    # dense norm {1:1, 2:0}; lexical norm {2:1, 3:0}
    assert fused == pytest.approx({1: 0.25, 2: 0.75, 3: 0.0})


def test_near_best_keeps_what_scores_close_to_the_first():
    ranked = [(3, 1.0), (1, 0.6), (7, 0.5), (2, 0.49)]
    assert near_best(ranked, 0.5) == [(3, 1.0), (1, 0.6), (7, 0.5)]
    assert near_best(ranked, 0.0) == ranked  # off
    assert near_best([(3, 0.2)], 0.9) == [(3, 0.2)]  # the best always stays
    assert near_best([], 0.5) == []


def test_top_breaks_ties_by_id():
    assert top({5: 1.0, 2: 1.0, 9: 2.0}, 2) == [(9, 2.0), (2, 1.0)]


def test_mmr_skips_a_near_duplicate():
    vecs = np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32)  # 0 and 1 identical
    picked = mmr([(10, 1.0), (11, 0.99), (12, 0.5)], vecs, k=2, diversity=0.5)
    assert [i for i, _ in picked] == [10, 12]
    assert [i for i, _ in mmr([(10, 1.0), (11, 0.99), (12, 0.5)], vecs, k=2, diversity=0.0)] == [10, 11]


def test_top_positive_equals_a_stable_full_sort_with_ties():
    rng = np.random.default_rng(0)
    for size, k in [(1000, 50), (40, 50), (1000, 1), (7, 3)]:
        scores = rng.integers(0, 6, size).astype(np.float32)  # many ties and zeros
        expected = [i for i in np.argsort(-scores, kind="stable")[:k] if scores[i] > 0]
        assert top_positive(scores, k).tolist() == expected
    assert top_positive(np.zeros(10, np.float32), 5).tolist() == []
