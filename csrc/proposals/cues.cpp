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
  // Pad 4: the 5x5 dilation reaches 2 pixels out, the distance transform needs a background border,
  // and with 2 more the 5-tap loops below run without bounds checks (they vectorise).
  constexpr int P = 4;
  const int64_t W = grey.width, H = grey.height;
  const int x1 = box[0], y1 = box[1], x2 = box[2], y2 = box[3];
  const int w = x2 - x1, h = y2 - y1;
  out[kCueDiameter] = static_cast<float>(std::max(w, h));
  const int bw = w + 2 * P, bh = h + 2 * P;
  const int ox = x1 - P, oy = y1 - P;
  const size_t n = static_cast<size_t>(bw) * bh;
  s.mask.assign(n, 0);
  s.tmp.assign(n, 0);
  s.dil.assign(n, 0);
  s.ero.assign(n, 0);
  s.dist.resize(n);

  double fg = 0;
  for (int64_t k = 0; k < num_pixels; ++k) {
    const int64_t idx = pixels[k];
    const int64_t y = idx / W, x = idx - y * W;
    s.mask[(y - oy) * bw + (x - ox)] = 1;
    fg += grey(y, x);
  }
  out[kCueForeground] = num_pixels > 0 ? static_cast<float>(fg / num_pixels) : 0.f;

  // Separable 5x5 dilation (OR) and erosion (AND); the mask is 0 within P of the buffer edge, so
  // leaving the outer 2 rows/columns at 0 is exact for both.
  uint8_t* __restrict m = s.mask.data();
  uint8_t* __restrict t = s.tmp.data();
  uint8_t* __restrict d = s.dil.data();
  uint8_t* __restrict e = s.ero.data();
  for (int y = P; y < bh - P; ++y) {
    const uint8_t* r = m + static_cast<size_t>(y) * bw;
    uint8_t* tr = t + static_cast<size_t>(y) * bw;
    for (int x = 2; x < bw - 2; ++x) tr[x] = r[x - 2] | r[x - 1] | r[x] | r[x + 1] | r[x + 2];
  }
  for (int y = 2; y < bh - 2; ++y) {
    const uint8_t* t0 = t + static_cast<size_t>(y - 2) * bw;
    const uint8_t* t1 = t0 + bw;
    const uint8_t* t2 = t1 + bw;
    const uint8_t* t3 = t2 + bw;
    const uint8_t* t4 = t3 + bw;
    uint8_t* dr = d + static_cast<size_t>(y) * bw;
    for (int x = 0; x < bw; ++x) dr[x] = t0[x] | t1[x] | t2[x] | t3[x] | t4[x];
  }
  for (int y = P; y < bh - P; ++y) {
    const uint8_t* r = m + static_cast<size_t>(y) * bw;
    uint8_t* tr = t + static_cast<size_t>(y) * bw;
    for (int x = 2; x < bw - 2; ++x) tr[x] = r[x - 2] & r[x - 1] & r[x] & r[x + 1] & r[x + 2];
  }
  for (int y = P; y < bh - P; ++y) {
    const uint8_t* t0 = t + static_cast<size_t>(y - 2) * bw;
    const uint8_t* t1 = t0 + bw;
    const uint8_t* t2 = t1 + bw;
    const uint8_t* t3 = t2 + bw;
    const uint8_t* t4 = t3 + bw;
    uint8_t* er = e + static_cast<size_t>(y) * bw;
    for (int x = 0; x < bw; ++x) er[x] = t0[x] & t1[x] & t2[x] & t3[x] & t4[x];
  }

  // Ring sums, clipped to the image: background ring = dil & !mask, gradient ring = dil & !ero.
  uint64_t bg = 0;
  int64_t nbg = 0, ng = 0;
  double gsum = 0;
  const int yl = static_cast<int>(std::max<int64_t>(0, -oy)), yh = static_cast<int>(std::min<int64_t>(bh, H - oy));
  const int xl = static_cast<int>(std::max<int64_t>(0, -ox)), xh = static_cast<int>(std::min<int64_t>(bw, W - ox));
  for (int y = yl; y < yh; ++y) {
    const size_t r = static_cast<size_t>(y) * bw;
    const float* grow = grad + (oy + y) * W + ox;
    uint32_t row_bg = 0;
    int row_nbg = 0, row_ng = 0;
    float row_g = 0;
    if (grey.stride_x == 1) {
      const uint8_t* gp = &grey(oy + y, ox);
      for (int x = xl; x < xh; ++x) {
        const uint8_t ring = d[r + x] & (m[r + x] ^ 1);
        const uint8_t gring = d[r + x] & (e[r + x] ^ 1);
        row_bg += ring * gp[x];
        row_nbg += ring;
        row_ng += gring;
        row_g += gring ? grow[x] : 0.f;
      }
    } else {
      for (int x = xl; x < xh; ++x) {
        const uint8_t ring = d[r + x] & (m[r + x] ^ 1);
        const uint8_t gring = d[r + x] & (e[r + x] ^ 1);
        row_bg += ring * grey(oy + y, ox + x);
        row_nbg += ring;
        row_ng += gring;
        row_g += gring ? grow[x] : 0.f;
      }
    }
    bg += row_bg;
    nbg += row_nbg;
    ng += row_ng;
    gsum += row_g;
  }
  out[kCueBackground] = nbg > 0 ? static_cast<float>(static_cast<double>(bg) / nbg) : 0.f;
  out[kCueGradient] = ng > 0 ? static_cast<float>(gsum / ng) : 0.f;

  // 3x3 L1 distance transform of the dilated mask (chamfer a=1, b=2 is exactly the city-block
  // metric, which is separable): vertical 1-D passes (vectorised across x), then horizontal ones.
  int16_t* __restrict dt = s.dist.data();
  const int16_t inf = 16000;
  for (size_t i = 0; i < n; ++i) dt[i] = d[i] ? inf : 0;
  for (int y = 1; y < bh; ++y) {
    int16_t* cur = dt + static_cast<size_t>(y) * bw;
    const int16_t* prev = cur - bw;
    for (int x = 0; x < bw; ++x) cur[x] = std::min<int16_t>(cur[x], static_cast<int16_t>(prev[x] + 1));
  }
  for (int y = bh - 2; y >= 0; --y) {
    int16_t* cur = dt + static_cast<size_t>(y) * bw;
    const int16_t* next = cur + bw;
    for (int x = 0; x < bw; ++x) cur[x] = std::min<int16_t>(cur[x], static_cast<int16_t>(next[x] + 1));
  }
  int16_t best = 0;
  for (int y = 0; y < bh; ++y) {
    int16_t* row = dt + static_cast<size_t>(y) * bw;
    for (int x = 1; x < bw; ++x) row[x] = std::min<int16_t>(row[x], static_cast<int16_t>(row[x - 1] + 1));
    for (int x = bw - 2; x >= 0; --x) {
      row[x] = std::min<int16_t>(row[x], static_cast<int16_t>(row[x + 1] + 1));
      best = std::max(best, row[x]);
    }
  }
  out[kCueStroke] = static_cast<float>(best);
}

}  // namespace textvision
