#include "regions/regions.h"

#include <algorithm>
#include <limits>
#include <string>

namespace textvision {
namespace {

void check_view(const View2D<float>& prob, const char* who) {
  for (int64_t y = 0; y < prob.height; ++y)
    for (int64_t x = 0; x < prob.width; ++x) {
      const float v = prob(y, x);
      if (!(v >= 0.f && v <= 1.f))
        throw ValueError(std::string(who) + ": prob must be in [0, 1] without NaN; found " +
                         (v != v ? std::string("NaN") : std::to_string(v)) + " at (y=" + std::to_string(y) +
                         ", x=" + std::to_string(x) + ")");
    }
}

}  // namespace

std::vector<float> region_mean(const View2D<float>& prob, const int64_t* offsets, int64_t n_regions,
                               const int32_t* indices, int64_t n_indices) {
  const int64_t h = prob.height, w = prob.width, n_pix = h * w;
  if (n_regions < 0) throw ValueError("region_mean: pixel_offsets must hold N+1 >= 1 entries");
  if (offsets[0] != 0) throw ValueError("region_mean: pixel_offsets[0] must be 0, got " + std::to_string(offsets[0]));
  if (offsets[n_regions] != n_indices)
    throw ValueError("region_mean: pixel_offsets[-1] = " + std::to_string(offsets[n_regions]) +
                     " but pixel_indices has " + std::to_string(n_indices) + " entries");
  for (int64_t r = 0; r < n_regions; ++r)
    if (offsets[r + 1] < offsets[r])
      throw ValueError("region_mean: pixel_offsets must be non-decreasing (offsets[" + std::to_string(r + 1) +
                       "] < offsets[" + std::to_string(r) + "])");
  for (int64_t k = 0; k < n_indices; ++k)
    if (indices[k] < 0 || indices[k] >= n_pix)
      throw ValueError("region_mean: pixel_indices[" + std::to_string(k) + "] = " + std::to_string(indices[k]) +
                       " is outside the map of " + std::to_string(n_pix) + " pixels");
  check_view(prob, "region_mean");
  std::vector<float> out(static_cast<size_t>(n_regions));
  const bool flat = prob.stride_x == 1 && prob.stride_y == w;
  for (int64_t r = 0; r < n_regions; ++r) {
    const int64_t a = offsets[r], b = offsets[r + 1];
    if (a == b) {
      out[r] = std::numeric_limits<float>::quiet_NaN();
      continue;
    }
    double s = 0.0;
    if (flat) {
      for (int64_t k = a; k < b; ++k) s += prob.data[indices[k]];
    } else {
      for (int64_t k = a; k < b; ++k) s += prob(indices[k] / w, indices[k] % w);
    }
    out[r] = static_cast<float>(s / static_cast<double>(b - a));
  }
  return out;
}

std::vector<float> box_mean(const View2D<float>& prob, const int32_t* boxes, int64_t n_boxes) {
  const int64_t h = prob.height, w = prob.width, w1 = w + 1;
  check_view(prob, "box_mean");
  // Integral image I[y][x] = sum of prob over [0,y) x [0,x), in double so 1e-6 holds on big maps.
  std::vector<double> ii(static_cast<size_t>((h + 1) * w1), 0.0);
  for (int64_t y = 0; y < h; ++y) {
    double row = 0.0;
    const double* above = ii.data() + y * w1;
    double* cur = ii.data() + (y + 1) * w1;
    for (int64_t x = 0; x < w; ++x) {
      row += prob(y, x);
      cur[x + 1] = above[x + 1] + row;
    }
  }
  std::vector<float> out(static_cast<size_t>(n_boxes));
  for (int64_t i = 0; i < n_boxes; ++i) {
    const int64_t x1 = std::max<int64_t>(boxes[4 * i + 0], 0), y1 = std::max<int64_t>(boxes[4 * i + 1], 0);
    const int64_t x2 = std::min<int64_t>(boxes[4 * i + 2], w), y2 = std::min<int64_t>(boxes[4 * i + 3], h);
    if (x2 <= x1 || y2 <= y1) {
      out[i] = std::numeric_limits<float>::quiet_NaN();
      continue;
    }
    const double s = ii[y2 * w1 + x2] - ii[y1 * w1 + x2] - ii[y2 * w1 + x1] + ii[y1 * w1 + x1];
    out[i] = static_cast<float>(s / static_cast<double>((x2 - x1) * (y2 - y1)));
  }
  return out;
}

}  // namespace textvision
