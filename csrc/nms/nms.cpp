#include "nms/nms.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace textvision {
namespace nms {
namespace {

// A convex polygon of at most 4 vertices (a hull of a quad), counter-clockwise in the y-up sense
// (positive shoelace area), with its area and axis-aligned bounds for cheap rejection.
struct Hull {
  double x[4], y[4];
  int n = 0;
  double area = 0.0;
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

inline double cross(double ox, double oy, double ax, double ay, double bx, double by) {
  return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox);
}

// Andrew's monotone chain on 4 points; collinear and duplicate points are dropped, so a degenerate
// quad ends with n < 3 and area 0.
Hull make_hull(const float* q) {
  int idx[4] = {0, 1, 2, 3};
  std::sort(idx, idx + 4, [q](int a, int b) {
    return q[2 * a] < q[2 * b] || (q[2 * a] == q[2 * b] && q[2 * a + 1] < q[2 * b + 1]);
  });
  double px[4], py[4];
  for (int i = 0; i < 4; ++i) {
    px[i] = q[2 * idx[i]];
    py[i] = q[2 * idx[i] + 1];
  }
  double hx[9], hy[9];
  int k = 0;
  for (int i = 0; i < 4; ++i) {  // lower hull
    while (k >= 2 && cross(hx[k - 2], hy[k - 2], hx[k - 1], hy[k - 1], px[i], py[i]) <= 0) --k;
    hx[k] = px[i], hy[k] = py[i], ++k;
  }
  for (int i = 2, t = k + 1; i >= 0; --i) {  // upper hull
    while (k >= t && cross(hx[k - 2], hy[k - 2], hx[k - 1], hy[k - 1], px[i], py[i]) <= 0) --k;
    hx[k] = px[i], hy[k] = py[i], ++k;
  }
  Hull h;
  h.n = std::max(0, std::min(4, k - 1));  // the last point repeats the first
  if (h.n < 3) {
    h.n = 0;
    return h;
  }
  double a = 0.0;
  h.x0 = h.x1 = hx[0];
  h.y0 = h.y1 = hy[0];
  for (int i = 0; i < h.n; ++i) {
    h.x[i] = hx[i];
    h.y[i] = hy[i];
    const int j = (i + 1) % h.n;
    a += hx[i] * hy[j] - hx[j] * hy[i];
    h.x0 = std::min(h.x0, hx[i]);
    h.x1 = std::max(h.x1, hx[i]);
    h.y0 = std::min(h.y0, hy[i]);
    h.y1 = std::max(h.y1, hy[i]);
  }
  h.area = 0.5 * a;
  if (!(h.area > 0.0)) h.n = 0, h.area = 0.0;
  return h;
}

// Area of the intersection of two convex CCW polygons by Sutherland-Hodgman clipping. Coordinates
// are shifted to a's bounding-box corner first: pixel coordinates in the thousands would otherwise
// lose digits in the cross products.
double intersection_area(const Hull& a, const Hull& b) {
  if (a.n == 0 || b.n == 0) return 0.0;
  if (a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0) return 0.0;
  const double ox = a.x0, oy = a.y0;
  // A convex n-gon clipped by m half-planes has at most n + m vertices.
  double sx[16], sy[16], tx[16], ty[16];
  int ns = a.n;
  for (int i = 0; i < a.n; ++i) sx[i] = a.x[i] - ox, sy[i] = a.y[i] - oy;
  for (int e = 0; e < b.n && ns > 0; ++e) {
    const double cx = b.x[e] - ox, cy = b.y[e] - oy;
    const double dx = b.x[(e + 1) % b.n] - ox - cx, dy = b.y[(e + 1) % b.n] - oy - cy;
    int nt = 0;
    for (int i = 0; i < ns; ++i) {
      const int j = (i + 1) % ns;
      const double si = dx * (sy[i] - cy) - dy * (sx[i] - cx);  // >= 0: inside (left of the edge)
      const double sj = dx * (sy[j] - cy) - dy * (sx[j] - cx);
      if (si >= 0) tx[nt] = sx[i], ty[nt] = sy[i], ++nt;
      if ((si >= 0) != (sj >= 0)) {
        const double t = si / (si - sj);
        tx[nt] = sx[i] + t * (sx[j] - sx[i]);
        ty[nt] = sy[i] + t * (sy[j] - sy[i]);
        ++nt;
      }
    }
    ns = nt;
    std::copy(tx, tx + nt, sx);
    std::copy(ty, ty + nt, sy);
  }
  if (ns < 3) return 0.0;
  double area = 0.0;
  for (int i = 0; i < ns; ++i) {
    const int j = (i + 1) % ns;
    area += sx[i] * sy[j] - sx[j] * sy[i];
  }
  return std::max(0.0, 0.5 * area);
}

double hull_iou(const Hull& a, const Hull& b) {
  const double inter = intersection_area(a, b);
  if (inter <= 0.0) return 0.0;
  const double uni = a.area + b.area - inter;
  return uni > 0.0 ? std::min(1.0, inter / uni) : 0.0;
}

// Running score-weighted average of quads (coordinates kept in double).
struct Merger {
  double c[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  double score = 0.0;
  int32_t count = 0;
  float out[8];

  void start(const float* q, float s) {
    for (int i = 0; i < 8; ++i) c[i] = q[i];
    score = s;
    count = 1;
    refresh();
  }
  // Adds q with its vertex order aligned to the running quad: of the 4 cyclic shifts in both
  // directions, the one with the smallest squared corner distance (the decoder's quads can start
  // at a different corner or run the other way when the angle wraps around).
  void add(const float* q, float s) {
    int best_shift = 0, best_dir = 1;
    double best = INFINITY;
    for (int dir = 1; dir >= -1; dir -= 2) {
      for (int shift = 0; shift < 4; ++shift) {
        double d = 0.0;
        for (int i = 0; i < 4; ++i) {
          const int k = ((shift + dir * i) % 4 + 4) % 4;
          const double ddx = q[2 * k] - c[2 * i], ddy = q[2 * k + 1] - c[2 * i + 1];
          d += ddx * ddx + ddy * ddy;
        }
        if (d < best) best = d, best_shift = shift, best_dir = dir;
      }
    }
    const double total = score + static_cast<double>(s);
    // Non-positive weights (allowed by the API) fall back to a plain running mean.
    const double wa = total > 0.0 ? score / total : static_cast<double>(count) / (count + 1);
    const double wb = 1.0 - wa;
    for (int i = 0; i < 4; ++i) {
      const int k = ((best_shift + best_dir * i) % 4 + 4) % 4;
      c[2 * i] = wa * c[2 * i] + wb * q[2 * k];
      c[2 * i + 1] = wa * c[2 * i + 1] + wb * q[2 * k + 1];
    }
    score = total;
    ++count;
    refresh();
  }
  void refresh() {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<float>(c[i]);
  }
};

std::vector<int64_t> greedy_nms(const std::vector<Hull>& hulls, const float* scores, int64_t n,
                                double threshold) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [scores](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  std::vector<int64_t> keep;
  std::vector<char> removed(n, 0);
  for (int64_t oi = 0; oi < n; ++oi) {
    const int64_t i = order[oi];
    if (removed[i]) continue;
    keep.push_back(i);
    for (int64_t oj = oi + 1; oj < n; ++oj) {
      const int64_t j = order[oj];
      if (!removed[j] && hull_iou(hulls[i], hulls[j]) > threshold) removed[j] = 1;
    }
  }
  return keep;
}

}  // namespace

double polygon_iou(const float* a, const float* b) { return hull_iou(make_hull(a), make_hull(b)); }

void polygon_iou_matrix(const float* a, int64_t n, const float* b, int64_t m, double* iou) {
  std::vector<Hull> hb(m);
  for (int64_t j = 0; j < m; ++j) hb[j] = make_hull(b + 8 * j);
  for (int64_t i = 0; i < n; ++i) {
    const Hull ha = make_hull(a + 8 * i);
    for (int64_t j = 0; j < m; ++j) iou[i * m + j] = hull_iou(ha, hb[j]);
  }
}

std::vector<int64_t> polygon_nms(const float* quads, const float* scores, int64_t n, double threshold) {
  std::vector<Hull> hulls(n);
  for (int64_t i = 0; i < n; ++i) hulls[i] = make_hull(quads + 8 * i);
  return greedy_nms(hulls, scores, n, threshold);
}

LanmsResult lanms(const float* quads, const float* scores, int64_t n, double merge_threshold,
                  double nms_threshold) {
  std::vector<float> mq, ms;
  std::vector<int32_t> mc;
  mq.reserve(8 * static_cast<size_t>(std::min<int64_t>(n, 4096)));
  Merger merger;
  Hull current;
  for (int64_t i = 0; i < n; ++i) {
    const float* q = quads + 8 * i;
    const Hull h = make_hull(q);
    if (merger.count > 0 && hull_iou(h, current) > merge_threshold) {
      merger.add(q, scores[i]);
      current = make_hull(merger.out);
      continue;
    }
    if (merger.count > 0) {
      mq.insert(mq.end(), merger.out, merger.out + 8);
      ms.push_back(static_cast<float>(merger.score));
      mc.push_back(merger.count);
    }
    merger.start(q, scores[i]);
    current = h;
  }
  if (merger.count > 0) {
    mq.insert(mq.end(), merger.out, merger.out + 8);
    ms.push_back(static_cast<float>(merger.score));
    mc.push_back(merger.count);
  }
  const int64_t k = static_cast<int64_t>(ms.size());
  std::vector<Hull> hulls(k);
  for (int64_t i = 0; i < k; ++i) hulls[i] = make_hull(mq.data() + 8 * i);
  const std::vector<int64_t> keep = greedy_nms(hulls, ms.data(), k, nms_threshold);
  LanmsResult r;
  r.quads.reserve(keep.size() * 8);
  for (int64_t i : keep) {
    r.quads.insert(r.quads.end(), mq.begin() + 8 * i, mq.begin() + 8 * i + 8);
    r.scores.push_back(ms[i]);
    r.counts.push_back(mc[i]);
  }
  return r;
}

}  // namespace nms
}  // namespace textvision
