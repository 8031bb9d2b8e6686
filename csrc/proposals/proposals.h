// TextProposals (Gomez & Karatzas 2017) with FCN-guided pruning (Bazazian et al. 2019), whole
// pipeline in the core: MSER on channel images -> optional pruning by mean text probability ->
// per-region cues -> single linkage per channel x cue -> every merge node a proposal with the 18
// group features of the original's ranker. Scoring and de-duplication helpers live here too.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common.h"
#include "proposals/cues.h"

namespace textvision {

constexpr int kNumGroupFeatures = 18;

// Regions of one channel image, in that image's pixel coordinates.
struct RegionTable {
  std::vector<int32_t> boxes;  // 4 per region, x2/y2 exclusive
  std::vector<float> cx, cy;   // centroids
  std::vector<float> cues;     // kNumCues per region (raw units: pixels, grey levels)
  size_t size() const { return cx.size(); }
};

// -log10 of the binomial tail P[X >= k], X ~ B(n, p) (0 for k <= 0), via the regularised
// incomplete beta function: exact to double precision, O(1) in n.
double neg_log10_binomial_tail(int64_t n, int64_t k, double p);

// Single-linkage nodes of one channel x cue: clusters the points (0.25 cx/W, cy/H, cue/norm) under
// standardised Euclidean distance and appends, per merge node, the union box scaled by `scale`
// (to image coordinates) and the 18 group features. Fewer than 3 regions: nothing appended.
// Also appends, when not null, the node's left/right child ids (SciPy convention) for tests.
void group_nodes(const RegionTable& regions, int cue, int width, int height, float scale, std::vector<float>& boxes,
                 std::vector<float>& features, std::vector<int32_t>* children = nullptr);

enum PruneMode : int { kPruneNone = 0, kPrunePixels = 1, kPruneBbox = 2 };

struct ProposalParams {
  std::vector<int> channels{0, 1, 2};  // 0 R, 1 G, 2 B, 3 grey
  std::vector<int> scales{1, 2};       // downsampling factors (1 = full size, 2 = half)
  int delta = 13;
  double min_area_frac = 2e-5;
  double max_area_frac = 0.11;
  double max_variation = 55.0;
  double min_diversity = 0.0;
  int prune = kPruneNone;
  float min_prob = 0.10f;
  int num_threads = 1;
  // The original C++ TextProposals' conventions (the "original" preset): MSER area limits are absolute
  // pixel counts of the full-resolution image at every scale (instead of fractions of each scaled
  // image), and regions are grouped by their bounding-box centres x + w/2, y + h/2 (integer division,
  // as cv::Rect arithmetic) instead of their pixel centroids.
  bool absolute_area = false;
  bool box_centres = false;
};

struct ProposalStats {
  int64_t regions_found = 0;  // MSER regions before pruning (-1 when pruning ran inside MSER)
  int64_t regions_kept = 0;
  int64_t nodes = 0;
  // CPU seconds of the working thread(s), summed over channel images; t_total is wall seconds.
  double t_prepare = 0, t_mser = 0, t_prune = 0, t_cues = 0, t_cluster = 0;
  double t_total = 0;
};

struct ProposalSet {
  std::vector<float> boxes;     // 4 per node, image coordinates
  std::vector<float> features;  // kNumGroupFeatures per node
  std::vector<int16_t> image;   // index into (channels x scales), channel-major
  std::vector<int16_t> cue;
  ProposalStats stats;
  size_t size() const { return cue.size(); }
};

// rgb: uint8 HxWx3 (any strides via the view of each plane); prob: optional float HxW in [0, 1].
ProposalSet text_proposals(const View2D<uint8_t> rgb[3], const View2D<float>* prob, const ProposalParams& params);

// Boosted stumps: sum over t of (x[feature[t]] <= threshold[t] ? left[t] : right[t]); NaN goes right.
void stumps_predict(const float* x, int64_t n, int64_t stride, const int32_t* feature, const float* threshold,
                    const float* left, const float* right, int64_t num_stumps, float* out);

// FAST's re-ranking evidence of boxes on a text probability map (prob: float HxW, C order): the mean
// inside each box times one minus the mean on the ring around it (half the box height left and right,
// a quarter above and below), clipped to [0, 1]. boxes: n x 4 doubles (x1, y1, x2, y2), finite. The
// arithmetic is NumPy's reference (tests/proposals) step for step on a float64 summed-area table built
// as cv2.integral builds it, so the values are the same bits; work split over `threads` (rows of the
// table, then boxes) does not change them.
void heatmap_evidence(const float* prob, int64_t h, int64_t w, const double* boxes, int64_t n, int threads,
                      float* out);

// Indices of the unique boxes (exact equality), each the best-scoring of its duplicates (lowest index
// on ties), ordered by descending score then ascending index.
std::vector<int64_t> dedup_boxes(const float* boxes, const float* scores, int64_t n);

// Order for top-k use: walk the `limit` best by score (descending, index on ties) greedily, as NMS
// would, and demote every box whose IoU with an already placed better box exceeds `iou_threshold`.
// Returns the permutation (placed boxes first, then the demoted and the rest, each by score) and
// writes demoted[i] = 1 for boxes that are not placed first.
std::vector<int64_t> diverse_order(const float* boxes, const float* scores, int64_t n, double iou_threshold,
                                   int64_t limit, uint8_t* demoted);

}  // namespace textvision
