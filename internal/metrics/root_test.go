package metrics

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/daemon"
)

func TestHandler(t *testing.T) {
	c, err := New(daemon.NewReporter(nil), DefaultConfiguration(), Dependencies{Version: "9.9.9-test"})
	if err != nil {
		t.Fatal(err)
	}
	c.IngestQueue().Set(3)
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		"honeyscope_ingest_queue_length 3",
		`honeyscope_build_info{version="9.9.9-test"} 1`,
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
