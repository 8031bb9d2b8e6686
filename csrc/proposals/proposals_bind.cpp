// Bindings of the TextProposals kernels (proposals.h, cues.h). Inputs arrive validated (dtype,
// shape, C order) from textvision/proposals/*.py.
#include <optional>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bind_helpers.h"
#include "bindings.h"
#include "common.h"
#include "proposals/proposals.h"

namespace py = pybind11;
namespace tb = textvision::bind;
using tb::F32;
using tb::I32;
using tb::I64;
using tb::U8;
using tb::vec_to_array;

void bind_proposals(py::module_& m) {
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
      [](I32 boxes, F32 centroids, F32 cues, int cue, int width, int height, float scale) {
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
      [](U8 rgb, std::optional<F32> prob, std::vector<int> channels, std::vector<int> scales, int delta,
         double min_area_frac, double max_area_frac, double max_variation, double min_diversity, int prune,
         float min_prob, int num_threads, bool absolute_area, bool box_centres) {
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
        p.absolute_area = absolute_area;
        p.box_centres = box_centres;
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
      py::arg("prune"), py::arg("min_prob"), py::arg("num_threads"), py::arg("absolute_area") = false,
      py::arg("box_centres") = false,
      "TextProposals nodes of an RGB image: (boxes [K,4], features [K,18], image [K], cue [K], stats dict).");
  m.def(
      "proposals_stumps_predict",
      [](F32 x, I32 feature, F32 threshold, F32 left, F32 right) {
        const int64_t n = x.shape(0), stride = x.shape(1), t = feature.shape(0);
        for (int64_t k = 0; k < t; ++k)
          if (feature.data()[k] < 0 || feature.data()[k] >= stride)
            throw textvision::ValueError("stumps_predict: stump feature " + std::to_string(feature.data()[k]) +
                                         " outside the " + std::to_string(stride) + " columns of x");
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
      "proposals_heatmap_evidence",
      [](F32 prob, tb::F64 boxes, int num_threads) {
        const int64_t h = prob.shape(0), w = prob.shape(1), n = boxes.shape(0);
        py::array_t<float> out(static_cast<py::ssize_t>(n));
        float* po = out.mutable_data();
        {
          py::gil_scoped_release release;
          textvision::heatmap_evidence(prob.data(), h, w, boxes.data(), n, num_threads, po);
        }
        return out;
      },
      py::arg("prob"), py::arg("boxes"), py::arg("num_threads"),
      "FAST re-ranking evidence [n] float32 of finite boxes [n,4] float64 on a float32 HxW map.");
  m.def(
      "proposals_dedup",
      [](F32 boxes, F32 scores) {
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
      [](F32 boxes, F32 scores, double iou_threshold, int64_t limit) {
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
}
