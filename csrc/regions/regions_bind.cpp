// Bindings of the region means (regions.h on the host, regions_cuda.h on the device). The
// Python wrappers in textvision/ops/regions.py validate and document; the host bindings re-check
// dtypes/shapes so direct calls (and the fuzz tests) can never read out of bounds.
#include <cstdint>
#include <utility>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bind_helpers.h"
#include "bindings.h"
#include "regions/regions_cuda.h"
#include "regions/regions.h"

namespace py = pybind11;
namespace tb = textvision::bind;

void bind_regions(py::module_& m) {
  m.def(
      "region_mean",
      [](py::array prob, py::array offsets, py::array indices) {
        const auto pv = tb::view2d<float>(prob, "region_mean: prob");
        int64_t n_off = 0, n_idx = 0;
        const int64_t* po = tb::flat_data<int64_t>(offsets, "region_mean: pixel_offsets", &n_off);
        const int32_t* pi = tb::flat_data<int32_t>(indices, "region_mean: pixel_indices", &n_idx);
        if (offsets.ndim() != 1 || n_off < 1)
          throw textvision::ValueError("region_mean: pixel_offsets must be 1-D with N+1 >= 1 entries");
        if (indices.ndim() != 1) throw textvision::ValueError("region_mean: pixel_indices must be 1-D");
        std::vector<float> out;
        {
          py::gil_scoped_release release;
          out = textvision::region_mean(pv, po, n_off - 1, pi, n_idx);
        }
        return tb::to_array(std::move(out), {static_cast<py::ssize_t>(n_off - 1)});
      },
      py::arg("prob"), py::arg("pixel_offsets"), py::arg("pixel_indices"),
      "Mean of prob over CSR pixel lists (float32 [N], NaN for empty regions).");
  m.def(
      "box_mean",
      [](py::array prob, py::array boxes) {
        const auto pv = tb::view2d<float>(prob, "box_mean: prob");
        int64_t n = 0;
        const int32_t* pb = tb::flat_data<int32_t>(boxes, "box_mean: boxes", &n);
        if (boxes.ndim() != 2 || boxes.shape(1) != 4)
          throw textvision::ValueError("box_mean: boxes must have shape [N, 4]");
        std::vector<float> out;
        {
          py::gil_scoped_release release;
          out = textvision::box_mean(pv, pb, n / 4);
        }
        return tb::to_array(std::move(out), {static_cast<py::ssize_t>(n / 4)});
      },
      py::arg("prob"), py::arg("boxes"), "Mean of prob over int32 boxes [N,4] (x2/y2 exclusive) via an integral image.");
  // Device variants: textvision/ops/regions.py passes raw pointers and element strides taken from
  // __cuda_array_interface__, after checking dtypes, shapes and the CSR offsets. In a build without
  // CUDA they exist and raise (regions_cuda_stub.cpp), so the Python side has one code path.
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
}
