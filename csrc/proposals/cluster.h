// Exact single-linkage clustering of low-dimensional points without the O(n^2) distance matrix:
// a Euclidean minimum spanning tree by Boruvka rounds over a k-d tree, then Kruskal-order merges.
//
// Ties are broken by a strict total order on edges, (squared length, min endpoint, max endpoint),
// so the MST and therefore the dendrogram are unique and any exact MST algorithm using the same
// order (the NumPy Prim/Kruskal references in the tests) gives identical output, duplicates included.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace textvision {

struct MstEdge {
  int32_t u = -1;  // smaller endpoint index
  int32_t v = -1;  // larger endpoint index
  double d2 = 0;   // squared Euclidean length
};

// SciPy linkage convention: merge i creates cluster n + i from clusters left[i] < right[i]
// (ids < n are the input points); height is the Euclidean merge distance, size the member count.
struct Dendrogram {
  std::vector<int32_t> left, right, size;
  std::vector<double> height;
  size_t merges() const { return height.size(); }
};

// Which exact MST algorithm euclidean_mst ran (both give the same unique MST).
enum class MstAlgorithm { kNone, kPrim, kBoruvka };  // kNone: fewer than 2 points, nothing to run

// The default switch point: up to this many points the O(n^2) Prim loop runs, above it Boruvka over
// a k-d tree (6000 on CPUs with AVX2, 4000 otherwise; see euclidean_mst for the measurements).
int64_t default_prim_max_points();

// points: row-major [n, dim] doubles, 1 <= dim <= 8. Returns n-1 edges sorted in the total order.
// prim_max_points: run Prim when n <= prim_max_points, Boruvka above; negative = the default above.
// Tests set it low to run both algorithms on small inputs. used (optional) receives the algorithm run.
std::vector<MstEdge> euclidean_mst(const double* points, int64_t n, int dim, int64_t prim_max_points = -1,
                                   MstAlgorithm* used = nullptr);

// Dendrogram from MST edges already sorted in the total order (as euclidean_mst returns them).
Dendrogram dendrogram_from_mst(const std::vector<MstEdge>& edges, int64_t n);

inline Dendrogram single_linkage(const double* points, int64_t n, int dim, int64_t prim_max_points = -1,
                                 MstAlgorithm* used = nullptr) {
  return dendrogram_from_mst(euclidean_mst(points, n, dim, prim_max_points, used), n);
}

}  // namespace textvision
