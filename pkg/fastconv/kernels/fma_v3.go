//go:build amd64.v3 || amd64.v4

package kernels

// compilerFusesFMA: see fma_v1.go.
const compilerFusesFMA = true
