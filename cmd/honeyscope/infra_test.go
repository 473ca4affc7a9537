package main

import (
	"context"
	"encoding/csv"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
)

// loopbackDNS serves fixed records on loopback and counts the queries.
func loopbackDNS(t *testing.T, records string) (addr string, queries *atomic.Int64) {
	t.Helper()
	rrs := map[string][]dns.RR{}
	zp := dns.NewZoneParser(strings.NewReader(records), ".", "fixture")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs[rr.Header().Name] = append(rrs[rr.Header().Name], rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n := new(atomic.Int64)
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		n.Add(1)
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		have := false
		for _, rr := range rrs[strings.ToLower(q.Name)] {
			have = true
			if rr.Header().Rrtype == q.Qtype || rr.Header().Rrtype == dns.TypeCNAME {
				m.Answer = append(m.Answer, rr)
			}
		}
		if !have {
			m.Rcode = dns.RcodeNameError
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String(), n
}

const infraRecords = `
evil.test.        60 IN NS    ns1.bulletproof.test.
evil.test.        60 IN NS    ns2.bulletproof.test.
dl.evil.test.     60 IN A     192.0.2.10
cdn.evil.test.    60 IN CNAME d1.cloudfront.net.
d1.cloudfront.net. 60 IN A    192.0.2.20
cloudfront.net.   60 IN NS    ns.aws.test.
other.test.       60 IN NS    ns1.bulletproof.test.
x.other.test.     60 IN A     192.0.2.30
`

func TestInfraGraphCLI(t *testing.T) {
	ctx := context.Background()
	addr, queries := loopbackDNS(t, infraRecords)
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	st, err := duckstore.Open(ctx, db, duckstore.Options{TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 4, 10, 12, 0, 0, 0, time.UTC)
	a := storetest.Telnet("aaaa000000000001", "tokyo", netip.MustParseAddr("198.51.100.7"), t0, nil, "sh")
	a.URLs = []session.URL{{Time: t0, URL: "http://dl.evil.test/x.sh", Via: "wget"}, {Time: t0, URL: "tftp://192.0.2.99/y", Via: "tftp"}}
	b := storetest.Telnet("bbbb000000000002", "tokyo", netip.MustParseAddr("198.51.100.8"), t0.Add(24*time.Hour), nil, "sh")
	b.URLs = []session.URL{{Time: t0, URL: "http://cdn.evil.test/z", Via: "curl"}}
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "t1", Sessions: []session.Session{a, b}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	names := filepath.Join(dir, "names.txt")
	if err := os.WriteFile(names, []byte("# extra\nx.other.test\nnxd.nowhere.test\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "g")
	msg, err := run(t, "infra", "graph", "--db", db, "--from", "2026-04-10", "--to", "2026-04-11", "--names", names,
		"--resolver", addr, "--out", out, "--width", "600", "--height", "400", "--scale", "1")
	if err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	if !strings.Contains(msg, "4 names") || !strings.Contains(msg, "3 names, 2 name servers, 5 edges (1 names without name servers)") {
		t.Errorf("progress:\n%s", msg)
	}
	f, err := os.Open(filepath.Join(out, "edges.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range recs[1:] {
		rows = append(rows, strings.Join(r, ","))
	}
	want := []string{
		"cdn.evil.test,evil.test,ns1.bulletproof.test,Amazon CloudFront,cname,192.0.2.20,0",
		"cdn.evil.test,evil.test,ns2.bulletproof.test,Amazon CloudFront,cname,192.0.2.20,0",
		"dl.evil.test,evil.test,ns1.bulletproof.test,,,192.0.2.10,0",
		"dl.evil.test,evil.test,ns2.bulletproof.test,,,192.0.2.10,0",
		"x.other.test,other.test,ns1.bulletproof.test,,,192.0.2.30,0",
	}
	if !slices.Equal(rows, want) {
		t.Errorf("edges.csv:\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	svg, err := os.ReadFile(filepath.Join(out, "graph.svg"))
	if err != nil || !strings.Contains(string(svg), "Amazon CloudFront") || !strings.Contains(string(svg), "ns1.bulletproof.test") {
		t.Errorf("graph.svg: %v", err)
	}
	for _, name := range []string{"graph.png", "edges.json"} {
		if fi, err := os.Stat(filepath.Join(out, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}

	// Drawn again from the store: no query.
	before := queries.Load()
	out2 := filepath.Join(dir, "g2")
	if msg, err := run(t, "infra", "graph", "--db", db, "--names", names, "--from", "2026-04-10", "--stored", "--out", out2,
		"--width", "600", "--height", "400", "--scale", "1"); err != nil {
		t.Fatalf("--stored: %v\n%s", err, msg)
	}
	if q := queries.Load(); q != before {
		t.Errorf("--stored asked %d queries", q-before)
	}
	again, _ := os.ReadFile(filepath.Join(out2, "edges.csv"))
	first, _ := os.ReadFile(filepath.Join(out, "edges.csv"))
	if string(again) != string(first) {
		t.Errorf("stored graph differs:\n%s", again)
	}

	if _, err := run(t, "infra", "graph", "--db", db, "--resolver", addr); err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("without --out: %v", err)
	}
}
