// The one bindings file: converts NumPy arrays to C++ views, validates nothing the Python wrappers
// already validate, and releases the GIL around real work so threads and DataLoader workers scale.
#include <optional>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common.h"
#include "cuda/device.h"
#include "nms/nms.h"
#include "cluster/single_linkage.h"
#include "proposals/proposals.h"
#include "mser/mser.h"
#include "regions/regions.h"
#include "cuda/regions_cuda.h"

namespace py = pybind11;

// --- ops helpers (mser, regions): strided NumPy views without copies, vectors moved into arrays.
namespace ops_bind {

template <typename T>
textvision::View2D<T> view2d(const py::array& a, const char* what) {
  if (!a.dtype().is(py::dtype::of<T>()))
    throw py::type_error(std::string(what) + ": expected dtype " + std::string(py::str(py::dtype::of<T>())) +
                         ", got " + std::string(py::str(a.dtype())));
  if (a.ndim() != 2)
    throw textvision::ValueError(std::string(what) + ": expected a 2-D array, got " + std::to_string(a.ndim()) +
                                 " dimensions");
  const auto isz = static_cast<py::ssize_t>(sizeof(T));
  if (a.strides(0) % isz || a.strides(1) % isz)
    throw textvision::ValueError(std::string(what) + ": strides must be multiples of the item size");
  textvision::View2D<T> v;
  v.data = static_cast<const T*>(a.data());
  v.height = a.shape(0);
  v.width = a.shape(1);
  v.stride_y = a.strides(0) / isz;
  v.stride_x = a.strides(1) / isz;
  return v;
}

template <typename T>
py::array to_array(std::vector<T>&& v, std::vector<py::ssize_t> shape) {
  if (v.empty()) return py::array_t<T>(shape);
  auto* owner = new std::vector<T>(std::move(v));
  py::capsule cap(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(shape, owner->data(), cap);
}

template <typename T>
const T* flat_data(const py::array& a, const char* what, int64_t* n) {
  if (!a.dtype().is(py::dtype::of<T>()))
    throw py::type_error(std::string(what) + ": expected dtype " + std::string(py::str(py::dtype::of<T>())) +
                         ", got " + std::string(py::str(a.dtype())));
  if (!(a.flags() & py::array::c_style)) throw textvision::ValueError(std::string(what) + ": must be C-contiguous");
  *n = a.size();
  return static_cast<const T*>(a.data());
}

}  // namespace ops_bind

PYBIND11_MODULE(_C, m) {
  m.doc() = "textvision compiled core";
  py::register_exception<textvision::ValueError>(m, "CoreValueError", PyExc_ValueError);

#ifdef WITH_CUDA
  m.attr("built_with_cuda") = true;
#else
  m.attr("built_with_cuda") = false;
#endif
  m.def("cuda_device_count", &textvision::cuda::device_count,
        "Number of usable CUDA devices (0 without driver/GPU or in a CPU-only build).");
  m.def("cuda_last_error", &textvision::cuda::last_error);

  // --- nms (EAST): inputs arrive C-contiguous float32 [N,4,2] / [N] from textvision/ops/nms.py.
  m.def(
      "nms_quad_iou",
      [](py::array_t<float, py::array::c_style | py::array::forcecast> a,
         py::array_t<float, py::array::c_style | py::array::forcecast> b) {
        const int64_t n = a.shape(0), mm = b.shape(0);
        py::array_t<double> out({n, mm});
        const float* pa = a.data();
        const float* pb = b.data();
        double* po = out.mutable_data();
        {
          py::gil_scoped_release release;
          textvision::nms::quad_iou_matrix(pa, n, pb, mm, po);
        }
        return out;
      },
      py::arg("a"), py::arg("b"), "IoU matrix [N,M] (float64) of the convex hulls of quads a [N,4,2] and b [M,4,2].");
  m.def(
      "nms_lanms",
      [](py::array_t<float, py::array::c_style | py::array::forcecast> quads,
         py::array_t<float, py::array::c_style | py::array::forcecast> scores, double merge_threshold,
         double nms_threshold) {
        const int64_t n = quads.shape(0);
        const float* pq = quads.data();
        const float* ps = scores.data();
        textvision::nms::LanmsResult r;
        {
          py::gil_scoped_release release;
          r = textvision::nms::lanms(pq, ps, n, merge_threshold, nms_threshold);
        }
        const int64_t k = static_cast<int64_t>(r.scores.size());
        py::array_t<float> oq({k, int64_t(4), int64_t(2)});
        py::array_t<float> os(k);
        py::array_t<int32_t> oc(k);
        std::copy(r.quads.begin(), r.quads.end(), oq.mutable_data());
        std::copy(r.scores.begin(), r.scores.end(), os.mutable_data());
        std::copy(r.counts.begin(), r.counts.end(), oc.mutable_data());
        return py::make_tuple(oq, os, oc);
      },
      py::arg("quads"), py::arg("scores"), py::arg("merge_threshold"), py::arg("nms_threshold"),
      "Locality-aware NMS; returns (quads [K,4,2] float32, summed scores [K] float32, counts [K] int32).");
  m.def(
      "nms_polygon_nms",
      [](py::array_t<float, py::array::c_style | py::array::forcecast> quads,
         py::array_t<float, py::array::c_style | py::array::forcecast> scores, double threshold) {
        const int64_t n = quads.shape(0);
        const float* pq = quads.data();
        const float* ps = scores.data();
        std::vector<int64_t> keep;
        {
          py::gil_scoped_release release;
          keep = textvision::nms::polygon_nms(pq, ps, n, threshold);
        }
        py::array_t<int64_t> out(static_cast<py::ssize_t>(keep.size()));
        std::copy(keep.begin(), keep.end(), out.mutable_data());
        return out;
      },
      py::arg("quads"), py::arg("scores"), py::arg("threshold"), "Greedy polygon NMS; kept indices by descending score.");
  // --- end nms

  // --- proposals: inputs arrive validated (dtype, shape, C order) from textvision/proposals/*.py.
  using F32 = py::array_t<float, py::array::c_style | py::array::forcecast>;
  using F64 = py::array_t<double, py::array::c_style | py::array::forcecast>;
  using I32 = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;
  using I64 = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;
  using U8 = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>;
  auto vec_to_array = [](const auto& v, std::vector<py::ssize_t> shape) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    py::array_t<T> out(shape);
    std::copy(v.begin(), v.end(), out.mutable_data());
    return out;
  };
  m.def(
      "proposals_euclidean_mst",
      [vec_to_array](F64 points) {
        const int64_t n = points.shape(0);
        const int dim = static_cast<int>(points.shape(1));
        std::vector<textvision::MstEdge> edges;
        {
          py::gil_scoped_release release;
          edges = textvision::euclidean_mst(points.data(), n, dim);
        }
        const py::ssize_t m = static_cast<py::ssize_t>(edges.size());
        py::array_t<int32_t> u(m), v(m);
        py::array_t<double> d2(m);
        for (py::ssize_t i = 0; i < m; ++i) {
          u.mutable_data()[i] = edges[i].u;
          v.mutable_data()[i] = edges[i].v;
          d2.mutable_data()[i] = edges[i].d2;
        }
        return py::make_tuple(u, v, d2);
      },
      py::arg("points"), "Euclidean MST of points [n,d] float64: (u int32, v int32, squared length float64), sorted.");
  m.def(
      "proposals_single_linkage",
      [vec_to_array](F64 points) {
        const int64_t n = points.shape(0);
        const int dim = static_cast<int>(points.shape(1));
        textvision::Dendrogram z;
        {
          py::gil_scoped_release release;
          z = textvision::single_linkage(points.data(), n, dim);
        }
        const py::ssize_t m = static_cast<py::ssize_t>(z.merges());
        return py::make_tuple(vec_to_array(z.left, {m}), vec_to_array(z.right, {m}), vec_to_array(z.height, {m}),
                              vec_to_array(z.size, {m}));
      },
      py::arg("points"), "Single linkage of points [n,d] float64: (left, right, height, size), SciPy convention.");
  m.def(
      "proposals_region_cues",
      [](U8 grey, I32 boxes, I64 offsets, I32 indices) {
        const int64_t h = grey.shape(0), w = grey.shape(1), n = boxes.shape(0);
        textvision::View2D<uint8_t> view{grey.data(), h, w, w, 1};
        py::array_t<float> out({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(textvision::kNumCues)});
        float* po = out.mutable_data();
        const int32_t* pb = boxes.data();
        const int64_t* po_ = offsets.data();
        const int32_t* pi = indices.data();
        {
          py::gil_scoped_release release;
          std::vector<float> grad = textvision::gradient_magnitude(view);
          textvision::CueScratch scratch;
          for (int64_t i = 0; i < n; ++i)
            textvision::region_cues(view, grad.data(), pb + 4 * i, pi + po_[i], po_[i + 1] - po_[i], scratch,
                                    po + textvision::kNumCues * i);
        }
        return out;
      },
      py::arg("grey"), py::arg("boxes"), py::arg("offsets"), py::arg("indices"),
      "Cues [n,5] (D, FGI, BGI, G, S) of regions given as boxes [n,4] int32 and CSR pixel lists.");
  m.def(
      "proposals_group_nodes",
      [vec_to_array](I32 boxes, F32 centroids, F32 cues, int cue, int width, int height, float scale) {
        textvision::RegionTable t;
        const int64_t n = boxes.shape(0);
        t.boxes.assign(boxes.data(), boxes.data() + 4 * n);
        t.cues.assign(cues.data(), cues.data() + textvision::kNumCues * n);
        for (int64_t i = 0; i < n; ++i) {
          t.cx.push_back(centroids.data()[2 * i]);
          t.cy.push_back(centroids.data()[2 * i + 1]);
        }
        std::vector<float> ob, of;
        std::vector<int32_t> oc;
        {
          py::gil_scoped_release release;
          textvision::group_nodes(t, cue, width, height, scale, ob, of, &oc);
        }
        const py::ssize_t m = static_cast<py::ssize_t>(oc.size() / 2);
        return py::make_tuple(vec_to_array(ob, {m, 4}), vec_to_array(of, {m, textvision::kNumGroupFeatures}),
                              vec_to_array(oc, {m, 2}));
      },
      py::arg("boxes"), py::arg("centroids"), py::arg("cues"), py::arg("cue"), py::arg("width"), py::arg("height"),
      py::arg("scale") = 1.0f, "Merge nodes of one channel x cue: (boxes [m,4], features [m,18], children [m,2]).");
  m.def("proposals_nfa", &textvision::neg_log10_binomial_tail, py::arg("n"), py::arg("k"), py::arg("p"),
        "-log10 P[X >= k], X ~ Binomial(n, p).");
  m.def(
      "proposals_text_proposals",
      [vec_to_array](U8 rgb, std::optional<F32> prob, std::vector<int> channels, std::vector<int> scales, int delta,
                     double min_area_frac, double max_area_frac, double max_variation, double min_diversity, int prune,
                     float min_prob, int num_threads) {
        const int64_t h = rgb.shape(0), w = rgb.shape(1);
        textvision::View2D<uint8_t> planes[3];
        for (int c = 0; c < 3; ++c) planes[c] = textvision::View2D<uint8_t>{rgb.data() + c, h, w, 3 * w, 3};
        textvision::View2D<float> pv;
        if (prob) pv = textvision::View2D<float>{prob->data(), h, w, w, 1};
        textvision::ProposalParams p;
        p.channels = channels;
        p.scales = scales;
        p.delta = delta;
        p.min_area_frac = min_area_frac;
        p.max_area_frac = max_area_frac;
        p.max_variation = max_variation;
        p.min_diversity = min_diversity;
        p.prune = prune;
        p.min_prob = min_prob;
        p.num_threads = num_threads;
        textvision::ProposalSet r;
        {
          py::gil_scoped_release release;
          r = textvision::text_proposals(planes, prob ? &pv : nullptr, p);
        }
        const py::ssize_t k = static_cast<py::ssize_t>(r.size());
        py::dict stats;
        stats["regions_found"] = r.stats.regions_found;
        stats["regions_kept"] = r.stats.regions_kept;
        stats["nodes"] = r.stats.nodes;
        stats["t_prepare"] = r.stats.t_prepare;
        stats["t_mser"] = r.stats.t_mser;
        stats["t_prune"] = r.stats.t_prune;
        stats["t_cues"] = r.stats.t_cues;
        stats["t_cluster"] = r.stats.t_cluster;
        stats["t_total"] = r.stats.t_total;
        return py::make_tuple(vec_to_array(r.boxes, {k, 4}),
                              vec_to_array(r.features, {k, textvision::kNumGroupFeatures}),
                              vec_to_array(r.image, {k}), vec_to_array(r.cue, {k}), stats);
      },
      py::arg("rgb"), py::arg("prob"), py::arg("channels"), py::arg("scales"), py::arg("delta"),
      py::arg("min_area_frac"), py::arg("max_area_frac"), py::arg("max_variation"), py::arg("min_diversity"),
      py::arg("prune"), py::arg("min_prob"), py::arg("num_threads"),
      "TextProposals nodes of an RGB image: (boxes [K,4], features [K,18], image [K], cue [K], stats dict).");
  m.def(
      "proposals_stumps_predict",
      [](F32 x, I32 feature, F32 threshold, F32 left, F32 right) {
        const int64_t n = x.shape(0), stride = x.shape(1), t = feature.shape(0);
        py::array_t<float> out(static_cast<py::ssize_t>(n));
        float* po = out.mutable_data();
        {
          py::gil_scoped_release release;
          textvision::stumps_predict(x.data(), n, stride, feature.data(), threshold.data(), left.data(), right.data(),
                                     t, po);
        }
        return out;
      },
      py::arg("x"), py::arg("feature"), py::arg("threshold"), py::arg("left"), py::arg("right"),
      "Sum of decision stumps over rows of x [n,F] float32.");
  m.def(
      "proposals_dedup",
      [vec_to_array](F32 boxes, F32 scores) {
        std::vector<int64_t> keep;
        {
          py::gil_scoped_release release;
          keep = textvision::dedup_boxes(boxes.data(), scores.data(), boxes.shape(0));
        }
        return vec_to_array(keep, {static_cast<py::ssize_t>(keep.size())});
      },
      py::arg("boxes"), py::arg("scores"), "Indices of unique boxes, best score kept, by descending score.");
  m.def(
      "proposals_diverse_order",
      [vec_to_array](F32 boxes, F32 scores, double iou_threshold, int64_t limit) {
        const int64_t n = boxes.shape(0);
        py::array_t<uint8_t> demoted(static_cast<py::ssize_t>(n));
        uint8_t* pd = demoted.mutable_data();
        std::vector<int64_t> order;
        {
          py::gil_scoped_release release;
          order = textvision::diverse_order(boxes.data(), scores.data(), n, iou_threshold, limit, pd);
        }
        return py::make_tuple(vec_to_array(order, {static_cast<py::ssize_t>(order.size())}), demoted);
      },
      py::arg("boxes"), py::arg("scores"), py::arg("iou_threshold"), py::arg("limit"),
      "NMS-like ordering: (permutation int64 [n], demoted uint8 [n]).");
  // --- end proposals
  // --- ops (mser, regions): the Python wrappers in textvision/ops validate and document; these
  // re-check dtypes/shapes so direct calls (and the fuzz tests) can never read out of bounds.
  m.def(
      "mser",
      [](py::array image, std::optional<py::array> prob, int delta, int64_t min_area, int64_t max_area,
         double max_variation, double min_diversity, int polarity, bool return_pixels, double min_prob,
         int num_threads) {
        textvision::MserParams p;
        p.delta = delta;
        p.min_area = min_area;
        p.max_area = max_area;
        p.max_variation = max_variation;
        p.min_diversity = min_diversity;
        p.polarity = polarity;
        p.return_pixels = return_pixels;
        p.min_prob = static_cast<float>(min_prob);
        p.num_threads = num_threads;
        const auto img = ops_bind::view2d<uint8_t>(image, "mser: image");
        std::optional<textvision::View2D<float>> pv;
        if (prob) pv = ops_bind::view2d<float>(*prob, "mser: prob");
        textvision::MserRegions r;
        {
          py::gil_scoped_release release;
          r = textvision::mser(img, pv ? &*pv : nullptr, p);
        }
        const auto n = static_cast<py::ssize_t>(r.size());
        py::dict d;
        d["boxes"] = ops_bind::to_array(std::move(r.boxes), {n, 4});
        d["areas"] = ops_bind::to_array(std::move(r.areas), {n});
        d["centroids"] = ops_bind::to_array(std::move(r.centroids), {n, 2});
        d["polarity"] = ops_bind::to_array(std::move(r.polarity), {n});
        d["mean_intensity"] = ops_bind::to_array(std::move(r.mean_intensity), {n});
        d["mean_prob"] = ops_bind::to_array(std::move(r.mean_prob), {n});
        d["variation"] = ops_bind::to_array(std::move(r.variation), {n});
        d["level"] = ops_bind::to_array(std::move(r.level), {n});
        if (return_pixels) {
          const auto k = static_cast<py::ssize_t>(r.pixel_indices.size());
          d["pixel_offsets"] = ops_bind::to_array(std::move(r.pixel_offsets), {n + 1});
          d["pixel_indices"] = ops_bind::to_array(std::move(r.pixel_indices), {k});
        }
        return d;
      },
      py::arg("image"), py::arg("prob"), py::arg("delta"), py::arg("min_area"), py::arg("max_area"),
      py::arg("max_variation"), py::arg("min_diversity"), py::arg("polarity"), py::arg("return_pixels"),
      py::arg("min_prob"), py::arg("num_threads") = 1, "MSER with fused region statistics (see textvision.ops.mser); returns a dict of arrays.");
  m.def(
      "region_mean",
      [](py::array prob, py::array offsets, py::array indices) {
        const auto pv = ops_bind::view2d<float>(prob, "region_mean: prob");
        int64_t n_off = 0, n_idx = 0;
        const int64_t* po = ops_bind::flat_data<int64_t>(offsets, "region_mean: pixel_offsets", &n_off);
        const int32_t* pi = ops_bind::flat_data<int32_t>(indices, "region_mean: pixel_indices", &n_idx);
        if (offsets.ndim() != 1 || n_off < 1)
          throw textvision::ValueError("region_mean: pixel_offsets must be 1-D with N+1 >= 1 entries");
        if (indices.ndim() != 1) throw textvision::ValueError("region_mean: pixel_indices must be 1-D");
        std::vector<float> out;
        {
          py::gil_scoped_release release;
          out = textvision::region_mean(pv, po, n_off - 1, pi, n_idx);
        }
        return ops_bind::to_array(std::move(out), {static_cast<py::ssize_t>(n_off - 1)});
      },
      py::arg("prob"), py::arg("pixel_offsets"), py::arg("pixel_indices"),
      "Mean of prob over CSR pixel lists (float32 [N], NaN for empty regions).");
  m.def(
      "box_mean",
      [](py::array prob, py::array boxes) {
        const auto pv = ops_bind::view2d<float>(prob, "box_mean: prob");
        int64_t n = 0;
        const int32_t* pb = ops_bind::flat_data<int32_t>(boxes, "box_mean: boxes", &n);
        if (boxes.ndim() != 2 || boxes.shape(1) != 4)
          throw textvision::ValueError("box_mean: boxes must have shape [N, 4]");
        std::vector<float> out;
        {
          py::gil_scoped_release release;
          out = textvision::box_mean(pv, pb, n / 4);
        }
        return ops_bind::to_array(std::move(out), {static_cast<py::ssize_t>(n / 4)});
      },
      py::arg("prob"), py::arg("boxes"), "Mean of prob over int32 boxes [N,4] (x2/y2 exclusive) via an integral image.");
  // Device variants: textvision/ops/regions.py passes raw pointers and element strides taken from
  // __cuda_array_interface__, after checking dtypes, shapes and the CSR offsets.
  m.def(
      "box_mean_cuda",
      [](uintptr_t prob, int64_t h, int64_t w, int64_t sy, int64_t sx, uintptr_t boxes, int64_t n, uintptr_t out,
         uintptr_t stream) {
        textvision::cuda::DeviceMap map{reinterpret_cast<const float*>(prob), h, w, sy, sx};
        py::gil_scoped_release release;
        textvision::cuda::box_mean(map, reinterpret_cast<const int32_t*>(boxes), n, reinterpret_cast<float*>(out),
                                   stream);
      },
      py::arg("prob"), py::arg("height"), py::arg("width"), py::arg("stride_y"), py::arg("stride_x"),
      py::arg("boxes"), py::arg("n"), py::arg("out"), py::arg("stream"));
  m.def(
      "region_mean_cuda",
      [](uintptr_t prob, int64_t h, int64_t w, int64_t sy, int64_t sx, uintptr_t offsets, int64_t n,
         uintptr_t indices, int64_t n_indices, uintptr_t out, uintptr_t stream) {
        textvision::cuda::DeviceMap map{reinterpret_cast<const float*>(prob), h, w, sy, sx};
        py::gil_scoped_release release;
        textvision::cuda::region_mean(map, reinterpret_cast<const int64_t*>(offsets), n,
                                      reinterpret_cast<const int32_t*>(indices), n_indices,
                                      reinterpret_cast<float*>(out), stream);
      },
      py::arg("prob"), py::arg("height"), py::arg("width"), py::arg("stride_y"), py::arg("stride_x"),
      py::arg("offsets"), py::arg("n"), py::arg("indices"), py::arg("n_indices"), py::arg("out"), py::arg("stream"));
  // --- end ops
}
