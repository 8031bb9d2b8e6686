"""Single linkage in the core vs straightforward NumPy Prim and Kruskal references."""
import logging

import numpy as np
import pytest

from textvision.proposals.cluster import SpanningTree, euclidean_mst, single_linkage


def _d2(pts):
    # Same operation order as the core (sum over dimensions left to right), so ties compare equal.
    diff = pts[:, None, :] - pts[None, :, :]
    d2 = np.zeros(diff.shape[:2])
    for d in range(pts.shape[1]):
        d2 = d2 + diff[..., d] * diff[..., d]
    return d2


def kruskal_reference(pts):
    """All pairs sorted by (d2, i, j), union-find: the unique MST under that total order."""
    n = len(pts)
    i, j = np.triu_indices(n, 1)
    d2 = _d2(pts)[i, j]
    order = np.lexsort((j, i, d2))
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    edges = []
    for k in order:
        a, b = find(i[k]), find(j[k])
        if a != b:
            parent[a] = b
            edges.append((d2[k], i[k], j[k]))
    return edges


def prim_reference(pts):
    """O(n^2) Prim with the same (d2, min index, max index) total order."""
    n = len(pts)
    d2 = _d2(pts)
    in_tree = np.zeros(n, bool)
    in_tree[0] = True
    key = d2[0].copy()
    partner = np.zeros(n, int)
    edges = []
    for _ in range(n - 1):
        cand = np.flatnonzero(~in_tree)
        lo = np.minimum(cand, partner[cand])
        hi = np.maximum(cand, partner[cand])
        k = cand[np.lexsort((hi, lo, key[cand]))[0]]
        edges.append((key[k], min(k, partner[k]), max(k, partner[k])))
        in_tree[k] = True
        better = (d2[k] < key) | ((d2[k] == key) & (
            (np.minimum(k, np.arange(n)) < np.minimum(partner, np.arange(n)))
            | ((np.minimum(k, np.arange(n)) == np.minimum(partner, np.arange(n)))
               & (np.maximum(k, np.arange(n)) < np.maximum(partner, np.arange(n))))))
        better &= ~in_tree
        key[better] = d2[k][better]
        partner[better] = k
    return sorted(edges)


def linkage_reference(edges, n):
    """Dendrogram (SciPy convention) from sorted MST edges."""
    parent = list(range(n))
    cid = list(range(n))
    size = [1] * n

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    rows = []
    for t, (d2, u, v) in enumerate(edges):
        a, b = find(u), find(v)
        ia, ib = cid[a], cid[b]
        rows.append((min(ia, ib), max(ia, ib), np.sqrt(d2), size[a] + size[b]))
        parent[a] = b
        cid[b] = n + t
        size[b] = size[a] + size[b]
    return np.array(rows, dtype=np.float64).reshape(-1, 4)


def _cases(rng):
    yield rng.random((200, 3))
    yield rng.random((150, 2))
    # Integer grids: many exactly equal distances.
    yield rng.integers(0, 6, size=(120, 3)).astype(np.float64)
    # Duplicated points (zero-length edges) mixed with distinct ones.
    base = rng.random((40, 3))
    yield np.concatenate([base, base[:25], base[:10]])
    yield np.zeros((17, 3))
    yield rng.normal(size=(300, 1))


def test_mst_matches_prim_and_kruskal(rng):
    for pts in _cases(rng):
        ref = kruskal_reference(pts)
        assert ref == prim_reference(pts)
        tree = euclidean_mst(pts)
        assert type(tree) is SpanningTree
        u, v, length = tree
        assert tree.u is u and tree.v is v and tree.length is length
        got = list(zip(length ** 2, u.tolist(), v.tolist()))
        assert [(a, b) for _, a, b in got] == [(a, b) for _, a, b in ref]
        np.testing.assert_allclose([g[0] for g in got], [r[0] for r in ref], rtol=0, atol=1e-12)


def test_single_linkage_matches_reference(rng):
    for pts in _cases(rng):
        z = single_linkage(pts)
        ref = linkage_reference(kruskal_reference(pts), len(pts))
        np.testing.assert_array_equal(z.to_linkage()[:, [0, 1, 3]], ref[:, [0, 1, 3]])
        np.testing.assert_allclose(z.height, ref[:, 2], atol=1e-12)
        assert np.all(np.diff(z.height) >= 0)
        assert z.size[-1] == len(pts)


def test_flat_clusters_agree_with_threshold_components(rng):
    """Cutting the dendrogram at t gives the connected components of the graph 'distance <= t'."""
    pts = rng.random((120, 3))
    z = single_linkage(pts)
    n = len(pts)
    t = np.median(z.height)
    members = {i: {i} for i in range(n)}
    for k in range(n - 1):
        if z.height[k] > t:
            break
        members[n + k] = members.pop(int(z.left[k])) | members.pop(int(z.right[k]))
    got = sorted(sorted(m) for m in members.values())
    adj = np.sqrt(_d2(pts)) <= t
    seen, comps = set(), []
    for s in range(n):
        if s in seen:
            continue
        stack, comp = [s], set()
        while stack:
            x = stack.pop()
            if x in comp:
                continue
            comp.add(x)
            stack.extend(np.flatnonzero(adj[x]).tolist())
        seen |= comp
        comps.append(sorted(comp))
    assert got == sorted(comps)


def test_large_input_is_subquadratic_in_memory():
    # 10^5 points would need 40 GB as a distance matrix; the tree-based MST handles it.
    pts = np.random.default_rng(1).random((100_000, 3))
    z = single_linkage(pts)
    assert len(z.height) == 99_999 and z.size[-1] == 100_000


def test_small_and_bad_inputs():
    assert len(single_linkage(np.zeros((1, 3))).height) == 0
    assert len(single_linkage(np.zeros((0, 3))).height) == 0
    with pytest.raises(ValueError, match="shape"):
        single_linkage(np.zeros((5, 9)))
    with pytest.raises(ValueError, match="NaN"):
        single_linkage(np.array([[0.0, np.nan]]))
    with pytest.raises(TypeError, match="dtype"):
        single_linkage(np.array([["a", "b"]]))


def _algorithms(caplog):
    """The algorithms the wrappers logged since caplog was last cleared, e.g. ["prim", "prim"]."""
    return [r.getMessage().rsplit(", ", 1)[1] for r in caplog.records if r.name == "textvision.proposals.cluster"]


@pytest.mark.parametrize("algorithm", ["prim", "boruvka"])
def test_mst_on_both_sides_of_the_prim_boruvka_switch_matches_reference(rng, caplog, algorithm):
    """The core runs an O(n^2) Prim loop when n <= prim_max_points and a k-d tree Boruvka above.
    Setting the switch at n or n - 1 runs each on a few hundred points; both must give the unique
    MST and dendrogram, ties and duplicates (integer grid) included, and the log proves which ran."""
    n = 400
    prim_max_points = n if algorithm == "prim" else n - 1
    cases = (
        rng.integers(0, 5, size=(n, 3)).astype(np.float64),  # 125 cells: duplicates and equal lengths
        rng.random((n, 3)),
        rng.random((n, 2)),
    )
    for pts in cases:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="textvision.proposals.cluster"):
            u, v, length = euclidean_mst(pts, prim_max_points=prim_max_points)
            z = single_linkage(pts, prim_max_points=prim_max_points)
        assert _algorithms(caplog) == [algorithm, algorithm]
        ref = kruskal_reference(pts)
        assert list(zip(u.tolist(), v.tolist())) == [(a, b) for _, a, b in ref]
        # The reference sums squared differences in the core's order, so the lengths are bit-identical.
        np.testing.assert_array_equal(length, np.sqrt([r[0] for r in ref]))
        link = linkage_reference(ref, n)
        np.testing.assert_array_equal(z.to_linkage(), link)


def test_default_switch_is_unchanged_and_both_sides_agree_at_scale(caplog):
    """Default: Prim at 3000 points, Boruvka at 6500 (the built-in switch is 4000, or 6000 with AVX2).
    At 6500 points, forcing Prim must give exactly what Boruvka gives (both checked against the
    NumPy reference at small n above)."""
    rng = np.random.default_rng(3)
    with caplog.at_level(logging.DEBUG, logger="textvision.proposals.cluster"):
        euclidean_mst(rng.random((3000, 3)))
        assert _algorithms(caplog) == ["prim"]
        for pts in (rng.integers(0, 12, size=(6500, 3)).astype(np.float64), rng.random((6500, 3))):
            caplog.clear()
            boruvka = euclidean_mst(pts)
            prim = euclidean_mst(pts, prim_max_points=len(pts))
            assert _algorithms(caplog) == ["boruvka", "prim"]
            for a, b in zip(boruvka, prim):
                np.testing.assert_array_equal(a, b)


def test_prim_max_points_is_checked(rng):
    pts = rng.random((5, 3))
    for bad in ("100", 1.5, True):
        with pytest.raises(TypeError, match="prim_max_points"):
            euclidean_mst(pts, prim_max_points=bad)
    with pytest.raises(ValueError, match="prim_max_points must be >= 0, got -1"):
        single_linkage(pts, prim_max_points=-1)
    # numpy integers are ints; 0 sends every input of 2+ points to Boruvka.
    u, v, _ = euclidean_mst(pts, prim_max_points=np.int64(0))
    assert len(u) == 4
