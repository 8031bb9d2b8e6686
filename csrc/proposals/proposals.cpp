#include "proposals/proposals.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "proposals/cluster.h"
#include "parallel.h"
#include "regions/regions.h"

namespace textvision {
namespace {

// Continued fraction of the incomplete beta function (modified Lentz).
double beta_cf(double a, double b, double x) {
  const double tiny = 1e-300, eps = 1e-15;
  double qab = a + b, qap = a + 1, qam = a - 1;
  double c = 1, d = 1 - qab * x / qap;
  if (std::fabs(d) < tiny) d = tiny;
  d = 1 / d;
  double h = d;
  for (int m = 1; m <= 100000; ++m) {
    double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (std::fabs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1 / d;
    double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < eps) break;
  }
  return h;
}

// log I_x(a, b) using the series on the side where it converges fast; log_beta = log B(a, b).
double log_betainc(double a, double b, double x, double log_beta) {
  if (x <= 0) return -std::numeric_limits<double>::infinity();
  if (x >= 1) return 0;
  double lfront = a * std::log(x) + b * std::log1p(-x) - log_beta;
  if (x < (a + 1) / (a + b + 2)) return lfront + std::log(beta_cf(a, b, x)) - std::log(a);
  double other = std::exp(lfront + std::log(beta_cf(b, a, 1 - x)) - std::log(b));  // I_{1-x}(b, a)
  return std::log1p(-std::min(other, 1.0));
}

}  // namespace

namespace {

// With log_gamma[i] = lgamma(i) for i in [1, n + 1] (a table kept per thread), the beta function
// of the binomial tail costs three lookups instead of three lgamma calls per node.
double neg_log10_tail(int64_t n, int64_t k, double p, const double* log_gamma) {
  if (k <= 0) return 0.0;
  if (k > n) return std::numeric_limits<double>::infinity();
  const double a = static_cast<double>(k), b = static_cast<double>(n - k + 1);
  const double log_beta = log_gamma ? log_gamma[k] + log_gamma[n - k + 1] - log_gamma[n + 1]
                                    : std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b);
  double v = -log_betainc(a, b, p, log_beta) / std::log(10.0);
  return v < 0 ? 0.0 : v;
}

// neg_log10_tail with log_gamma for one n, memoised per thread: merges of few members with tiny
// spans repeat the same (k, p) many times within a dendrogram and across the cues of an image, and
// the continued fraction costs far more than a lookup. A pure function, so the values are the same.
class TailCache {
 public:
  double get(int64_t n, int64_t k, double p, const double* log_gamma) {
    uint64_t pb;
    std::memcpy(&pb, &p, sizeof p);
    const uint64_t nk = (static_cast<uint64_t>(n) << 32) ^ static_cast<uint64_t>(k);
    if (keys_.empty() || used_ * 2 >= slots()) reset(keys_.empty() ? 4096 : std::min<size_t>(2 * slots(), 1 << 16));
    uint64_t h = (nk * 0x9e3779b97f4a7c15ull) ^ (pb * 0xff51afd7ed558ccdull);
    for (size_t pos = static_cast<size_t>(h ^ (h >> 31)) & (slots() - 1);; pos = (pos + 1) & (slots() - 1)) {
      if (!full_[pos]) {
        const double v = neg_log10_tail(n, k, p, log_gamma);
        full_[pos] = 1;
        keys_[2 * pos] = nk;
        keys_[2 * pos + 1] = pb;
        vals_[pos] = v;
        ++used_;
        return v;
      }
      if (keys_[2 * pos] == nk && keys_[2 * pos + 1] == pb) return vals_[pos];
    }
  }

 private:
  std::vector<uint64_t> keys_;
  std::vector<double> vals_;
  std::vector<uint8_t> full_;
  size_t used_ = 0;
  size_t slots() const { return vals_.size(); }
  void reset(size_t slots) {  // grows while small, then simply starts over
    keys_.assign(2 * slots, 0);
    vals_.assign(slots, 0.0);
    full_.assign(slots, 0);
    used_ = 0;
  }
};

}  // namespace

double neg_log10_binomial_tail(int64_t n, int64_t k, double p) { return neg_log10_tail(n, k, p, nullptr); }

void group_nodes(const RegionTable& regions, int cue, int width, int height, float scale, std::vector<float>& boxes,
                 std::vector<float>& features, std::vector<int32_t>* children) {
  const int64_t n = static_cast<int64_t>(regions.size());
  if (n < 3) return;
  if (cue < 0 || cue >= kNumCues) throw ValueError("group_nodes: cue must be in [0, 5), got " + std::to_string(cue));
  double norm = 255.0;
  if (cue == kCueDiameter) norm = std::max(width, height);
  if (cue == kCueStroke) {
    double mx = 0;
    for (int64_t i = 0; i < n; ++i) mx = std::max<double>(mx, regions.cues[i * kNumCues + kCueStroke]);
    norm = mx > 0 ? mx : 1.0;
  }
  std::vector<double> pts(static_cast<size_t>(3 * n));
  for (int64_t i = 0; i < n; ++i) {
    pts[3 * i + 0] = 0.25 * regions.cx[i] / width;
    pts[3 * i + 1] = static_cast<double>(regions.cy[i]) / height;
    pts[3 * i + 2] = regions.cues[i * kNumCues + cue] / norm;
  }
  // Standardised Euclidean: each coordinate divided by its standard deviation (constant ones kept).
  for (int d = 0; d < 3; ++d) {
    double mean = 0, sq = 0;
    for (int64_t i = 0; i < n; ++i) mean += pts[3 * i + d];
    mean /= n;
    for (int64_t i = 0; i < n; ++i) sq += (pts[3 * i + d] - mean) * (pts[3 * i + d] - mean);
    double sd = std::sqrt(sq / n);
    if (sd > 0)
      for (int64_t i = 0; i < n; ++i) pts[3 * i + d] /= sd;
  }
  Dendrogram z = single_linkage(pts.data(), n, 3);

  // Per-cluster aggregates for leaves [0, n) and merges [n, 2n-1): all features are O(1) per merge.
  const int64_t total = 2 * n - 1;
  std::vector<int32_t> bx(4 * total), cb(4 * total), cnt(total);
  // sums and sums of squares of: diameter, stroke, gradient, foreground, background
  constexpr int kStat = 5;
  const int stat_cue[kStat] = {kCueDiameter, kCueStroke, kCueGradient, kCueForeground, kCueBackground};
  std::vector<double> s1(kStat * total), s2(kStat * total);
  for (int64_t i = 0; i < n; ++i) {
    for (int k = 0; k < 4; ++k) bx[4 * i + k] = regions.boxes[4 * i + k];
    int cx = static_cast<int>(regions.cx[i]), cy = static_cast<int>(regions.cy[i]);
    cb[4 * i + 0] = cx;
    cb[4 * i + 1] = cy;
    cb[4 * i + 2] = cx;
    cb[4 * i + 3] = cy;
    cnt[i] = 1;
    for (int k = 0; k < kStat; ++k) {
      double v = regions.cues[i * kNumCues + stat_cue[k]];
      s1[kStat * i + k] = v;
      s2[kStat * i + k] = v * v;
    }
  }
  const double img_area = static_cast<double>(width) * height;
  // lgamma(i) for i <= n + 1, kept per thread: every cue of a channel image (and the next image)
  // asks for the same values again.
  thread_local std::vector<double> log_gamma(1, 0.0);
  for (int64_t i = static_cast<int64_t>(log_gamma.size()); i <= n + 1; ++i)
    log_gamma.push_back(std::lgamma(static_cast<double>(i)));
  thread_local TailCache tail_cache;
  const size_t m = z.merges();
  boxes.reserve(boxes.size() + 4 * m);
  features.reserve(features.size() + kNumGroupFeatures * m);
  for (size_t t = 0; t < m; ++t) {
    const int64_t a = z.left[t], b = z.right[t], c = n + static_cast<int64_t>(t);
    bx[4 * c + 0] = std::min(bx[4 * a + 0], bx[4 * b + 0]);
    bx[4 * c + 1] = std::min(bx[4 * a + 1], bx[4 * b + 1]);
    bx[4 * c + 2] = std::max(bx[4 * a + 2], bx[4 * b + 2]);
    bx[4 * c + 3] = std::max(bx[4 * a + 3], bx[4 * b + 3]);
    cb[4 * c + 0] = std::min(cb[4 * a + 0], cb[4 * b + 0]);
    cb[4 * c + 1] = std::min(cb[4 * a + 1], cb[4 * b + 1]);
    cb[4 * c + 2] = std::max(cb[4 * a + 2], cb[4 * b + 2]);
    cb[4 * c + 3] = std::max(cb[4 * a + 3], cb[4 * b + 3]);
    cnt[c] = cnt[a] + cnt[b];
    for (int k = 0; k < kStat; ++k) {
      s1[kStat * c + k] = s1[kStat * a + k] + s1[kStat * b + k];
      s2[kStat * c + k] = s2[kStat * a + k] + s2[kStat * b + k];
    }
    if (children) {
      children->push_back(static_cast<int32_t>(a));
      children->push_back(static_cast<int32_t>(b));
    }
    for (int k = 0; k < 4; ++k) boxes.push_back(static_cast<float>(bx[4 * c + k]) * scale);

    // The 18 group features, in the original's order (so its trained stumps read them unchanged).
    const int k_members = cnt[c];
    const int bw = bx[4 * c + 2] - bx[4 * c + 0], bh = bx[4 * c + 3] - bx[4 * c + 1];
    const int cw = cb[4 * c + 2] - cb[4 * c + 0] + 1, ch = cb[4 * c + 3] - cb[4 * c + 1] + 1;
    auto clip_p = [](double p) { return std::min(0.999999, std::max(1e-6, p)); };
    const double p_centres = clip_p(cw * static_cast<double>(ch) / img_area);
    const double p_box = clip_p(bw * static_cast<double>(bh) / img_area);
    const double nfa_c = tail_cache.get(n, k_members, p_centres, log_gamma.data());
    const double nfa_b = tail_cache.get(n, k_members, p_box, log_gamma.data());
    const int left = cb[4 * c + 0] - bx[4 * c + 0], right = bx[4 * c + 2] - 1 - cb[4 * c + 2];
    const int top = cb[4 * c + 1] - bx[4 * c + 1], bottom = bx[4 * c + 3] - 1 - cb[4 * c + 3];
    auto sym = [](int u, int v) { return std::max(u, v) == 0 ? 1.0 : static_cast<double>(std::min(u, v)) / std::max(u, v); };
    double stat_mean[kStat], stat_std[kStat];
    for (int k = 0; k < kStat; ++k) {
      double mu = s1[kStat * c + k] / k_members;
      double var = s2[kStat * c + k] / k_members - mu * mu;
      stat_mean[k] = mu;
      stat_std[k] = var > 0 ? std::sqrt(var) : 0.0;
    }
    auto cv = [&](int k) { return stat_mean[k] > 0 ? stat_std[k] / stat_mean[k] : 0.0; };
    const double f[kNumGroupFeatures] = {
        static_cast<double>(k_members),
        nfa_c,
        nfa_b,
        nfa_c == 0 ? -1.0 : nfa_b / nfa_c,
        p_centres / p_box,
        static_cast<double>(cw) / bw,
        static_cast<double>(left) / bw,
        static_cast<double>(right) / bw,
        sym(left, right),
        static_cast<double>(ch) / bh,
        static_cast<double>(top) / bh,
        static_cast<double>(bottom) / bh,
        sym(top, bottom),
        cv(0),
        cv(1),
        stat_std[2],
        stat_std[3],
        stat_std[4],
    };
    for (double v : f) features.push_back(static_cast<float>(v));
  }
}

void heatmap_evidence(const float* prob, int64_t h, int64_t w, const double* boxes, int64_t n, int threads,
                      float* out) {
  const int64_t w1 = w + 1;
  std::vector<double> ii(static_cast<size_t>((h + 1) * w1));
  integral_image(View2D<float>{prob, h, w, w, 1}, ii.data(), threads);
  const double W = static_cast<double>(w), H = static_cast<double>(h);
  auto clip = [](double v, double hi) { return std::min(std::max(v, 0.0), hi); };
  auto box_sum = [&](double x1, double y1, double x2, double y2) {
    const int64_t a = static_cast<int64_t>(x1), b = static_cast<int64_t>(y1), c = static_cast<int64_t>(x2),
                  d = static_cast<int64_t>(y2);  // truncation, as NumPy's astype(int64)
    return ii[d * w1 + c] - ii[b * w1 + c] - ii[d * w1 + a] + ii[b * w1 + a];
  };
  constexpr int64_t kChunk = 4096;
  parallel_for((n + kChunk - 1) / kChunk, threads, [&](int64_t t) {
    for (int64_t i = t * kChunk; i < std::min(n, (t + 1) * kChunk); ++i) {
      const double* b = boxes + 4 * i;
      const double bh = b[3] - b[1];
      // Ring box, rounded half to even (np.round), then clipped; the box itself clipped, not rounded.
      const double e0 = clip(std::nearbyint(b[0] - 0.5 * bh), W), e1 = clip(std::nearbyint(b[1] - 0.25 * bh), H);
      const double e2 = clip(std::nearbyint(b[2] + 0.5 * bh), W), e3 = clip(std::nearbyint(b[3] + 0.25 * bh), H);
      const double c0 = clip(b[0], W), c1 = clip(b[1], H), c2 = clip(b[2], W), c3 = clip(b[3], H);
      const double a_in = (c2 - c0) * (c3 - c1), a_out = (e2 - e0) * (e3 - e1);
      const double s_in = box_sum(c0, c1, c2, c3), s_out = box_sum(e0, e1, e2, e3);
      const double inside = s_in / std::max(a_in, 1.0);
      const double ring = (s_out - s_in) / std::max(a_out - a_in, 1.0);
      out[i] = static_cast<float>(std::min(std::max(inside * (1.0 - ring), 0.0), 1.0));
    }
  });
}

void stumps_predict(const float* x, int64_t n, int64_t stride, const int32_t* feature, const float* threshold,
                    const float* left, const float* right, int64_t num_stumps, float* out) {
  // Stump-major over blocks of rows held as double columns (transposed, in L1): the inner loop is
  // one stump over contiguous values, a compare-and-select on doubles the compiler vectorises without
  // extra flags. Row-major, the data-dependent comparison was a mispredicted branch: 45k proposals
  // x 100 stumps took 7 ms on a photo, 19 ms on random features; this takes ~2.3 ms either way
  // (float -> double is exact, so each row adds the same values in the same order: same bits).
  constexpr int64_t kBlock = 128;
  double s[kBlock];
  std::vector<double> cols(static_cast<size_t>(stride * kBlock));
  for (int64_t i0 = 0; i0 < n; i0 += kBlock) {
    const int64_t m = std::min(kBlock, n - i0);
    const float* rows = x + i0 * stride;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t f = 0; f < stride; ++f) cols[f * kBlock + i] = rows[i * stride + f];
    std::fill(s, s + m, 0.0);
    for (int64_t t = 0; t < num_stumps; ++t) {
      const double* col = cols.data() + feature[t] * kBlock;
      const double th = threshold[t], l = left[t], r = right[t];
      for (int64_t i = 0; i < m; ++i) s[i] += col[i] <= th ? l : r;
    }
    for (int64_t i = 0; i < m; ++i) out[i0 + i] = static_cast<float>(s[i]);
  }
}

std::vector<int64_t> dedup_boxes(const float* boxes, const float* scores, int64_t n) {
  // Equal boxes are grouped by hashing (O(n)) instead of sorting all n boxes; each group keeps its
  // best member (highest score, then lowest index), and only the kept ones are sorted.
  // Boxes compare as floats (-0 equals +0), so keys use the bits of b + 0.0f (which turns -0
  // into +0); boxes are finite.
  auto better = [&](int64_t a, int64_t b) {  // descending score, then ascending index
    if (scores[a] != scores[b]) return scores[a] > scores[b];
    return a < b;
  };
  auto key_of = [&](int64_t i, uint32_t k[4]) {
    for (int c = 0; c < 4; ++c) {
      const float v = boxes[4 * i + c] + 0.0f;
      std::memcpy(&k[c], &v, sizeof v);
    }
  };
  size_t cap = 16;
  while (cap < 2 * static_cast<size_t>(n)) cap *= 2;
  std::vector<int64_t> slot(cap, -1);  // index of the group's best member
  std::vector<int64_t> groups;         // slots in use, in first-seen order
  for (int64_t i = 0; i < n; ++i) {
    uint32_t k[4];
    key_of(i, k);
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int c = 0; c < 4; ++c) h = (h ^ k[c]) * 0xff51afd7ed558ccdull;
    size_t pos = static_cast<size_t>(h ^ (h >> 29)) & (cap - 1);
    for (;; pos = (pos + 1) & (cap - 1)) {
      const int64_t j = slot[pos];
      if (j < 0) {
        slot[pos] = i;
        groups.push_back(static_cast<int64_t>(pos));
        break;
      }
      uint32_t kj[4];
      key_of(j, kj);
      if (std::memcmp(k, kj, sizeof k) == 0) {
        if (better(i, j)) slot[pos] = i;
        break;
      }
    }
  }
  std::vector<int64_t> keep;
  keep.reserve(groups.size());
  for (int64_t pos : groups) keep.push_back(slot[pos]);
  std::sort(keep.begin(), keep.end(), better);
  return keep;
}

std::vector<int64_t> diverse_order(const float* boxes, const float* scores, int64_t n, double iou_threshold,
                                   int64_t limit, uint8_t* demoted) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  const int64_t head = std::min<int64_t>(std::max<int64_t>(limit, 0), n);
  std::vector<int64_t> placed, rest;
  placed.reserve(head);
  for (int64_t i = 0; i < n; ++i) demoted[i] = 1;
  for (int64_t r = 0; r < head; ++r) {
    const int64_t i = order[r];
    const float* b = boxes + 4 * i;
    const double area = static_cast<double>(b[2] - b[0]) * (b[3] - b[1]);
    bool keep = true;
    for (int64_t j : placed) {
      const float* c = boxes + 4 * j;
      const double iw = std::min(b[2], c[2]) - std::max(b[0], c[0]);
      if (iw <= 0) continue;
      const double ih = std::min(b[3], c[3]) - std::max(b[1], c[1]);
      if (ih <= 0) continue;
      const double inter = iw * ih;
      const double uni = area + static_cast<double>(c[2] - c[0]) * (c[3] - c[1]) - inter;
      if (uni > 0 && inter > iou_threshold * uni) {
        keep = false;
        break;
      }
    }
    if (keep) {
      placed.push_back(i);
      demoted[i] = 0;
    }
  }
  std::vector<int64_t> out(placed);
  out.reserve(n);
  for (int64_t r = 0; r < n; ++r)
    if (demoted[order[r]]) out.push_back(order[r]);
  return out;
}

}  // namespace textvision
