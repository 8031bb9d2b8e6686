#include "regions/regions.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <memory>
#include <string>

#include "parallel.h"

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

bool integral_image(const View2D<float>& prob, double* ii, int threads) {
  const int64_t h = prob.height, w = prob.width, w1 = w + 1;
  // Row 0 and column 0 are the only cells not written below.
  for (int64_t x = 0; x < w1; ++x) ii[x] = 0.0;
  for (int64_t r = 1; r <= h; ++r) ii[r * w1] = 0.0;
  std::atomic<bool> bad{false};
  // Rows [y0, y1): cell = above + running sum of the row, or (above_too = false) the running sum alone.
  // Four rows at a time: each row's running sum is a serial chain of adds, so interleaving four
  // independent chains keeps the FP adders busy (about 3x faster than row by row).
  auto rows = [&](int64_t y0, int64_t y1, bool above_too) {
    bool task_bad = false;
    auto in_range = [&task_bad](float v) {
      task_bad |= !(v >= 0.f && v <= 1.f);
      return static_cast<double>(v);
    };
    int64_t y = y0;
    for (; y + 4 <= y1; y += 4) {
      double r0 = 0.0, r1 = 0.0, r2 = 0.0, r3 = 0.0;
      const double* above = ii + y * w1;
      double* c0 = ii + (y + 1) * w1;
      double* c1 = c0 + w1;
      double* c2 = c1 + w1;
      double* c3 = c2 + w1;
      for (int64_t x = 0; x < w; ++x) {
        r0 += in_range(prob(y, x));
        r1 += in_range(prob(y + 1, x));
        r2 += in_range(prob(y + 2, x));
        r3 += in_range(prob(y + 3, x));
        if (above_too) {
          const double v0 = above[x + 1] + r0;
          const double v1 = v0 + r1;
          const double v2 = v1 + r2;
          c0[x + 1] = v0;
          c1[x + 1] = v1;
          c2[x + 1] = v2;
          c3[x + 1] = v2 + r3;
        } else {
          c0[x + 1] = r0;
          c1[x + 1] = r1;
          c2[x + 1] = r2;
          c3[x + 1] = r3;
        }
      }
    }
    for (; y < y1; ++y) {
      double row = 0.0;
      const double* above = ii + y * w1;
      double* cur = ii + (y + 1) * w1;
      for (int64_t x = 0; x < w; ++x) {
        row += in_range(prob(y, x));
        cur[x + 1] = above_too ? above[x + 1] + row : row;
      }
    }
    if (task_bad) bad = true;
  };
  const int64_t tasks = std::min<int64_t>(h, 4 * static_cast<int64_t>(std::max(threads, 1)));
  if (tasks <= 1 || threads <= 1) {
    rows(0, h, true);  // one pass: the map and the table are each touched once
  } else {
    // Running row sums for row blocks in parallel, then the rows above added down each block of
    // columns in parallel: the same additions in the same order as the one pass, so the same bits.
    parallel_for(tasks, threads, [&](int64_t t) { rows(h * t / tasks, h * (t + 1) / tasks, false); });
    const int64_t col_tasks = std::min<int64_t>(w, tasks);
    parallel_for(col_tasks, threads, [&](int64_t t) {
      const int64_t x0 = 1 + w * t / col_tasks, x1 = 1 + w * (t + 1) / col_tasks;
      for (int64_t y = 2; y <= h; ++y) {
        double* row = ii + y * w1;
        const double* above = row - w1;
        for (int64_t x = x0; x < x1; ++x) row[x] = above[x] + row[x];
      }
    });
  }
  return !bad;
}

std::vector<float> box_mean(const View2D<float>& prob, const int32_t* boxes, int64_t n_boxes) {
  const int64_t h = prob.height, w = prob.width, w1 = w + 1;
  // Integral image in double so 1e-6 holds on big maps; the map is validated on the way (one read of
  // it in total) and rescanned only to name the bad value.
  std::unique_ptr<double[]> ii(new double[static_cast<size_t>((h + 1) * w1)]);
  const bool bad = !integral_image(prob, ii.get(), 1);
  if (bad) check_view(prob, "box_mean");  // throws, naming the first bad value
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
