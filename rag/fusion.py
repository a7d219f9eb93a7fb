"""Fusion of dense and lexical rankings, and MMR de-duplication: pure functions on ids and scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


def weighted_rrf(rankings: Sequence[Sequence[int]], weights: Sequence[float], k: int = 60) -> dict[int, float]:
    """Reciprocal-rank fusion with a weight per ranking: sum_i w_i / (k + rank_i), ranks from 1."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


def minmax(scores: Mapping[int, float]) -> dict[int, float]:
    """Scale to [0, 1] within the candidate pool; a constant list maps to 1."""
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo < 1e-12:
        return {i: 1.0 for i in scores}
    return {i: (s - lo) / (hi - lo) for i, s in scores.items()}


def weighted_scores(dense: Mapping[int, float], lexical: Mapping[int, float], dense_weight: float) -> dict[int, float]:
    """Convex combination of min-max normalised scores; an item missing from one list scores 0 there."""
    d, s = minmax(dense), minmax(lexical)
    return {i: dense_weight * d.get(i, 0.0) + (1 - dense_weight) * s.get(i, 0.0) for i in set(d) | set(s)}


def top(scores: Mapping[int, float], k: int) -> list[tuple[int, float]]:
    """Highest first; ties broken by id so results are deterministic."""
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


def near_best(ranked: Sequence[tuple[int, float]], share: float) -> list[tuple[int, float]]:
    """The entries of a best-first ranking that score at least `share` x the first one's (which always stays)."""
    if share <= 0 or not ranked:
        return list(ranked)
    floor = share * ranked[0][1]
    return [ranked[0], *(r for r in ranked[1:] if r[1] >= floor)]


def mmr(candidates: Sequence[tuple[int, float]], vectors: np.ndarray, k: int, diversity: float = 0.3) -> list[tuple[int, float]]:
    """Maximal marginal relevance: trade relevance against similarity to what is already picked.

    `candidates` are (id, relevance) best first, `vectors` their unit embeddings in the same order.
    """
    if not len(candidates):
        return []
    relevance = np.array([s for _, s in candidates], dtype=np.float32)
    span = relevance.max() - relevance.min()
    relevance = (relevance - relevance.min()) / span if span > 1e-12 else np.ones_like(relevance)
    sims = vectors @ vectors.T
    chosen = [0]
    while len(chosen) < min(k, len(candidates)):
        rest = [i for i in range(len(candidates)) if i not in chosen]
        penalty = sims[np.ix_(rest, chosen)].max(axis=1)
        gains = (1 - diversity) * relevance[rest] - diversity * penalty
        chosen.append(rest[int(np.argmax(gains))])
    return [candidates[i] for i in chosen]
