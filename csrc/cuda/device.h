// CUDA availability at run time. Compiled to "no device" when the build has no CUDA.
#pragma once
#include <string>

namespace textvision {
namespace cuda {

// Number of usable CUDA devices; 0 without a driver or GPU (never throws).
int device_count();
// The error text of the last failed CUDA runtime call, or "" (for "why is has_cuda() False").
std::string last_error();

}  // namespace cuda
}  // namespace textvision
