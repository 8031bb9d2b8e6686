// Bindings of the CUDA availability queries (device.h). Compiled in every build: without CUDA the
// stubs in device_stub.cpp answer "no device".
#include "bindings.h"
#include "cuda/device.h"

namespace py = pybind11;

void bind_cuda(py::module_& m) {
#ifdef WITH_CUDA
  m.attr("built_with_cuda") = true;
#else
  m.attr("built_with_cuda") = false;
#endif
  m.def("cuda_device_count", &textvision::cuda::device_count,
        "Number of usable CUDA devices (0 without driver/GPU or in a CPU-only build).");
  m.def("cuda_last_error", &textvision::cuda::last_error);
}
