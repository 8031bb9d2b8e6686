#include <cuda_runtime.h>

#include "cuda/device.h"

namespace textvision {
namespace cuda {

static std::string g_last_error;

int device_count() {
  int n = 0;
  // Without a driver this returns cudaErrorNoDevice / cudaErrorInsufficientDriver: report 0.
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    g_last_error = cudaGetErrorString(err);
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return 0;
  }
  return n;
}

std::string last_error() { return g_last_error; }

}  // namespace cuda
}  // namespace textvision
