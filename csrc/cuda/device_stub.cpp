// CPU-only stand-in for device.cu: a build without CUDA has no devices.
#ifndef WITH_CUDA
#include "cuda/device.h"

namespace textvision {
namespace cuda {
int device_count() { return 0; }
std::string last_error() { return "textvision was built without CUDA"; }
}  // namespace cuda
}  // namespace textvision
#endif
