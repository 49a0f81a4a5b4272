#!/bin/sh
# Entrypoint of the coarsealign images: chooses the GoMLX backend, prints how to reach
# JupyterLab, then runs the command (default: JupyterLab on port 8888).
#
# GOMLX_BACKEND, when set (docker run -e GOMLX_BACKEND=go), is kept. Otherwise XLA is used when
# its PJRT plugin is installed (CUDA when a GPU is visible, else CPU), and the pure-Go backend
# is the fallback.
set -eu
plugin_dir=/usr/local/lib/go-xla
if [ -z "${GOMLX_BACKEND:-}" ]; then
	if ls "$plugin_dir"/nvidia/*cuda*.so >/dev/null 2>&1 && nvidia-smi >/dev/null 2>&1; then
		GOMLX_BACKEND=xla:cuda
	elif ls "$plugin_dir"/*cpu*.so >/dev/null 2>&1; then
		GOMLX_BACKEND=xla:cpu
	else
		echo "coarsealign: no PJRT plugin in $plugin_dir; using the pure-Go backend" >&2
		GOMLX_BACKEND=go
	fi
fi
export GOMLX_BACKEND
echo "coarsealign: GOMLX_BACKEND=$GOMLX_BACKEND (override with -e GOMLX_BACKEND=go|xla:cpu|xla:cuda)" >&2

if [ -z "${JUPYTER_TOKEN:-}" ]; then
	JUPYTER_TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
	export JUPYTER_TOKEN
fi
if [ "${1:-}" = "jupyter" ]; then
	echo "coarsealign: JupyterLab at http://127.0.0.1:${JUPYTER_PORT:-8888}/lab?token=$JUPYTER_TOKEN" >&2
fi
exec "$@"
