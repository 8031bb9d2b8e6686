// Bindings of the single-linkage clustering (cluster.h). Inputs arrive validated (float64
// [n,d], C order, finite) from textvision/proposals/cluster.py.
#include <vector>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include "bind_helpers.h"
#include "bindings.h"
#include "proposals/cluster.h"

namespace py = pybind11;
namespace tb = textvision::bind;

namespace {

const char* algorithm_name(textvision::MstAlgorithm a) {
  switch (a) {
    case textvision::MstAlgorithm::kPrim: return "prim";
    case textvision::MstAlgorithm::kBoruvka: return "boruvka";
    default: return "none";
  }
}

}  // namespace

void bind_cluster(py::module_& m) {
  m.def(
      "proposals_euclidean_mst",
      [](tb::F64 points, int64_t prim_max_points, bool return_algorithm) -> py::tuple {
        const int64_t n = points.shape(0);
        const int dim = static_cast<int>(points.shape(1));
        std::vector<textvision::MstEdge> edges;
        textvision::MstAlgorithm used;
        {
          py::gil_scoped_release release;
          edges = textvision::euclidean_mst(points.data(), n, dim, prim_max_points, &used);
        }
        const py::ssize_t m = static_cast<py::ssize_t>(edges.size());
        py::array_t<int32_t> u(m), v(m);
        py::array_t<double> d2(m);
        for (py::ssize_t i = 0; i < m; ++i) {
          u.mutable_data()[i] = edges[i].u;
          v.mutable_data()[i] = edges[i].v;
          d2.mutable_data()[i] = edges[i].d2;
        }
        if (return_algorithm) return py::make_tuple(u, v, d2, algorithm_name(used));
        return py::make_tuple(u, v, d2);
      },
      py::arg("points"), py::arg("prim_max_points") = -1, py::arg("return_algorithm") = false,
      "Euclidean MST of points [n,d] float64: (u int32, v int32, squared length float64), sorted. "
      "Prim when n <= prim_max_points, k-d tree Boruvka above (negative: the built-in 6000 with AVX2, "
      "else 4000); return_algorithm appends 'prim', 'boruvka' or 'none' (n < 2).");
  m.def(
      "proposals_single_linkage",
      [](tb::F64 points, int64_t prim_max_points, bool return_algorithm) -> py::tuple {
        const int64_t n = points.shape(0);
        const int dim = static_cast<int>(points.shape(1));
        textvision::Dendrogram z;
        textvision::MstAlgorithm used;
        {
          py::gil_scoped_release release;
          z = textvision::single_linkage(points.data(), n, dim, prim_max_points, &used);
        }
        const py::ssize_t m = static_cast<py::ssize_t>(z.merges());
        auto left = tb::vec_to_array(z.left, {m}), right = tb::vec_to_array(z.right, {m});
        auto height = tb::vec_to_array(z.height, {m});
        auto size = tb::vec_to_array(z.size, {m});
        if (return_algorithm) return py::make_tuple(left, right, height, size, algorithm_name(used));
        return py::make_tuple(left, right, height, size);
      },
      py::arg("points"), py::arg("prim_max_points") = -1, py::arg("return_algorithm") = false,
      "Single linkage of points [n,d] float64: (left, right, height, size), SciPy convention. "
      "prim_max_points and return_algorithm as for proposals_euclidean_mst.");
}
