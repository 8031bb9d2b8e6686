#include "proposals/cluster.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <string>

#include "common.h"

namespace textvision {
namespace {

constexpr int kMaxDim = 8;
constexpr int kLeafSize = 8;

template <int D>
struct Node {
  double lo[D], hi[D];
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

inline double sq_dist(const double* a, const double* b, int dim) {
  double s = 0;
  for (int d = 0; d < dim; ++d) {
    double t = a[d] - b[d];
    s += t * t;
  }
  return s;
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

// Templated on the dimension so that distance loops unroll and a node fits in a cache line.
template <int D>
class KdTree {
 public:
  KdTree(const double* pts, int64_t n) : pts_(pts), perm_(n) {
    std::iota(perm_.begin(), perm_.end(), 0);
    nodes_.reserve(static_cast<size_t>(2 * n / kLeafSize + 2));
    build(0, static_cast<int32_t>(n));
    leaf_of_.resize(n);
    for (size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].left < 0)
        for (int32_t k = nodes_[i].begin; k < nodes_[i].end; ++k) leaf_of_[perm_[k]] = static_cast<int32_t>(i);
  }

  const std::vector<int32_t>& perm() const { return perm_; }

  // Lowest-order edge from q to a point of another component, improving on `best`.
  void nearest_foreign(int32_t q, const std::vector<int32_t>& comp, const std::vector<int32_t>& node_comp,
                       Candidate& best) const {
    search(0, q, comp[q], comp, node_comp, best);
  }

  // The k lowest-order edges from q (to points other than q), sorted; fewer when n - 1 < k.
  void knn(int32_t q, int k, std::vector<Candidate>& out) const {
    out.clear();
    // The query's own leaf first: its points are near, so the bound is tight before the descent.
    const int32_t leaf = leaf_of_[q];
    knn_leaf(nodes_[leaf], q, k, out);
    knn_search(0, q, k, out, leaf);
  }

  // node_comp[i] = the component shared by every point under node i, or -1 when mixed.
  void label_nodes(const std::vector<int32_t>& comp, std::vector<int32_t>& node_comp) const {
    node_comp.assign(nodes_.size(), -1);
    // Children always have larger indices than their parent (pre-order build).
    for (int64_t i = static_cast<int64_t>(nodes_.size()) - 1; i >= 0; --i) {
      const Node<D>& nd = nodes_[i];
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
  std::vector<int32_t> perm_;
  std::vector<Node<D>> nodes_;
  std::vector<int32_t> leaf_of_;

  inline const double* pt(int32_t i) const { return pts_ + static_cast<int64_t>(i) * D; }

  inline double dist2(const double* a, const double* b) const {
    double s = 0;
    for (int d = 0; d < D; ++d) {
      double t = a[d] - b[d];
      s += t * t;
    }
    return s;
  }

  inline double box_dist2(const Node<D>& nd, const double* q) const {
    double s = 0;
    for (int d = 0; d < D; ++d) {
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
    Node<D> nd;
    nd.begin = begin;
    nd.end = end;
    for (int d = 0; d < D; ++d) {
      nd.lo[d] = std::numeric_limits<double>::infinity();
      nd.hi[d] = -std::numeric_limits<double>::infinity();
    }
    for (int32_t k = begin; k < end; ++k) {
      const double* p = pt(perm_[k]);
      for (int d = 0; d < D; ++d) {
        nd.lo[d] = std::min(nd.lo[d], p[d]);
        nd.hi[d] = std::max(nd.hi[d], p[d]);
      }
    }
    if (end - begin > kLeafSize) {
      int split = 0;
      for (int d = 1; d < D; ++d)
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

  void knn_leaf(const Node<D>& nd, int32_t q, int k, std::vector<Candidate>& out) const {
    const double* qp = pt(q);
    for (int32_t i = nd.begin; i < nd.end; ++i) {
      const int32_t p = perm_[i];
      if (p == q) continue;
      Candidate c{dist2(qp, pt(p)), std::min(p, q), std::max(p, q)};
      int m = static_cast<int>(out.size());
      if (m == k) {
        if (!edge_less(c.d2, c.u, c.v, out.back())) continue;
        --m;
      } else {
        out.emplace_back();
      }
      // Insertion into the sorted list (k is small).
      while (m > 0 && edge_less(c.d2, c.u, c.v, out[m - 1])) {
        out[m] = out[m - 1];
        --m;
      }
      out[m] = c;
    }
  }

  void knn_search(int32_t ni, int32_t q, int k, std::vector<Candidate>& out, int32_t skip) const {
    const Node<D>& nd = nodes_[ni];
    const double* qp = pt(q);
    if (static_cast<int>(out.size()) == k && box_dist2(nd, qp) > out.back().d2) return;
    if (nd.left < 0) {
      if (ni != skip) knn_leaf(nd, q, k, out);
      return;
    }
    double dl = box_dist2(nodes_[nd.left], qp), dr = box_dist2(nodes_[nd.right], qp);
    if (dl <= dr) {
      knn_search(nd.left, q, k, out, skip);
      knn_search(nd.right, q, k, out, skip);
    } else {
      knn_search(nd.right, q, k, out, skip);
      knn_search(nd.left, q, k, out, skip);
    }
  }

  void search(int32_t ni, int32_t q, int32_t cq, const std::vector<int32_t>& comp,
              const std::vector<int32_t>& node_comp, Candidate& best) const {
    if (node_comp[ni] == cq) return;
    const Node<D>& nd = nodes_[ni];
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


template <int D>
void boruvka(const double* points, int64_t n, std::vector<MstEdge>& edges) {
  KdTree<D> tree(points, n);
  UnionFind uf(n);
  std::vector<int32_t> comp(n), node_comp;
  std::vector<Candidate> best(n);
  // Each point's K lowest-order edges, found once: while one of them leads to another component, the
  // first such is exactly the point's lowest-order foreign edge (components only grow), so most
  // rounds need no tree search. Points whose K neighbours are all absorbed search the tree, bounded
  // by their K-th edge from below and by their component's current best from above.
  constexpr int K = 8;
  const int k = static_cast<int>(std::min<int64_t>(K, n - 1));
  std::vector<Candidate> nbr(static_cast<size_t>(n) * k), tmp;
  for (int32_t q = 0; q < n; ++q) {
    tree.knn(q, k, tmp);
    std::copy(tmp.begin(), tmp.end(), nbr.begin() + static_cast<int64_t>(q) * k);
  }
  std::vector<int8_t> next(n, 0);   // index of the first neighbour that may still be foreign
  std::vector<double> lower(n, 0.0);  // lower bound on a point's foreign edge length once exhausted
  int64_t components = n;
  while (components > 1) {
    for (int32_t i = 0; i < n; ++i) comp[i] = uf.find(i);
    bool labelled = false;
    std::fill(best.begin(), best.end(), Candidate());
    std::vector<int32_t> exhausted;
    for (int32_t q = 0; q < n; ++q) {
      const Candidate* nb = &nbr[static_cast<int64_t>(q) * k];
      int j = next[q];
      while (j < k && comp[nb[j].u == q ? nb[j].v : nb[j].u] == comp[q]) ++j;
      next[q] = static_cast<int8_t>(j);
      if (j < k) {
        Candidate& b = best[comp[q]];
        if (edge_less(nb[j].d2, nb[j].u, nb[j].v, b)) b = nb[j];
      } else {
        lower[q] = std::max(lower[q], k > 0 ? nb[k - 1].d2 : 0.0);
        exhausted.push_back(q);
      }
    }
    for (int32_t q : exhausted) {
      Candidate& b = best[comp[q]];
      if (lower[q] > b.d2) continue;  // cannot beat the component's current best
      if (!labelled) {
        tree.label_nodes(comp, node_comp);
        labelled = true;
      }
      Candidate found = b;
      tree.nearest_foreign(q, comp, node_comp, found);
      if (found.u != b.u || found.v != b.v || found.d2 != b.d2) b = found;
      else lower[q] = std::max(lower[q], b.d2);
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
}

#if defined(__GNUC__) && defined(__x86_64__)
#define TV_PRIM_VECTOR 1
// One Prim round over the outside points, L at a time: relax each by the newest tree point j
// (strictly shorter edges only) and find the shortest best edge. GCC vector types (L = 2: SSE2,
// the x86-64 baseline; L = 4: the AVX2 clone below) because gcc does not vectorise the min
// reduction by itself. The operations and their order are the scalar ones (t0*t0 equals
// 0 + t0*t0 exactly), so the bits are the same on every path; FMA stays off, so nothing is
// contracted. Sets tie when an equal length makes the (u, v) order matter; returns the number of
// points handled (a multiple of L), the caller does the rest.
template <int L>
struct PrimVec {
  typedef double d __attribute__((vector_size(8 * L)));
  typedef int64_t i __attribute__((vector_size(8 * L)));
};

template <int D, int L>
inline __attribute__((always_inline)) int64_t prim_relax_impl(const double* const* coord, double* bd, int64_t* src,
                                                              int64_t m, const double* q, int32_t j, double& mn,
                                                              int64_t& arg, bool& tie) {
  using Vd = typename PrimVec<L>::d;
  using Vi = typename PrimVec<L>::i;
  // Broadcasts by arithmetic on a zero vector (x - 0 is x, -0 included), which stays in registers.
  const Vd zero = {};
  const Vi izero = {};
  Vd vq[D];
  for (int d = 0; d < D; ++d) vq[d] = q[d] - zero;
  // Two independent sets of running minima (U = 2), so consecutive steps do not wait on each other.
  constexpr int U = 2;
  Vd vmn[U];
  Vi varg[U], vtie[U], vr[U];
  const Vi vj = izero + j;
  for (int u = 0; u < U; ++u) {
    vmn[u] = std::numeric_limits<double>::infinity() - zero;
    varg[u] = izero - 1;
    vtie[u] = izero;
    vr[u] = izero + u * L;
    for (int l = 0; l < L; ++l) vr[u][l] += l;
  }
  int64_t r = 0;
  for (; r + U * L <= m; r += U * L) {
    for (int u = 0; u < U; ++u) {
      const int64_t ru = r + u * L;
      Vd c, acc, old;
      Vi s;
      std::memcpy(&c, coord[0] + ru, sizeof c);
      c -= vq[0];
      acc = c * c;
      for (int d = 1; d < D; ++d) {
        std::memcpy(&c, coord[d] + ru, sizeof c);
        c -= vq[d];
        acc += c * c;
      }
      std::memcpy(&old, bd + ru, sizeof old);
      const Vi upd = acc < old;
      // Selections as bit blends: a vector ?: tests its mask against zero, which SSE2 cannot do on
      // 64-bit lanes (gcc then goes lane by lane through scalar registers).
      const Vd nb = (Vd)(((Vi)acc & upd) | ((Vi)old & ~upd));
      std::memcpy(bd + ru, &nb, sizeof nb);
      std::memcpy(&s, src + ru, sizeof s);
      s = (vj & upd) | (s & ~upd);
      std::memcpy(src + ru, &s, sizeof s);
      vtie[u] -= acc == old;  // counts (masks are -1); an OR here gets scalarised by gcc on SSE2
      vtie[u] -= nb == vmn[u];
      const Vi lt = nb < vmn[u];
      varg[u] = (vr[u] & lt) | (varg[u] & ~lt);
      vmn[u] = (Vd)(((Vi)nb & lt) | ((Vi)vmn[u] & ~lt));
      vr[u] += U * L;
    }
  }
  int lanes_at_min = 0;
  for (int u = 0; u < U; ++u)
    for (int l = 0; l < L; ++l) {
      if (varg[u][l] < 0) continue;
      tie |= vtie[u][l] != 0;
      if (vmn[u][l] < mn) {
        mn = vmn[u][l];
        arg = varg[u][l];
        lanes_at_min = 1;
      } else if (vmn[u][l] == mn) {
        ++lanes_at_min;
      }
    }
  tie |= lanes_at_min > 1;
  return r;
}

template <int D>
int64_t prim_relax_default(const double* const* coord, double* bd, int64_t* src, int64_t m, const double* q,
                           int32_t j, double& mn, int64_t& arg, bool& tie) {
  return prim_relax_impl<D, 2>(coord, bd, src, m, q, j, mn, arg, tie);
}

template <int D>
__attribute__((target("avx2"))) int64_t prim_relax_avx2(const double* const* coord, double* bd, int64_t* src,
                                                         int64_t m, const double* q, int32_t j, double& mn,
                                                         int64_t& arg, bool& tie) {
  return prim_relax_impl<D, 4>(coord, bd, src, m, q, j, mn, arg, tie);
}

// AVX2 only where the CPU has it (checked at run time: the build targets baseline x86-64).
template <int D>
auto prim_relax_kernel() {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2 ? &prim_relax_avx2<D> : &prim_relax_default<D>;
}
#else
#define TV_PRIM_VECTOR 0
#endif

// Prim's algorithm on the implicit complete graph, O(n^2) time and O(n) memory. For the few
// thousand points of one channel image it beats the k-d tree (no tree, no neighbour lists, a
// straight loop over the points still outside), and under the strict total order on edges it
// yields the same unique MST. Distances are summed in the k-d tree's order (0 + t0^2 + t1^2 + ...),
// so the squared lengths are bit-identical too.
template <int D>
void prim(const double* points, int64_t n, std::vector<MstEdge>& edges) {
  // The points still outside the tree, compacted by swap-removal, each coordinate in its own array;
  // per outside point its id and its best edge into the tree so far (length bd, tree endpoint src).
  // src is int64 so that it shares the lanes of bd in the vector loop.
  std::vector<double> coord[D];
  for (int d = 0; d < D; ++d) {
    coord[d].resize(n);
    for (int64_t i = 0; i < n; ++i) coord[d][i] = points[i * D + d];
  }
  std::vector<int32_t> id(n);
  std::iota(id.begin(), id.end(), 0);
  std::vector<int64_t> src(n, -1);
  std::vector<double> bd(n, std::numeric_limits<double>::infinity());
  const double* coords[D];
  for (int d = 0; d < D; ++d) coords[d] = coord[d].data();
#if TV_PRIM_VECTOR
  const auto relax = prim_relax_kernel<D>();
#endif
  auto sq_to = [&](int64_t r, const double* q) {  // the k-d tree's summation order
    double acc = 0;
    for (int d = 0; d < D; ++d) {
      const double t = coord[d][r] - q[d];
      acc += t * t;
    }
    return acc;
  };
  // Edge order for equal lengths: (min endpoint, max endpoint).
  auto pair_less = [](int32_t a, int32_t b, int32_t c, int32_t d) {
    const int32_t u1 = std::min(a, b), u2 = std::min(c, d);
    return u1 != u2 ? u1 < u2 : std::max(a, b) < std::max(c, d);
  };
  int64_t m = n;
  auto remove = [&](int64_t r) {
    --m;
    for (int d = 0; d < D; ++d) coord[d][r] = coord[d][m];
    id[r] = id[m];
    src[r] = src[m];
    bd[r] = bd[m];
  };
  double q[D];
  for (int d = 0; d < D; ++d) q[d] = coord[d][0];
  int32_t j = 0;  // the newest tree point
  remove(0);
  while (m > 0) {
    // Relax every outside point by j with strictly shorter edges and find the shortest best edge,
    // in one branch-free pass. Equal lengths (a relaxation tie, or two outside points sharing the
    // minimum) are rare and are settled by the exact scalar passes below.
    double mn = std::numeric_limits<double>::infinity();
    int64_t arg = -1;
    bool tie = false;
    int64_t r0 = 0;
#if TV_PRIM_VECTOR
    r0 = relax(coords, bd.data(), src.data(), m, q, j, mn, arg, tie);
#endif
    for (int64_t r = r0; r < m; ++r) {
      const double acc = sq_to(r, q), old = bd[r];
      tie |= acc == old;
      if (acc < old) {
        bd[r] = acc;
        src[r] = j;
      }
      tie |= bd[r] == mn;
      if (bd[r] < mn) {
        mn = bd[r];
        arg = r;
      }
    }
    if (tie) {
      for (int64_t r = 0; r < m; ++r)
        if (bd[r] == sq_to(r, q) && src[r] != j && pair_less(id[r], j, id[r], static_cast<int32_t>(src[r]))) src[r] = j;
      arg = -1;
      for (int64_t r = 0; r < m; ++r)
        if (bd[r] == mn && (arg < 0 || pair_less(id[r], static_cast<int32_t>(src[r]), id[arg], static_cast<int32_t>(src[arg]))))
          arg = r;
    }
    const int32_t a = id[arg], b = static_cast<int32_t>(src[arg]);
    edges.push_back({std::min(a, b), std::max(a, b), mn});
    j = a;
    for (int d = 0; d < D; ++d) q[d] = coord[d][arg];
    remove(arg);
  }
}

}  // namespace

int64_t default_prim_max_points() {
  // Up to this many points the O(n^2) Prim loop beats the k-d tree Boruvka (measured on 3-D
  // TextProposals points: the crossover is near 4000 with SSE2, near 7000 with AVX2).
#if TV_PRIM_VECTOR
  static const int64_t prim_max = __builtin_cpu_supports("avx2") ? 6000 : 4000;
  return prim_max;
#else
  return 4000;
#endif
}

std::vector<MstEdge> euclidean_mst(const double* points, int64_t n, int dim, int64_t prim_max_points,
                                   MstAlgorithm* used) {
  if (dim < 1 || dim > kMaxDim) throw ValueError("euclidean_mst: dim must be in [1, 8], got " + std::to_string(dim));
  if (n > std::numeric_limits<int32_t>::max() / 2) throw ValueError("euclidean_mst: too many points");
  if (used) *used = MstAlgorithm::kNone;
  std::vector<MstEdge> edges;
  if (n < 2) return edges;
  edges.reserve(n - 1);
  const int64_t prim_max = prim_max_points < 0 ? default_prim_max_points() : prim_max_points;
  const bool small = n <= prim_max;
  if (used) *used = small ? MstAlgorithm::kPrim : MstAlgorithm::kBoruvka;
  switch (dim) {
    case 1: small ? prim<1>(points, n, edges) : boruvka<1>(points, n, edges); break;
    case 2: small ? prim<2>(points, n, edges) : boruvka<2>(points, n, edges); break;
    case 3: small ? prim<3>(points, n, edges) : boruvka<3>(points, n, edges); break;
    case 4: small ? prim<4>(points, n, edges) : boruvka<4>(points, n, edges); break;
    case 5: small ? prim<5>(points, n, edges) : boruvka<5>(points, n, edges); break;
    case 6: small ? prim<6>(points, n, edges) : boruvka<6>(points, n, edges); break;
    case 7: small ? prim<7>(points, n, edges) : boruvka<7>(points, n, edges); break;
    default: small ? prim<8>(points, n, edges) : boruvka<8>(points, n, edges); break;
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
