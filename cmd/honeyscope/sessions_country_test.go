package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
)

// TestSessionsCountryLookedUp checks that `sessions` shows a session
// stored without a country with the one the (built-in) GeoIP databases
// place its source in, in the table, the transcript and JSON, and keeps a
// stored one.
func TestSessionsCountryLookedUp(t *testing.T) {
	l, err := geo.Open(geo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	// An address the built-in databases place in a country.
	var src netip.Addr
	var want string
	for _, a := range []string{"1.0.16.1", "8.8.8.8", "81.2.69.142", "202.12.27.33", "5.9.0.1"} {
		if cc := l.Lookup(netip.MustParseAddr(a)).Country; len(cc) == 2 && cc != "ZZ" && cc != "??" {
			src, want = netip.MustParseAddr(a), cc
			break
		}
	}
	l.Close()
	if !src.IsValid() {
		t.Fatal("the built-in GeoIP places none of the test addresses in a country")
	}
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "c.duckdb")
	st, err := duckstore.Open(ctx, db, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 6, 0, 0, 0, time.UTC)
	bare := storetest.Telnet("dddd000000000001", "tokyo", src, at, nil, "uname -a")
	bare.Country = ""
	kept := storetest.HTTP("dddd000000000002", "tokyo", netip.MustParseAddr("198.51.100.8"), at.Add(time.Hour), "/")
	err = st.CommitSessions(ctx, store.SessionBatch{ID: "c1", Sessions: []session.Session{bare, kept}})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "sessions", "--db", db)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if row := lineWith(out, src.String()); !strings.Contains(row, want+" "+geo.CountryName(want, "en")) {
		t.Errorf("row of %v: %q, want country %s", src, row, want)
	}
	if row := lineWith(out, "198.51.100.8"); !strings.Contains(row, kept.Country+" ") {
		t.Errorf("row of the session stored with %s: %q", kept.Country, row)
	}
	out, err = run(t, "sessions", "--db", db, "--id", bare.ID)
	if err != nil || !strings.Contains(out, "("+want+" ") {
		t.Errorf("transcript: %v, want country %s in\n%s", err, want, out)
	}
	out, err = run(t, "sessions", "--db", db, "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var got []session.Session
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	byID := map[string]string{}
	for _, s := range got {
		byID[s.ID] = s.Country
	}
	if byID[bare.ID] != want || byID[kept.ID] != kept.Country {
		t.Errorf("json countries %v, want %s (looked up) and %s (stored)", byID, want, kept.Country)
	}
}

// TestPlaceSessionsOpensOnlyWhenNeeded: sessions that all have a
// country need no GeoIP database, and a failure to open one is reported.
func TestPlaceSessionsOpensOnlyWhenNeeded(t *testing.T) {
	fail := func() (*locator, error) { return nil, errors.New("no databases") }
	ss := []session.Session{{ID: "a", Src: netip.MustParseAddr("192.0.2.1"), Country: "JP"}}
	if err := placeSessions(ss, fail); err != nil {
		t.Errorf("opened the databases for sessions that have countries: %v", err)
	}
	ss = append(ss, session.Session{ID: "b", Src: netip.MustParseAddr("192.0.2.2")})
	if err := placeSessions(ss, fail); err == nil {
		t.Error("a failure to open the databases was not reported")
	}
}

// lineWith is the first line of out containing s.
func lineWith(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
