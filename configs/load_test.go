package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	c, err := Load("quick")
	if err != nil || c.Name != "quick" {
		t.Fatalf("quick: %+v, %v", c, err)
	}
	b, _ := Read("quick")
	path := filepath.Join(t.TempDir(), "mine.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), "name: quick", "name: mine", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err := Load(path); err != nil || c.Name != "mine" {
		t.Fatalf("file: %+v, %v", c, err)
	}
	// A path that does not exist is not looked up among the embedded configs.
	for _, arg := range []string{"nope", "dir/quick"} {
		if _, err := Load(arg); err == nil || !strings.Contains(err.Error(), "no such file, and not an embedded config (") {
			t.Errorf("%s: %v", arg, err)
		}
	}
}
