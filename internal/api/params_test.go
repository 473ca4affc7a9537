package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

func TestParseParamsGood(t *testing.T) {
	vals, _ := url.ParseQuery("by=day,port&class=mirai&class=zmap&country=jp,??&port=23,8000-8002,23&proto=TCP,17&asn=AS4713,2914&from=2024-01-01&to=2024-01-31&top=10&order=key&unit=sources&sensor=tokyo")
	p, pe := parseParams(vals, with(filterParams, pBy, pTop, pOrder, pUnit))
	if pe != nil {
		t.Fatal(pe)
	}
	if !slices.Equal(p.By, []string{"day", "port"}) || !slices.Equal(p.Classes, []string{"mirai", "zmap"}) ||
		!slices.Equal(p.Countries, []string{"JP", "??"}) || !slices.Equal(p.Ports, []int{23, 8000, 8001, 8002}) ||
		!slices.Equal(p.Protos, []string{"tcp", "udp"}) || !slices.Equal(p.ASNs, []uint32{4713, 2914}) ||
		p.From != "2024-01-01" || p.To != "2024-01-31" || p.Top != 10 || p.Order != "key" || p.Unit != "sources" ||
		!slices.Equal(p.Sensors, []string{"tokyo"}) {
		t.Errorf("parsed %+v", p)
	}
}

// hostile are query strings every data endpoint must refuse with 400,
// naming the parameter, before asking the store.
var hostile = []struct{ query, param string }{
	{"by=nonsense", "by"},
	{"by=day,day", "by"},
	{"by=", "by"},
	{"port=65536", "port"},
	{"port=1-70000", "port"},
	{"port=10-5", "port"},
	{"port=0-5000", "port"},
	{"port=-1", "port"},
	{"port=abc", "port"},
	{"port=1-2-3", "port"},
	{"port=" + strings.Repeat("1,", 70), "port"},
	{"from=2024-13-01", "from"},
	{"from=2024-1-1", "from"},
	{"from=2024-01-01T00:00:00Z", "from"},
	{"from=2024-02-01&to=2024-01-01", "to"},
	{"from=2024-01-01&from=2024-01-02", "from"},
	{"to=%00", "to"},
	{"class=foo", "class"},
	{"class=mirai,Mirai", "class"},
	{"country=USA", "country"},
	{"country=%00%01", "country"},
	{"country=1A", "country"},
	{"asn=AS-1", "asn"},
	{"asn=4294967296", "asn"},
	{"proto=tcpx", "proto"},
	{"proto=256", "proto"},
	{"top=-1", "top"},
	{"top=1e9", "top"},
	{"top=99999999999999999999", "top"},
	{"top=10001", "top"},
	{"order=random", "order"},
	{"unit=bytes", "unit"},
	{"x=1", "x"},
	{"%zz", "query"},
	{"a=1;b=2", "query"},
	{strings.Repeat("class=mirai&", 400), "query"},
	{"sensor=" + strings.Repeat("s", 200), "sensor"},
	{"sensor=a%0Ab", "sensor"},
	{"class=" + strings.Repeat("mirai,", 70), "class"},
	{"sensor=" + strings.Repeat("é", 300), "sensor"},
	{"sensor=%ff%fe", "sensor"},
}

func get(t testing.TB, h http.Handler, target string, hdr ...string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("GET", "http://x"+target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%s: answer is not a JSON object: %v\n%s", target, err, rec.Body.String())
	}
	return rec, body
}

func TestHostileQueries(t *testing.T) {
	fs := &fakeStore{}
	h := newTestComponent(t, fs, Configuration{}, Dependencies{}).Handler()
	for _, tc := range hostile {
		for _, path := range []string{"/api/v1/stats", "/api/v1/totals"} {
			if path == "/api/v1/totals" && (strings.HasPrefix(tc.query, "by=") || strings.HasPrefix(tc.query, "top=") ||
				strings.HasPrefix(tc.query, "order=") || strings.HasPrefix(tc.query, "unit=")) {
				continue // totals does not take these at all (checked below)
			}
			rec, body := get(t, h, path+"?"+tc.query)
			if rec.Code != 400 || body["param"] != tc.param || body["error"] == "" {
				t.Errorf("%s?%.60s: %d %v, want 400 naming %q", path, tc.query, rec.Code, body, tc.param)
			}
		}
	}
	if n := fs.asked(); n != 0 {
		t.Errorf("the store was asked %d queries for rejected requests", n)
	}
	for _, tc := range []struct{ target, param string }{
		{"/api/v1/totals?by=day", "by"},
		{"/api/v1/series?by=day", "by"},
		{"/api/v1/series?by=country,port", "by"},
		{"/api/v1/series?by=country&class=mirai,zmap", "class"},
		{"/api/v1/series?by=country&top=51", "top"},
		{"/api/v1/series?by=country&top=0", "top"},
		{"/api/v1/series?by=country&order=key", "order"},
		{"/api/v1/top?by=day", "by"},
		{"/api/v1/top", "by"},
		{"/api/v1/top?by=asn&top=1001", "top"},
		{"/api/v1/source/not-an-ip", "ip"},
		{"/api/v1/source/fe80::1%25eth0", "ip"},
		{"/api/v1/source/1.2.3.4?class=mirai", "class"},
		{"/api/v1/source/" + strings.Repeat("1", 80), "ip"},
		{"/api/v1/health?x=1", "x"},
		{"/api/v1/spikes?by=src", "by"},
		{"/api/v1/coverage?from=yesterday", "from"},
	} {
		rec, body := get(t, h, tc.target)
		if rec.Code != 400 || body["param"] != tc.param {
			t.Errorf("%s: %d %v, want 400 naming %q", tc.target, rec.Code, body, tc.param)
		}
	}
	if n := fs.asked(); n != 0 {
		t.Errorf("the store was asked %d queries for rejected requests", n)
	}
}

func TestMethodsAndNotFound(t *testing.T) {
	h := newTestComponent(t, &fakeStore{}, Configuration{}, Dependencies{}).Handler()
	req := httptest.NewRequest("POST", "/api/v1/stats", strings.NewReader("x"))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 405 || rec.Header().Get("Allow") == "" {
		t.Errorf("POST: %d", rec.Code)
	}
	rec, body := get(t, h, "/api/v2/nothing")
	if rec.Code != 404 || body["status"] != float64(404) {
		t.Errorf("unknown path: %d %v", rec.Code, body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type %q", ct)
	}
}

// fakePeriod answers the period questions with what it was asked.
type fakePeriod struct{}

func (fakePeriod) Spikes(_ context.Context, q PeriodQuery) (any, error) {
	return map[string]any{"asked": q}, nil
}
func (fakePeriod) Minutes(_ context.Context, sensor, day string) (any, error) {
	return map[string]string{"sensor": sensor, "day": day}, nil
}
func (fakePeriod) Coverage(_ context.Context, q PeriodQuery) (any, error) {
	return map[string]any{"coverage": q.From}, nil
}

func TestPeriodEndpoints(t *testing.T) {
	h := newTestComponent(t, &fakeStore{}, Configuration{}, Dependencies{}).Handler()
	for _, p := range []string{"/api/v1/spikes", "/api/v1/coverage"} {
		rec, body := get(t, h, p+"?class=mirai")
		if rec.Code != 501 || body["error"] == nil {
			t.Errorf("%s without a period layer: %d %v, want 501", p, rec.Code, body)
		}
	}
	h = newTestComponent(t, &fakeStore{}, Configuration{}, Dependencies{Period: fakePeriod{}}).Handler()
	rec, body := get(t, h, "/api/v1/coverage?from=2024-01-02")
	if rec.Code != 200 || body["coverage"] != "2024-01-02" {
		t.Errorf("coverage with a period layer: %d %v", rec.Code, body)
	}
	rec, body = get(t, h, "/api/v1/coverage/minutes?sensor=tokyo&day=2024-01-02")
	if rec.Code != 200 || body["sensor"] != "tokyo" || body["day"] != "2024-01-02" {
		t.Errorf("minutes: %d %v", rec.Code, body)
	}
	for _, q := range []string{"", "?sensor=a,b", "?sensor=a&day=2024-13-01", "?sensor=a&from=2024-01-01"} {
		if rec, body := get(t, h, "/api/v1/coverage/minutes"+q); rec.Code != 400 || body["error"] == nil {
			t.Errorf("minutes%s: %d %v, want 400", q, rec.Code, body)
		}
	}
	rec, body = get(t, h, "/api/v1/spikes?class=mirai&by=country&unit=sources")
	asked, _ := body["asked"].(map[string]any)
	if rec.Code != 200 || asked["By"] != "country" || asked["Unit"] != "sources" {
		t.Errorf("spikes with a period layer: %d %v", rec.Code, body)
	}
}

// FuzzParams: no query string panics the parser, and whatever it accepts
// is within the limits the store relies on.
func FuzzParams(f *testing.F) {
	for _, tc := range hostile {
		f.Add(tc.query)
	}
	f.Add("by=day,port&class=mirai&port=23,8000-8002&from=2024-01-01&to=2024-01-31&top=10")
	all := with(filterParams, pBy, pTop, pOrder, pUnit)
	f.Fuzz(func(t *testing.T, raw string) {
		vals, pe := parseRawQuery(raw)
		if pe != nil {
			return
		}
		p, pe := parseParams(vals, all)
		if pe != nil {
			if pe.Param == "" || pe.Message == "" {
				t.Errorf("error without parameter or message: %+v", pe)
			}
			return
		}
		for _, d := range p.By {
			if !slices.Contains(store.Dimensions, d) {
				t.Errorf("dimension %q accepted", d)
			}
		}
		for _, c := range p.Classes {
			if _, ok := classify.ParseClass(c); !ok {
				t.Errorf("class %q accepted", c)
			}
		}
		if len(p.Ports) > maxPorts {
			t.Errorf("%d ports", len(p.Ports))
		}
		for _, x := range p.Ports {
			if x < 0 || x > 65535 {
				t.Errorf("port %d", x)
			}
		}
		for _, pr := range p.Protos {
			if _, err := store.ProtoNumber(pr); err != nil {
				t.Errorf("proto %q: %v", pr, err)
			}
		}
		for _, d := range []string{p.From, p.To} {
			if _, err := store.ParseDay(d); d != "" && err != nil {
				t.Errorf("day %q", d)
			}
		}
		if p.From != "" && p.To != "" && p.From > p.To {
			t.Errorf("from %s after to %s", p.From, p.To)
		}
		if p.Top < 0 || p.Top > maxTop {
			t.Errorf("top %d", p.Top)
		}
		for _, c := range p.Countries {
			if len(c) != 2 {
				t.Errorf("country %q", c)
			}
		}
	})
}

// FuzzHandler: any query string on any route is answered with JSON and a
// status other than 500 (a panic would be 500 through the recoverer).
func FuzzHandler(f *testing.F) {
	for _, tc := range hostile {
		f.Add(0, tc.query)
	}
	f.Add(3, "by=country&class=mirai&top=3")
	f.Add(6, "from=2024-01-01")
	c := newTestComponent(f, &fakeStore{}, Configuration{}, Dependencies{})
	h := c.Handler()
	paths := []string{"/api/v1/stats", "/api/v1/totals", "/api/v1/top", "/api/v1/series", "/api/v1/source/192.0.2.1",
		"/api/v1/health", "/api/v1/source/2001:db8::1", "/api/v1/spikes", "/api/v1/coverage", "/api/v1/info"}
	f.Fuzz(func(t *testing.T, route int, raw string) {
		if route < 0 {
			route = -route
		}
		path := paths[route%len(paths)]
		req := httptest.NewRequest("GET", "http://x"+path, nil)
		req.URL.RawQuery = raw
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == 500 {
			t.Fatalf("%s?%q: 500 %s", path, raw, rec.Body.String())
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s?%q: not JSON: %s", path, raw, rec.Body.String())
		}
	})
}
