#include "cluster/single_linkage.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "common.h"

namespace textvision {
namespace {

constexpr int kMaxDim = 8;
constexpr int kLeafSize = 8;

struct Node {
  double lo[kMaxDim], hi[kMaxDim];
  int32_t begin, end;           // range into the permutation
  int32_t left = -1, right = -1;
};

struct Candidate {
  double d2 = std::numeric_limits<double>::infinity();
  int32_t u = -1, v = -1;
};

// Strict total order on edges; (u, v) already ordered u < v.
inline bool edge_less(double d2, int32_t u, int32_t v, const Candidate& b) {
  if (d2 != b.d2) return d2 < b.d2;
  if (u != b.u) return u < b.u;
  return v < b.v;
}

struct UnionFind {
  std::vector<int32_t> parent;
  explicit UnionFind(int64_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int32_t find(int32_t x) {
    while (parent[x] != x) {
      parent[x] = parent[parent[x]];
      x = parent[x];
    }
    return x;
  }
};

class KdTree {
 public:
  KdTree(const double* pts, int64_t n, int dim) : pts_(pts), dim_(dim), perm_(n) {
    std::iota(perm_.begin(), perm_.end(), 0);
    nodes_.reserve(static_cast<size_t>(2 * n / kLeafSize + 2));
    build(0, static_cast<int32_t>(n));
  }

  const std::vector<int32_t>& perm() const { return perm_; }

  // Lowest-order edge from q to a point of another component, improving on `best`.
  void nearest_foreign(int32_t q, const std::vector<int32_t>& comp, const std::vector<int32_t>& node_comp,
                       Candidate& best) const {
    search(0, q, comp[q], comp, node_comp, best);
  }

  // node_comp[i] = the component shared by every point under node i, or -1 when mixed.
  void label_nodes(const std::vector<int32_t>& comp, std::vector<int32_t>& node_comp) const {
    node_comp.assign(nodes_.size(), -1);
    // Children always have larger indices than their parent (pre-order build).
    for (int64_t i = static_cast<int64_t>(nodes_.size()) - 1; i >= 0; --i) {
      const Node& nd = nodes_[i];
      if (nd.left < 0) {
        int32_t c = comp[perm_[nd.begin]];
        for (int32_t k = nd.begin + 1; k < nd.end && c >= 0; ++k)
          if (comp[perm_[k]] != c) c = -1;
        node_comp[i] = c;
      } else {
        int32_t a = node_comp[nd.left], b = node_comp[nd.right];
        node_comp[i] = (a >= 0 && a == b) ? a : -1;
      }
    }
  }

 private:
  const double* pts_;
  int dim_;
  std::vector<int32_t> perm_;
  std::vector<Node> nodes_;

  inline const double* pt(int32_t i) const { return pts_ + static_cast<int64_t>(i) * dim_; }

  inline double dist2(const double* a, const double* b) const {
    double s = 0;
    for (int d = 0; d < dim_; ++d) {
      double t = a[d] - b[d];
      s += t * t;
    }
    return s;
  }

  inline double box_dist2(const Node& nd, const double* q) const {
    double s = 0;
    for (int d = 0; d < dim_; ++d) {
      double t = 0;
      if (q[d] < nd.lo[d]) t = nd.lo[d] - q[d];
      else if (q[d] > nd.hi[d]) t = q[d] - nd.hi[d];
      s += t * t;
    }
    return s;
  }

  int32_t build(int32_t begin, int32_t end) {
    int32_t idx = static_cast<int32_t>(nodes_.size());
    nodes_.emplace_back();
    Node nd;
    nd.begin = begin;
    nd.end = end;
    for (int d = 0; d < dim_; ++d) {
      nd.lo[d] = std::numeric_limits<double>::infinity();
      nd.hi[d] = -std::numeric_limits<double>::infinity();
    }
    for (int32_t k = begin; k < end; ++k) {
      const double* p = pt(perm_[k]);
      for (int d = 0; d < dim_; ++d) {
        nd.lo[d] = std::min(nd.lo[d], p[d]);
        nd.hi[d] = std::max(nd.hi[d], p[d]);
      }
    }
    if (end - begin > kLeafSize) {
      int split = 0;
      for (int d = 1; d < dim_; ++d)
        if (nd.hi[d] - nd.lo[d] > nd.hi[split] - nd.lo[split]) split = d;
      if (nd.hi[split] > nd.lo[split]) {  // all-identical points stay in one (large) leaf
        int32_t mid = begin + (end - begin) / 2;
        std::nth_element(perm_.begin() + begin, perm_.begin() + mid, perm_.begin() + end,
                         [&](int32_t a, int32_t b) { return pt(a)[split] < pt(b)[split]; });
        nd.left = build(begin, mid);
        nd.right = build(mid, end);
      }
    }
    nodes_[idx] = nd;
    return idx;
  }

  void search(int32_t ni, int32_t q, int32_t cq, const std::vector<int32_t>& comp,
              const std::vector<int32_t>& node_comp, Candidate& best) const {
    if (node_comp[ni] == cq) return;
    const Node& nd = nodes_[ni];
    const double* qp = pt(q);
    // Strict '>' so that equal-length edges with smaller endpoint ids are still found.
    if (box_dist2(nd, qp) > best.d2) return;
    if (nd.left < 0) {
      for (int32_t k = nd.begin; k < nd.end; ++k) {
        int32_t p = perm_[k];
        if (comp[p] == cq) continue;
        double d2 = dist2(qp, pt(p));
        int32_t u = std::min(p, q), v = std::max(p, q);
        if (edge_less(d2, u, v, best)) {
          best.d2 = d2;
          best.u = u;
          best.v = v;
        }
      }
      return;
    }
    double dl = box_dist2(nodes_[nd.left], qp), dr = box_dist2(nodes_[nd.right], qp);
    if (dl <= dr) {
      search(nd.left, q, cq, comp, node_comp, best);
      search(nd.right, q, cq, comp, node_comp, best);
    } else {
      search(nd.right, q, cq, comp, node_comp, best);
      search(nd.left, q, cq, comp, node_comp, best);
    }
  }
};

}  // namespace

std::vector<MstEdge> euclidean_mst(const double* points, int64_t n, int dim) {
  if (dim < 1 || dim > kMaxDim) throw ValueError("euclidean_mst: dim must be in [1, 8], got " + std::to_string(dim));
  if (n > std::numeric_limits<int32_t>::max() / 2) throw ValueError("euclidean_mst: too many points");
  std::vector<MstEdge> edges;
  if (n < 2) return edges;
  edges.reserve(n - 1);
  KdTree tree(points, n, dim);
  UnionFind uf(n);
  std::vector<int32_t> comp(n), node_comp;
  std::vector<Candidate> best(n);
  // Per point: its exact lowest-order edge to another component when known (the partner stays the
  // nearest as long as it is foreign, because components only grow), else a lower bound on its
  // length. Later rounds then search only the few points whose partner was absorbed.
  std::vector<Candidate> cache(n);
  std::vector<double> lower(n, 0.0);
  int64_t components = n;
  while (components > 1) {
    for (int32_t i = 0; i < n; ++i) comp[i] = uf.find(i);
    tree.label_nodes(comp, node_comp);
    std::fill(best.begin(), best.end(), Candidate());
    for (int32_t q = 0; q < n; ++q) {
      Candidate& cq = cache[q];
      if (cq.u < 0) continue;
      const int32_t partner = cq.u == q ? cq.v : cq.u;
      if (comp[partner] == comp[q]) {
        lower[q] = cq.d2;
        cq = Candidate();
        continue;
      }
      Candidate& b = best[comp[q]];
      if (edge_less(cq.d2, cq.u, cq.v, b)) b = cq;
    }
    // Tree order keeps consecutive queries spatially close (warm caches, tight bounds).
    for (int32_t q : tree.perm()) {
      if (cache[q].u >= 0) continue;
      Candidate& b = best[comp[q]];
      if (lower[q] > b.d2) continue;  // cannot beat the component's current best
      Candidate found = b;
      tree.nearest_foreign(q, comp, node_comp, found);
      if (found.u != b.u || found.v != b.v || found.d2 != b.d2) {
        cache[q] = found;  // improved on the bound, so it is q's own lowest-order foreign edge
        b = found;
      } else {
        lower[q] = std::max(lower[q], b.d2);
      }
    }
    for (int32_t c = 0; c < n; ++c) {
      if (comp[c] != c || best[c].u < 0) continue;
      int32_t a = uf.find(best[c].u), b = uf.find(best[c].v);
      if (a == b) continue;  // the same edge chosen by both of its components
      uf.parent[a] = b;
      edges.push_back({best[c].u, best[c].v, best[c].d2});
      --components;
    }
  }
  std::sort(edges.begin(), edges.end(), [](const MstEdge& a, const MstEdge& b) {
    if (a.d2 != b.d2) return a.d2 < b.d2;
    if (a.u != b.u) return a.u < b.u;
    return a.v < b.v;
  });
  return edges;
}

Dendrogram dendrogram_from_mst(const std::vector<MstEdge>& edges, int64_t n) {
  Dendrogram z;
  const size_t m = edges.size();
  z.left.resize(m);
  z.right.resize(m);
  z.size.resize(m);
  z.height.resize(m);
  UnionFind uf(n);
  std::vector<int32_t> cluster_id(n), cluster_size(n, 1);
  std::iota(cluster_id.begin(), cluster_id.end(), 0);
  for (size_t i = 0; i < m; ++i) {
    int32_t a = uf.find(edges[i].u), b = uf.find(edges[i].v);
    if (a == b) throw ValueError("dendrogram_from_mst: edges contain a cycle");
    int32_t ia = cluster_id[a], ib = cluster_id[b];
    z.left[i] = std::min(ia, ib);
    z.right[i] = std::max(ia, ib);
    z.size[i] = cluster_size[a] + cluster_size[b];
    z.height[i] = std::sqrt(edges[i].d2);
    uf.parent[a] = b;
    cluster_id[b] = static_cast<int32_t>(n + i);
    cluster_size[b] = z.size[i];
  }
  return z;
}

}  // namespace textvision
