// Mean of a text-probability map over regions given elsewhere: pixel lists in CSR form (e.g. MSER
// regions converted from cv2 point lists) and axis-aligned boxes (via an integral image).
#pragma once
#include <cstdint>
#include <vector>

#include "common.h"

namespace textvision {

// Throws ValueError naming `who` when p[0..n) holds NaN or a value outside [0, 1].
void check_prob_map(const float* p, int64_t n, const char* who);

// offsets: int64 [N+1], non-decreasing, offsets[0] == 0, offsets[N] == n_indices; indices: flat
// y*W+x in [0, H*W). Returns float32 [N]; an empty region gives NaN. Accumulates in double.
std::vector<float> region_mean(const View2D<float>& prob, const int64_t* offsets, int64_t n_regions,
                               const int32_t* indices, int64_t n_indices);

// The core's one summed-area table: ii (h + 1) x (w + 1) doubles, row 0 and column 0 zero, and
// ii[y+1][x+1] = ii[y][x+1] + (running sum of row y up to x): cv2.integral's order, so the same bits
// as cv2.integral(prob, sdepth=CV_64F), for any `threads`. Returns whether every value was in [0, 1]
// (NaN is not): callers that need the map valid check it without a second read.
bool integral_image(const View2D<float>& prob, double* ii, int threads = 1);

// boxes: int32 [N,4] (x1, y1, x2, y2) with x2/y2 exclusive, clipped to the map; a box with no pixel
// inside the map gives NaN. One pass builds a double-precision integral image, then O(1) per box.
std::vector<float> box_mean(const View2D<float>& prob, const int32_t* boxes, int64_t n_boxes);

}  // namespace textvision
