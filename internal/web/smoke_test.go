package web

import "testing"

func TestSmoke(t *testing.T) {
	h := newTestHandler(t, Dependencies{}, Configuration{})
	for _, u := range []string{"/", "/?lang=ja"} {
		rec := get(t, h, u)
		if rec.Code != 200 {
			t.Fatalf("%s: %d %s", u, rec.Code, body(rec))
		}
	}
}
