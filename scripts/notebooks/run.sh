#!/usr/bin/env bash
# Executes every notebook (notebooks/NN_*.ipynb) headless on the "Go (coarsealign)" kernel and
# checks the results: a cell error, an unexecuted cell, a figure not shown inline or not saved
# (SVG + PNG + CSV in the figure folder) fails the run. So does breaking the limits on the
# notebooks' code, checked first (check.py --sources: no code cell over 30 lines, no code cell of
# more than 5 lines repeated verbatim in two notebooks).
#
# Usage: bash scripts/notebooks/run.sh [--update] [NOTEBOOK...]
#   --update   write the executed notebooks (with outputs, absolute paths scrubbed) back into
#              notebooks/, for committing; default: execute into a scratch folder only.
#
# Environment:
#   COARSEALIGN_DATA   data directory (default ../shared/data beside the repository)
#   COARSEALIGN_RUNS   sweep output folder the notebooks read (default runs/ci-sweep)
#   COARSEALIGN_SWEEP_CONFIG  sweep config (file or shipped name) run into COARSEALIGN_RUNS before the
#                      notebooks (resumable: finished runs are skipped) and read by them
#                      (default notebooks/ci-sweep.yaml, a few minutes on 2 cores)
#   NB_TIMEOUT         per-cell timeout in seconds (default 900)
#   NB_OUT             folder for executed copies (default a temporary folder)
#   COARSEALIGN_FIGURES  where notebooks save figures (default: NB_OUT/figures; --update: figures/)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$REPO"
export PATH="/usr/local/go/bin:$PATH"
export PATH="$(go env GOPATH)/bin:$PATH"
export GOEXPERIMENT=simd
export GOMLX_BACKEND="${GOMLX_BACKEND:-go}"
export COARSEALIGN_DATA="${COARSEALIGN_DATA:-$(cd .. && pwd)/shared/data}"
export COARSEALIGN_RUNS="${COARSEALIGN_RUNS:-$REPO/runs/ci-sweep}"
SWEEP_CONFIG="${COARSEALIGN_SWEEP_CONFIG:-notebooks/ci-sweep.yaml}"
# The notebooks read the same config (a path, or a shipped name such as quick).
if [[ -f "$SWEEP_CONFIG" ]]; then SWEEP_CONFIG="$(cd "$(dirname "$SWEEP_CONFIG")" && pwd)/$(basename "$SWEEP_CONFIG")"; fi
export COARSEALIGN_SWEEP_CONFIG="$SWEEP_CONFIG"
TIMEOUT="${NB_TIMEOUT:-900}"

update=0
if [[ "${1:-}" == "--update" ]]; then update=1; shift; fi
if [[ $# -gt 0 ]]; then nbs=("$@"); else nbs=(notebooks/[0-9][0-9]_*.ipynb); fi
[[ -e "${nbs[0]}" ]] || { echo "run.sh: no notebooks found" >&2; exit 1; }

log() { printf 'notebooks/run.sh: %s\n' "$*" >&2; }

# 0. The limits on the notebooks' code, over all of them (repeats are between notebooks). A
# failure is reported, and the notebooks still run, so one CI log shows every problem.
status=0
/usr/bin/python3 scripts/notebooks/check.py --sources notebooks/[0-9][0-9]_*.ipynb || status=1
# Jupyter's Python prints debugger warnings on start; keep CI logs readable.
export PYDEVD_DISABLE_FILE_VALIDATION=1

# 1. Kernel (idempotent: tools at the pinned versions are kept; the kernelspec points here).
bash kernels/install.sh

# 2. The small cached sweep the notebooks read: resumable, so done runs are skipped.
bin="$REPO/bin/coarsealign"
if ! go build -o "$bin" ./cmd/coarsealign; then
	log "warning: the CLI does not build; no sweep run"
	rm -f "$bin"
fi
if [[ -x "$bin" ]] && "$bin" sweep run -h >/dev/null 2>&1; then
	log "sweep $SWEEP_CONFIG -> $COARSEALIGN_RUNS"
	start=$SECONDS
	mkdir -p "$COARSEALIGN_RUNS"
	if ! "$bin" sweep run "$SWEEP_CONFIG" --out "$COARSEALIGN_RUNS" >"$COARSEALIGN_RUNS/sweep.log" 2>&1; then
		tr '\r' '\n' <"$COARSEALIGN_RUNS/sweep.log" | tail -n 30 >&2
		log "sweep FAILED (log: $COARSEALIGN_RUNS/sweep.log)"
		exit 1
	fi
	grep -E '^(ran|results)' "$COARSEALIGN_RUNS/sweep.log" >&2 || true
	log "sweep took $((SECONDS - start)) s"
else
	log "no sweep run (config $SWEEP_CONFIG or 'coarsealign sweep run' missing); notebooks use what $COARSEALIGN_RUNS holds"
fi

# 3. Execute and check each notebook.
out="${NB_OUT:-$(mktemp -d)}"
mkdir -p "$out"
# Check runs keep the committed figures/ untouched; --update regenerates them.
if [[ $update == 0 ]]; then export COARSEALIGN_FIGURES="${COARSEALIGN_FIGURES:-$out/figures}"; fi
figdir="${COARSEALIGN_FIGURES:-$REPO/figures}"
mkdir -p "$figdir"
for nb in "${nbs[@]}"; do
	name="$(basename "$nb")"
	start=$SECONDS
	touch "$out/.stamp-$name"
	# --allow-errors keeps executing and saves the outputs, so check.py can report the failing cell
	# with its message; check.py (below) fails the run on any error output.
	if jupyter nbconvert --to notebook --execute --allow-errors \
		--ExecutePreprocessor.timeout="$TIMEOUT" \
		--ExecutePreprocessor.kernel_name=coarsealign \
		--output-dir "$out" "$nb" 2>"$out/$name.log"; then
		log "$name executed in $((SECONDS - start)) s"
	else
		# The kernel's own log lines (klog: I/W/E + date) are kept in the log file only.
		grep -v -E '^[IWE][0-9]{4} |^goroutine |^\s|^(main|github\.com)' "$out/$name.log" | tail -n 40 >&2 || true
		log "$name FAILED after $((SECONDS - start)) s (full log: $out/$name.log)"
		status=1
		continue
	fi
	# Every figure shown must also be saved (SVG + PNG + CSV) by the notebook.
	if ! grep -q '"figures": false' "$nb"; then
		for ext in svg png csv; do
			if [[ -z "$(find "$figdir" -maxdepth 1 -name "*.$ext" -newer "$out/.stamp-$name" -print -quit)" ]]; then
				log "$name saved no .$ext figure file in $figdir"
				status=1
			fi
		done
	fi
	if [[ $update == 1 ]]; then
		/usr/bin/python3 scripts/notebooks/check.py --scrub "$REPO" "$out/$name" || status=1
		cp "$out/$name" "$nb"
	else
		/usr/bin/python3 scripts/notebooks/check.py "$out/$name" || status=1
	fi
done
[[ $update == 1 ]] && log "updated notebooks in notebooks/ (executed copies in $out)"
exit $status
