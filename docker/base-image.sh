#!/usr/bin/env bash
# A Debian bookworm base image made on this machine, for hosts that reach Debian's mirror but no image
# registry: debootstrap a minimal root file system with Python and curl, then `docker import` it.
#   docker/base-image.sh [TAG]      (default ragtune-base:bookworm; needs root and debootstrap)
set -euo pipefail
tag=${1:-ragtune-base:bookworm}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "base image $tag is already here"
  exit 0
fi
command -v debootstrap >/dev/null || { echo "error: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 2; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,curl,ca-certificates bookworm "$root" "$mirror" >/dev/null
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import --change 'ENV LANG=C.UTF-8' --change 'CMD ["/bin/bash"]' - "$tag" >/dev/null
echo "base image $tag imported from a debootstrap of bookworm ($(docker image inspect -f '{{.Size}}' "$tag" | numfmt --to=iec))"
