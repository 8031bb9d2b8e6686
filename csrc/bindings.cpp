// The one bindings file: converts NumPy arrays to C++ views, validates nothing the Python wrappers
// already validate, and releases the GIL around real work so threads and DataLoader workers scale.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "common.h"
#include "cuda/device.h"

namespace py = pybind11;

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
}
