# coarsealign: build, test, benchmark. Every Go command runs with GOEXPERIMENT=simd,
# which enables the SIMD matmul kernels of GoMLX's pure-Go backend (2.5-2.8x faster).
export GOEXPERIMENT := simd
export GOMLX_BACKEND ?= go
# Tests and CI read the shared data beside the repository unless told otherwise.
export COARSEALIGN_DATA ?= $(abspath ../shared/data)

GO ?= go
BIN := bin/coarsealign

.PHONY: all build test test-long vet demo demo-smoke rsa-check train-cifar test-cifar bench-train bench-epoch bench-metrics bench-data bench-gemm generate \
	fuzz kernel notebooks notebooks-update jupyter data-fetch test-slurm clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/coarsealign

vet:
	$(GO) vet ./...

# The test command of the README and of .ci/run.
test: vet
	$(GO) test -short -timeout 40m ./...

# Long tests (full trainings, real-data NumPy interop) that stay out of CI.
test-long:
	$(GO) test -timeout 3h ./...

# The main job on defaults: the quick granularity sweep on CIFAR-10 (about 20 minutes on 2 cores),
# its evaluation against macaque IT, human IT and human judgements, and the headline figures.
demo: build
	./$(BIN) demo

# A few-minute smoke version of the demo.
demo-smoke: build
	./$(BIN) demo --quick

# The rsatoolbox check on the 92-image data (Spearman of macaque IT vs human IT: 0.4389238094).
rsa-check: build
	./$(BIN) rsa compare --method spearman kriegeskorte92:mIT kriegeskorte92:hIT

# The issue-3 check: AlexNet-BN (width 1/4) on all of CIFAR-10 at 32x32, 10 epochs
# (measured: 76.06% test accuracy, 29m43s on 2 shared cores).
train-cifar: build
	./$(BIN) train --images cifar10 --epochs 10 --warmup-epochs 2 --width 0.25 --batch 32 --seed 1 --out runs/cifar10-alexnet

# The same as a long test (not in CI).
test-cifar:
	COARSEALIGN_LONG=1 $(GO) test -run CIFAR10AlexNetLong -timeout 4h ./cmd/coarsealign

data-fetch: build
	./$(BIN) data fetch

# Training throughput against PyTorch CPU (needs Debian python3-torch); prints ratio=X.XX per workload.
bench-train:
	bash bench/train/run.sh

# One CIFAR-10 epoch through `coarsealign train` (data pipeline included) against PyTorch's (a few minutes).
bench-epoch:
	bash bench/train/epoch.sh

# Metric speed against numpy/scipy/sklearn (Debian python3-scipy, python3-sklearn); prints ratio=X.XX per row.
bench-metrics:
	bash bench/metrics/rsa.sh
	bash bench/metrics/ridge.sh

# GEMM rate beside the measured FMA peak (square and training shapes; also run by bench-train).
bench-gemm:
	$(GO) run ./bench/gemm

# Regenerate the avo assembly kernels of internal/gemm (a test checks they are up to date).
generate:
	$(GO) generate ./internal/gemm

bench-data:
	$(GO) test -run '^$$' -bench . -benchtime 3x ./pkg/data/images ./pkg/coarse

# Fuzz the readers of outside data: MAT and NPY files, sweep configs (sweep.Parse), features
# index.json (features.ParseIndex); FUZZTIME each (not in CI; e.g. make fuzz FUZZTIME=5m).
FUZZTIME ?= 20s
fuzz:
	$(GO) test -run '^$$' -fuzz='^FuzzRead$$' -fuzztime=$(FUZZTIME) ./pkg/data/matfile
	$(GO) test -run '^$$' -fuzz='^FuzzReadNPY$$' -fuzztime=$(FUZZTIME) ./pkg/data/npy
	$(GO) test -run '^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./pkg/sweep
	$(GO) test -run '^$$' -fuzz='^FuzzParseIndex$$' -fuzztime=$(FUZZTIME) ./pkg/features
	$(GO) test -run '^$$' -fuzz='^FuzzDecode$$' -fuzztime=$(FUZZTIME) ./pkg/data/idx

# The GoNB Jupyter kernel "Go (coarsealign)".
kernel:
	bash kernels/install.sh

# Execute every notebook headless against a small cached sweep and check their figures.
notebooks:
	bash scripts/notebooks/run.sh

# Same, writing the executed notebooks (with outputs, paths scrubbed) back into notebooks/.
notebooks-update:
	bash scripts/notebooks/run.sh --update

# JupyterLab in Docker on localhost (where Docker runs), the repository mounted.
jupyter:
	docker compose --env-file versions.env -f docker/compose.yaml up --build jupyter

# scripts/slurm/sweep.sbatch on a real single-node Slurm cluster on localhost (installs Debian's
# slurm-wlm and munge when missing; as root): sharded == unsharded table, cancel + requeue resumes.
test-slurm:
	bash scripts/slurm/test.sh

clean:
	rm -rf bin
