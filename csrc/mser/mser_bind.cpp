// Binding of the MSER kernel (mser.h). The Python wrapper textvision/ops/mser.py validates and
// documents; this re-checks dtypes/shapes so direct calls (and the fuzz tests) can never read out
// of bounds.
#include <optional>
#include <utility>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bind_helpers.h"
#include "bindings.h"
#include "mser/mser.h"

namespace py = pybind11;
namespace tb = textvision::bind;

void bind_mser(py::module_& m) {
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
        const auto img = tb::view2d<uint8_t>(image, "mser: image");
        std::optional<textvision::View2D<float>> pv;
        if (prob) pv = tb::view2d<float>(*prob, "mser: prob");
        textvision::MserRegions r;
        {
          py::gil_scoped_release release;
          r = textvision::mser(img, pv ? &*pv : nullptr, p);
        }
        const auto n = static_cast<py::ssize_t>(r.size());
        py::dict d;
        d["boxes"] = tb::to_array(std::move(r.boxes), {n, 4});
        d["areas"] = tb::to_array(std::move(r.areas), {n});
        d["centroids"] = tb::to_array(std::move(r.centroids), {n, 2});
        d["polarity"] = tb::to_array(std::move(r.polarity), {n});
        d["mean_intensity"] = tb::to_array(std::move(r.mean_intensity), {n});
        d["mean_prob"] = tb::to_array(std::move(r.mean_prob), {n});
        d["variation"] = tb::to_array(std::move(r.variation), {n});
        d["level"] = tb::to_array(std::move(r.level), {n});
        if (return_pixels) {
          const auto k = static_cast<py::ssize_t>(r.pixel_indices.size());
          d["pixel_offsets"] = tb::to_array(std::move(r.pixel_offsets), {n + 1});
          d["pixel_indices"] = tb::to_array(std::move(r.pixel_indices), {k});
        }
        return d;
      },
      py::arg("image"), py::arg("prob"), py::arg("delta"), py::arg("min_area"), py::arg("max_area"),
      py::arg("max_variation"), py::arg("min_diversity"), py::arg("polarity"), py::arg("return_pixels"),
      py::arg("min_prob"), py::arg("num_threads") = 1,
      "MSER with fused region statistics (see textvision.ops.mser); returns a dict of arrays.");
}
