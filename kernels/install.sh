#!/usr/bin/env bash
# Installs the Jupyter kernel "Go (coarsealign)": GoNB, goimports and gopls at the versions pinned
# in ../versions.env, registered as the kernelspec "coarsealign". Cells import this repository's
# packages at the working-tree version: each notebook's first cell replaces the module
# github.com/coarsealign/coarsealign by the folder above the notebook (${GONB_DIR}/..), so the
# kernel serves any clone (a -go_work baked into the kernelspec would tie it to one clone and
# override the notebooks' own replace).
#
# The kernel runs with GOEXPERIMENT=simd (GoMLX's SIMD matmul kernels) and GOMLX_BACKEND=go
# (pure-Go backend). Kernelspec env values override the environment Jupyter starts with, so the
# backend is chosen at install time: GOMLX_BACKEND=xla bash kernels/install.sh; the value
# "inherit" leaves GOMLX_BACKEND out of the kernelspec (the Docker entrypoint sets it at start).
#
# Usage: bash kernels/install.sh          (or: make kernel)
# Re-running is safe: tools already at the pinned version are kept, the kernelspec is replaced.
#
# Environment:
#   KERNEL_NAME     kernelspec name (default coarsealign)
#   KERNEL_DISPLAY  display name (default "Go (coarsealign)")
#   GOMLX_BACKEND   backend baked into the kernelspec (default go; "inherit" = not baked)
#   SKIP_APT=1      never call apt-get, only print the command
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../versions.env
source "$REPO/versions.env"
: "${GONB_VERSION:?versions.env lacks GONB_VERSION}" "${GOPLS_VERSION:?versions.env lacks GOPLS_VERSION}"
: "${GO_VERSION:?versions.env lacks GO_VERSION}"

KERNEL_NAME="${KERNEL_NAME:-coarsealign}"
KERNEL_DISPLAY="${KERNEL_DISPLAY:-Go (coarsealign)}"
KERNEL_BACKEND="${GOMLX_BACKEND:-go}"

log() { printf 'kernels/install.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --- Go -----------------------------------------------------------------------------------------
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || die "go not found; install Go $GO_VERSION (https://go.dev/dl/) and put it on PATH"
have_go="$(go env GOVERSION)"
if [[ "$have_go" != "go$GO_VERSION" ]]; then
	log "warning: go is $have_go, versions.env pins go$GO_VERSION (go.mod's toolchain line decides what builds)"
fi
GOBIN_DIR="$(go env GOBIN)"
[[ -n "$GOBIN_DIR" ]] || GOBIN_DIR="$(go env GOPATH)/bin"
export PATH="$GOBIN_DIR:$PATH"

# --- Jupyter (Debian packages) ------------------------------------------------------------------
APT_PKGS="jupyter-nbconvert python3-ipykernel jupyter-client python3-nbclient python3-notebook jupyter-notebook"
if ! command -v jupyter >/dev/null || ! jupyter nbconvert --version >/dev/null 2>&1 \
	|| ! jupyter kernelspec --version >/dev/null 2>&1; then
	if [[ "$(id -u)" == 0 && -z "${SKIP_APT:-}" ]] && command -v apt-get >/dev/null; then
		log "installing Jupyter from Debian packages: $APT_PKGS"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $APT_PKGS >/dev/null
	else
		die "Jupyter is missing. On Debian/Ubuntu run:
  sudo apt-get install -y $APT_PKGS
or install JupyterLab with pip (pip install jupyterlab nbconvert), then re-run this script."
	fi
fi

# --- Tools at pinned versions --------------------------------------------------------------------
# modversion BIN prints the main-module version recorded in a Go binary ("" if absent).
modversion() { [[ -x "$1" ]] && go version -m "$1" 2>/dev/null | awk '$1=="mod"{print $3; exit}'; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# GoNB: `go install pkg@version` can fail on a deprecation lookup; installing from inside a
# module works (see docs/toolchain.md).
if [[ "$(modversion "$GOBIN_DIR/gonb")" != "$GONB_VERSION" ]]; then
	log "installing github.com/janpfeifer/gonb@$GONB_VERSION"
	(cd "$WORK" && mkdir gonb && cd gonb && go mod init tmp/gonbinstall >/dev/null 2>&1 \
		&& go get "github.com/janpfeifer/gonb@$GONB_VERSION" && go install github.com/janpfeifer/gonb)
else
	log "gonb $GONB_VERSION already installed"
fi

if [[ "$(modversion "$GOBIN_DIR/gopls")" != "$GOPLS_VERSION" ]]; then
	log "installing golang.org/x/tools/gopls@$GOPLS_VERSION"
	go install "golang.org/x/tools/gopls@$GOPLS_VERSION"
else
	log "gopls $GOPLS_VERSION already installed"
fi

# goimports comes from golang.org/x/tools at the version gopls $GOPLS_VERSION requires, so both
# tools are pinned by the one key GOPLS_VERSION.
GOPLS_MOD="$(go mod download -json "golang.org/x/tools/gopls@$GOPLS_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')"
GOIMPORTS_REV="$(awk '$1=="golang.org/x/tools"{print $2; exit}' "$GOPLS_MOD" 2>/dev/null || true)"
if [[ -z "$GOIMPORTS_REV" ]]; then
	GOIMPORTS_REV="$(grep -E '^[[:space:]]*golang.org/x/tools v' "$GOPLS_MOD" | awk '{print $2; exit}')"
fi
[[ -n "$GOIMPORTS_REV" ]] || die "cannot read the golang.org/x/tools version required by gopls $GOPLS_VERSION from $GOPLS_MOD"
if [[ "$(modversion "$GOBIN_DIR/goimports")" != "$GOIMPORTS_REV" ]]; then
	log "installing golang.org/x/tools/cmd/goimports@$GOIMPORTS_REV"
	go install "golang.org/x/tools/cmd/goimports@$GOIMPORTS_REV"
else
	log "goimports $GOIMPORTS_REV already installed"
fi

# --- Kernelspec -----------------------------------------------------------------------------------
# Written by hand (rather than `gonb --install`, which always writes the kernelspec "gonb" and
# would overwrite a user's own GoNB kernel) with the same argv gonb --install produces.
SPEC="$WORK/$KERNEL_NAME"
mkdir -p "$SPEC"
cp "$(go env GOMODCACHE)/github.com/janpfeifer/gonb@$GONB_VERSION/internal/kernel/Go_gopher_favicon.svg" \
	"$SPEC/logo-svg.svg" 2>/dev/null || true
json_str() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'; }
BACKEND_LINE=""
if [[ "$KERNEL_BACKEND" != inherit ]]; then
	BACKEND_LINE="    \"GOMLX_BACKEND\": \"$(json_str "$KERNEL_BACKEND")\","
fi
cat >"$SPEC/kernel.json" <<EOF
{
  "argv": ["$(json_str "$GOBIN_DIR/gonb")", "--kernel", "{connection_file}"],
  "display_name": "$(json_str "$KERNEL_DISPLAY")",
  "language": "go",
  "interrupt_mode": "message",
  "env": {
    "GOEXPERIMENT": "simd",
$BACKEND_LINE
    "PATH": "$(json_str "$GOBIN_DIR"):$(json_str "$(dirname "$(command -v go)")"):\${PATH}"
  },
  "metadata": {"coarsealign": {"gonb": "$GONB_VERSION", "gopls": "$GOPLS_VERSION", "goimports": "$GOIMPORTS_REV"}}
}
EOF
jupyter kernelspec install --user --replace --name "$KERNEL_NAME" "$SPEC" >/dev/null
log "kernel \"$KERNEL_DISPLAY\" installed as kernelspec $KERNEL_NAME:"
jupyter kernelspec list | grep -E "^\s*$KERNEL_NAME\s" >&2 || die "kernelspec $KERNEL_NAME not listed by jupyter kernelspec list"
