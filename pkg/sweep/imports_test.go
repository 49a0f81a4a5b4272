package sweep

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The sweep core stays light: it never imports GoMLX or the training stack (the real pipeline
// lives in pkg/sweep/study), so its tests and the results tooling build fast.
func TestCoreImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(fset, f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			p := strings.Trim(im.Path.Value, `"`)
			if strings.Contains(p, "gomlx") || strings.HasSuffix(p, "/pkg/train") || strings.HasSuffix(p, "/pkg/plots") {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
