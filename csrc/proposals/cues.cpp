#include "proposals/cues.h"

#include <algorithm>
#include <cmath>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <cstring>

namespace textvision {

std::vector<float> gradient_magnitude(const View2D<uint8_t>& grey) {
  const int64_t H = grey.height, W = grey.width;
  std::vector<float> out(static_cast<size_t>(H * W), 0.f);
  auto at = [&](int64_t y, int64_t x) {
    const int64_t y0 = y > 0 ? y - 1 : y, y1 = y + 1 < H ? y + 1 : y;
    const int64_t x0 = x > 0 ? x - 1 : x, x1 = x + 1 < W ? x + 1 : x;
    float dx = static_cast<float>(grey(y, x1)) - static_cast<float>(grey(y, x0));
    float dy = static_cast<float>(grey(y1, x)) - static_cast<float>(grey(y0, x));
    return std::sqrt(dx * dx + dy * dy);
  };
  if (grey.stride_x != 1 || W < 3) {
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) out[y * W + x] = at(y, x);
    return out;
  }
  // Contiguous rows: the interior columns without border tests, four at a time. dx^2 + dy^2 is an
  // exact integer in float and sqrtps rounds like sqrtss, so the values are the scalar ones.
  for (int64_t y = 0; y < H; ++y) {
    const uint8_t* r0 = &grey(y, 0);
    const uint8_t* ru = &grey(y > 0 ? y - 1 : y, 0);
    const uint8_t* rd = &grey(y + 1 < H ? y + 1 : y, 0);
    float* o = out.data() + y * W;
    o[0] = at(y, 0);
    o[W - 1] = at(y, W - 1);
    int64_t x = 1;
#ifdef __SSE2__
    for (; x + 4 <= W - 1; x += 4) {
      float sq[4];
      for (int l = 0; l < 4; ++l) {
        const int dx = r0[x + l + 1] - r0[x + l - 1], dy = rd[x + l] - ru[x + l];
        sq[l] = static_cast<float>(dx * dx + dy * dy);
      }
      _mm_storeu_ps(o + x, _mm_sqrt_ps(_mm_loadu_ps(sq)));
    }
#endif
    for (; x < W - 1; ++x) o[x] = at(y, x);
  }
  return out;
}

namespace {

// Row of `nw` 64-bit words, bit b of word k = pixel 64k + b. Shifts move pixels along x with carries.
inline uint64_t shl(const uint64_t* r, int k, int s) {  // value at x comes from x - s
  return (r[k] << s) | (k > 0 ? r[k - 1] >> (64 - s) : 0);
}
inline uint64_t shr(const uint64_t* r, int k, int nw, int s) {  // value at x comes from x + s
  return (r[k] >> s) | (k + 1 < nw ? r[k + 1] << (64 - s) : 0);
}

// First set bit at or after x in a row of nw words (64 * nw when none).
inline int next_set(const uint64_t* r, int nw, int x) {
  int k = x >> 6;
  if (k >= nw) return 64 * nw;
  uint64_t w = r[k] & (~uint64_t(0) << (x & 63));
  while (!w) {
    if (++k == nw) return 64 * nw;
    w = r[k];
  }
  return 64 * k + __builtin_ctzll(w);
}

// First clear bit at or after x (64 * nw when none).
inline int next_clear(const uint64_t* r, int nw, int x) {
  int k = x >> 6;
  if (k >= nw) return 64 * nw;
  uint64_t w = ~r[k] & (~uint64_t(0) << (x & 63));
  while (!w) {
    if (++k == nw) return 64 * nw;
    w = ~r[k];
  }
  return 64 * k + __builtin_ctzll(w);
}

// Largest L1 distance to the background of a bit mask whose border rows and columns are background.
// The L1 (3x3 chamfer 1-2) distance transform is separable and its two 1-D passes commute: the
// horizontal one is read off the runs of set bits (so it has no serial dependency along a row), the
// vertical min-plus sweeps then run on whole rows at once, which the compiler vectorises.
// T = uint8_t when every distance stays below 255 (at most half the width), doubling the lanes.
template <typename T>
int max_l1_distance_bits(const uint64_t* D, int nw, int bw, int bh, std::vector<T>& buf) {
  buf.resize(static_cast<size_t>(bw) * bh);
  T* dt = buf.data();
  for (int y = 0; y < bh; ++y) {
    const uint64_t* r = D + static_cast<size_t>(y) * nw;
    T* row = dt + static_cast<size_t>(y) * bw;
    std::memset(row, 0, sizeof(T) * bw);
    for (int x = next_set(r, nw, 0); x < bw;) {
      const int b = std::min(next_clear(r, nw, x), bw);
      for (int t = x; t < b; ++t) row[t] = static_cast<T>(std::min(t - x + 1, b - t));
      x = next_set(r, nw, b);
    }
  }
  for (int y = 1; y < bh; ++y) {
    T* cur = dt + static_cast<size_t>(y) * bw;
    const T* prev = cur - bw;
    for (int x = 0; x < bw; ++x) cur[x] = std::min<T>(cur[x], static_cast<T>(prev[x] + 1));
  }
  T best = 0;
  for (int y = bh - 2; y >= 0; --y) {
    T* cur = dt + static_cast<size_t>(y) * bw;
    const T* next = cur + bw;
    for (int x = 0; x < bw; ++x) {
      cur[x] = std::min<T>(cur[x], static_cast<T>(next[x] + 1));
      best = std::max(best, cur[x]);
    }
  }
  return best;
}

}  // namespace

void region_cues(const View2D<uint8_t>& grey, const float* grad, const int32_t* box, const int32_t* pixels,
                 int64_t num_pixels, CueScratch& s, float out[kNumCues]) {
  constexpr int P = 3;  // dilation reach 2 + one background pixel all around
  const int64_t W = grey.width, H = grey.height;
  const int x1 = box[0], y1 = box[1], x2 = box[2], y2 = box[3];
  const int w = x2 - x1, h = y2 - y1;
  out[kCueDiameter] = static_cast<float>(std::max(w, h));
  const int bw = w + 2 * P, bh = h + 2 * P;
  const int ox = x1 - P, oy = y1 - P;
  const int nw = (bw + 63) / 64;
  const size_t nwords = static_cast<size_t>(nw) * bh;
  s.bm.resize(nwords);
  s.bh.resize(nwords);
  s.bd.resize(nwords);
  s.be.resize(nwords);
  uint64_t* M = s.bm.data();
  uint64_t* Hh = s.bh.data();
  uint64_t* D = s.bd.data();
  uint64_t* E = s.be.data();

  // The pixels are first set in a bitmap of flat offsets from (x1 - P, y1), rows W bits apart, so a
  // pixel costs a subtraction and no division; the box's bit rows are then cut out of it. The
  // bitmap is all zero between calls (only the words a region touched are cleared afterwards).
  const int64_t origin = static_cast<int64_t>(y1) * W + x1 - P;
  const size_t flat_words = static_cast<size_t>((static_cast<int64_t>(h) * W + bw) / 64 + nw + 2);
  if (s.flat.size() < flat_words) s.flat.resize(flat_words, 0);
  uint64_t* F = s.flat.data();
  // Integer sums: grey values add up exactly, so the means equal those of the former double sums.
  int64_t fg = 0;
  if (grey.stride_x == 1 && grey.stride_y == W) {
    for (int64_t k = 0; k < num_pixels; ++k) {
      const int64_t idx = pixels[k];
      const uint64_t rel = static_cast<uint64_t>(idx - origin);
      F[rel >> 6] |= uint64_t(1) << (rel & 63);
      fg += grey.data[idx];
    }
  } else {
    for (int64_t k = 0; k < num_pixels; ++k) {
      const int64_t idx = pixels[k];
      const uint64_t rel = static_cast<uint64_t>(idx - origin);
      F[rel >> 6] |= uint64_t(1) << (rel & 63);
      fg += grey(idx / W, idx % W);
    }
  }
  for (int y = 0; y < bh; ++y) {
    uint64_t* o = M + static_cast<size_t>(y) * nw;
    if (y < P || y >= P + h) {
      std::fill(o, o + nw, uint64_t(0));
      continue;
    }
    const int64_t start = static_cast<int64_t>(y - P) * W;
    const uint64_t* f = F + (start >> 6);
    const int sh = static_cast<int>(start & 63);
    if (sh == 0) {
      for (int k = 0; k < nw; ++k) o[k] = f[k];
    } else {
      for (int k = 0; k < nw; ++k) o[k] = (f[k] >> sh) | (f[k + 1] << (64 - sh));
    }
    // Only columns [P, P + w) are this row's: a box nearly as wide as the image also catches the
    // ends of the rows above and below.
    o[0] &= ~uint64_t(0) << P;
    for (int k = 0; k < nw; ++k) {
      const int hi = P + w - 64 * k;  // columns of word k below P + w
      if (hi <= 0) o[k] = 0;
      else if (hi < 64) o[k] &= ~(~uint64_t(0) << hi);
    }
  }
  for (int r = 0; r < h; ++r) {
    const int64_t start = static_cast<int64_t>(r) * W;
    std::fill(F + (start >> 6), F + ((start + bw - 1) >> 6) + 1, uint64_t(0));
  }
  out[kCueForeground] = num_pixels > 0 ? static_cast<float>(static_cast<double>(fg) / num_pixels) : 0.f;

  // 5x5 dilation: horizontal OR of shifts by -2..2, then vertical OR of 5 rows.
  for (int y = 0; y < bh; ++y) {
    const uint64_t* r = M + static_cast<size_t>(y) * nw;
    uint64_t* o = Hh + static_cast<size_t>(y) * nw;
    for (int k = 0; k < nw; ++k) o[k] = r[k] | shl(r, k, 1) | shl(r, k, 2) | shr(r, k, nw, 1) | shr(r, k, nw, 2);
  }
  for (int y = 0; y < bh; ++y) {
    uint64_t* o = D + static_cast<size_t>(y) * nw;
    for (int k = 0; k < nw; ++k) o[k] = 0;
    for (int yy = std::max(0, y - 2); yy <= std::min(bh - 1, y + 2); ++yy) {
      const uint64_t* r = Hh + static_cast<size_t>(yy) * nw;
      for (int k = 0; k < nw; ++k) o[k] |= r[k];
    }
  }
  // 5x5 erosion (outside the buffer is background): horizontal AND, then vertical AND of 5 rows.
  for (int y = 0; y < bh; ++y) {
    const uint64_t* r = M + static_cast<size_t>(y) * nw;
    uint64_t* o = Hh + static_cast<size_t>(y) * nw;
    for (int k = 0; k < nw; ++k) o[k] = r[k] & shl(r, k, 1) & shl(r, k, 2) & shr(r, k, nw, 1) & shr(r, k, nw, 2);
  }
  for (int y = 0; y < bh; ++y) {
    uint64_t* o = E + static_cast<size_t>(y) * nw;
    if (y < 2 || y + 2 >= bh) {
      for (int k = 0; k < nw; ++k) o[k] = 0;
      continue;
    }
    for (int k = 0; k < nw; ++k)
      o[k] = Hh[(y - 2) * nw + k] & Hh[(y - 1) * nw + k] & Hh[y * nw + k] & Hh[(y + 1) * nw + k] & Hh[(y + 2) * nw + k];
  }

  // Ring sums over set bits only, clipped to the image.
  int64_t bg = 0, nbg = 0, ng = 0;
  // The gradient is summed in double in raster order, as before: it is exact (values are 0 or
  // floats >= 1, so multiples of 2^-23) only while the sum stays below 2^30, about 3 million ring
  // pixels, so another order could change the last bit on very large images.
  double gsum = 0;
  const int yl = static_cast<int>(std::max<int64_t>(0, -oy)), yh = static_cast<int>(std::min<int64_t>(bh, H - oy));
  const int xl = static_cast<int>(std::max<int64_t>(0, -ox)), xh = static_cast<int>(std::min<int64_t>(bw, W - ox));
  for (int y = yl; y < yh; ++y) {
    const size_t r = static_cast<size_t>(y) * nw;
    const float* grow = grad + (oy + y) * W + ox;
    for (int k = 0; k < nw; ++k) {
      // Columns [xl, xh) of this word.
      const int base = 64 * k;
      uint64_t valid = ~uint64_t(0);
      if (base < xl) valid &= xl - base >= 64 ? 0 : (~uint64_t(0) << (xl - base));
      if (base + 64 > xh) valid &= xh - base <= 0 ? 0 : (~uint64_t(0) >> (64 - (xh - base)));
      uint64_t ring = D[r + k] & ~M[r + k] & valid;
      uint64_t gring = D[r + k] & ~E[r + k] & valid;
      // Counted while visiting the bits: without -mpopcnt a popcount is a libgcc call.
      while (ring) {
        const int b = __builtin_ctzll(ring);
        bg += grey(oy + y, ox + base + b);
        ++nbg;
        ring &= ring - 1;
      }
      while (gring) {
        const int b = __builtin_ctzll(gring);
        gsum += grow[base + b];
        ++ng;
        gring &= gring - 1;
      }
    }
  }
  out[kCueBackground] = nbg > 0 ? static_cast<float>(static_cast<double>(bg) / nbg) : 0.f;
  out[kCueGradient] = ng > 0 ? static_cast<float>(gsum / ng) : 0.f;

  // Stroke: the exact distance transform straight away. Every dilated region has a stroke of at
  // least 3, so counting cross-shaped bit erosions instead (tried up to 20) only added passes.
  const int stroke = bw <= 500 ? max_l1_distance_bits(D, nw, bw, bh, s.dist8) : max_l1_distance_bits(D, nw, bw, bh, s.dist);
  out[kCueStroke] = static_cast<float>(stroke);
}

}  // namespace textvision
