// NumPy <-> C++ helpers shared by the csrc/*/*_bind.cpp files; the only other place (with those
// files) that knows about pybind11. Kernels take plain pointers and View2D (common.h).
#pragma once
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "common.h"

namespace textvision {
namespace bind {

namespace py = pybind11;

// Arguments the Python wrappers have already validated (dtype, shape): forcecast + C order makes a
// direct call with another dtype or layout copy instead of reading the wrong bytes.
using F32 = py::array_t<float, py::array::c_style | py::array::forcecast>;
using F64 = py::array_t<double, py::array::c_style | py::array::forcecast>;
using I32 = py::array_t<int32_t, py::array::c_style | py::array::forcecast>;
using I64 = py::array_t<int64_t, py::array::c_style | py::array::forcecast>;
using U8 = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>;

// A strided view of a 2-D array without a copy; TypeError for another dtype, ValueError otherwise.
template <typename T>
textvision::View2D<T> view2d(const py::array& a, const char* what) {
  if (!a.dtype().is(py::dtype::of<T>()))
    throw py::type_error(std::string(what) + ": expected dtype " + std::string(py::str(py::dtype::of<T>())) +
                         ", got " + std::string(py::str(a.dtype())));
  if (a.ndim() != 2)
    throw textvision::ValueError(std::string(what) + ": expected a 2-D array, got " + std::to_string(a.ndim()) +
                                 " dimensions");
  const auto isz = static_cast<py::ssize_t>(sizeof(T));
  if (a.strides(0) % isz || a.strides(1) % isz)
    throw textvision::ValueError(std::string(what) + ": strides must be multiples of the item size");
  textvision::View2D<T> v;
  v.data = static_cast<const T*>(a.data());
  v.height = a.shape(0);
  v.width = a.shape(1);
  v.stride_y = a.strides(0) / isz;
  v.stride_x = a.strides(1) / isz;
  return v;
}

// Moves a vector into an array that owns it (no copy of the elements).
template <typename T>
py::array to_array(std::vector<T>&& v, std::vector<py::ssize_t> shape) {
  if (v.empty()) return py::array_t<T>(shape);
  auto* owner = new std::vector<T>(std::move(v));
  py::capsule cap(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return py::array_t<T>(shape, owner->data(), cap);
}

// Copies a vector into a new array of the given shape (for results that stay needed in C++).
template <typename T>
py::array_t<T> vec_to_array(const std::vector<T>& v, std::vector<py::ssize_t> shape) {
  py::array_t<T> out(shape);
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

// Data pointer and element count of a C-contiguous array of dtype T.
template <typename T>
const T* flat_data(const py::array& a, const char* what, int64_t* n) {
  if (!a.dtype().is(py::dtype::of<T>()))
    throw py::type_error(std::string(what) + ": expected dtype " + std::string(py::str(py::dtype::of<T>())) +
                         ", got " + std::string(py::str(a.dtype())));
  if (!(a.flags() & py::array::c_style)) throw textvision::ValueError(std::string(what) + ": must be C-contiguous");
  *n = a.size();
  return static_cast<const T*>(a.data());
}

}  // namespace bind
}  // namespace textvision
