// Exact IoU of quadrilaterals and EAST's locality-aware NMS (Zhou et al., CVPR 2017).
//
// Quads are 8 floats (x1, y1, ..., x4, y4). Every quad is replaced by the convex hull of its four
// corners before any area is measured, so clockwise, counter-clockwise, self-intersecting
// ("bow-tie") and zero-area inputs are all well defined: the IoU is exact for convex quads (what
// EAST produces) and is the IoU of the hulls otherwise. A zero-area quad has IoU 0 with everything.
#pragma once
#include <cstdint>
#include <vector>

namespace textvision {
namespace nms {

// IoU of the convex hulls of two quads (8 floats each), in [0, 1].
double polygon_iou(const float* a, const float* b);

// iou[i * m + j] = polygon_iou(a + 8 i, b + 8 j).
void polygon_iou_matrix(const float* a, int64_t n, const float* b, int64_t m, double* iou);

struct LanmsResult {
  std::vector<float> quads;    // 8 per kept box
  std::vector<float> scores;   // summed score of the boxes merged into each kept box
  std::vector<int32_t> counts; // how many input boxes were merged into each kept box
};

// Locality-aware NMS. Pass 1 walks the boxes in the given order (EAST's decoder gives raster order,
// so consecutive boxes are neighbours on a row) and merges each box into the running one when their
// IoU exceeds merge_threshold: coordinates are averaged with the scores as weights (after cyclically
// aligning the vertex order) and the scores are summed. Pass 2 is standard greedy NMS on the merged
// boxes by descending score, dropping a box whose IoU with a kept one exceeds nms_threshold.
// Output is in descending score order (ties keep the earlier box first).
LanmsResult lanms(const float* quads, const float* scores, int64_t n, double merge_threshold,
                  double nms_threshold);

// Greedy NMS only: indices of kept quads in descending score order.
std::vector<int64_t> polygon_nms(const float* quads, const float* scores, int64_t n, double threshold);

}  // namespace nms
}  // namespace textvision
