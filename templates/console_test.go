package templates

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConsoleLoadsAndOverrides(t *testing.T) {
	c, err := LoadConsole("")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(c.CSS(), []byte("--accent")) {
		t.Fatal("no stylesheet")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "console"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, "console", name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("error.html", `{{template "top" .}}<p class="custom">Call the office: {{.Error}}</p>{{template "bottom" .}}`)
	write("console.css", `body{color:#000}`)
	c, err = LoadConsole(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	data := map[string]any{"Title": "Oops", "Admin": "", "Error": "<script>x</script>", "Notice": "", "Zone": "", "Refresh": 0}
	if err := c.Render(&buf, "error.html", data); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `class="custom"`) || strings.Contains(buf.String(), "<script>") ||
		string(c.CSS()) != `body{color:#000}` {
		t.Fatalf("override not used or not escaped:\n%s", buf.String())
	}
	write("error.html", `{{template "top" .}`)
	if _, err := LoadConsole(dir); err == nil {
		t.Fatal("a broken override loaded")
	}
	// A folder without console/ is fine (message overrides only).
	if _, err := LoadConsole(t.TempDir()); err != nil {
		t.Fatal(err)
	}
}
