package bus

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/store"
)

func TestSensorTokenAndDomain(t *testing.T) {
	cases := map[string]string{
		"tokyo":     "tokyo",
		"a.b":       "a%2Eb",
		"x*>%":      "x%2A%3E%25",
		"with sp":   "with%20sp",
		"":          "%00",
		"東京":        "%E6%9D%B1%E4%BA%AC",
		"ok:@+-_th": "ok:@+-_th",
	}
	for in, want := range cases {
		if got := SensorToken(in); got != want {
			t.Errorf("SensorToken(%q) = %q, want %q", in, got, want)
		}
	}
	if SensorToken("a.b") == SensorToken("a_b") {
		t.Error("a.b and a_b share a token")
	}
	if d := SensorDomain("tokyo-1"); d != "hs-tokyo-1" {
		t.Errorf("domain %q", d)
	}
	if SensorDomain("a.b") == SensorDomain("a:b") || strings.ContainsAny(SensorDomain("a.b:c"), ".:*> ") {
		t.Errorf("domains %q %q", SensorDomain("a.b"), SensorDomain("a:b"))
	}
}

func TestCheckSecure(t *testing.T) {
	ok := []struct {
		url string
		a   Auth
	}{
		{"nats://127.0.0.1:4222", Auth{}},
		{"localhost:4222", Auth{}},
		{"nats://[::1]:4222", Auth{}},
		{"tls://hub.example:4222", Auth{User: "u", Password: "p"}},
		{"tls://u:p@hub.example:4222", Auth{}},
		{"nats://hub.example:4222", Auth{CAFile: "ca.pem", NkeySeedFile: "seed"}},
		{"tls://hub.example:4222", Auth{CredsFile: "x.creds"}},
	}
	for _, c := range ok {
		if err := CheckSecure(c.url, c.a); err != nil {
			t.Errorf("%s %+v: %v", c.url, c.a, err)
		}
	}
	bad := []struct {
		url string
		a   Auth
	}{
		{"nats://hub.example:4222", Auth{User: "u", Password: "p"}},
		{"tls://hub.example:4222", Auth{}},
		{"nats://192.0.2.1:4222", Auth{}},
		{"tls://hub.example:4222", Auth{User: "u"}},
	}
	for _, c := range bad {
		if err := CheckSecure(c.url, c.a); !errors.Is(err, ErrInsecure) {
			t.Errorf("%s %+v: %v, want ErrInsecure", c.url, c.a, err)
		}
	}
	for _, u := range []string{"http://127.0.0.1:80", "nats://", "::"} {
		if err := CheckSecure(u, Auth{}); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

// Malformed messages on the collector's subjects are refused (terminated,
// counted), never applied and never a panic; the good batch after them is.
func TestCollectorRefusesMalformed(t *testing.T) {
	h := newHub(t)
	nc := h.connect()
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	send := func(subj string, hdr map[string]string, data []byte) {
		m := nats.NewMsg(subj)
		for k, v := range hdr {
			m.Header.Set(k, v)
		}
		m.Data = data
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	ing := Subject("evil", KindIngest)
	ses := Subject("evil", KindSessions)
	tz := map[string]string{HdrTimeZone: testTZ}
	with := func(m map[string]string, kv ...string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	send(ing, nil, []byte("{}"))                                                                         // no batch id
	send(ing, with(tz, HdrBatch, "evil/1", HdrParts, "0"), []byte("not json"))                           // bad record
	send(ing, with(tz, HdrBatch, "evil/2", HdrParts, "-1"), []byte("{}"))                                // bad count
	send(ing, with(tz, HdrBatch, "evil/3", HdrParts, "99999999"), []byte("{}"))                          // too many
	send(ing, with(tz, HdrBatch, "evil/4", HdrParts, "1"), []byte("{}"))                                 // part missing
	send(ing, map[string]string{HdrBatch: "evil/5", HdrParts: "0", HdrTimeZone: "UTC"}, nil)             // other zone
	send(ing, with(tz, HdrBatch, "evil/a.b", HdrParts, "1"), []byte("{}"))                               // bad token
	send(partSubject("evil", "6"), map[string]string{HdrBatch: "evil/6", HdrPart: "0"}, []byte{1, 2, 3}) // bad chunk
	send(ing, with(tz, HdrBatch, "evil/6", HdrParts, "1"), []byte(`{"Ingest":{"Path":"x","Hash":"h6"}}`))
	send(partSubject("evil", "7"), map[string]string{HdrBatch: "evil/other", HdrPart: "0"}, []byte{1}) // part of another batch
	send(ing, with(tz, HdrBatch, "evil/7", HdrParts, "1"), []byte(`{"Ingest":{"Path":"x","Hash":"h7"}}`))
	send(partSubject("evil", "s8"), map[string]string{HdrBatch: "evil/s/s8", HdrPart: "0"}, []byte("garbage gob"))
	send(ses, map[string]string{HdrBatch: "evil/s/s8", HdrParts: "1"}, nil)
	send(Subject("evil", KindSamples), map[string]string{HdrBatch: "evil/f/x"}, []byte(`{"SHA256":"../../etc/passwd"}`))
	// A good batch last: it must be applied.
	good := sampleGood()
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&good); err != nil {
		t.Fatal(err)
	}
	send(partSubject("evil", "s9"), map[string]string{HdrBatch: "evil/s/s9", HdrPart: "0"}, buf.Bytes())
	send(ses, map[string]string{HdrBatch: "evil/s/s9", HdrParts: "1"}, nil)

	st := openDuck(t, filepath.Join(t.TempDir(), "c.duckdb"))
	defer st.Close()
	c, err := NewCollector(ctx, js, st, CollectorConfig{AckWait: time.Second, Samples: (&sampleSet{}).put})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(rctx) }()
	for ctx.Err() == nil {
		if n, err := c.Pending(ctx); err == nil && n == 0 && c.Committed.Load() == 1 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	<-done
	if got, want := c.Refused.Load(), uint64(11); got != want {
		t.Errorf("%d refused, want %d", got, want)
	}
	caps, err := st.Captures(ctx, nil)
	if err != nil || len(caps) != 0 {
		t.Errorf("captures %v %v, want none", caps, err)
	}
	ss, err := st.Sessions(ctx, store.SessionQuery{})
	if err != nil || len(ss) != 0 {
		// The good batch holds no sessions: only its id is recorded.
		t.Errorf("sessions %d %v", len(ss), err)
	}
}

func sampleGood() sessionWire {
	return sessionWire{ID: "good", TimeZone: testTZ, Hits: nil}
}

func FuzzDecodeSessions(f *testing.F) {
	var buf bytes.Buffer
	w := sessionWire{ID: "x", TimeZone: "UTC", Hits: &hitsWire{Result: &aggregate.Result{Sources: []aggregate.SourceDay{{}}}, Places: []store.Place{{}}}}
	gob.NewEncoder(&buf).Encode(&w)
	f.Add(buf.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := decodeSessions(b)
		if err == nil && w.Hits != nil && w.Hits.Result != nil && len(w.Hits.Places) != len(w.Hits.Result.Sources) {
			t.Fatal("places and sources disagree")
		}
	})
}
