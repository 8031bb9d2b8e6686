#include "proposals/cues.h"

#include <algorithm>
#include <cmath>

namespace textvision {

std::vector<float> gradient_magnitude(const View2D<uint8_t>& grey) {
  const int64_t H = grey.height, W = grey.width;
  std::vector<float> out(static_cast<size_t>(H * W), 0.f);
  for (int64_t y = 0; y < H; ++y) {
    const int64_t y0 = y > 0 ? y - 1 : y, y1 = y + 1 < H ? y + 1 : y;
    for (int64_t x = 0; x < W; ++x) {
      const int64_t x0 = x > 0 ? x - 1 : x, x1 = x + 1 < W ? x + 1 : x;
      float dx = static_cast<float>(grey(y, x1)) - static_cast<float>(grey(y, x0));
      float dy = static_cast<float>(grey(y1, x)) - static_cast<float>(grey(y0, x));
      out[y * W + x] = std::sqrt(dx * dx + dy * dy);
    }
  }
  return out;
}

void region_cues(const View2D<uint8_t>& grey, const float* grad, const int32_t* box, const int32_t* pixels,
                 int64_t num_pixels, CueScratch& s, float out[kNumCues]) {
  // Pad 3: the 5x5 dilation reaches 2 pixels out and the distance transform needs a background border.
  constexpr int P = 3;
  const int64_t W = grey.width, H = grey.height;
  const int x1 = box[0], y1 = box[1], x2 = box[2], y2 = box[3];
  const int w = x2 - x1, h = y2 - y1;
  out[kCueDiameter] = static_cast<float>(std::max(w, h));
  const int bw = w + 2 * P, bh = h + 2 * P;
  const int ox = x1 - P, oy = y1 - P;
  const size_t n = static_cast<size_t>(bw) * bh;
  s.mask.assign(n, 0);
  s.tmp.resize(n);
  s.dil.resize(n);
  s.ero.resize(n);
  s.dist.resize(n);

  double fg = 0;
  for (int64_t k = 0; k < num_pixels; ++k) {
    const int64_t idx = pixels[k];
    const int64_t y = idx / W, x = idx - y * W;
    s.mask[(y - oy) * bw + (x - ox)] = 1;
    fg += grey(y, x);
  }
  out[kCueForeground] = num_pixels > 0 ? static_cast<float>(fg / num_pixels) : 0.f;

  // Separable 5x5 dilation (max) and erosion (min; outside the buffer counts as background).
  uint8_t* m = s.mask.data();
  uint8_t* t = s.tmp.data();
  uint8_t* d = s.dil.data();
  uint8_t* e = s.ero.data();
  for (int y = 0; y < bh; ++y) {
    const uint8_t* row = m + static_cast<size_t>(y) * bw;
    uint8_t* tr = t + static_cast<size_t>(y) * bw;
    for (int x = 0; x < bw; ++x) {
      uint8_t v = 0;
      for (int k = std::max(0, x - 2); k <= std::min(bw - 1, x + 2); ++k) v |= row[k];
      tr[x] = v;
    }
  }
  for (int y = 0; y < bh; ++y) {
    uint8_t* dr = d + static_cast<size_t>(y) * bw;
    for (int x = 0; x < bw; ++x) dr[x] = 0;
    for (int k = std::max(0, y - 2); k <= std::min(bh - 1, y + 2); ++k) {
      const uint8_t* tr = t + static_cast<size_t>(k) * bw;
      for (int x = 0; x < bw; ++x) dr[x] |= tr[x];
    }
  }
  for (int y = 0; y < bh; ++y) {
    const uint8_t* row = m + static_cast<size_t>(y) * bw;
    uint8_t* tr = t + static_cast<size_t>(y) * bw;
    for (int x = 0; x < bw; ++x) {
      uint8_t v = (x >= 2 && x + 2 < bw) ? 1 : 0;
      for (int k = std::max(0, x - 2); k <= std::min(bw - 1, x + 2) && v; ++k) v &= row[k];
      tr[x] = v;
    }
  }
  for (int y = 0; y < bh; ++y) {
    uint8_t* er = e + static_cast<size_t>(y) * bw;
    const uint8_t inside = (y >= 2 && y + 2 < bh) ? 1 : 0;
    for (int x = 0; x < bw; ++x) er[x] = inside;
    if (!inside) continue;
    for (int k = y - 2; k <= y + 2; ++k) {
      const uint8_t* tr = t + static_cast<size_t>(k) * bw;
      for (int x = 0; x < bw; ++x) er[x] &= tr[x];
    }
  }

  // Ring sums, clipped to the image.
  double bg = 0, gsum = 0;
  int64_t nbg = 0, ng = 0;
  const int yl = std::max<int64_t>(0, -oy), yh = static_cast<int>(std::min<int64_t>(bh, H - oy));
  const int xl = std::max<int64_t>(0, -ox), xh = static_cast<int>(std::min<int64_t>(bw, W - ox));
  for (int y = yl; y < yh; ++y) {
    const size_t r = static_cast<size_t>(y) * bw;
    const float* grow = grad + (oy + y) * W + ox;
    for (int x = xl; x < xh; ++x) {
      if (!d[r + x]) continue;
      if (!m[r + x]) {
        bg += grey(oy + y, ox + x);
        ++nbg;
      }
      if (!e[r + x]) {
        gsum += grow[x];
        ++ng;
      }
    }
  }
  out[kCueBackground] = nbg > 0 ? static_cast<float>(bg / nbg) : 0.f;
  out[kCueGradient] = ng > 0 ? static_cast<float>(gsum / ng) : 0.f;

  // 3x3 L1 distance transform (chamfer a=1, b=2 is exactly the city-block metric): two passes.
  int16_t* dt = s.dist.data();
  const int16_t inf = 30000;
  for (size_t i = 0; i < n; ++i) dt[i] = d[i] ? inf : 0;
  for (int y = 0; y < bh; ++y) {
    for (int x = 0; x < bw; ++x) {
      const size_t i = static_cast<size_t>(y) * bw + x;
      if (!dt[i]) continue;
      int16_t v = dt[i];
      if (y > 0) v = std::min<int16_t>(v, dt[i - bw] + 1);
      if (x > 0) v = std::min<int16_t>(v, dt[i - 1] + 1);
      dt[i] = v;
    }
  }
  int16_t best = 0;
  for (int y = bh - 1; y >= 0; --y) {
    for (int x = bw - 1; x >= 0; --x) {
      const size_t i = static_cast<size_t>(y) * bw + x;
      if (!dt[i]) continue;
      int16_t v = dt[i];
      if (y + 1 < bh) v = std::min<int16_t>(v, dt[i + bw] + 1);
      if (x + 1 < bw) v = std::min<int16_t>(v, dt[i + 1] + 1);
      dt[i] = v;
      best = std::max(best, v);
    }
  }
  out[kCueStroke] = static_cast<float>(best);
}

}  // namespace textvision
