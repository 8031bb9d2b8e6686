"""Build textvision._C: the compiled core (C++17, optional CUDA).

Every ``csrc/**/*.cpp`` is compiled; ``csrc/**/*.cu`` join them (and ``WITH_CUDA`` is defined) when
``nvcc`` is found or ``FORCE_CUDA=1``. ``TEXTVISION_CUDA=0`` turns CUDA off. ``TEXTVISION_DEBUG=1``
builds without optimisation; ``TEXTVISION_ASAN=1`` adds AddressSanitizer (see README, development).
The CUDA runtime is linked statically so that a CUDA-enabled build imports on machines without a GPU
or driver (``textvision.ops.has_cuda()`` is then False).
"""
import glob
import os
import shutil
import subprocess
import sys

from pybind11.setup_helpers import Pybind11Extension
from setuptools import setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
CSRC = "csrc"


def _env_flag(name):
    value = os.environ.get(name)
    if value is None:
        return None
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def find_cuda_home():
    """Return the CUDA toolkit root (holding bin/nvcc and include/cuda_runtime.h), or None."""
    if _env_flag("TEXTVISION_CUDA") is False:
        return None
    candidates = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH")]
    nvcc = shutil.which("nvcc")
    if nvcc:
        candidates.append(os.path.dirname(os.path.dirname(os.path.realpath(nvcc))))
    candidates.append("/usr/local/cuda")
    for home in candidates:
        if home and os.path.exists(os.path.join(home, "bin", "nvcc")) and os.path.exists(
            os.path.join(home, "include", "cuda_runtime.h")
        ):
            return home
    if _env_flag("FORCE_CUDA"):
        raise RuntimeError(
            "FORCE_CUDA=1 but no CUDA toolkit (bin/nvcc, include/cuda_runtime.h) was found; set CUDA_HOME"
        )
    return None


CUDA_HOME = find_cuda_home()
WITH_CUDA = CUDA_HOME is not None
DEBUG = bool(_env_flag("TEXTVISION_DEBUG"))
ASAN = bool(_env_flag("TEXTVISION_ASAN"))

# Hopper (sm_90) first: it is the GPU we test on; sm_75/sm_80 cover T4/A100; PTX for newer chips.
CUDA_ARCH_FLAGS = os.environ.get(
    "TEXTVISION_CUDA_ARCH_FLAGS",
    "-gencode=arch=compute_75,code=sm_75 -gencode=arch=compute_80,code=sm_80 "
    "-gencode=arch=compute_90,code=sm_90 -gencode=arch=compute_90,code=compute_90",
).split()


def _sources(pattern):
    return sorted(glob.glob(os.path.join(CSRC, "**", pattern), recursive=True))


cxx_args = ["-std=c++17", "-fvisibility=hidden"]
cxx_args += ["-O0", "-g"] if DEBUG or ASAN else ["-O3"]
link_args = []
if ASAN:
    cxx_args += ["-fsanitize=address", "-fno-omit-frame-pointer"]
    link_args += ["-fsanitize=address"]
define_macros = [("WITH_CUDA", None)] if WITH_CUDA else []
include_dirs = [os.path.join(ROOT, CSRC)]
library_dirs, libraries = [], []
if WITH_CUDA:
    include_dirs.append(os.path.join(CUDA_HOME, "include"))
    for sub in ("lib64", "lib", os.path.join("targets", "x86_64-linux", "lib")):
        if os.path.isdir(os.path.join(CUDA_HOME, sub)):
            library_dirs.append(os.path.join(CUDA_HOME, sub))
    libraries += ["cudart_static", "dl", "rt", "pthread"]

ext = Pybind11Extension(
    "textvision._C",
    _sources("*.cpp") + (_sources("*.cu") if WITH_CUDA else []),
    # Headers as dependencies: a changed header recompiles every object (no stale inlined structs).
    depends=_sources("*.h") + _sources("*.cuh"),
    include_dirs=include_dirs,
    define_macros=define_macros,
    extra_compile_args=cxx_args,
    extra_link_args=link_args,
    library_dirs=library_dirs,
    libraries=libraries,
    language="c++",
    cxx_std=17,
)


class BuildExt(build_ext):
    """build_ext that hands ``.cu`` files to nvcc and everything else to the C++ compiler."""

    def build_extensions(self):
        compiler = self.compiler
        if WITH_CUDA:
            compiler.src_extensions.append(".cu")
            default_compile = compiler._compile
            nvcc = os.path.join(CUDA_HOME, "bin", "nvcc")

            def _compile(obj, src, ext_, cc_args, extra_postargs, pp_opts):
                if os.path.splitext(src)[1] != ".cu":
                    return default_compile(obj, src, ext_, cc_args, extra_postargs, pp_opts)
                host_flags = ["-fPIC", "-fvisibility=hidden"]
                if ASAN:
                    host_flags += ["-fsanitize=address"]
                cmd = [nvcc, "-c", src, "-o", obj, "-std=c++17", "-O0" if DEBUG else "-O3",
                       "--expt-relaxed-constexpr", "-DWITH_CUDA"]
                cmd += [f for f in pp_opts if f.startswith(("-I", "-D"))]
                cmd += CUDA_ARCH_FLAGS
                cmd += ["-Xcompiler", ",".join(host_flags)]
                self.announce(" ".join(cmd), level=2)
                subprocess.check_call(cmd)

            compiler._compile = _compile
        # The compile is the slow part of an install on 2 cores: compile objects in parallel.
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1
        super().build_extensions()


if WITH_CUDA:
    print(f"textvision: building with CUDA from {CUDA_HOME}", file=sys.stderr)
else:
    print("textvision: building CPU-only (no nvcc found or TEXTVISION_CUDA=0)", file=sys.stderr)

setup(ext_modules=[ext], cmdclass={"build_ext": BuildExt})
