package web

import (
	"strings"
	"testing"
)

// TestDomesticCountry: the navigation links the configured domestic
// country's page; a bad code is refused.
func TestDomesticCountry(t *testing.T) {
	h := newTestHandler(t, Dependencies{Country: "us"}, Configuration{})
	b := body(get(t, h, "/"))
	if !strings.Contains(b, `href="/country/US"`) || !strings.Contains(b, "Domestic (United States)") {
		t.Error("no domestic entry for US")
	}
	jp := newTestHandler(t, Dependencies{}, Configuration{})
	if !strings.Contains(body(get(t, jp, "/?lang=ja")), "国内 (日本)") {
		t.Error("the default domestic country is not Japan")
	}
	if _, err := New(Dependencies{Store: openTestStore(t), Country: "Japan"}, Configuration{}); err == nil {
		t.Error("a bad domestic country accepted")
	}
	if _, err := New(Dependencies{}, Configuration{}); err == nil {
		t.Error("no store accepted")
	}
}

// BenchmarkPages measures the server time of each page over the test
// store (build and render, no network).
func BenchmarkPages(b *testing.B) {
	h := newTestHandler(b, Dependencies{}, Configuration{})
	for _, u := range []string{"/", "/class/mirai", "/country/US", "/port/23-tcp", "/asn/AS0"} {
		b.Run(strings.ReplaceAll(strings.Trim(u, "/"), "/", "_"), func(b *testing.B) {
			for b.Loop() {
				if rec := get(b, h, u); rec.Code != 200 {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}
