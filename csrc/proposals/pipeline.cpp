// The TextProposals pipeline over channel images (see proposals.h): scales, MSER, pruning, cues, grouping.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <time.h>

#include "mser/mser.h"
#include "parallel.h"
#include "proposals/proposals.h"
#include "regions/regions.h"

namespace textvision {

namespace {

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Stage times are CPU seconds of the working thread: on a shared machine they stay close to what a
// quiet one would show, while wall time also counts the waits for a core.
struct CpuClock {
  static double now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
  }
};

struct Plane {
  std::vector<uint8_t> data;
  View2D<uint8_t> view;
};

View2D<uint8_t> make_view(const std::vector<uint8_t>& v, int64_t h, int64_t w) {
  View2D<uint8_t> out;
  out.data = v.data();
  out.height = h;
  out.width = w;
  out.stride_y = w;
  out.stride_x = 1;
  return out;
}

// Mean over f x f blocks (INTER_AREA for an integer factor), rounded.
std::vector<uint8_t> downsample(const View2D<uint8_t>& src, int f, int64_t& h, int64_t& w) {
  h = src.height / f;
  w = src.width / f;
  std::vector<uint8_t> out(static_cast<size_t>(h * w));
  if (f == 2 && src.stride_x == 1) {
    // The default half scale: two contiguous rows per output row (the compiler vectorises this).
    for (int64_t y = 0; y < h; ++y) {
      const uint8_t* r0 = src.data + 2 * y * src.stride_y;
      const uint8_t* r1 = r0 + src.stride_y;
      uint8_t* o = out.data() + y * w;
      for (int64_t x = 0; x < w; ++x)
        o[x] = static_cast<uint8_t>((r0[2 * x] + r0[2 * x + 1] + r1[2 * x] + r1[2 * x + 1] + 2) >> 2);
    }
    return out;
  }
  const int area = f * f;
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      int sum = 0;
      for (int dy = 0; dy < f; ++dy)
        for (int dx = 0; dx < f; ++dx) sum += src(y * f + dy, x * f + dx);
      out[y * w + x] = static_cast<uint8_t>((sum + area / 2) / area);
    }
  return out;
}

std::vector<float> downsample_prob(const View2D<float>& src, int f, int64_t h, int64_t w) {
  std::vector<float> out(static_cast<size_t>(h * w));
  const float inv = 1.0f / (f * f);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      float sum = 0;
      for (int dy = 0; dy < f; ++dy)
        for (int dx = 0; dx < f; ++dx) sum += src(y * f + dy, x * f + dx);
      out[y * w + x] = sum * inv;
    }
  return out;
}

struct ScaleData {
  int factor = 1;
  int64_t h = 0, w = 0;
  Plane planes[4];  // R, G, B, grey (only those needed are filled)
  std::vector<float> grad;
  std::vector<float> prob;      // only for factor > 1
  View2D<float> prob_view;      // valid when a prob map is given
  std::vector<double> integral;  // (h+1) x (w+1) of prob, only for bbox pruning
};

struct JobResult {
  ProposalSet set;
};

}  // namespace

ProposalSet text_proposals(const View2D<uint8_t> rgb[3], const View2D<float>* prob, const ProposalParams& params) {
  const auto t_start = Clock::now();
  const int64_t H = rgb[0].height, W = rgb[0].width;
  for (int c : params.channels)
    if (c < 0 || c > 3) throw ValueError("text_proposals: channels must be in {0 R, 1 G, 2 B, 3 grey}, got " + std::to_string(c));
  for (int f : params.scales)
    if (f < 1 || f > 16) throw ValueError("text_proposals: scale factors must be integers in [1, 16], got " + std::to_string(f));
  if (params.prune != kPruneNone && prob == nullptr) throw ValueError("text_proposals: pruning needs a probability map");

  // Prepare every scale: channel planes, grey, gradient, probability (and its integral for bbox means).
  // On several threads too: done on one core it was 8% of a two-thread call at 1280x720. The work is
  // split by rows (de-interleaving) and by scale (everything derived per scale), so every plane is
  // written by one task and the result does not depend on the thread count. t_prepare sums the
  // tasks' CPU seconds, like the stages below.
  const int threads = std::max(1, params.num_threads);
  std::vector<int> factors = params.scales;
  std::sort(factors.begin(), factors.end());
  factors.erase(std::unique(factors.begin(), factors.end()), factors.end());
  std::vector<ScaleData> scales(factors.size());
  // De-interleave once into contiguous full-resolution planes (R, G, B, grey): MSER visits every
  // pixel several times and the half-scale planes read them again, and interleaved RGB (stride 3)
  // would make each visit touch three times the memory. One pass over the usual packed HxWx3
  // buffer does all four planes.
  std::vector<uint8_t> full[4];
  for (auto& v : full) v.resize(static_cast<size_t>(H * W));
  const bool packed = rgb[0].stride_x == 3 && rgb[0].stride_y == 3 * W && rgb[1].data == rgb[0].data + 1 &&
                      rgb[2].data == rgb[0].data + 2 && rgb[1].stride_x == 3 && rgb[2].stride_x == 3 &&
                      rgb[1].stride_y == 3 * W && rgb[2].stride_y == 3 * W;
  const int64_t row_tasks = std::min<int64_t>(H, 4 * static_cast<int64_t>(threads));
  std::vector<double> prep_cpu(static_cast<size_t>(row_tasks + static_cast<int64_t>(factors.size())), 0.0);
  parallel_for(row_tasks, threads, [&](int64_t task) {
    const double t0 = CpuClock::now();
    const int64_t y0 = H * task / row_tasks, y1 = H * (task + 1) / row_tasks;
    if (packed) {
      const uint8_t* src = rgb[0].data;
      uint8_t *r = full[0].data(), *g = full[1].data(), *b = full[2].data(), *k = full[3].data();
      for (int64_t i = y0 * W; i < y1 * W; ++i) {
        const int R = src[3 * i], G = src[3 * i + 1], B = src[3 * i + 2];
        r[i] = static_cast<uint8_t>(R);
        g[i] = static_cast<uint8_t>(G);
        b[i] = static_cast<uint8_t>(B);
        k[i] = static_cast<uint8_t>((R * 299 + G * 587 + B * 114 + 500) / 1000);
      }
    } else {
      for (int64_t y = y0; y < y1; ++y)
        for (int64_t x = 0; x < W; ++x) {
          const int R = rgb[0](y, x), G = rgb[1](y, x), B = rgb[2](y, x);
          full[0][y * W + x] = static_cast<uint8_t>(R);
          full[1][y * W + x] = static_cast<uint8_t>(G);
          full[2][y * W + x] = static_cast<uint8_t>(B);
          full[3][y * W + x] = static_cast<uint8_t>((R * 299 + G * 587 + B * 114 + 500) / 1000);
        }
    }
    prep_cpu[task] = CpuClock::now() - t0;
  });
  parallel_for(static_cast<int64_t>(factors.size()), threads, [&](int64_t si) {
    const double t0 = CpuClock::now();
    ScaleData& sd = scales[si];
    sd.factor = factors[si];
    const int f = sd.factor;
    for (int c = 0; c < 4; ++c) {
      bool needed = c == 3 || std::find(params.channels.begin(), params.channels.end(), c) != params.channels.end();
      if (!needed) continue;
      const View2D<uint8_t> src = make_view(full[c], H, W);
      if (f == 1) {
        sd.planes[c].view = src;
        sd.h = H;
        sd.w = W;
      } else {
        sd.planes[c].data = downsample(src, f, sd.h, sd.w);
        sd.planes[c].view = make_view(sd.planes[c].data, sd.h, sd.w);
      }
    }
    if (sd.h >= 2 && sd.w >= 2) {
      sd.grad = gradient_magnitude(sd.planes[3].view);
      if (prob) {
        if (f == 1) {
          sd.prob_view = *prob;
        } else {
          sd.prob = downsample_prob(*prob, f, sd.h, sd.w);
          sd.prob_view = View2D<float>{sd.prob.data(), sd.h, sd.w, sd.w, 1};
        }
        if (params.prune == kPruneBbox) {
          sd.integral.resize(static_cast<size_t>((sd.h + 1) * (sd.w + 1)));
          integral_image(sd.prob_view, sd.integral.data(), 1);  // one task per scale already
        }
      }
    }
    prep_cpu[row_tasks + si] = CpuClock::now() - t0;
  });
  const double t_prepare = std::accumulate(prep_cpu.begin(), prep_cpu.end(), 0.0);

  // Channel images, channel-major; their results are concatenated in this order (deterministic).
  struct Job {
    int channel, scale_index;
  };
  std::vector<Job> jobs;
  for (int c : params.channels)
    for (int f : params.scales) {
      int si = static_cast<int>(std::find(factors.begin(), factors.end(), f) - factors.begin());
      jobs.push_back({c, si});
    }
  const int64_t nj = static_cast<int64_t>(jobs.size());
  // The work is cut finer than channel images so that every thread stays busy to the end: with one
  // task per image (3 full-size, 3 quarter-size by default), two threads waited ~20% of the time on
  // the last full-size image. Stage 1 takes one task per image and polarity, stage 2 one per image
  // and cue; each stage hands its tasks out largest first (parallel_for is dynamic), and the output
  // is assembled in the fixed image/polarity/cue order, so it does not depend on the thread count.
  auto largest_first = [](std::vector<int64_t> cost) {
    std::vector<int64_t> order(cost.size());
    std::iota(order.begin(), order.end(), int64_t(0));
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return cost[a] > cost[b]; });
    return order;
  };

  // Stage 1, task 2j + k: image j's dark (k = 0) or bright (k = 1) MSER regions, pruned, with cues.
  // Dark before bright is the order one MSER call with polarity 0 gives.
  struct Half {
    RegionTable table;
    ProposalStats stats;
  };
  std::vector<Half> halves(static_cast<size_t>(2 * nj));
  auto region_task = [&](int64_t t) {
    const Job& job = jobs[t / 2];
    const ScaleData& sd = scales[job.scale_index];
    Half& out = halves[t];
    if (sd.h < 2 || sd.w < 2) return;
    const View2D<uint8_t>& img = sd.planes[job.channel].view;
    MserParams mp;
    mp.delta = params.delta;
    const double area = params.absolute_area ? static_cast<double>(H) * W : static_cast<double>(sd.h) * sd.w;
    // The original truncates both limits ((int)(0.00002 * img_area)); our own convention rounds the lower one.
    const double min_area = params.min_area_frac * area;
    mp.min_area = std::max<int64_t>(
        1, params.absolute_area ? static_cast<int64_t>(min_area) : static_cast<int64_t>(std::llround(min_area)));
    mp.max_area = std::max<int64_t>(mp.min_area, static_cast<int64_t>(params.max_area_frac * area));
    mp.max_variation = params.max_variation;
    mp.min_diversity = params.min_diversity;
    mp.polarity = t % 2 == 0 ? +1 : -1;
    mp.return_pixels = true;
    mp.pool_pixels = true;  // cues read each region once: slices of the flood chains, no copies
    const View2D<float>* pv = nullptr;
    if (params.prune == kPrunePixels) {
      mp.min_prob = params.min_prob;
      pv = &sd.prob_view;
    }
    double t0 = CpuClock::now();
    MserRegions regs = mser(img, pv, mp);
    out.stats.t_mser = (CpuClock::now() - t0);
    out.stats.regions_found = params.prune == kPrunePixels ? -1 : static_cast<int64_t>(regs.size());

    t0 = CpuClock::now();
    std::vector<int64_t> keep;
    keep.reserve(regs.size());
    if (params.prune == kPruneBbox) {
      const int64_t w1 = sd.w + 1;
      for (size_t i = 0; i < regs.size(); ++i) {
        const int32_t* b = &regs.boxes[4 * i];
        double s = sd.integral[b[3] * w1 + b[2]] - sd.integral[b[1] * w1 + b[2]] - sd.integral[b[3] * w1 + b[0]] +
                   sd.integral[b[1] * w1 + b[0]];
        double a = static_cast<double>(b[2] - b[0]) * (b[3] - b[1]);
        if (a > 0 && s / a >= params.min_prob) keep.push_back(static_cast<int64_t>(i));
      }
    } else {
      for (size_t i = 0; i < regs.size(); ++i) keep.push_back(static_cast<int64_t>(i));
    }
    out.stats.t_prune = (CpuClock::now() - t0);
    out.stats.regions_kept = static_cast<int64_t>(keep.size());

    t0 = CpuClock::now();
    RegionTable& table = out.table;
    table.boxes.resize(4 * keep.size());
    table.cx.resize(keep.size());
    table.cy.resize(keep.size());
    table.cues.resize(kNumCues * keep.size());
    CueScratch scratch;
    for (size_t r = 0; r < keep.size(); ++r) {
      const int64_t i = keep[r];
      for (int k = 0; k < 4; ++k) table.boxes[4 * r + k] = regs.boxes[4 * i + k];
      if (params.box_centres) {
        const int32_t* b = &regs.boxes[4 * i];
        table.cx[r] = static_cast<float>(b[0] + (b[2] - b[0]) / 2);
        table.cy[r] = static_cast<float>(b[1] + (b[3] - b[1]) / 2);
      } else {
        table.cx[r] = regs.centroids[2 * i];
        table.cy[r] = regs.centroids[2 * i + 1];
      }
      region_cues(sd.planes[3].view, sd.grad.data(), &regs.boxes[4 * i], regs.pixel_pool.get() + regs.pixel_start[i],
                  regs.areas[i], scratch, &table.cues[kNumCues * r]);
    }
    out.stats.t_cues = (CpuClock::now() - t0);
  };
  {
    std::vector<int64_t> cost(halves.size());
    for (size_t t = 0; t < halves.size(); ++t) {
      const ScaleData& sd = scales[jobs[t / 2].scale_index];
      cost[t] = sd.h * sd.w;
    }
    const std::vector<int64_t> order = largest_first(cost);
    parallel_for(static_cast<int64_t>(order.size()), threads, [&](int64_t i) { region_task(order[i]); });
  }

  // Image j's regions, dark then bright, for its clusterings.
  std::vector<RegionTable> tables(static_cast<size_t>(nj));
  for (int64_t j = 0; j < nj; ++j) {
    RegionTable& tb = tables[j];
    for (int k = 0; k < 2; ++k) {
      RegionTable& h = halves[2 * j + k].table;
      tb.boxes.insert(tb.boxes.end(), h.boxes.begin(), h.boxes.end());
      tb.cx.insert(tb.cx.end(), h.cx.begin(), h.cx.end());
      tb.cy.insert(tb.cy.end(), h.cy.begin(), h.cy.end());
      tb.cues.insert(tb.cues.end(), h.cues.begin(), h.cues.end());
      h = RegionTable();
    }
  }

  // Stage 2, task kNumCues * j + cue: image j's single-linkage nodes under one cue.
  std::vector<ProposalSet> results(static_cast<size_t>(nj * kNumCues));
  auto cluster_task = [&](int64_t t) {
    const int64_t j = t / kNumCues;
    const int cue = static_cast<int>(t % kNumCues);
    const ScaleData& sd = scales[jobs[j].scale_index];
    if (sd.h < 2 || sd.w < 2) return;
    ProposalSet& out = results[t];
    const double t0 = CpuClock::now();
    group_nodes(tables[j], cue, static_cast<int>(sd.w), static_cast<int>(sd.h), static_cast<float>(sd.factor),
                out.boxes, out.features);
    const size_t added = out.boxes.size() / 4;
    out.cue.assign(added, static_cast<int16_t>(cue));
    out.image.assign(added, static_cast<int16_t>(j));
    out.stats.t_cluster = (CpuClock::now() - t0);
    out.stats.nodes = static_cast<int64_t>(added);
  };
  {
    std::vector<int64_t> cost(results.size());
    for (size_t t = 0; t < results.size(); ++t) cost[t] = static_cast<int64_t>(tables[t / kNumCues].size());
    const std::vector<int64_t> order = largest_first(cost);
    parallel_for(static_cast<int64_t>(order.size()), threads, [&](int64_t i) { cluster_task(order[i]); });
  }
  for (size_t t = 0; t < halves.size(); ++t) {
    // Stage 1's counts and times travel with the image's first cue (summed below like the others).
    const ProposalStats& hs = halves[t].stats;
    ProposalStats& rs = results[(t / 2) * kNumCues].stats;
    rs.regions_found = (rs.regions_found < 0 || hs.regions_found < 0) ? -1 : rs.regions_found + hs.regions_found;
    rs.regions_kept += hs.regions_kept;
    rs.t_mser += hs.t_mser;
    rs.t_prune += hs.t_prune;
    rs.t_cues += hs.t_cues;
  }

  ProposalSet all;
  size_t total = 0;
  for (auto& r : results) total += r.size();
  all.boxes.reserve(4 * total);
  all.features.reserve(kNumGroupFeatures * total);
  all.image.reserve(total);
  all.cue.reserve(total);
  bool found_known = true;
  for (auto& r : results) {
    all.boxes.insert(all.boxes.end(), r.boxes.begin(), r.boxes.end());
    all.features.insert(all.features.end(), r.features.begin(), r.features.end());
    all.image.insert(all.image.end(), r.image.begin(), r.image.end());
    all.cue.insert(all.cue.end(), r.cue.begin(), r.cue.end());
    if (r.stats.regions_found < 0) found_known = false;
    all.stats.regions_found += std::max<int64_t>(0, r.stats.regions_found);
    all.stats.regions_kept += r.stats.regions_kept;
    all.stats.nodes += r.stats.nodes;
    all.stats.t_mser += r.stats.t_mser;
    all.stats.t_prune += r.stats.t_prune;
    all.stats.t_cues += r.stats.t_cues;
    all.stats.t_cluster += r.stats.t_cluster;
  }
  if (!found_known) all.stats.regions_found = -1;
  all.stats.t_prepare = t_prepare;
  all.stats.t_total = seconds_since(t_start);
  return all;
}

}  // namespace textvision
