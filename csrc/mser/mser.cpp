// Linear-time MSER (Nistér & Stewénius, ECCV 2008) with per-region statistics taken from the flood order.
//
// The image is flooded from one seed pixel with a boundary "heap" of 256 LIFO buckets, one per grey
// level; a stack of at most 257 open components holds the current path of the component tree. When a
// component leaves a grey level it is recorded as a tree node ("history"); stability is decided on
// those nodes, once, over the finished tree (OpenCV retries pending nodes at every level change; the
// result is the same set). To give the same regions as OpenCV 4.x `cv::MSER` on grey images (the
// reference the tests compare against), the decision rules follow its semantics:
//   * 4-connectivity; the one-pixel image frame is never flooded (OpenCV marks it as visited), so
//     regions never touch the image border and images under 3x3 give no regions;
//   * a node's children are kept with the largest first; a smaller child joins the list only when
//     its size >= min_area (the "first child chain" follows the largest child);
//   * variation(n) = (|h1| - |h0|) / |n|, h1 = highest ancestor with level <= level(n) + delta,
//     h0 = deepest node on n's first-child chain with level >= level(n) - delta (a two-sided
//     difference, not the one-sided one of the original paper);
//   * n is kept when min_area <= |n| <= max_area, variation <= max_variation, no child in its list
//     has a smaller variation, and (for variation > 0) its parent's variation is larger;
//   * min_diversity is not used (OpenCV uses it only for colour MSCR);
//   * two passes: the image (dark regions, polarity +1), then 255 - image (bright regions, -1).
//
// Beyond OpenCV: each kept region's box, centroid, mean grey and mean text probability. They are not
// accumulated per pixel in the flood (a cost on every pixel, kept or not) but read afterwards from the
// flood-order array, where the kept regions are nested slices: one walk reads each covered pixel once
// (region_stats()), and the prob map is read only where regions lie.
//
// Pixel lists need no per-pixel links: the flood appends each finished pixel to one array (seq), and
// every node's pixels are the slice seq[start, start + size), start being the count of finished
// pixels when its component was opened. Why: a component only gains pixels while it is on top of
// the stack, and everything above it merges into it before it leaves its level, so all pixels
// finished since it was opened are its own (a merge of b into a is seq[a.start, ...) because b was
// opened after a's last pixel). This is the order a per-pixel chain concatenated at merges would give.
//
// Speed notes: pixel state is 16 bits (grey level + next direction) so one load answers "reached?"
// and "how bright?"; the four neighbours are classified with bit masks; a same-level neighbour that
// the bucket would hand back next is kept in hand instead of pushed and popped; the top component's
// size lives in a register and it carries nothing else per pixel; finished pixels go to the
// flood-order array, not a linked chain (a sequential store instead of a random one and a branch),
// so pixel lists are slice copies rather than a pointer-chasing walk.

#include "mser/mser.h"
#include "parallel.h"
#include "regions/regions.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

namespace textvision {
namespace {

// Per-pixel state, 16 bits: the low byte is the pixel's grey level in this pass, the high byte the
// next neighbour direction to examine (0 = never reached, 5 = done or frame). One load answers both
// "reached?" and "how bright?", and the array is half the size of a packed 32-bit word.
constexpr int kDirShift = 8;
constexpr uint16_t kReached = uint16_t(1) << kDirShift;
constexpr uint16_t kDone = uint16_t(5) << kDirShift;
constexpr int64_t kMaxPixels = int64_t(1) << 31;
constexpr int kTop = 256;  // level of the sentinel component at the bottom of the stack

// Sums and bounds of a set of pixels; computed after the flood, for kept regions only (see emit()).
struct Stats {
  int64_t sx, sy, sg;  // sums of x, y and (pass) grey value
  double sp;           // sum of prob
  int32_t x1, y1, x2, y2;  // inclusive bounds while accumulating
  static Stats empty() {
    return Stats{0, 0, 0, 0.0, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::max(),
                 std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::min()};
  }
  void add(const Stats& b) {
    sx += b.sx;
    sy += b.sy;
    sg += b.sg;
    sp += b.sp;
    x1 = std::min(x1, b.x1);
    y1 = std::min(y1, b.y1);
    x2 = std::max(x2, b.x2);
    y2 = std::max(y2, b.y2);
  }
};

// A component-tree node: one connected component at one grey level.
struct Node {
  int32_t parent, child, next;  // child = first (largest) child, next = following sibling
  int32_t level;
  int32_t size;
  int32_t start;  // the node's pixels are seq[start, start + size) (see the file comment)
  float var;      // < 0: not computed yet; FLT_MAX: too small to ever be a region
  bool checked;
};

// An open component on the stack.
struct Comp {
  int32_t start, node, level, size;
  void init(int lvl, int32_t first) {
    start = first;
    node = -1;
    size = 0;
    level = lvl;
  }
};

struct Captured {
  int32_t node;
  int32_t start;
  int32_t size;
};

class Flooder {
 public:
  Flooder(const uint8_t* grey, const float* prob, int64_t h, int64_t w, const MserParams& p)
      : grey_(grey), prob_(prob), h_(static_cast<int32_t>(h)), w_(static_cast<int32_t>(w)), p_(p),
        inv_w_(1.0 / static_cast<double>(w)) {
    const int64_t n = h * w;
    state_.reset(new uint16_t[n]);
    interior_ = (h - 2) * (w - 2);
    heap_.reset(new int32_t[interior_ + 2 * 256]);
    // Every node ends up holding a pixel of its own level, so interior_ + 1 nodes suffice (the pool
    // still grows if not); left uninitialised on purpose: each node is written when created.
    nodes_cap_ = interior_ + 16;
    nodes_.reset(new Node[nodes_cap_]);
    for (int y = 0; y < 256; ++y) hist_[y] = 0;
    for (int32_t y = 1; y < h_ - 1; ++y) {
      const uint8_t* row = grey_ + static_cast<int64_t>(y) * w_;
      for (int32_t x = 1; x < w_ - 1; ++x) ++hist_[row[x]];
    }
    min_area_ = static_cast<int64_t>(p.min_area);
    max_area_ = static_cast<int64_t>(p.max_area);
  }

  // One pass: xor_mask 0 floods the image (dark regions first), 255 floods its inverse. Finds the
  // pass's regions and their statistics; emit() then appends them to the output (kept apart so the
  // two passes can flood on two threads and still be written in a fixed order).
  void find(uint8_t xor_mask) {
    if (!seq_) {
      own_seq_.reset(new int32_t[std::max<int64_t>(interior_, 1)]);
      seq_ = own_seq_.get();
    }
    mask_ = xor_mask;
    reset_frame();
    n_nodes_ = 0;
    captured_.clear();
    flood();
    stats_ = prob_ ? region_stats<true>() : region_stats<false>();
  }

  // Flood order into buf[0, interior) instead of an own buffer; the pixels are reported to the
  // caller as MserRegions::pixel_pool entries from offset on (pool_pixels: no copy of the order).
  void use_seq(int32_t* buf, int64_t offset) {
    seq_ = buf;
    pool_offset_ = offset;
  }

  void run(uint8_t xor_mask, int8_t polarity, MserRegions& out) {
    find(xor_mask);
    emit(polarity, out);
  }

 private:
  void reset_frame() {
    const int64_t n = static_cast<int64_t>(h_) * w_;
    const uint16_t xm = mask_;
    uint16_t* st = state_.get();
    for (int64_t i = 0; i < n; ++i) st[i] = static_cast<uint16_t>(grey_[i] ^ xm);
    for (int32_t x = 0; x < w_; ++x) {
      st[x] |= kDone;
      st[static_cast<int64_t>(h_ - 1) * w_ + x] |= kDone;
    }
    for (int32_t y = 1; y < h_ - 1; ++y) {
      st[static_cast<int64_t>(y) * w_] |= kDone;
      st[static_cast<int64_t>(y) * w_ + w_ - 1] |= kDone;
    }
  }

  // Callers must not hold a Node& across this call (the pool may move).
  int32_t new_node() {
    if (n_nodes_ == nodes_cap_) {
      const int32_t cap = nodes_cap_ * 2 + 16;
      std::unique_ptr<Node[]> bigger(new Node[cap]);
      std::copy(nodes_.get(), nodes_.get() + n_nodes_, bigger.get());
      nodes_ = std::move(bigger);
      nodes_cap_ = cap;
    }
    return n_nodes_++;
  }

  void flood() {
    const int32_t w = w_;
    const int32_t offs[5] = {0, 1, w, -1, -w};
    // Locals, not members: stores through state would otherwise force reloads of every member.
    uint16_t* const st = state_.get();
    int32_t* const seq = seq_;
    int32_t n_done = 0;
    // Bucket b holds up to hist[b] pixels of (pass) level b above a 0 sentinel.
    int32_t* top[256];
    int32_t* base = heap_.get();
    for (int b = 0; b < 256; ++b) {
      const int cnt = mask_ ? hist_[255 - b] : hist_[b];
      *base = 0;
      top[b] = base;
      base += cnt + 2;
    }
    Comp stack[kTop + 1];
    int sp = 0;
    stack[0].init(kTop, 0);
    int32_t p = w + 1;
    int g = st[p] & 0xFF;
    // The top component's size lives in a local (a register, which stores through seq/st cannot
    // alias); stack[sp] keeps its level and node and gets the size around descents, level changes
    // and merges.
    stack[++sp].init(g, 0);
    int32_t c_size = 0;
    st[p] = static_cast<uint16_t>(g | kReached);
    for (;;) {
      // Examine the neighbours from the resume direction on, in OpenCV's order (right, down, left,
      // up). Bit k of the masks stands for direction k+1. A state below g is a never-reached pixel
      // of a lower level (reached pixels have a direction byte, so their state is >= 256).
      const int d0 = (st[p] >> kDirShift) - 1;
      const uint16_t v[4] = {st[p + 1], st[p + w], st[p - 1], st[p - w]};
      const unsigned from = ~0u << d0;
      const unsigned fresh = from & (unsigned(v[0] < kReached) | unsigned(v[1] < kReached) << 1 |
                                     unsigned(v[2] < kReached) << 2 | unsigned(v[3] < kReached) << 3);
      const unsigned lower = from & (unsigned(v[0] < g) | unsigned(v[1] < g) << 1 | unsigned(v[2] < g) << 2 |
                                     unsigned(v[3] < g) << 3);
      // Fresh neighbours before the first lower one join their buckets (all of them if none is lower).
      unsigned push = lower ? fresh & ((lower & (0u - lower)) - 1) : fresh;
      // Without a descent, the last fresh neighbour of p's own level is what the bucket would hand
      // back next: keep it in hand instead of a push and a pop (same order, less memory traffic).
      int32_t in_hand = 0;
      if (!lower) {
        const unsigned same = push & (unsigned(v[0] == g) | unsigned(v[1] == g) << 1 | unsigned(v[2] == g) << 2 |
                                      unsigned(v[3] == g) << 3);
        if (same) {
          const int k = 31 - __builtin_clz(same);
          push &= ~(1u << k);
          in_hand = p + offs[k + 1];
          st[in_hand] = static_cast<uint16_t>(g | kReached);
        }
      }
      while (push) {
        const int k = __builtin_ctz(push);
        push &= push - 1;
        const int32_t q = p + offs[k + 1];
        st[q] = static_cast<uint16_t>(v[k] | kReached);
        *(++top[v[k]]) = q;
      }
      if (lower) {
        // Descend: park p (resuming after this direction) and open a component at q's level.
        const int k = __builtin_ctz(lower);
        const int32_t q = p + offs[k + 1];
        st[q] = static_cast<uint16_t>(v[k] | kReached);
        *(++top[g]) = p;
        st[p] = static_cast<uint16_t>(g | ((k + 2) << kDirShift));
        p = q;
        g = v[k];
        stack[sp].size = c_size;
        stack[++sp].init(g, n_done);
        c_size = 0;
        continue;
      }
      st[p] = static_cast<uint16_t>(g | kDone);
      seq[n_done++] = p;
      ++c_size;
      if (in_hand) {
        p = in_hand;
        continue;
      }
      if (*top[g]) {
        p = *top[g]--;
        continue;
      }
      for (++g; g < 256 && !*top[g]; ++g) {
      }
      if (g >= 256) break;
      p = *top[g]--;
      stack[sp].size = c_size;
      if (g < stack[sp - 1].level) {
        grow(stack[sp], g);
      } else {
        --sp;
        merge(stack[sp], stack[sp + 1]);
        c_size = stack[sp].size;
      }
    }
    stack[sp].size = c_size;
    // The flood has reached every pixel: one component is left. Record its last node, then decide
    // stability over the whole tree at once (see update()).
    grow(stack[sp], kTop);
    update(stack[sp].node, nullptr, nullptr);
  }

  // The component leaves its level for new_level: record (or refresh) its node at the old level.
  void grow(Comp& c, int new_level) {
    if (new_level < c.level) new_level = c.level;
    int32_t h;
    if (c.node >= 0 && nodes_[c.node].level == c.level) {
      h = c.node;
    } else {
      h = new_node();
      Node& n = nodes_[h];
      n.parent = -1;
      n.child = c.node;
      n.next = -1;
      if (c.node >= 0) nodes_[c.node].parent = h;
    }
    Node& n = nodes_[h];
    n.level = c.level;
    n.size = c.size;
    n.start = c.start;
    if (n.size >= min_area_) {
      n.var = -1.f;
      n.checked = false;
    } else {
      n.var = FLT_MAX;
      n.checked = true;
    }
    c.level = new_level;
    c.node = h;
  }

  // a (higher level, lower on the stack) absorbs b (the top); the result stays in a.
  void merge(Comp& a, Comp& b) {
    const int lvl = a.level;
    grow(a, lvl);
    grow(b, lvl);
    // b was opened after a's last pixel and everything since is b's: the union is seq[a.start, ...).
    a.size += b.size;
    const int32_t pa = a.node, h1 = nodes_[pa].child, h2 = b.node;
    // Keep the largest child first (the chain h0 follows); small secondary children are dropped.
    if (h1 >= 0 && nodes_[h1].size > nodes_[h2].size) {
      if (nodes_[h2].size >= min_area_) {
        nodes_[h2].next = nodes_[h1].next;
        nodes_[h1].next = h2;
        nodes_[h2].parent = pa;
      }
    } else {
      nodes_[pa].child = h2;
      nodes_[h2].parent = pa;
      if (h1 >= 0 && nodes_[h1].size >= min_area_) nodes_[h2].next = h1;
    }
  }

  // Variation of x and of every node below it, children first; then the keep/drop decision for
  // x's children (and for x itself at the root). OpenCV runs this incrementally, retrying a node
  // each time the flood climbs a level until level(x) + delta is reached; every quantity it uses
  // (h0, h1, their sizes, the child lists) is final by then, so deciding once over the finished
  // tree gives the same regions for less work, only in another order (children before parents).
  // out_h0/out_h1 hand x's h0/h1 to the parent, whose searches start from them (amortised O(1)).
  void update(int32_t x, int32_t* out_h0, int32_t* out_h1) {
    if (nodes_[x].var >= 0.f) return;  // computed, or too small to ever be a region (FLT_MAX)
    // Levels span 0..256, so any delta above 512 acts like 512 (and lvl + delta cannot overflow).
    const int delta = std::min(p_.delta, 512);
    int32_t c0_h0 = -1, c0_h1 = -1;
    const int32_t first = nodes_[x].child;
    for (int32_t c = first; c >= 0; c = nodes_[c].next) {
      if (nodes_[c].var < 0.f) update(c, c == first ? &c0_h0 : nullptr, c == first ? &c0_h1 : nullptr);
    }
    const int32_t lvl = nodes_[x].level, size = nodes_[x].size;
    // h0: deepest node on the largest-child chain at level >= lvl - delta.
    int32_t h0 = x;
    if (c0_h0 >= 0) {
      for (h0 = c0_h0; h0 != x && nodes_[h0].level < lvl - delta; h0 = nodes_[h0].parent) {
      }
    } else {
      while (nodes_[h0].child >= 0 && nodes_[nodes_[h0].child].level >= lvl - delta) h0 = nodes_[h0].child;
    }
    // h1: highest ancestor at level <= lvl + delta (the root when the image ends sooner).
    int32_t h1 = (c0_h1 >= 0 && nodes_[c0_h1].size > size) ? c0_h1 : x;
    while (nodes_[h1].parent >= 0 && nodes_[nodes_[h1].parent].level <= lvl + delta) h1 = nodes_[h1].parent;
    if (out_h0) *out_h0 = h0;
    if (out_h1) *out_h1 = h1;
    // Same float arithmetic as OpenCV, so ties against max_variation and neighbours agree.
    nodes_[x].var = static_cast<float>(nodes_[h1].size - nodes_[h0].size) / static_cast<float>(size);
    for (int32_t c = nodes_[x].child; c >= 0; c = nodes_[c].next) check(c);
    if (nodes_[x].parent < 0) check(x);
  }

  void check(int32_t x) {
    Node& n = nodes_[x];
    if (n.checked) return;
    n.checked = true;
    if (n.size < min_area_ || n.size > max_area_ || n.var < 0.f ||
        static_cast<double>(n.var) > p_.max_variation)
      return;
    for (int32_t c = n.child; c >= 0; c = nodes_[c].next) {
      if (nodes_[c].var >= 0.f && n.var > nodes_[c].var) return;
    }
    if (n.var > 0.f && n.parent >= 0 && nodes_[n.parent].var >= 0.f && n.var >= nodes_[n.parent].var) return;
    captured_.push_back(Captured{x, n.start, n.size});
  }

  // Adds the pixels seq[b, e) to s.
  template <bool kProb>
  void accumulate(int32_t b, int32_t e, Stats& s) const {
    const int32_t* const seq = seq_;
    const uint8_t* const grey = grey_;
    const float* const prob = prob_;
    const int32_t w = w_;
    const double inv_w = inv_w_;
    const int32_t xm = mask_;
    for (int32_t i = b; i < e; ++i) {
      const int32_t p = seq[i];
      // p / w by a multiply; the (never taken on sane sizes) fix-ups keep it exact for any w.
      int32_t y = static_cast<int32_t>((p + 0.5) * inv_w);
      int32_t x = p - y * w;
      if (x < 0) {
        --y;
        x += w;
      } else if (x >= w) {
        ++y;
        x -= w;
      }
      s.sx += x;
      s.sy += y;
      s.sg += grey[p] ^ xm;
      if (kProb) s.sp += prob[p];
      s.x1 = std::min(s.x1, x);
      s.x2 = std::max(s.x2, x);
      s.y1 = std::min(s.y1, y);
      s.y2 = std::max(s.y2, y);
    }
  }

  // Sums and bounds of every captured region. The regions are slices of seq that nest like the
  // tree (a laminar family), so one walk in order of (start, larger first) with a stack of open
  // regions reads each covered pixel once: a region's stats are its own pixels' plus its nested
  // regions'. Doing this here instead of per pixel in the flood keeps the flood's inner loop lean, and
  // the prob map is read only where a region lies.
  template <bool kProb>
  std::vector<Stats> region_stats() const {
    const size_t n = captured_.size();
    std::vector<int32_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = static_cast<int32_t>(i);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
      const Captured &ra = captured_[a], &rb = captured_[b];
      if (ra.start != rb.start) return ra.start < rb.start;
      if (ra.size != rb.size) return ra.size > rb.size;
      return a < b;
    });
    std::vector<Stats> res(n);
    struct Open {
      int32_t idx, end;
      Stats st;
    };
    std::vector<Open> open;
    int32_t pos = 0;
    auto close_top = [&]() {
      Open& t = open.back();
      accumulate<kProb>(pos, t.end, t.st);
      pos = t.end;
      res[t.idx] = t.st;
      const Stats done = t.st;
      open.pop_back();
      if (!open.empty()) open.back().st.add(done);
    };
    for (const int32_t i : order) {
      const Captured& r = captured_[i];
      while (!open.empty() && open.back().end <= r.start) close_top();
      if (!open.empty()) accumulate<kProb>(pos, r.start, open.back().st);
      pos = r.start;
      open.push_back(Open{i, r.start + r.size, Stats::empty()});
    }
    while (!open.empty()) close_top();
    return res;
  }

 public:
  // Appends the regions find() kept (minus those pruned by min_prob) to out, pixels included.
  void emit(int8_t polarity, MserRegions& out) {
    const std::vector<Captured> kept = emit_regions(polarity, out);
    if (kept.empty()) return;
    if (p_.pool_pixels) {
      emit_pool_starts(kept, out);
      return;
    }
    append_offsets(kept, out);
    // Appended region by region into reserved space rather than resize() + copy_pixels(): resize
    // would zero-fill the whole array first, only for it to be overwritten.
    out.pixel_indices.reserve(static_cast<size_t>(out.pixel_offsets.back()));
    for (const Captured& r : kept)
      out.pixel_indices.insert(out.pixel_indices.end(), seq_ + r.start, seq_ + r.start + r.size);
  }

  // Appends the kept regions' CSR ends to out.pixel_offsets (which mser() starts with its 0) and
  // returns where their pixels begin in pixel_indices.
  static int64_t append_offsets(const std::vector<Captured>& kept, MserRegions& out) {
    const int64_t first = out.pixel_offsets.back();
    int64_t at = first;
    for (const Captured& r : kept) out.pixel_offsets.push_back(at += r.size);
    return first;
  }

  // Appends every field but the pixels of the kept regions to out; returns them when pixels are
  // wanted (for emit_pool_starts() / copy_pixels()), else nothing.
  std::vector<Captured> emit_regions(int8_t polarity, MserRegions& out) {
    const bool want_pixels = p_.return_pixels;
    const bool prune = prob_ != nullptr && p_.min_prob >= 0.f;
    std::vector<Captured> kept;
    if (want_pixels) kept.reserve(captured_.size());
    for (size_t i = 0; i < captured_.size(); ++i) {
      const Captured& r = captured_[i];
      const Node& n = nodes_[r.node];
      const Stats& s = stats_[i];
      const double inv = 1.0 / static_cast<double>(n.size);
      const float mp = prob_ ? static_cast<float>(s.sp * inv) : std::numeric_limits<float>::quiet_NaN();
      if (prune && !(mp >= p_.min_prob)) continue;
      out.boxes.push_back(s.x1);
      out.boxes.push_back(s.y1);
      out.boxes.push_back(s.x2 + 1);
      out.boxes.push_back(s.y2 + 1);
      out.areas.push_back(n.size);
      out.centroids.push_back(static_cast<float>(s.sx * inv));
      out.centroids.push_back(static_cast<float>(s.sy * inv));
      out.polarity.push_back(polarity);
      const double mg = static_cast<double>(s.sg) * inv;
      out.mean_intensity.push_back(static_cast<float>(mask_ ? 255.0 - mg : mg));
      out.mean_prob.push_back(mp);
      out.variation.push_back(n.var);
      out.level.push_back(static_cast<uint8_t>(n.level ^ mask_));
      if (want_pixels) kept.push_back(r);
    }
    return kept;
  }

  // pool_pixels: every region is the slice seq[start, start + size) of the pool (see use_seq()).
  void emit_pool_starts(const std::vector<Captured>& kept, MserRegions& out) const {
    for (const Captured& r : kept) out.pixel_start.push_back(pool_offset_ + r.start);
  }

  // Copies the kept regions' pixels, one after another, to dst.
  void copy_pixels(const std::vector<Captured>& kept, int32_t* dst) const {
    for (const Captured& r : kept) dst = std::copy(seq_ + r.start, seq_ + r.start + r.size, dst);
  }

 private:


  const uint8_t* grey_;
  const float* prob_;
  int32_t h_, w_;
  MserParams p_;
  double inv_w_;
  int64_t interior_ = 0;
  int64_t min_area_ = 0, max_area_ = 0;
  uint8_t mask_ = 0;
  int hist_[256];
  std::unique_ptr<uint16_t[]> state_;
  int32_t* seq_ = nullptr;  // interior pixels in the order the flood finished them
  std::unique_ptr<int32_t[]> own_seq_;  // seq_'s storage unless use_seq() gave another
  int64_t pool_offset_ = 0;
  std::unique_ptr<int32_t[]> heap_;
  std::unique_ptr<Node[]> nodes_;
  int32_t nodes_cap_ = 0;
  int32_t n_nodes_ = 0;
  std::vector<Captured> captured_;
  std::vector<Stats> stats_;  // per captured region, after find()
};

template <typename T>
bool is_contiguous(const View2D<T>& v) {
  return v.stride_x == 1 && (v.stride_y == v.width || v.height <= 1);
}

template <typename T>
const T* contiguous(const View2D<T>& v, std::vector<T>& buf) {
  if (is_contiguous(v)) return v.data;
  buf.resize(static_cast<size_t>(v.height * v.width));
  for (int64_t y = 0; y < v.height; ++y)
    for (int64_t x = 0; x < v.width; ++x) buf[y * v.width + x] = v(y, x);
  return buf.data();
}

}  // namespace

void check_prob_map(const float* p, int64_t n, const char* who) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = p[i];
    if (!(v >= 0.f && v <= 1.f)) {
      throw ValueError(std::string(who) + ": prob must be in [0, 1] without NaN; found " +
                       (std::isnan(v) ? std::string("NaN") : std::to_string(v)) + " at flat index " +
                       std::to_string(i));
    }
  }
}

MserRegions mser(const View2D<uint8_t>& image, const View2D<float>* prob, const MserParams& params) {
  if (params.delta < 0) throw ValueError("mser: delta must be >= 0, got " + std::to_string(params.delta));
  if (params.min_area < 0) throw ValueError("mser: min_area must be >= 0, got " + std::to_string(params.min_area));
  if (params.max_area < 0) throw ValueError("mser: max_area must be >= 0, got " + std::to_string(params.max_area));
  if (!(params.max_variation >= 0.0))
    throw ValueError("mser: max_variation must be >= 0, got " + std::to_string(params.max_variation));
  if (!(params.min_diversity >= 0.0))
    throw ValueError("mser: min_diversity must be >= 0, got " + std::to_string(params.min_diversity));
  if (params.polarity < -1 || params.polarity > 1)
    throw ValueError("mser: polarity must be 0 (both), +1 or -1, got " + std::to_string(params.polarity));
  if (params.num_threads < 1)
    throw ValueError("mser: num_threads must be >= 1, got " + std::to_string(params.num_threads));
  if (image.height < 0 || image.width < 0) throw ValueError("mser: negative image shape");
  if (image.height * image.width >= kMaxPixels)
    throw ValueError("mser: image too large (" + std::to_string(image.height) + "x" + std::to_string(image.width) +
                     "); H*W must be below 2^31");
  if (prob) {
    if (prob->height != image.height || prob->width != image.width)
      throw ValueError("mser: prob has shape (" + std::to_string(prob->height) + ", " + std::to_string(prob->width) +
                       ") but the image is (" + std::to_string(image.height) + ", " + std::to_string(image.width) +
                       ")");
  } else if (params.min_prob >= 0.f) {
    throw ValueError("mser: min_prob needs a prob map");
  }

  MserRegions out;
  std::vector<float> prob_buf;
  const float* pp = nullptr;
  if (prob) {
    pp = contiguous(*prob, prob_buf);
    check_prob_map(pp, prob->height * prob->width, "mser");
  }
  if (params.return_pixels && !params.pool_pixels) out.pixel_offsets.push_back(0);
  // OpenCV's frame rule: without an interior there is nothing to flood.
  if (image.height < 3 || image.width < 3) return out;

  std::vector<uint8_t> img_buf;
  const uint8_t* pi = contiguous(image, img_buf);
  // pool_pixels: each pass floods straight into its half of the pool the caller gets.
  const int64_t interior = (image.height - 2) * (image.width - 2);
  int32_t* pool[2] = {nullptr, nullptr};
  if (params.return_pixels && params.pool_pixels) {
    const int passes = params.polarity == 0 ? 2 : 1;
    out.pixel_pool.reset(new int32_t[passes * interior]);
    pool[0] = out.pixel_pool.get();
    if (passes == 2) pool[1] = pool[0] + interior;
  }
  if (params.polarity == 0 && params.num_threads > 1) {
    // The two passes are independent floods: run the bright one on a second thread, each with its
    // own buffers, and append in the serial order (dark regions first) so the output is identical.
    std::unique_ptr<Flooder> pass[2];
    parallel_for(2, 2, [&](int64_t k) {
      pass[k].reset(new Flooder(pi, pp, image.height, image.width, params));
      if (pool[k]) pass[k]->use_seq(pool[k], k * interior);
      pass[k]->find(k == 0 ? 0 : 255);
    });
    // Appended in the serial order (dark regions first), so the output is identical. The pixel
    // lists are copied by both threads into one array sized once: emitting them pass after pass
    // grew it twice and copied the dark half again (3 ms of a 12 ms call at 640x480).
    const std::vector<Captured> kept[2] = {pass[0]->emit_regions(+1, out), pass[1]->emit_regions(-1, out)};
    if (!params.return_pixels) return out;
    if (params.pool_pixels) {
      for (int k = 0; k < 2; ++k) pass[k]->emit_pool_starts(kept[k], out);
      return out;
    }
    const int64_t first[2] = {Flooder::append_offsets(kept[0], out), Flooder::append_offsets(kept[1], out)};
    out.pixel_indices.resize(static_cast<size_t>(out.pixel_offsets.back()));
    int32_t* const dst = out.pixel_indices.data();
    parallel_for(2, 2, [&](int64_t k) { pass[k]->copy_pixels(kept[k], dst + first[k]); });
    return out;
  }
  Flooder f(pi, pp, image.height, image.width, params);
  if (params.polarity >= 0) {
    if (pool[0]) f.use_seq(pool[0], 0);
    f.run(0, +1, out);
  }
  if (params.polarity <= 0) {
    const int k = params.polarity == 0 ? 1 : 0;
    if (pool[k]) f.use_seq(pool[k], k * interior);
    f.run(255, -1, out);
  }
  return out;
}

}  // namespace textvision
