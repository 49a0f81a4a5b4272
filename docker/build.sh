#!/usr/bin/env bash
# Builds the coarsealign Docker images with the versions of ../versions.env as build args.
# Usage: bash docker/build.sh [cpu|cuda] [extra docker build flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
flavour="${1:-cpu}"
shift || true
case "$flavour" in
cpu) file=docker/Dockerfile tag=coarsealign:cpu ;;
cuda) file=docker/Dockerfile.cuda tag=coarsealign:cuda ;;
*) echo "usage: $0 [cpu|cuda] [docker build flags]" >&2; exit 2 ;;
esac
args=()
while IFS='=' read -r key value; do
	[[ "$key" =~ ^[A-Z_][A-Z0-9_]*$ ]] && args+=(--build-arg "$key=$value")
done <versions.env
# The image user gets your uid, so a mounted working tree stays writable.
uid="$(id -u)"
[[ "$uid" == 0 ]] && uid=1000
args+=(--build-arg "USER_UID=$uid")
exec docker build -f "$file" -t "$tag" "${args[@]}" "$@" .
