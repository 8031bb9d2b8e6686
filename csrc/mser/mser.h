// Linear-time MSER on a component tree (Nistér & Stewénius 2008) with per-region statistics (box,
// centroid, mean grey, mean text probability) taken by the core from the flood order, where kept
// regions are nested slices: each covered pixel is read once, so pruning by mean probability costs
// one read of the map under the regions and no pixel lists.
//
// This header is the contract between the MSER kernel and its users (bindings, TextProposals).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "common.h"

namespace textvision {

struct MserParams {
  int delta = 5;              // OpenCV default; TextProposals uses 13
  int64_t min_area = 60;      // pixels, inclusive
  int64_t max_area = 14400;   // pixels, inclusive
  double max_variation = 0.25;
  double min_diversity = 0.2;
  int polarity = 0;           // 0 both, +1 dark-on-light ("MSER+", from the image), -1 bright-on-dark
  bool return_pixels = false;
  // With return_pixels, hand out the flood-order pixel arrays instead of per-region copies (for C++
  // callers that only read each region once, e.g. TextProposals): see MserRegions::pixel_pool.
  bool pool_pixels = false;
  float min_prob = -1.0f;     // prune regions whose mean prob is below this; < 0 = no pruning
  // With polarity 0 and num_threads >= 2, the bright pass floods on a second thread (same output).
  int num_threads = 1;
};

// Structure of arrays, one entry per kept region, in a deterministic order.
struct MserRegions {
  std::vector<int32_t> boxes;          // 4 per region: x1, y1, x2, y2 (x2/y2 exclusive)
  std::vector<int64_t> areas;          // pixel count
  std::vector<float> centroids;        // 2 per region: cx, cy (mean of pixel x, y)
  std::vector<int8_t> polarity;        // +1 / -1
  std::vector<float> mean_intensity;   // mean grey value of the region's pixels, 0..255
  std::vector<float> mean_prob;        // mean of prob over the pixels; NaN when no prob is given
  std::vector<float> variation;        // OpenCV's stability score (smaller = more stable)
  std::vector<uint8_t> level;          // grey threshold: pixels <= level (+1) / >= level (-1)
  std::vector<int64_t> pixel_offsets;  // CSR, N+1 entries, only with return_pixels
  std::vector<int32_t> pixel_indices;  // flat y*W+x, only with return_pixels
  // Only with return_pixels and pool_pixels (then pixel_offsets / pixel_indices stay empty): region i
  // has the areas[i] pixels pixel_pool[pixel_start[i] ...]. Nested regions share their pixels in
  // the pool, which is the flood order itself: the interior pixels once per pass, never copied.
  std::unique_ptr<int32_t[]> pixel_pool;
  std::vector<int64_t> pixel_start;
  size_t size() const { return areas.size(); }
};

// image: uint8 HxW; prob: optional float32 HxW in [0,1] (nullptr when absent).
// Semantics follow OpenCV 4.x grey-image MSER exactly (see mser.cpp): the one-pixel image frame is
// never part of a region, images under 3x3 give no regions, min_diversity is ignored.
// Throws ValueError for invalid parameters, prob of another shape, or prob with NaN / outside [0,1].
MserRegions mser(const View2D<uint8_t>& image, const View2D<float>* prob, const MserParams& params);

}  // namespace textvision
