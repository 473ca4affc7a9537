package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/honeyscope/honeyscope/internal/daemon"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func hash(t *testing.T, pass string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func TestNonLoopbackNeedsAuth(t *testing.T) {
	token := writeFile(t, "token", "0123456789abcdef0123\n")
	for _, tc := range []struct {
		listen string
		auth   bool
		ok     bool
	}{
		{"127.0.0.1:0", false, true},
		{"[::1]:0", false, true},
		{"localhost:0", false, true},
		{"127.0.0.2:0", false, true},
		{":0", false, false},
		{"0.0.0.0:0", false, false},
		{"[::]:0", false, false},
		{"192.0.2.1:8080", false, false},
		{"[::ffff:10.0.0.1]:80", false, false},
		{"0.0.0.0:0", true, true},
		{":0", true, true},
	} {
		cfg := Configuration{Listen: tc.listen}
		if tc.auth {
			cfg.AuthTokenFile = token
		}
		_, err := New(daemon.NewReporter(nil), cfg, Dependencies{Store: &fakeStore{}})
		if tc.ok != (err == nil) {
			t.Errorf("%s auth=%v: err = %v", tc.listen, tc.auth, err)
		}
		if !tc.ok && !errors.Is(err, ErrAuthRequired) {
			t.Errorf("%s: err = %v, want ErrAuthRequired", tc.listen, err)
		}
	}
}

func TestAuthFiles(t *testing.T) {
	for _, tc := range []struct {
		name, token, users, want string
	}{
		{"short token", "abc", "", "at least 16"},
		{"token with spaces", "0123456789abcdef 0123456789abcdef", "", "one word"},
		{"not bcrypt", "", "alice:plaintext\n", "users:1: user \"alice\": not a bcrypt hash"},
		{"no colon", "", "# team\nalice\n", "users:2"},
		{"duplicate", "", "a:" + hash(t, "x") + "\na:" + hash(t, "y") + "\n", "listed twice"},
		{"empty", "", "# nobody\n", "no users"},
	} {
		cfg := Configuration{Listen: "127.0.0.1:0"}
		if tc.token != "" {
			cfg.AuthTokenFile = writeFile(t, "token", tc.token)
		}
		if tc.users != "" {
			cfg.UsersFile = writeFile(t, "users", tc.users)
		}
		_, err := New(daemon.NewReporter(nil), cfg, Dependencies{Store: &fakeStore{}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	cfg := Configuration{Listen: "127.0.0.1:0", AuthTokenFile: filepath.Join(t.TempDir(), "missing")}
	if _, err := New(daemon.NewReporter(nil), cfg, Dependencies{Store: &fakeStore{}}); err == nil {
		t.Error("missing token file accepted")
	}
}

func TestAuthChecks(t *testing.T) {
	const tok = "s3cret-token-0123456789"
	cfg := Configuration{
		Listen:        "0.0.0.0:0",
		AuthTokenFile: writeFile(t, "token", tok+"\n"),
		UsersFile:     writeFile(t, "users", "# analysts\nalice:"+hash(t, "wonderland")+"\nbob:"+hash(t, "builder")+"\n"),
	}
	c := newTestComponent(t, &fakeStore{}, cfg, Dependencies{Metrics: http.NotFoundHandler()})
	h := c.Handler()
	basic := func(u, p string) string {
		req, _ := http.NewRequest("GET", "/", nil)
		req.SetBasicAuth(u, p)
		return req.Header.Get("Authorization")
	}
	for _, tc := range []struct {
		name, authz string
		code        int
	}{
		{"none", "", 401},
		{"wrong token", "Bearer s3cret-token-012345678", 401},
		{"token prefix", "Bearer s3cret", 401},
		{"token longer", "Bearer " + tok + "x", 401},
		{"right token", "Bearer " + tok, 200},
		{"right token, lower-case scheme", "bearer " + tok, 200},
		{"token as basic password", basic("alice", tok), 401},
		{"right user", basic("alice", "wonderland"), 200},
		{"right user again (cached)", basic("alice", "wonderland"), 200},
		{"other user's password", basic("bob", "wonderland"), 401},
		{"unknown user", basic("mallory", "wonderland"), 401},
		{"empty password", basic("alice", ""), 401},
		{"garbage", "Basic !!!", 401},
	} {
		for _, path := range []string{"/api/v1/health", "/api/v1/stats", "/nothing"} {
			rec, body := get(t, h, path, "Authorization", tc.authz)
			want := tc.code
			if want == 200 && path == "/nothing" {
				want = 404
			}
			if rec.Code != want {
				t.Errorf("%s %s: %d %v, want %d", tc.name, path, rec.Code, body, want)
			}
			if rec.Code == 401 && !strings.Contains(rec.Header().Get("WWW-Authenticate"), "Basic") {
				t.Errorf("%s: challenge %q", tc.name, rec.Header().Get("WWW-Authenticate"))
			}
		}
	}
	// /metrics is behind the same check.
	req, _ := http.NewRequest("GET", "/metrics", nil)
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, req)
	if rec.code != 401 {
		t.Errorf("/metrics without credentials: %d", rec.code)
	}
}

// TestListenerAuth starts the component on a real socket and checks a 401
// and a 200 through net/http.
func TestListenerAuth(t *testing.T) {
	const tok = "another-token-0123456789"
	c := newTestComponent(t, &fakeStore{}, Configuration{Listen: "127.0.0.1:0", AuthTokenFile: writeFile(t, "t", tok)}, Dependencies{})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(context.Background())
	url := "http://" + c.Addr().String() + "/api/v1/health"
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("without token: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"ok"`) {
		t.Errorf("with token: %d %s", resp.StatusCode, b)
	}
}

type recorder struct {
	header http.Header
	code   int
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	return len(b), nil
}
func (r *recorder) WriteHeader(c int) { r.code = c }

// TestMountAndLogin: a mounted dashboard answers "/" (the API keeps
// /api/), the dashboard's sessions are accepted by the API, and Login
// checks users and the token as the API does.
func TestMountAndLogin(t *testing.T) {
	const tok = "s3cret-token-0123456789"
	cfg := Configuration{
		Listen:        "0.0.0.0:0",
		AuthTokenFile: writeFile(t, "token", tok+"\n"),
		UsersFile:     writeFile(t, "users", "alice:"+hash(t, "wonderland")+"\n"),
	}
	c := newTestComponent(t, &fakeStore{}, cfg, Dependencies{})
	web := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299); w.Write([]byte("{}")) })
	c.Mount(web, func(r *http.Request) bool { return r.Header.Get("Cookie") == "session=good" })
	h := c.Handler()
	for _, tc := range []struct {
		path, cookie string
		code         int
	}{
		{"/", "", 299}, {"/class/mirai", "", 299},
		{"/api/v1/health", "", 401}, {"/api/v1/health", "session=bad", 401}, {"/api/v1/health", "session=good", 200},
		{"/api/nothing", "session=good", 404},
	} {
		rec, _ := get(t, h, tc.path, "Cookie", tc.cookie)
		if rec.Code != tc.code {
			t.Errorf("%s (cookie %q): %d, want %d", tc.path, tc.cookie, rec.Code, tc.code)
		}
	}
	ctx := t.Context()
	for _, tc := range []struct {
		user, pass string
		ok         bool
	}{{"alice", "wonderland", true}, {"alice", "x", false}, {"anyone", tok, true}, {"alice", tok + "x", false}, {"", "", false}} {
		if got := c.Login(ctx, tc.user, tc.pass); got != tc.ok {
			t.Errorf("Login(%q, %q) = %v", tc.user, tc.pass, got)
		}
	}
	if !c.AuthEnabled() {
		t.Error("AuthEnabled false")
	}
}
