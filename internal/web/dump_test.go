package web

import (
	"os"
	"testing"
)

// TestDump writes pages to $WEB_DUMP (a directory) for a look.
func TestDump(t *testing.T) {
	dir := os.Getenv("WEB_DUMP")
	if dir == "" {
		t.Skip("WEB_DUMP not set")
	}
	h := newTestHandler(t, Dependencies{}, Configuration{})
	for name, u := range map[string]string{"overview": "/", "overview-ja": "/?lang=ja", "class": "/class/mirai", "class-ja": "/class/mirai?lang=ja",
		"country": "/country/US", "port": "/port/23-tcp?lang=ja", "asn": "/asn/AS0"} {
		rec := get(t, h, u)
		os.WriteFile(dir+"/"+name+".html", rec.Body.Bytes(), 0o644)
	}
}
