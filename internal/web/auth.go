package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Cookies of the dashboard. Both are HttpOnly, SameSite=Strict, Path=/
// and Secure when the request came over TLS.
const (
	sessionCookie = "honeyscope_session" // a login: 32 random bytes, hex
	csrfCookie    = "honeyscope_csrf"    // the key of this client's form tokens
)

// maxFormBytes bounds a POSTed form.
const maxFormBytes = 8 << 10

// maxCredential bounds a user name or password.
const maxCredential = 256

// Authenticated reports whether r carries the cookie of a live login
// session of this dashboard, so that other handlers on the same server
// (the API) can accept it. It is always false when the dashboard has no
// authentication (Dependencies.Login nil): there are no sessions then.
func (h *Handler) Authenticated(r *http.Request) bool {
	if h.deps.Login == nil {
		return false
	}
	c, err := r.Cookie(sessionCookie)
	return err == nil && h.sessions.valid(c.Value)
}

// authed requires a login session when the dashboard has authentication:
// a GET without one is sent to the login page, anything else is 401.
func (h *Handler) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h.deps.Login == nil || h.Authenticated(r) || warming(r) {
			next(w, r)
			return
		}
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			target := "/login"
			if r.URL.Path != "/" {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		http.Error(w, "login required", http.StatusUnauthorized)
	}
}

func secure(r *http.Request) bool { return r.TLS != nil }

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: secure(r),
		SameSite: http.SameSiteStrictMode, MaxAge: maxAge})
}

func randomHex() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// csrfKey is this client's CSRF cookie value, set on w when r has none
// (or a malformed one).
type csrfCtxKey struct{}

func (h *Handler) withCSRF(w http.ResponseWriter, r *http.Request) *http.Request {
	if c, err := r.Cookie(csrfCookie); err == nil && isHex64(c.Value) {
		return r
	}
	v := randomHex()
	setCookie(w, r, csrfCookie, v, 0)
	return r.WithContext(context.WithValue(r.Context(), csrfCtxKey{}, v))
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func (h *Handler) csrfSeed(r *http.Request) string {
	if v, ok := r.Context().Value(csrfCtxKey{}).(string); ok {
		return v
	}
	if c, err := r.Cookie(csrfCookie); err == nil && isHex64(c.Value) {
		return c.Value
	}
	return ""
}

// csrfToken is the token this client's forms carry: an HMAC of its CSRF
// cookie (double submit: a page elsewhere can neither read the cookie nor
// compute the token).
func (h *Handler) csrfToken(r *http.Request) string {
	seed := h.csrfSeed(r)
	if seed == "" {
		return ""
	}
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(seed))
	return hex.EncodeToString(m.Sum(nil))
}

// checkForm reads a POSTed form (bounded) and checks its CSRF token.
func (h *Handler) checkForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return false
	}
	want := h.csrfToken(r)
	got := r.PostForm.Get("csrf")
	return want != "" && hmac.Equal([]byte(got), []byte(want))
}

// loginPage shows the login form (or sends a client without need of it to
// the overview).
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	h.showLogin(w, r, http.StatusOK, "")
}

func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request, status int, msgKey string) {
	if h.deps.Login == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	f, _, _ := ParseFilters("")
	if lf, _, err := ParseFilters(r.URL.RawQuery, "next"); err == nil {
		f = lf
	}
	lang := h.lang(r, f)
	q := &request{h: h, r: r, ctx: r.Context(), Lang: lang, src: h.deps.Period(nil)}
	d := h.layout(q, nil)
	d.Nav, d.Auth = nil, false
	d.Filter.NoPeriodFields = true
	d.Title = q.T("login")
	if msgKey != "" {
		d.LoginError = q.T(msgKey)
	}
	next := r.URL.Query().Get("next")
	if r.PostForm != nil {
		next = r.PostForm.Get("next")
	}
	d.ReportQuery = safeNext(next)
	h.write(w, r, status, "login", d)
}

// safeNext is a local path to return to after logging in ("/" unless next
// is a path of this site).
func safeNext(next string) string {
	if next == "" || len(next) > 1024 || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (h *Handler) loginPost(w http.ResponseWriter, r *http.Request) {
	if h.deps.Login == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	addr := clientAddr(r)
	if h.limiter.blocked(addr) {
		h.showLogin(w, r, http.StatusTooManyRequests, "tooMany")
		return
	}
	if !h.checkForm(w, r) {
		h.showLogin(w, r, http.StatusForbidden, "csrfFailed")
		return
	}
	user, pass := r.PostForm.Get("user"), r.PostForm.Get("password")
	if user == "" || len(user) > maxCredential || len(pass) > maxCredential || !h.deps.Login(r.Context(), user, pass) {
		h.limiter.fail(addr)
		h.showLogin(w, r, http.StatusUnauthorized, "loginFailed")
		return
	}
	id := h.sessions.create(user)
	setCookie(w, r, sessionCookie, id, 0)
	http.Redirect(w, r, safeNext(r.PostForm.Get("next")), http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if !h.checkForm(w, r) {
		h.errorPage(w, r, http.StatusForbidden, "", h.t(h.lang(r, Filters{}), "csrfFailed"))
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		h.sessions.remove(c.Value)
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// sessionTable holds the live logins, bounded: beyond max the least
// recently used one is dropped; a session unused for ttl expires.
type sessionTable struct {
	mu  sync.Mutex
	m   map[string]*loginSession
	max int
	ttl time.Duration
	now func() time.Time
}

type loginSession struct {
	user     string
	lastUsed time.Time
}

func newSessionTable(max int, ttl time.Duration, now func() time.Time) *sessionTable {
	return &sessionTable{m: map[string]*loginSession{}, max: max, ttl: ttl, now: now}
}

func (t *sessionTable) create(user string) string {
	id := randomHex()
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.m) >= t.max {
		var oldest string
		var at time.Time
		for k, s := range t.m {
			if now.Sub(s.lastUsed) > t.ttl {
				delete(t.m, k)
				continue
			}
			if oldest == "" || s.lastUsed.Before(at) {
				oldest, at = k, s.lastUsed
			}
		}
		if len(t.m) >= t.max {
			delete(t.m, oldest)
		}
	}
	t.m[id] = &loginSession{user: user, lastUsed: now}
	return id
}

func (t *sessionTable) valid(id string) bool {
	if !isHex64(id) {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.m[id]
	if !ok {
		return false
	}
	now := t.now()
	if now.Sub(s.lastUsed) > t.ttl {
		delete(t.m, id)
		return false
	}
	s.lastUsed = now
	return true
}

func (t *sessionTable) remove(id string) {
	t.mu.Lock()
	delete(t.m, id)
	t.mu.Unlock()
}

func (t *sessionTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}

// limiter counts failed logins per client address over a window; at
// limit failures the address is blocked until the window ends. The table
// is bounded: when full, expired entries go, then the oldest.
type limiter struct {
	mu     sync.Mutex
	m      map[string]*failures
	limit  int
	window time.Duration
	now    func() time.Time
}

type failures struct {
	n     int
	start time.Time
}

const maxLimiterEntries = 4096

func newLimiter(limit int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{m: map[string]*failures{}, limit: limit, window: window, now: now}
}

func (l *limiter) blocked(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.m[addr]
	if !ok {
		return false
	}
	if l.now().Sub(f.start) > l.window {
		delete(l.m, addr)
		return false
	}
	return f.n >= l.limit
}

func (l *limiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	f, ok := l.m[addr]
	if ok && now.Sub(f.start) > l.window {
		ok = false
	}
	if !ok {
		if len(l.m) >= maxLimiterEntries {
			var oldest string
			var at time.Time
			for k, x := range l.m {
				if now.Sub(x.start) > l.window {
					delete(l.m, k)
					continue
				}
				if oldest == "" || x.start.Before(at) {
					oldest, at = k, x.start
				}
			}
			if len(l.m) >= maxLimiterEntries {
				delete(l.m, oldest)
			}
		}
		f = &failures{start: now}
		l.m[addr] = f
	}
	f.n++
}
