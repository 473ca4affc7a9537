package owner

import (
	"context"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/infra"
)

// TestResolutionsThroughOwner stores and reads resolutions through the
// guarded view, and refuses them once the component stops.
func TestResolutionsThroughOwner(t *testing.T) {
	c, _ := newComponent(t)
	ctx := context.Background()
	rst, ok := c.Store().(infra.ResolutionStore)
	if !ok {
		t.Fatal("the guarded view keeps no resolutions")
	}
	r := infra.Resolution{Name: "a.evil.test", Zone: "evil.test", NS: []string{"ns1.h.test"}, At: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
	if err := rst.PutResolutions(ctx, []infra.Resolution{r}); err != nil {
		t.Fatal(err)
	}
	got, err := rst.Resolutions(ctx, []string{"a.evil.test"})
	if err != nil || len(got) != 1 || got[0].Name != r.Name || got[0].NS[0] != "ns1.h.test" {
		t.Fatalf("%+v %v", got, err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := rst.Resolutions(ctx, nil); err == nil {
		t.Error("read after Stop")
	}
}
