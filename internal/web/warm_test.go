package web

import (
	"context"
	"testing"
)

// TestWarm: Warm builds every default view without a login, and a login
// is still asked of real requests.
func TestWarm(t *testing.T) {
	h := newTestHandler(t, Dependencies{Login: func(context.Context, string, string) bool { return false }}, Configuration{})
	if err := h.Warm(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if rec := get(t, h, "/class/mirai"); rec.Code != 303 {
		t.Fatalf("a request without a login: %d, want the login redirect", rec.Code)
	}
	if err := h.Warm(context.Background(), []string{"/class/nothing"}); err == nil {
		t.Fatal("a bad page warmed without an error")
	}
}
