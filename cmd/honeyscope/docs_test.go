package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/honeyscope/honeyscope/internal/geo"
)

// TestCommandDocsCurrent fails when docs/commands.md differs from --help.
func TestCommandDocsCurrent(t *testing.T) {
	want := commandsMarkdown(newRoot())
	got, err := os.ReadFile("../../docs/commands.md")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("docs/commands.md is stale (err %v): run go run ./cmd/honeyscope docs --out docs/commands.md", err)
	}
}

// TestNoticeCurrent fails when the repository's NOTICE lacks the GeoIP
// attribution compiled into the binary.
func TestNoticeCurrent(t *testing.T) {
	got, err := os.ReadFile("../../NOTICE")
	if err != nil || !bytes.Contains(got, []byte(geo.Notice)) {
		t.Fatalf("NOTICE must contain internal/geo/NOTICE.txt (err %v)", err)
	}
}
