"""``textvision.east``'s functions stay functions after their same-named submodules are imported."""
import subprocess
import sys


def test_functions_not_shadowed_by_submodules():
    # A fresh interpreter: the bug only shows when the submodule is imported (as the trainer does)
    # before the name is looked up, which the test session's import order would hide.
    code = ("import textvision.east.train, textvision.east.decode, textvision.east.targets\n"
            "from textvision.east import decode, detect, targets\n"
            "import types\n"
            "assert all(isinstance(f, types.FunctionType) for f in (decode, detect, targets)), (decode, targets)\n")
    subprocess.run([sys.executable, "-c", code], check=True)
