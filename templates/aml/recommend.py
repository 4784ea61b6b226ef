"""Matrix factorisation recommender: train on (user, item, rating) rows, score four outputs.

A rating is predicted as ``mean + user bias + item bias + user factors · item factors``. The biases
are damped means of the deviations (``bias_damping`` pseudo-ratings pull a user or item with few
ratings towards the global mean); the factors come from the user × item matrix of what the biases
leave unexplained (mean per pair, zero where a user never met an item), factorised with
scikit-learn's TruncatedSVD. ``factorization: nmf`` uses NMF on the raw ratings instead (no
biases: NMF needs non-negative input). ``related_*`` use cosine similarity between factor vectors.

Quality is measured as RMSE on a held-out ``test_fraction`` of the interactions (pairs whose user
and item were both seen in training), then the model is refitted on every interaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

_CHUNK = 512  # users or items scored per matrix product: bounds memory to _CHUNK × catalogue size
_DAMPING = 5.0


def _matrix(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int) -> Any:
    from scipy.sparse import coo_matrix

    sums = coo_matrix((ratings, (users, items)), shape=(n_users, n_items)).tocsr()
    counts = coo_matrix((np.ones_like(ratings), (users, items)), shape=(n_users, n_items)).tocsr()
    sums.sum_duplicates()
    counts.sum_duplicates()
    sums.data = sums.data / counts.data  # same sparsity pattern: the mean rating per pair
    return sums


def _factorise(matrix: Any, hp: dict[str, Any], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """→ (user factors, item factors) with ``user_factors @ item_factors.T`` ≈ ``matrix``."""
    params = dict(hp)
    method = params.pop("factorization", "svd")
    limit = max(1, min(matrix.shape) - 1)
    params["n_components"] = min(int(params.get("n_components", 16)), limit)
    if method == "nmf":
        from sklearn.decomposition import NMF

        nmf = NMF(**{"init": "nndsvda", "max_iter": 500, "random_state": seed, **params})
        return nmf.fit_transform(matrix), nmf.components_.T
    if method != "svd":
        raise ValueError(f"factorization must be 'svd' or 'nmf', not {method!r}")
    from sklearn.decomposition import TruncatedSVD

    svd = TruncatedSVD(**{"random_state": seed, **params})
    return svd.fit_transform(matrix), svd.components_.T


def _fit(frame: pd.DataFrame, spec: dict[str, Any], hp: dict[str, Any], seed: int) -> dict[str, Any]:
    user, item, rating = spec["user"]["name"], spec["item"]["name"], spec["rating"]["name"]
    params = dict(hp)
    damping = float(params.pop("bias_damping", _DAMPING))
    user_ids, users = np.unique(frame[user].to_numpy(), return_inverse=True)
    item_ids, items = np.unique(frame[item].to_numpy(), return_inverse=True)
    ratings = frame[rating].to_numpy(dtype="float64")
    mean, user_bias, item_bias = 0.0, np.zeros(len(user_ids)), np.zeros(len(item_ids))
    if params.get("factorization", "svd") == "svd":
        mean = float(ratings.mean())
        deviation = ratings - mean
        item_bias = np.bincount(items, deviation, len(item_ids)) / (np.bincount(items, None, len(item_ids)) + damping)
        deviation = deviation - item_bias[items]
        user_bias = np.bincount(users, deviation, len(user_ids)) / (np.bincount(users, None, len(user_ids)) + damping)
        ratings = deviation - user_bias[users]
    matrix = _matrix(users, items, ratings, len(user_ids), len(item_ids))
    user_factors, item_factors = _factorise(matrix, params, seed)
    seen = _matrix(users, items, np.ones_like(ratings), len(user_ids), len(item_ids))
    return {"user_ids": user_ids, "item_ids": item_ids, "user_factors": user_factors,
            "item_factors": item_factors, "mean": mean, "user_bias": user_bias, "item_bias": item_bias,
            "seen": seen.astype(bool)}


def train_recommender(spec: dict[str, Any], frame: pd.DataFrame, seed: int, fraction: float,
                      hp: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    from sklearn.model_selection import train_test_split

    user, item, rating = spec["user"]["name"], spec["item"]["name"], spec["rating"]["name"]
    frame = frame.dropna(subset=[user, item, rating]).reset_index(drop=True)
    train, test = train_test_split(np.arange(len(frame)), test_size=fraction, random_state=seed)
    held_out = _fit(frame.iloc[np.sort(train)], spec, hp, seed)
    pairs = frame.iloc[np.sort(test)]
    known = predict_pairs(held_out, pairs[user].to_numpy(), pairs[item].to_numpy())
    mask = ~np.isnan(known)
    metrics = {"train_interactions": float(len(train)), "test_interactions": float(len(test)),
               "test_interactions_scored": float(mask.sum())}
    if mask.any():
        errors = known[mask] - pairs[rating].to_numpy(dtype="float64")[mask]
        metrics["rmse"] = float(np.sqrt(np.mean(errors ** 2)))
    metrics.update(ranking_metrics(held_out, pairs[[user, item]], int(spec["top_k"])))
    bundle = _fit(frame, spec, hp, seed)
    metrics.update(users=float(len(bundle["user_ids"])), items=float(len(bundle["item_ids"])),
                   n_components=float(bundle["user_factors"].shape[1]))
    return bundle, metrics


def ranking_metrics(bundle: dict[str, Any], held_out: pd.DataFrame, k: int) -> dict[str, float]:
    """precision@k and recall@k of the held-out interactions, for the model's top-k (what the
    scores serve) and for the most popular items a user has not seen: a recommender that does not
    beat popularity is not worth its endpoint. Users and items unknown to the training fit are left
    out, as the scores leave them out."""
    u = _positions(bundle["user_ids"], held_out.iloc[:, 0].to_numpy())
    i = _positions(bundle["item_ids"], held_out.iloc[:, 1].to_numpy())
    known = (u >= 0) & (i >= 0)
    relevant: dict[int, set[int]] = {}
    for user_at, item_at in zip(u[known], i[known], strict=True):
        relevant.setdefault(int(user_at), set()).add(int(item_at))
    if not relevant:
        return {}
    seen = bundle["seen"].tocsr()
    popularity = np.asarray(seen.sum(axis=0)).ravel().astype("float64")
    users = np.array(sorted(relevant))
    found = {"model": [0.0, 0.0], "popularity": [0.0, 0.0]}  # precision, recall sums
    for start in range(0, len(users), _CHUNK):
        chunk = users[start:start + _CHUNK]
        model = (bundle["user_factors"][chunk] @ bundle["item_factors"].T + bundle["item_bias"]
                 + (bundle["mean"] + bundle["user_bias"][chunk])[:, None])
        popular = np.tile(popularity, (len(chunk), 1))
        already = seen[chunk].toarray()
        for name, scores in (("model", model), ("popularity", popular)):
            scores[already] = -np.inf
            for row, cols, _values in _top(scores, k):
                hits = len(relevant[int(chunk[row])].intersection(cols.tolist()))
                found[name][0] += hits / k
                found[name][1] += hits / len(relevant[int(chunk[row])])
    n = float(len(users))
    return {f"precision_at_{k}": found["model"][0] / n, f"recall_at_{k}": found["model"][1] / n,
            f"popularity_precision_at_{k}": found["popularity"][0] / n,
            f"popularity_recall_at_{k}": found["popularity"][1] / n, "ranking_users": n}


def _positions(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Row of each value in the sorted ``ids`` array, or -1 for values the model never saw."""
    values = np.asarray(values)
    if len(ids) == 0:
        return np.full(len(values), -1)
    at = np.clip(np.searchsorted(ids, values), 0, len(ids) - 1)
    return np.where(ids[at] == values, at, -1)


def predict_pairs(bundle: dict[str, Any], users: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Predicted rating per (user, item); NaN where the model has not seen the user or the item."""
    u, i = _positions(bundle["user_ids"], users), _positions(bundle["item_ids"], items)
    known = (u >= 0) & (i >= 0)
    out = np.full(len(u), np.nan)
    u, i = u[known], i[known]
    out[known] = (bundle["mean"] + bundle["user_bias"][u] + bundle["item_bias"][i]
                  + np.einsum("ij,ij->i", bundle["user_factors"][u], bundle["item_factors"][i]))
    return out


def _top(scores: np.ndarray, k: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """Per row: (row, best columns, their scores), best first; ties broken by column for determinism;
    -inf marks excluded columns."""
    for row, values in enumerate(scores):
        allowed = np.flatnonzero(np.isfinite(values))
        if len(allowed) == 0:
            continue
        order = np.lexsort((allowed, -values[allowed]))[:k]
        yield row, allowed[order], values[allowed[order]]


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def top_items(bundle: dict[str, Any], users: np.ndarray, input_pairs: pd.DataFrame, k: int) -> pd.DataFrame:
    """``k`` best items per user, never one the user already interacted with (in training or in the
    scored input)."""
    ids = np.unique(users)
    positions = _positions(bundle["user_ids"], ids)
    ids, positions = ids[positions >= 0], positions[positions >= 0]
    also_seen = input_pairs.assign(u=_positions(bundle["user_ids"], input_pairs.iloc[:, 0].to_numpy()),
                                   i=_positions(bundle["item_ids"], input_pairs.iloc[:, 1].to_numpy()))
    also_seen = also_seen[(also_seen.u >= 0) & (also_seen.i >= 0)]
    rows: list[tuple[Any, int, Any, float]] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = positions[start:start + _CHUNK]
        scores = (bundle["user_factors"][chunk] @ bundle["item_factors"].T + bundle["item_bias"]
                  + (bundle["mean"] + bundle["user_bias"][chunk])[:, None])
        scores[bundle["seen"][chunk].toarray()] = -np.inf
        local = {p: n for n, p in enumerate(chunk)}
        extra = also_seen[also_seen.u.isin(local)]
        scores[[local[p] for p in extra.u], extra.i.to_numpy()] = -np.inf
        for row, cols, values in _top(scores, k):
            rows += [(ids[start + row], rank, bundle["item_ids"][c], float(v))
                     for rank, (c, v) in enumerate(zip(cols, values, strict=True), 1)]
    return pd.DataFrame(rows, columns=["user", "rank", "item", "score"])


def related(ids_seen: np.ndarray, vectors: np.ndarray, wanted: np.ndarray, k: int) -> pd.DataFrame:
    """``k`` most similar others (cosine of factor vectors) for each wanted id the model knows."""
    ids = np.unique(wanted)
    positions = _positions(ids_seen, ids)
    ids, positions = ids[positions >= 0], positions[positions >= 0]
    unit = _unit(vectors)
    rows: list[tuple[Any, int, Any, float]] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = positions[start:start + _CHUNK]
        similarity = unit[chunk] @ unit.T
        similarity[np.arange(len(chunk)), chunk] = -np.inf  # not related to itself
        for row, cols, values in _top(similarity, k):
            rows += [(ids[start + row], rank, ids_seen[c], float(v))
                     for rank, (c, v) in enumerate(zip(cols, values, strict=True), 1)]
    return pd.DataFrame(rows, columns=["id", "rank", "related", "similarity"])


def score_recommender(bundle: dict[str, Any], spec: dict[str, Any], frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Input rows (user, item[, rating]) → the four contract outputs, named by contract columns."""
    user, item = spec["user"]["name"], spec["item"]["name"]
    related_user, related_item = f"related_{user}", f"related_{item}"
    frame = frame.dropna(subset=[user, item])
    pairs = frame[[user, item]].drop_duplicates().reset_index(drop=True)
    predicted = predict_pairs(bundle, pairs[user].to_numpy(), pairs[item].to_numpy())
    predictions = pairs.assign(predicted_rating=predicted)[~np.isnan(predicted)]
    tops = top_items(bundle, pairs[user].to_numpy(), pairs, int(spec["top_k"]))
    users = related(bundle["user_ids"], bundle["user_factors"], pairs[user].to_numpy(), int(spec["related_k"]))
    items = related(bundle["item_ids"], bundle["item_factors"], pairs[item].to_numpy(), int(spec["related_k"]))
    return {
        "predictions": predictions,
        "top_items": tops.rename(columns={"user": user, "item": item}),
        "related_users": users.rename(columns={"id": user, "related": related_user}),
        "related_items": items.rename(columns={"id": item, "related": related_item}),
    }
