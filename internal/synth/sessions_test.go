package synth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/cowrie"
	"github.com/honeyscope/honeyscope/internal/session"
)

func twoSensors() []SessionSensor {
	return []SessionSensor{
		{Name: "open", Net: DefaultSensorNet},
		{Name: "domestic", Net: DefaultSensorNet2, AllowCountries: []string{"JP"}},
	}
}

func TestSessionsDeterministicAndCounted(t *testing.T) {
	opt := SessionOptions{Seed: 7, Days: 5, PerDay: 30, Sensors: twoSensors(), Pool: newPool(), Hostile: true}
	a, ta, err := Sessions(opt)
	if err != nil {
		t.Fatal(err)
	}
	b, tb, err := Sessions(opt)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) || ta != tb {
		t.Fatal("same seed and options gave different sessions")
	}
	opt.Seed = 8
	c, _, _ := Sessions(opt)
	if reflect.DeepEqual(a, c) {
		t.Error("another seed gave the same sessions")
	}
	if len(a) != 5*30*2 || ta.Sessions != len(a) {
		t.Fatalf("%d sessions (truth %d), want %d", len(a), ta.Sessions, 5*30*2)
	}
	// Count independently of the generator's own bookkeeping.
	var loggedIn, intr, filtered, hostile, cmds, urls, files int
	ids := map[string]bool{}
	samples := map[string]bool{}
	services := map[string]int{}
	perSensorSrc := map[string]map[string]bool{"open": {}, "domestic": {}}
	day0 := DefaultStart
	for i, s := range a {
		if ids[s.ID] || len(s.ID) != 16 {
			t.Fatalf("session id %q repeated or not 16 hex digits", s.ID)
		}
		ids[s.ID] = true
		if i > 0 && s.Start.Before(a[i-1].Start) {
			t.Fatal("sessions not ordered by start")
		}
		if s.Start.Before(day0) || !s.Start.Before(day0.AddDate(0, 0, 5)) || s.End.Before(s.Start) {
			t.Fatalf("session %s from %s to %s outside the days", s.ID, s.Start, s.End)
		}
		net := DefaultSensorNet
		if s.Sensor == "domestic" {
			net = DefaultSensorNet2
		}
		if !net.Contains(s.Dst) {
			t.Errorf("session %s of %s to %s outside %s", s.ID, s.Sensor, s.Dst, net)
		}
		perSensorSrc[s.Sensor][s.Src.String()] = true
		services[s.Service]++
		if s.LoggedIn {
			loggedIn++
		}
		if s.LoggedIn && len(s.Commands) > 0 {
			intr++
		}
		if s.Filtered {
			filtered++
			if s.Sensor != "domestic" || s.Country == "JP" || len(s.Logins) > 0 {
				t.Errorf("filtered session %s: sensor %s country %s, %d logins", s.ID, s.Sensor, s.Country, len(s.Logins))
			}
		} else if s.Sensor == "domestic" && newPool().country(s.Src) != "JP" {
			t.Errorf("domestic sensor answered %s from %s", s.Src, newPool().country(s.Src))
		}
		bad := false
		all := s.Username + s.Password + s.ClientVersion + string(s.FirstBytes)
		for _, l := range s.Logins {
			all += l.Username + l.Password
		}
		for _, c := range s.Commands {
			all += c.Input
			if strings.ContainsAny(c.Input, ";|") && !strings.Contains(c.Input, "echo") && !strings.Contains(c.Input, "alert") && !strings.Contains(c.Input, "DROP") {
				t.Errorf("command %q not split", c.Input)
			}
		}
		for _, u := range s.URLs {
			all += u.URL
		}
		for _, q := range s.Requests {
			all += q.Path + q.Host + q.Headers
		}
		for _, h := range HostileStrings {
			bad = bad || strings.Contains(all, h)
		}
		if bad || strings.Contains(all, LongHostileLine) {
			hostile++
		}
		cmds += len(s.Commands)
		urls += len(s.URLs)
		files += len(s.Files)
		for _, f := range s.Files {
			sum := sha256.Sum256(f.Content)
			if !f.Sample || hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(f.Content)) != f.Size {
				t.Errorf("file %+v: content does not match its record", f)
			}
			if !strings.HasPrefix(f.Type, "elf32-") && !strings.HasPrefix(f.Type, "elf64-") && f.Type != "script" {
				t.Errorf("file type %q", f.Type)
			}
			samples[f.SHA256] = true
		}
	}
	want := SessionTruth{Sessions: len(a), LoggedIn: loggedIn, Intrusions: intr, Filtered: filtered, Hostile: hostile,
		Commands: cmds, URLs: urls, Requests: ta.Requests, Files: files, Samples: len(samples)}
	if ta != want {
		t.Errorf("truth %+v\ncounted %+v", ta, want)
	}
	for _, sv := range []string{session.Telnet, session.SSH, session.HTTP, session.Generic} {
		if services[sv] == 0 {
			t.Errorf("no %s session among %d", sv, len(a))
		}
	}
	if intr == 0 || filtered == 0 || hostile == 0 || len(samples) < 2 || ta.Requests == 0 {
		t.Errorf("too little variety: %+v", ta)
	}
	if hostile > len(a)/3 {
		t.Errorf("%d of %d sessions hostile", hostile, len(a))
	}
	both := 0
	for src := range perSensorSrc["domestic"] {
		if perSensorSrc["open"][src] {
			both++
		}
	}
	if both == 0 {
		t.Error("no attacker reached both sensors")
	}
	// Without Hostile no session holds a hostile string.
	opt.Hostile = false
	_, tc, _ := Sessions(opt)
	if tc.Hostile != 0 {
		t.Errorf("%d hostile sessions without Hostile", tc.Hostile)
	}
}

// TestSessionsCowrieRoundTrip writes the sessions as a Cowrie log and
// reads them back with the reader ingest uses.
func TestSessionsCowrieRoundTrip(t *testing.T) {
	ss, truth, err := Sessions(SessionOptions{Seed: 3, Days: 3, PerDay: 40, Sensors: []SessionSensor{{Name: "lab"}}, Pool: newPool(), Hostile: true})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteCowrie(&buf, ss); err != nil {
		t.Fatal(err)
	}
	if !cowrie.Detect(bytes.NewReader(buf.Bytes())) {
		t.Fatal("not detected as a Cowrie log")
	}
	got, st, err := cowrie.Read(bytes.NewReader(buf.Bytes()), "synth.json", cowrie.ReadOptions{})
	if err != nil || st.Bad != 0 || st.Ignored != 0 {
		t.Fatalf("read: %v %+v", err, st)
	}
	if len(got) != truth.Sessions {
		t.Fatalf("%d sessions read back, want %d", len(got), truth.Sessions)
	}
	byID := map[string]session.Session{}
	for _, s := range got {
		byID[s.ID] = s
	}
	for _, w := range normalSessions(ss) {
		g, ok := byID[w.ID]
		if !ok {
			t.Fatalf("session %s missing", w.ID)
		}
		g = normalSessions([]session.Session{g})[0]
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("session %s (%s) differs after the round trip:\n got %+v\nwant %+v", w.ID, w.Service, g, w)
		}
	}
}

// normalSessions clears what a log does not carry (file contents) and
// makes empty lists nil.
func normalSessions(ss []session.Session) []session.Session {
	out := slices.Clone(ss)
	for i := range out {
		s := &out[i]
		s.Start, s.End = s.Start.UTC(), s.End.UTC()
		if len(s.FirstBytes) == 0 {
			s.FirstBytes = nil
		}
		s.Files = slices.Clone(s.Files)
		for j := range s.Files {
			s.Files[j].Content = nil
			s.Files[j].Time = s.Files[j].Time.UTC()
		}
		for j := range s.Requests {
			if len(s.Requests[j].Body) == 0 {
				s.Requests[j].Body = nil
			}
		}
		if len(s.Logins) == 0 {
			s.Logins = nil
		}
		if len(s.Commands) == 0 {
			s.Commands = nil
		}
		if len(s.Requests) == 0 {
			s.Requests = nil
		}
		if len(s.URLs) == 0 {
			s.URLs = nil
		}
		if len(s.Files) == 0 {
			s.Files = nil
		}
	}
	return out
}

func TestSessionsOptionsChecked(t *testing.T) {
	for _, c := range []struct {
		opt  SessionOptions
		want string
	}{
		{SessionOptions{}, "Pool is required"},
		{SessionOptions{Pool: newPool(), Days: -1}, "days"},
		{SessionOptions{Pool: newPool(), PerDay: -2}, "sessions per day"},
		{SessionOptions{Pool: newPool(), Sensors: []SessionSensor{{Net: DefaultSensorNet6}}}, "IPv4 prefix"},
		{SessionOptions{Pool: &fakePool{}}, "no countries"},
	} {
		if _, _, err := Sessions(c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.opt, err, c.want)
		}
	}
	// Start is truncated to its UTC midnight.
	ss, _, err := Sessions(SessionOptions{Pool: newPool(), Days: 1, PerDay: 5, Start: time.Date(2026, 6, 3, 17, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s.Start.Format(time.DateOnly) != "2026-06-03" {
			t.Errorf("session on %s, want 2026-06-03", s.Start)
		}
	}
}

func TestSampleELF(t *testing.T) {
	seen := map[string]bool{}
	for a := range sampleArches {
		for b := 0; b < 3; b++ {
			e := sampleELF(a, b)
			typ := session.FileType(e)
			want := session.MachineName(sampleArches[a].machine)
			if !strings.Contains(typ, "-"+want+"-") || !session.IsSample(typ) {
				t.Errorf("%s build %d: type %q", sampleArches[a].name, b, typ)
			}
			seen[string(e)] = true
		}
	}
	if len(seen) != 3*len(sampleArches) {
		t.Errorf("%d distinct samples, want %d", len(seen), 3*len(sampleArches))
	}
}
