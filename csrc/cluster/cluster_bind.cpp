// Bindings of the single-linkage clustering (single_linkage.h). Inputs arrive validated (float64
// [n,d], C order, finite) from textvision/proposals/cluster.py.
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bind_helpers.h"
#include "bindings.h"
#include "cluster/single_linkage.h"

namespace py = pybind11;
namespace tb = textvision::bind;

void bind_cluster(py::module_& m) {
  m.def(
      "proposals_euclidean_mst",
      [](tb::F64 points) {
        const int64_t n = points.shape(0);
        const int dim = static_cast<int>(points.shape(1));
        std::vector<textvision::MstEdge> edges;
        {
          py::gil_scoped_release release;
          edges = textvision::euclidean_mst(points.data(), n, dim);
        }
        const py::ssize_t m = static_cast<py::ssize_t>(edges.size());
        py::array_t<int32_t> u(m), v(m);
        py::array_t<double> d2(m);
        for (py::ssize_t i = 0; i < m; ++i) {
          u.mutable_data()[i] = edges[i].u;
          v.mutable_data()[i] = edges[i].v;
          d2.mutable_data()[i] = edges[i].d2;
        }
        return py::make_tuple(u, v, d2);
      },
      py::arg("points"), "Euclidean MST of points [n,d] float64: (u int32, v int32, squared length float64), sorted.");
  m.def(
      "proposals_single_linkage",
      [](tb::F64 points) {
        const int64_t n = points.shape(0);
        const int dim = static_cast<int>(points.shape(1));
        textvision::Dendrogram z;
        {
          py::gil_scoped_release release;
          z = textvision::single_linkage(points.data(), n, dim);
        }
        const py::ssize_t m = static_cast<py::ssize_t>(z.merges());
        return py::make_tuple(tb::vec_to_array(z.left, {m}), tb::vec_to_array(z.right, {m}),
                              tb::vec_to_array(z.height, {m}), tb::vec_to_array(z.size, {m}));
      },
      py::arg("points"), "Single linkage of points [n,d] float64: (left, right, height, size), SciPy convention.");
}
