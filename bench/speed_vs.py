"""Per-file review time of this checkout against an older commit, on the same files, in one run.

    .venv/bin/python bench/speed_vs.py --corpus ../shared/corpus/cuad/texts --ref ec5e95d [--every 5]

The machine is shared, so absolute figures drift; the two versions are run in alternating chunks of files, each in
its own process (its own imports and detector cache, warmed on one file first), and compared file by file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WORKER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from clausegen.library import load_library
from clausegen.review import review_file
library = load_library(None)
paths = json.loads(sys.stdin.read())
review_file(paths[0], library)  # warm: spaCy, the compiled detector
out = {}
for path in paths:
    started = time.perf_counter()
    review_file(path, library)
    out[path] = time.perf_counter() - started
print(json.dumps(out))
"""


def export(ref: str, folder: Path) -> Path:
    """Write the clausegen package and library of a commit into folder; return it."""
    data = subprocess.run(["git", "-C", str(REPO), "archive", ref, "clausegen", "clause_library"],
                          check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(folder, filter="data")
    return folder


def timed(root: Path, paths: list[str]) -> dict[str, float]:
    """Return the review seconds per file with the package at root, in a fresh process."""
    env = {"CLAUSEGEN_LIBRARY": str(root / "clause_library"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", WORKER, str(root)], input=json.dumps(paths), env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True, help="folder of contract texts")
    parser.add_argument("--ref", default="ec5e95d", help="the older commit")
    parser.add_argument("--every", type=int, default=5, help="review every Nth file")
    parser.add_argument("--chunk", type=int, default=20, help="files per alternating chunk")
    args = parser.parse_args(argv)
    paths = [str(p) for p in sorted(args.corpus.glob("*.txt"))[::args.every]]
    with tempfile.TemporaryDirectory() as tmp:
        old_root = export(args.ref, Path(tmp))
        old, new = {}, {}
        for start in range(0, len(paths), args.chunk):
            chunk = paths[start:start + args.chunk]
            old.update(timed(old_root, chunk))
            new.update(timed(REPO, chunk))
    ratios = [new[p] / old[p] for p in paths if old[p] > 0]
    print(f"{len(paths)} files; total old {sum(old.values()):.2f} s, new {sum(new.values()):.2f} s "
          f"({len(paths) / sum(old.values()):.1f} vs {len(paths) / sum(new.values()):.1f} files/s on one core); "
          f"per-file new/old median {statistics.median(ratios):.2f}, "
          f"quartiles {statistics.quantiles(ratios, n=4)[0]:.2f}-{statistics.quantiles(ratios, n=4)[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
