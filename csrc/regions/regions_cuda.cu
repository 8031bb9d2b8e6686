// Box and region means of a probability map on the GPU (see regions_cuda.h).
//
// box_mean builds a double-precision integral image in two passes (a block-wide scan along each row,
// then a running sum down each column, which reads coalesced), then answers each box in O(1).
// region_mean reduces each region's pixels with one block per region.
#include <cuda_runtime.h>

#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#include <algorithm>
#include <stdexcept>
#include <string>

#include "common.h"
#include "regions/regions_cuda.h"

namespace textvision {
namespace cuda {
namespace {

constexpr int kThreads = 256;

void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(err));
  }
}

cudaStream_t to_stream(uintptr_t s) {
  if (s == 0 || s == 1) return 0;                // legacy default stream
  if (s == 2) return cudaStreamPerThread;
  return reinterpret_cast<cudaStream_t>(s);
}

__device__ __forceinline__ float at(const DeviceMap m, int64_t y, int64_t x) {
  return m.data[y * m.stride_y + x * m.stride_x];
}

// flag |= 1 when any value is NaN or outside [0, 1].
__global__ void validate_kernel(const DeviceMap m, int* flag) {
  const int64_t n = m.height * m.width;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float v = at(m, i / m.width, i % m.width);
    if (!(v >= 0.f && v <= 1.f)) atomicOr(flag, 1);
  }
}

// ii has (h+1) x (w+1) doubles; row y+1 gets the inclusive prefix sums of map row y (column 0 and
// row 0 stay zero). One block per row, scanning the row in chunks of kThreads with a carry.
__global__ void row_scan_kernel(const DeviceMap m, double* ii) {
  using Scan = cub::BlockScan<double, kThreads>;
  __shared__ typename Scan::TempStorage tmp;
  __shared__ double carry;
  const int64_t y = blockIdx.x;
  const int64_t w1 = m.width + 1;
  double* out = ii + (y + 1) * w1;
  if (threadIdx.x == 0) {
    carry = 0.0;
    out[0] = 0.0;
  }
  __syncthreads();
  for (int64_t x0 = 0; x0 < m.width; x0 += kThreads) {
    const int64_t x = x0 + threadIdx.x;
    const double v = x < m.width ? static_cast<double>(at(m, y, x)) : 0.0;
    double incl, total;
    Scan(tmp).InclusiveSum(v, incl, total);
    if (x < m.width) out[x + 1] = carry + incl;
    __syncthreads();  // everyone has read carry and tmp before they change
    if (threadIdx.x == 0) carry += total;
    __syncthreads();
  }
}

// Running sum down each column of ii (rows 1..h): thread per column, coalesced across threads.
__global__ void col_scan_kernel(double* ii, int64_t h, int64_t w1) {
  const int64_t x = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (x >= w1) return;
  double s = 0.0;
  for (int64_t y = 1; y <= h; ++y) {
    s += ii[y * w1 + x];
    ii[y * w1 + x] = s;
  }
}

__global__ void box_kernel(const double* ii, int64_t h, int64_t w, const int32_t* boxes, int64_t n, float* out) {
  const int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (i >= n) return;
  const int64_t w1 = w + 1;
  const int64_t x1 = max(int64_t(boxes[4 * i + 0]), int64_t(0)), y1 = max(int64_t(boxes[4 * i + 1]), int64_t(0));
  const int64_t x2 = min(int64_t(boxes[4 * i + 2]), w), y2 = min(int64_t(boxes[4 * i + 3]), h);
  if (x2 <= x1 || y2 <= y1) {
    out[i] = __int_as_float(0x7fc00000);  // NaN: no pixel of the box lies in the map
    return;
  }
  const double s = ii[y2 * w1 + x2] - ii[y1 * w1 + x2] - ii[y2 * w1 + x1] + ii[y1 * w1 + x1];
  out[i] = static_cast<float>(s / static_cast<double>((x2 - x1) * (y2 - y1)));
}

__global__ void region_kernel(const DeviceMap m, const int64_t* offsets, const int32_t* indices, float* out,
                              int* flag) {
  using Reduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename Reduce::TempStorage tmp;
  const int64_t r = blockIdx.x;
  const int64_t a = offsets[r], b = offsets[r + 1];
  const int64_t n_pix = m.height * m.width;
  double s = 0.0;
  for (int64_t k = a + threadIdx.x; k < b; k += kThreads) {
    const int64_t idx = indices[k];
    if (idx < 0 || idx >= n_pix) {
      atomicOr(flag, 2);
      continue;
    }
    s += static_cast<double>(at(m, idx / m.width, idx % m.width));
  }
  const double total = Reduce(tmp).Sum(s);
  if (threadIdx.x == 0)
    out[r] = b > a ? static_cast<float>(total / static_cast<double>(b - a)) : __int_as_float(0x7fc00000);
}

// Validates the map (and, for region_mean, the indices); the flag comes back with the results.
struct Flag {
  int* dev = nullptr;
  explicit Flag(cudaStream_t s) {
    check(cudaMalloc(&dev, sizeof(int)), "cudaMalloc");
    check(cudaMemsetAsync(dev, 0, sizeof(int), s), "cudaMemsetAsync");
  }
  ~Flag() { cudaFree(dev); }
  int read(cudaStream_t s) {
    int v = 0;
    check(cudaMemcpyAsync(&v, dev, sizeof(int), cudaMemcpyDeviceToHost, s), "cudaMemcpyAsync");
    check(cudaStreamSynchronize(s), "cudaStreamSynchronize");
    return v;
  }
};

int blocks_for(int64_t n) { return static_cast<int>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65535)); }

}  // namespace

void box_mean(const DeviceMap& prob, const int32_t* boxes, int64_t n, float* out, uintptr_t stream) {
  const cudaStream_t s = to_stream(stream);
  const int64_t h = prob.height, w = prob.width, w1 = w + 1;
  Flag flag(s);
  if (h * w > 0) validate_kernel<<<blocks_for(h * w), kThreads, 0, s>>>(prob, flag.dev);
  double* ii = nullptr;
  check(cudaMalloc(&ii, sizeof(double) * (h + 1) * w1), "box_mean: cudaMalloc");
  struct Free {
    double* p;
    ~Free() { cudaFree(p); }
  } guard{ii};
  check(cudaMemsetAsync(ii, 0, sizeof(double) * w1, s), "box_mean: cudaMemsetAsync");
  if (h > 0 && w > 0) {
    row_scan_kernel<<<static_cast<unsigned>(h), kThreads, 0, s>>>(prob, ii);
    col_scan_kernel<<<blocks_for(w1), kThreads, 0, s>>>(ii, h, w1);
  }
  if (n > 0) box_kernel<<<static_cast<unsigned>((n + kThreads - 1) / kThreads), kThreads, 0, s>>>(ii, h, w, boxes, n, out);
  check(cudaGetLastError(), "box_mean: kernel launch");
  if (flag.read(s) & 1) throw ValueError("box_mean: prob must be in [0, 1] without NaN");
}

void region_mean(const DeviceMap& prob, const int64_t* offsets, int64_t n, const int32_t* indices, int64_t n_indices,
                 float* out, uintptr_t stream) {
  (void)n_indices;
  const cudaStream_t s = to_stream(stream);
  Flag flag(s);
  if (prob.height * prob.width > 0)
    validate_kernel<<<blocks_for(prob.height * prob.width), kThreads, 0, s>>>(prob, flag.dev);
  if (n > 0) region_kernel<<<static_cast<unsigned>(n), kThreads, 0, s>>>(prob, offsets, indices, out, flag.dev);
  check(cudaGetLastError(), "region_mean: kernel launch");
  const int f = flag.read(s);
  if (f & 1) throw ValueError("region_mean: prob must be in [0, 1] without NaN");
  if (f & 2) throw ValueError("region_mean: pixel_indices hold values outside the map");
}

}  // namespace cuda
}  // namespace textvision
