// Shared helpers for the compiled core: plain C++ with no Python types, so kernels stay testable
// and the binding sources (bindings.cpp, bind_helpers.h, csrc/*/*_bind.cpp) stay the only places that know
// about pybind11.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace textvision {

// A read-only 2-D view with element strides, so non-contiguous and Fortran-order NumPy arrays are
// used in place instead of copied.
template <typename T>
struct View2D {
  const T* data = nullptr;
  int64_t height = 0;
  int64_t width = 0;
  int64_t stride_y = 0;  // in elements
  int64_t stride_x = 1;  // in elements
  inline const T& operator()(int64_t y, int64_t x) const { return data[y * stride_y + x * stride_x]; }
};

// Thrown for invalid arguments; the bindings map it to Python's ValueError.
struct ValueError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

}  // namespace textvision
