#!/usr/bin/env bash
# `make docker-check`: build the CPU image and prove it serves. Starts dockerd if none answers; with no
# BASE_IMAGE given it uses python:3.11-slim-bookworm when a registry gives it, else a base made here
# (docker/base-image.sh); packages come from a wheelhouse made on the host (docker/wheelhouse.sh).
# Then: run the image as its non-root user with an API key and ./artifacts mounted read-only, wait for
# /ready, ask one question, wait for the healthcheck to say healthy, check the mount cannot be written,
# remove the container. Prints one JSON line of what it measured; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
image=${IMAGE:-ragtune:cpu}
name=ragtune-check-$$
key=check-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
port=${PORT:-18000}
ragtune=${RAGTUNE:-.venv/bin/ragtune}

fail() { echo "docker-check: $*" >&2; docker logs "$name" 2>&1 | tail -30 >&2 || true; exit 1; }
now() { date +%s.%N; }
since() { python3 -c 'import sys, time; print(round(time.time() - float(sys.argv[1]), 1))' "$1"; }

if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || fail "no Docker engine: install docker.io (Debian) or Docker"
  (dockerd >/tmp/ragtune-dockerd.log 2>&1 &)
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || fail "dockerd did not start (/tmp/ragtune-dockerd.log)"
fi
base=${BASE_IMAGE:-}
if [ -z "$base" ]; then
  if docker image inspect python:3.11-slim-bookworm >/dev/null 2>&1 || timeout 60 docker pull -q python:3.11-slim-bookworm >/dev/null 2>&1; then
    base=python:3.11-slim-bookworm
  else
    base=ragtune-base:bookworm
    docker/base-image.sh "$base"
  fi
fi
docker/wheelhouse.sh >/dev/null
if [ ! -f artifacts/index/CURRENT ]; then
  "$ragtune" index >/dev/null  # the image serves the host's artifacts; it builds none itself
fi

t0=$(now)
docker build -q -f docker/Dockerfile --build-arg BASE_IMAGE="$base" --build-arg PIP_FROM=wheelhouse -t "$image" . >/dev/null \
  || fail "docker build failed"
build_s=$(since "$t0")
size_mb=$(( $(docker image inspect -f '{{.Size}}' "$image") / 1000000 ))

trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
t0=$(now)
docker run -d --name "$name" -p "127.0.0.1:$port:8000" -v "$PWD/artifacts:/app/artifacts:ro" \
  -e RAGTUNE_SERVE_API_KEYS="[\"$key\"]" "$image" >/dev/null
auth=(-H "Authorization: Bearer $key")
for _ in $(seq 300); do
  curl -fsS "${auth[@]}" "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
  [ "$(docker inspect -f '{{.State.Running}}' "$name")" = true ] || fail "the container exited"
  sleep 1
done
curl -fsS "${auth[@]}" "http://127.0.0.1:$port/ready" >/dev/null || fail "/ready never answered 200"
ready_s=$(since "$t0")

[ "$(docker exec "$name" id -u)" != 0 ] || fail "the server runs as root"
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/ask" -H 'content-type: application/json' -d '{"question":"x"}')" = 401 ] \
  || fail "/ask answered without the key"
t1=$(now)
answer=$(curl -fsS "${auth[@]}" -H 'content-type: application/json' -X POST "http://127.0.0.1:$port/ask" \
  -d '{"question": "Nhân viên được nghỉ phép năm bao nhiêu ngày?", "max_tokens": 64}') || fail "/ask failed"
ask_s=$(since "$t1")
sources=$(echo "$answer" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["sources"]))')
[ "$sources" -gt 0 ] || fail "the answer has no sources: $answer"
docker logs "$name" 2>&1 | grep -q "decoding with ragtune's C kernels" || fail "the server decodes without ragtune's C kernels"

health=starting
for _ in $(seq 90); do
  health=$(docker inspect -f '{{.State.Health.Status}}' "$name")
  [ "$health" = healthy ] && break
  sleep 1
done
[ "$health" = healthy ] || fail "healthcheck says $health"
rw=$(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/app/artifacts"}}{{.RW}}{{end}}{{end}}' "$name")
[ "$rw" = false ] || fail "artifacts are mounted writable"
if docker exec "$name" touch /app/artifacts/.write-test 2>/dev/null; then fail "the artifacts mount accepted a write"; fi

docker rm -f "$name" >/dev/null
printf '{"image": "%s", "base": "%s", "build_s": %s, "image_mb": %s, "start_to_ready_s": %s, "ask_s": %s, "sources": %s, "health": "%s", "user": "non-root", "artifacts_read_only": true}\n' \
  "$image" "$base" "$build_s" "$size_mb" "$ready_s" "$ask_s" "$sources" "$health"
