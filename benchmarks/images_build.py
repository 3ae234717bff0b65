"""Cold and warm `stackctl images build` times and image sizes on this machine.

Cold: each image rebuilt with --force (no Docker layer cache) from an empty stackctl cache
(so debootstrap runs); with --cold-go also from empty GOCACHE and GOMODCACHE (the module
graph is downloaded again through the Go module proxy). Warm: the whole set again through
the CLI with nothing changed (every image skipped).

    .venv/bin/python benchmarks/images_build.py [--images base redis ...] [--cold-go]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stackctl import versions
from stackctl.images.build import build_images

DEFAULT = ("base", "redis", "tyk-pump", "upstream", "load")


def _rmtree(path: Path) -> None:
    """Remove a tree that may hold read-only module-cache folders."""
    for root, dirs, _files in os.walk(path):
        for name in dirs:
            Path(root, name).chmod(0o755)
    shutil.rmtree(path, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", nargs="+", default=list(DEFAULT),
                        choices=versions.BUILDABLE)
    parser.add_argument("--cold-go", action="store_true",
                        help="empty GOCACHE and GOMODCACHE for the Go images")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="stackctl-bench-"))
    saved = {k: os.environ.get(k) for k in ("STACKCTL_CACHE_DIR", "GOCACHE", "GOMODCACHE")}
    os.environ["STACKCTL_CACHE_DIR"] = str(scratch / "cache")
    if args.cold_go:
        os.environ["GOCACHE"] = str(scratch / "gocache")
        os.environ["GOMODCACHE"] = str(scratch / "gomodcache")
    rows = []
    try:
        for name in args.images:
            report = build_images([name], force=True,
                                  progress=lambda m: print(f"  {m}", file=sys.stderr))
            for r in report.results:
                if r.name == name:
                    rows.append(r)
                    print(f"cold {r.name:12} {r.status:8} {r.seconds:7.1f} s "
                          f"{(r.size_bytes or 0) / 1e6:7.1f} MB  {r.detail}", flush=True)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        _rmtree(scratch)

    cli = [str(Path(sys.executable).with_name("stackctl")), "images", "build", "--json",
           "--only", *args.images]
    start = time.monotonic()
    proc = subprocess.run(cli, capture_output=True, text=True, check=False)
    warm = time.monotonic() - start
    for item in json.loads(proc.stdout or '{"images": []}')["images"]:
        print(f"warm {item['name']:12} {item['status']:8} {item['seconds']:7.2f} s")
    print(f"warm whole set ({' '.join(args.images)}), CLI wall time: {warm:.1f} s, "
          f"exit {proc.returncode}")
    print(f"total image size: {sum((r.size_bytes or 0) for r in rows) / 1e6:.0f} MB "
          "(sum of sizes: each image includes the base layers)")
    return 1 if proc.returncode or any(r.status == "failed" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
