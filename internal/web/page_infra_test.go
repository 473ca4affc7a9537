package web

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/infra"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
)

// TestInfraPage draws the stored resolutions of the names in the
// sessions' URLs: the graph inline with a dot per name linked to its
// sessions, the tables, nothing unescaped, both languages.
func TestInfraPage(t *testing.T) {
	ctx := context.Background()
	st, err := duckstore.Open(ctx, filepath.Join(t.TempDir(), "i.duckdb"), duckstore.Options{TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t0 := time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC)
	a := storetest.Telnet("aaaa000000000001", "hp", netip.MustParseAddr("198.51.100.7"), t0, nil, "sh")
	a.URLs = []session.URL{{Time: t0, URL: "http://dl.evil.test/x.sh", Via: "wget"}, {Time: t0, URL: "http://cdn.evil.test/y", Via: "wget"},
		{Time: t0, URL: "http://later.test/z", Via: "wget"}}
	b := storetest.Telnet("bbbb000000000002", "hp", netip.MustParseAddr("198.51.100.8"), t0.Add(72*time.Hour), nil, "sh")
	b.URLs = []session.URL{{Time: t0, URL: "http://other.test/z", Via: "wget"}}
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b1", Sessions: []session.Session{a, b}}); err != nil {
		t.Fatal(err)
	}
	err = st.PutResolutions(ctx, []infra.Resolution{
		{Name: "dl.evil.test", Zone: "evil.test", NS: []string{"ns1.bp.test", "ns2.bp.test"},
			Addrs: []infra.Address{{Addr: netip.MustParseAddr("192.0.2.10"), ASN: 64500}}, At: t0},
		// A stored row is data like any other: markup in it stays text.
		{Name: "cdn.evil.test", Zone: "evil.test", NS: []string{"ns1.bp.test", "<img src=x>.test"}, CNAME: []string{"d1.cloudfront.net"},
			CDN: "Amazon CloudFront", CDNBy: "cname", At: t0},
		{Name: "other.test", Zone: "other.test", NS: []string{"ns.elsewhere.test"}, At: t0},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := newTestHandler(t, Dependencies{Store: st, Resolutions: st}, Configuration{})

	rec := get(t, h, "/infra?from=2026-04-10&to=2026-04-11&lang=en")
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, body(rec))
	}
	page := body(rec)
	for _, want := range []string{
		`<svg`, `<title>dl.evil.test</title>`, `<title>cdn.evil.test · Amazon CloudFront</title>`,
		`href="/sessions?from=2026-04-10&amp;lang=en&amp;to=2026-04-11&amp;q=dl.evil.test"`,
		">ns1.bp.test</td>", "d1.cloudfront.net", "192.0.2.10 (AS64500)", "&lt;img src=x&gt;.test",
		"1 names seen but not resolved yet",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "other.test</") || strings.Contains(page, "<img src=x>") {
		t.Error("page holds a name outside the period or markup unescaped")
	}
	for _, href := range hrefs(t, rec.Body.Bytes()) {
		if strings.HasPrefix(href, "/chart/infra.") || strings.HasPrefix(href, "/csv/infra.") {
			checkDownload(t, h, href)
		}
	}

	ja := body(get(t, h, "/infra?from=2026-04-10&to=2026-04-11&lang=ja"))
	for k, m := range messages {
		if !strings.HasPrefix(k, "inf") || m[0] == m[1] || !strings.Contains(m[0], " ") {
			continue
		}
		if strings.Contains(ja, m[0]) {
			t.Errorf("Japanese page holds the English of %s", k)
		}
	}
	if !strings.Contains(ja, "ネームサーバ") {
		t.Error("Japanese page lacks its words")
	}
}
