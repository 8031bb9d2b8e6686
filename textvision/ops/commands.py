"""CLI: ``textvision info`` (build and device report)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("info", help="show how textvision was built (compiled core, CUDA) and versions")
    p.set_defaults(func=_info)


def _info(args) -> int:
    import platform

    import numpy as np

    from textvision import __version__, _ext

    print(f"textvision {__version__} (Python {platform.python_version()}, NumPy {np.__version__})")
    print(f"compiled core: {'yes' if _ext.has_ops() else 'NO - ' + str(_ext._IMPORT_ERROR)}")
    if _ext.has_ops():
        print(f"built with CUDA: {_ext.built_with_cuda()}")
        print(f"CUDA device usable: {_ext.has_cuda()}"
              + ("" if _ext.has_cuda() or not _ext.built_with_cuda() else f" ({_ext.core().cuda_last_error()})"))
    try:
        import torch

        print(f"torch {torch.__version__}, CUDA available: {torch.cuda.is_available()}")
    except ImportError:
        print("torch: not installed")
    return 0
