package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated blocks of docs/honeypot.md")

// repoFile is a file of the repository, from this package's directory.
func repoFile(name string) string { return filepath.Join("..", "..", filepath.FromSlash(name)) }

// docBlock finds the fenced block of the given language that follows
// marker in doc: the start and end of its content.
func docBlock(t *testing.T, doc, marker, lang string) (int, int) {
	t.Helper()
	m := strings.Index(doc, marker)
	if m < 0 {
		t.Fatalf("docs/honeypot.md lacks the marker %q", marker)
	}
	open := "```" + lang + "\n"
	s := strings.Index(doc[m:], open)
	if s < 0 {
		t.Fatalf("no ```%s block after %q", lang, marker)
	}
	start := m + s + len(open)
	e := strings.Index(doc[start:], "```\n")
	if e < 0 {
		t.Fatalf("the ```%s block after %q is not closed", lang, marker)
	}
	return start, start + e
}

// TestDocs: docs/honeypot.md holds Example() and deploy/honeyscope.service
// verbatim (-update rewrites them).
func TestDocs(t *testing.T) {
	docPath := repoFile("docs/honeypot.md")
	data, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	unit, err := os.ReadFile(repoFile("deploy/honeyscope.service"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, b := range []struct{ marker, lang, want, what string }{
		{"config.Example()", "yaml", Example(), "config.Example()"},
		{"deploy/honeyscope.service;", "ini", string(unit), "deploy/honeyscope.service"},
	} {
		start, end := docBlock(t, doc, b.marker, b.lang)
		if doc[start:end] == b.want {
			continue
		}
		if *update {
			doc = doc[:start] + b.want + doc[end:]
			continue
		}
		t.Errorf("docs/honeypot.md: the block after %q is not %s; run go test ./internal/config -run TestDocs -update", b.marker, b.what)
	}
	if *update && doc != string(data) {
		if err := os.WriteFile(docPath, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The unit holds what the guide says it does.
	for _, want := range []string{
		"AmbientCapabilities=CAP_NET_BIND_SERVICE", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
		"NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/honeyscope",
		"PrivateTmp=yes", "RestrictAddressFamilies=", "SystemCallFilter=@system-service", "MemoryMax=",
	} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("deploy/honeyscope.service lacks %s", want)
		}
	}
	// The guide links the pages of the tables and of the Cowrie format.
	for _, link := range []string{"(store.md)", "(cowrie.md)"} {
		if !strings.Contains(doc, link) {
			t.Errorf("docs/honeypot.md does not link %s", link)
		}
	}
}
