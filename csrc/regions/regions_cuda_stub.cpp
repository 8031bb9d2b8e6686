// CPU-only stand-in for regions_cuda.cu: the device entry points exist but say why they cannot run.
#ifndef WITH_CUDA
#include <stdexcept>

#include "regions/regions_cuda.h"

namespace textvision {
namespace cuda {
void box_mean(const DeviceMap&, const int32_t*, int64_t, float*, uintptr_t) {
  throw std::runtime_error("box_mean: textvision was built without CUDA (rebuild with nvcc or FORCE_CUDA=1)");
}
void region_mean(const DeviceMap&, const int64_t*, int64_t, const int32_t*, int64_t, float*, uintptr_t) {
  throw std::runtime_error("region_mean: textvision was built without CUDA (rebuild with nvcc or FORCE_CUDA=1)");
}
}  // namespace cuda
}  // namespace textvision
#endif
