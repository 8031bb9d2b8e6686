// Driver for tools/profile_mser_flood.py: runs textvision::mser once per image of a raw file
// (int32 count, then per image int32 height, width and height*width grey bytes) with OpenCV's
// default parameters, one thread, so that cachegrind sees the flood exactly as the extension runs it.
#include <cstdio>
#include <vector>

#include "mser/mser.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s IMAGES.bin\n", argv[0]);
    return 2;
  }
  std::FILE* f = std::fopen(argv[1], "rb");
  if (!f) {
    std::perror(argv[1]);
    return 2;
  }
  int32_t n = 0;
  if (std::fread(&n, 4, 1, f) != 1) return 2;
  size_t regions = 0;
  for (int32_t i = 0; i < n; ++i) {
    int32_t hw[2];
    if (std::fread(hw, 4, 2, f) != 2) return 2;
    std::vector<uint8_t> img(static_cast<size_t>(hw[0]) * hw[1]);
    if (std::fread(img.data(), 1, img.size(), f) != img.size()) return 2;
    textvision::View2D<uint8_t> v;
    v.data = img.data();
    v.height = hw[0];
    v.width = hw[1];
    v.stride_y = hw[1];
    textvision::MserParams p;  // OpenCV's defaults
    regions += textvision::mser(v, nullptr, p).areas.size();
  }
  std::fclose(f);
  std::printf("%zu regions\n", regions);
  return 0;
}
