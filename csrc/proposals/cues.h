// Per-region grouping cues of TextProposals, computed from a region's pixel list on its padded
// bounding box only (never on the whole image), so the cost follows the regions' own sizes.
#pragma once
#include <cstdint>
#include <vector>

#include "common.h"

namespace textvision {

enum Cue : int { kCueDiameter = 0, kCueForeground = 1, kCueBackground = 2, kCueGradient = 3, kCueStroke = 4 };
constexpr int kNumCues = 5;

// Reusable buffers: one per thread, so a region costs no allocation.
struct CueScratch {
  std::vector<int16_t> dist;  // distance transform of wide regions
  std::vector<uint8_t> dist8;  // of narrow ones (distances at most half the width)
  std::vector<uint64_t> bm, bh, bd, be;  // bit rows: mask, horizontal pass, dilation, erosion
  std::vector<uint64_t> flat;  // pixel bits at flat image offsets; all zero between calls
};

// Gradient magnitude sqrt(dx^2 + dy^2) of [-1 0 1] central differences (one-sided at the border),
// float32 HxW row-major.
std::vector<float> gradient_magnitude(const View2D<uint8_t>& grey);

// Cues of one region: out[kCueDiameter] = max(w, h) of the box; out[kCueForeground] = mean grey
// over the pixels; out[kCueBackground] = mean grey over dilate5x5(mask) - mask; out[kCueGradient] =
// mean gradient over dilate5x5(mask) - erode5x5(mask); out[kCueStroke] = max of the 3x3 L1 distance
// transform (distance to the nearest pixel outside) of the dilated mask. Rings are clipped to the
// image; an empty ring gives 0. box: x1, y1, x2, y2 (exclusive); pixels: flat y*W+x indices.
// Morphology runs on 64-pixel bit rows, ring sums visit only ring pixels, and the stroke comes from a
// separable distance transform whose horizontal pass is read off the bit rows' runs.
void region_cues(const View2D<uint8_t>& grey, const float* grad, const int32_t* box, const int32_t* pixels,
                 int64_t num_pixels, CueScratch& scratch, float out[kNumCues]);

}  // namespace textvision
