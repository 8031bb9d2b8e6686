// Bindings of the EAST NMS kernels (nms.h). Inputs arrive C-contiguous float32 [N,4,2] / [N] from
// textvision/ops/nms.py.
#include <algorithm>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bind_helpers.h"
#include "bindings.h"
#include "nms/nms.h"

namespace py = pybind11;
using textvision::bind::F32;

void bind_nms(py::module_& m) {
  m.def(
      "nms_polygon_iou",
      [](F32 a, F32 b) {
        const int64_t n = a.shape(0), mm = b.shape(0);
        py::array_t<double> out({n, mm});
        const float* pa = a.data();
        const float* pb = b.data();
        double* po = out.mutable_data();
        {
          py::gil_scoped_release release;
          textvision::nms::polygon_iou_matrix(pa, n, pb, mm, po);
        }
        return out;
      },
      py::arg("a"), py::arg("b"), "IoU matrix [N,M] (float64) of the convex hulls of quads a [N,4,2] and b [M,4,2].");
  m.def(
      "nms_lanms",
      [](F32 quads, F32 scores, double merge_threshold, double nms_threshold) {
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
      [](F32 quads, F32 scores, double threshold) {
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
}
