// One bind_<family>() per op family, each defined next to its kernels (csrc/<family>/*_bind.cpp);
// csrc/bindings.cpp only creates the module and calls them. A new op family adds one line here and
// one call there.
#pragma once
#include <pybind11/pybind11.h>

void bind_cuda(pybind11::module_& m);       // csrc/cuda/device_bind.cpp: built_with_cuda, device queries
void bind_nms(pybind11::module_& m);        // csrc/nms/nms_bind.cpp: nms_*
void bind_cluster(pybind11::module_& m);    // csrc/proposals/cluster_bind.cpp: proposals_euclidean_mst, _single_linkage
void bind_proposals(pybind11::module_& m);  // csrc/proposals/proposals_bind.cpp: the other proposals_*
void bind_mser(pybind11::module_& m);       // csrc/mser/mser_bind.cpp: mser
void bind_regions(pybind11::module_& m);    // csrc/regions/regions_bind.cpp: box_mean, region_mean (+ _cuda: regions_cuda.cu)
