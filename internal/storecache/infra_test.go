package storecache

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/infra"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// TestResolutionsPassThrough: resolutions go to the underlying store and
// back, and a write moves the generation on.
func TestResolutionsPassThrough(t *testing.T) {
	ctx := context.Background()
	st, err := duckstore.Open(ctx, filepath.Join(t.TempDir(), "s.duckdb"), duckstore.Options{TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := New(st, Options{})
	g := c.Generation()
	r := infra.Resolution{Name: "a.evil.test", Zone: "evil.test", NS: []string{"ns1.h.test"}, At: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
	if err := c.PutResolutions(ctx, []infra.Resolution{r}); err != nil {
		t.Fatal(err)
	}
	if c.Generation() == g {
		t.Error("a write left the generation")
	}
	got, err := c.Resolutions(ctx, []string{"a.evil.test"})
	if err != nil || len(got) != 1 || got[0].NS[0] != "ns1.h.test" {
		t.Errorf("%+v %v", got, err)
	}
}
