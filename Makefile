# coarsealign: build, test, benchmark. Every Go command runs with GOEXPERIMENT=simd,
# which enables the SIMD matmul kernels of GoMLX's pure-Go backend (2.5-2.8x faster).
export GOEXPERIMENT := simd
export GOMLX_BACKEND ?= go
# Tests and CI read the shared data beside the repository unless told otherwise.
export COARSEALIGN_DATA ?= $(abspath ../shared/data)

GO ?= go
BIN := bin/coarsealign

.PHONY: all build test test-long vet demo bench bench-train bench-metrics fuzz kernel notebooks clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/coarsealign

vet:
	$(GO) vet ./...

# The test command of the README and of .ci/run.
test: vet
	$(GO) test -short -timeout 30m ./...

# Long tests (full trainings, long fuzzing) that stay out of CI.
test-long:
	$(GO) test -timeout 3h ./...

# The main job on defaults.
demo: build
	./$(BIN) rsa compare --method spearman kriegeskorte92:mIT kriegeskorte92:hIT

clean:
	rm -rf bin
