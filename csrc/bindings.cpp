// The module file (detectron2 vision.cpp style): it only creates textvision._C and calls one
// bind_<family>() per op family. Each family's binding lives beside its kernels
// (csrc/<family>/*_bind.cpp); they convert NumPy arrays to C++ views, validate nothing the Python
// wrappers already validate, and release the GIL around real work so threads and DataLoader workers
// scale. Shared NumPy helpers: bind_helpers.h.
#include <pybind11/pybind11.h>

#include "bindings.h"
#include "common.h"

namespace py = pybind11;

PYBIND11_MODULE(_C, m) {
  m.doc() = "textvision compiled core";
  // Registered first: every family's kernels throw textvision::ValueError for bad arguments.
  py::register_exception<textvision::ValueError>(m, "CoreValueError", PyExc_ValueError);

  bind_cuda(m);
  bind_nms(m);
  bind_cluster(m);
  bind_proposals(m);
  bind_mser(m);
  bind_regions(m);
}
