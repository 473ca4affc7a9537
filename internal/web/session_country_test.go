package web

import (
	"context"
	"encoding/csv"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
)

// TestSessionCountry checks that a session stored without its source's
// country is shown with the country Dependencies.Locate places the source
// in (the list, its CSV and the session's page), that a stored country is
// kept, and that without Locate nothing is made up.
func TestSessionCountry(t *testing.T) {
	ctx := context.Background()
	st, err := duckstore.Open(ctx, filepath.Join(t.TempDir(), "c.duckdb"), duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 5, 3, 6, 0, 0, 0, time.UTC)
	bare := storetest.Telnet("00000000000000c1", "hp", netip.MustParseAddr("198.51.100.41"), at, nil, "uname -a")
	bare.Country = ""
	kept := storetest.HTTP("00000000000000c2", "hp", netip.MustParseAddr("198.51.100.42"), at.Add(time.Hour), "/")
	if kept.Country != "US" {
		t.Fatalf("the HTTP session of storetest has country %q, want US", kept.Country)
	}
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "c-b1", Sessions: []session.Session{bare, kept}}); err != nil {
		t.Fatal(err)
	}
	var asked []netip.Addr
	locate := func(a netip.Addr) string {
		asked = append(asked, a)
		return "NL"
	}
	countries := func(h *Handler) map[string]string {
		t.Helper()
		rec := get(t, h, "/csv/sessions.list.csv")
		if rec.Code != 200 {
			t.Fatalf("sessions CSV: %d", rec.Code)
		}
		recs, err := csv.NewReader(strings.NewReader(body(rec))).ReadAll()
		if err != nil || len(recs) != 3 {
			t.Fatalf("sessions CSV: %v, %d records", err, len(recs))
		}
		idc, cc := -1, -1
		for i, h := range recs[0] {
			switch h {
			case "id":
				idc = i
			case "country":
				cc = i
			}
		}
		out := map[string]string{}
		for _, r := range recs[1:] {
			out[r[idc]] = r[cc]
		}
		return out
	}
	plain := newTestHandler(t, Dependencies{Store: st}, Configuration{})
	if got := countries(plain); got["00000000000000c1"] != "" || got["00000000000000c2"] != "US" {
		t.Errorf("without Locate: countries %v, want none and US", got)
	}
	if page := body(get(t, plain, "/session/00000000000000c1")); strings.Contains(page, "Netherlands") {
		t.Error("without Locate the session page names a country")
	}
	h := newTestHandler(t, Dependencies{Store: st, Locate: locate}, Configuration{})
	if got := countries(h); got["00000000000000c1"] != "NL" || got["00000000000000c2"] != "US" {
		t.Errorf("with Locate: countries %v, want NL (looked up) and US (stored)", got)
	}
	for _, a := range asked {
		if a != bare.Src {
			t.Errorf("Locate asked for %v: only the session without a country needs it", a)
		}
	}
	list := body(get(t, h, "/sessions"))
	if !strings.Contains(list, `href="/country/NL`) {
		t.Error("the sessions list does not link the looked-up country to its page")
	}
	if page := body(get(t, h, "/session/00000000000000c1")); !strings.Contains(page, "Netherlands") {
		t.Error("the session page does not name the looked-up country")
	}
	if page := body(get(t, h, "/session/00000000000000c1?lang=ja")); !strings.Contains(page, "オランダ") {
		t.Error("the Japanese session page does not name the country in Japanese")
	}
}
