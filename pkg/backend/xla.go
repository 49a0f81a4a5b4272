//go:build cgo && !noxla && ((linux && (amd64 || arm64)) || (darwin && arm64))

package backend

import _ "github.com/gomlx/go-xla/compute/xla" // registers the "xla" backend.

func init() { xlaAvailable = true }
