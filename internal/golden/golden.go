// Package golden compares text a test renders with testdata/<test name>.golden
// beside the test, and rewrites the file with -update.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the rendered output")

// Check compares got with testdata/<test name>.golden, or rewrites it with -update.
func Check(t *testing.T, got string) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(t.Name())+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test . -run %s -update in its package): %v", t.Name(), err)
	}
	if got != string(want) {
		t.Errorf("rendered text differs from %s (rerun with -update and review the diff):\n%s", path, got)
	}
}
