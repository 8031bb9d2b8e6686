"""Peak memory of one ``TextProposals`` call on a photograph, for each thread count, each in a fresh process.

    python benchmarks/bench_proposals_memory.py --photo PHOTO [--size 1280x720] [--threads 1,2] [--runs 3]

The photo is resized to ``--size`` and its TextFCN map computed once (saved to a temporary folder), so that every
process proposes on the same image and map. Each process makes one small warm-up call, resets the kernel's
peak-RSS counter (``/proc/self/clear_refs``, Linux), makes one full call and reports VmHWM - VmRSS before the call:
the memory the call itself needed (compiled core, NumPy outputs), in MiB. To compare two builds, run the script
with ``PYTHONPATH`` pointing at each checkout (the child processes inherit it). Writes
``benchmarks/results/proposals_peak_memory.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

CHILD = r"""
import sys
import numpy as np
import textvision
from textvision.proposals import TextProposals

def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) / 1024.0

img, hm = np.load(sys.argv[1]), np.load(sys.argv[2])
tp = TextProposals(num_threads=int(sys.argv[3]))
tp(img[:200, :200], hm[:200, :200])  # first-call allocations (thread start, pools)
before = status("VmRSS:")
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # resets the peak (VmHWM) to the current RSS
out = tp(img, hm)
print(status("VmHWM:") - before, len(out.boxes), textvision.__file__)
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photo", required=True)
    ap.add_argument("--size", default="1280x720", help="WxH the photo is resized to")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--runs", type=int, default=3, help="fresh processes per thread count (median)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results",
                                                  "proposals_peak_memory.json"))
    args = ap.parse_args(argv)
    if not os.path.exists("/proc/self/clear_refs"):
        raise SystemExit("needs Linux's /proc/self/clear_refs to reset the peak RSS")
    import cv2
    import numpy as np

    import textvision
    from textvision import io

    w, h = (int(v) for v in args.size.lower().split("x"))
    img = cv2.resize(io.read_rgb(args.photo), (w, h), interpolation=cv2.INTER_AREA)
    hm = textvision.segment(img).astype(np.float32)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, "img.npy"), os.path.join(tmp, "hm.npy")]
        np.save(paths[0], img)
        np.save(paths[1], hm)
        for t in (int(v) for v in args.threads.split(",")):
            peaks = []
            for _ in range(args.runs):
                # cwd=tmp: a child started in a checkout would import that checkout, not PYTHONPATH's
                res = subprocess.run([sys.executable, "-c", CHILD, *paths, str(t)], capture_output=True, text=True,
                                     cwd=tmp, check=True)
                peak, n, module = res.stdout.split()
                peaks.append(float(peak))
            rows.append({"threads": t, "peak_mib": statistics.median(peaks), "runs_mib": peaks,
                         "proposals": int(n), "module": module})
            print(f"{t} thread(s): {rows[-1]['peak_mib']:.1f} MiB over the process before the call "
                  f"(runs {', '.join(f'{p:.1f}' for p in peaks)}; {n} proposals; {module})")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"photo": os.path.basename(args.photo), "size": args.size, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
