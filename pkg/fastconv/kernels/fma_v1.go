//go:build !amd64.v3 && !amd64.v4

package kernels

// compilerFusesFMA reports whether the Go compiler may fuse x*y+z into one FMA in pure-Go math
// code (amd64 from GOAMD64=v3); the vector reimplementations of math functions are bitwise
// equal to the scalar ones only when it does not.
const compilerFusesFMA = false
