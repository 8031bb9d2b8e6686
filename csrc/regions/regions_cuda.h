// Region means on the GPU for device arrays handed over through __cuda_array_interface__ (torch CUDA
// tensors, CuPy): raw device pointers plus element strides, so the extension never links torch.
// In a build without CUDA these throw std::runtime_error("... built without CUDA").
#pragma once
#include <cstdint>

namespace textvision {
namespace cuda {

// A float32 map on the device; strides in elements (any layout).
struct DeviceMap {
  const float* data;
  int64_t height, width, stride_y, stride_x;
};

// boxes: device int32 [n,4] (x1, y1, x2, y2; x2/y2 exclusive), out: device float32 [n].
// stream: a cudaStream_t as an integer (0 or 1 = legacy default stream, 2 = per-thread default).
// Throws ValueError when the map holds NaN or values outside [0, 1]. Synchronises the stream.
void box_mean(const DeviceMap& prob, const int32_t* boxes, int64_t n, float* out, uintptr_t stream);

// offsets: device int64 [n+1] (validated on the host side by the caller), indices: device int32
// flat y*W+x (validated on the device: out-of-range indices raise ValueError), out: float32 [n].
void region_mean(const DeviceMap& prob, const int64_t* offsets, int64_t n, const int32_t* indices,
                 int64_t n_indices, float* out, uintptr_t stream);

}  // namespace cuda
}  // namespace textvision
