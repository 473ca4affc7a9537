package web

import "testing"

func TestSmoke(t *testing.T) {
	h := newTestHandler(t, Dependencies{}, Configuration{})
	for _, u := range []string{"/", "/?lang=ja", "/class/mirai", "/class/access?country=US", "/country/US", "/port/23-tcp", "/asn/AS0", "/port/23?country=US&class=mirai"} {
		rec := get(t, h, u)
		if rec.Code != 200 {
			t.Errorf("%s: %d %s", u, rec.Code, body(rec))
		}
	}
}
