package api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ErrAuthRequired is returned by New when the listen address is not a
// loopback address and no authentication is configured.
var ErrAuthRequired = errors.New("listening beyond loopback requires authentication")

// minTokenLen is the shortest bearer token accepted.
const minTokenLen = 16

// maxAuthFile bounds the token and users files read at start.
const maxAuthFile = 1 << 20

// auth checks credentials: a bearer token, or a user name and password
// checked against bcrypt hashes (HTTP basic authentication).
type auth struct {
	token [32]byte // sha256 of the token
	has   bool     // token set
	users map[string][]byte

	sem   chan struct{} // bounds concurrent bcrypt comparisons (each costs tens of ms)
	mu    sync.Mutex
	cache map[[32]byte]time.Time // verified basic credentials, until expiry
}

// dummyHash is compared against when a user name is unknown, so that an
// unknown user costs as long as a wrong password.
// It is made on first use, not at start-up of every command.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("honeyscope-unknown-user"), bcrypt.DefaultCost)
	return h
})

const (
	authCacheTTL  = 5 * time.Minute
	authCacheSize = 1024
)

// enabled says whether any credential is configured.
func (a *auth) enabled() bool { return a != nil && (a.has || len(a.users) > 0) }

// loadAuth reads the token file and the users file (either may be "").
func loadAuth(tokenFile, usersFile string) (*auth, error) {
	a := &auth{users: map[string][]byte{}, sem: make(chan struct{}, 2), cache: map[[32]byte]time.Time{}}
	if tokenFile != "" {
		b, err := readSmall(tokenFile)
		if err != nil {
			return nil, fmt.Errorf("auth token file: %w", err)
		}
		tok := bytes.TrimSpace(b)
		if bytes.ContainsAny(tok, "\r\n \t") {
			return nil, fmt.Errorf("auth token file %s: the token must be one word on one line", tokenFile)
		}
		if len(tok) < minTokenLen {
			return nil, fmt.Errorf("auth token file %s: token of %d bytes, at least %d wanted (e.g. `openssl rand -hex 32`)", tokenFile, len(tok), minTokenLen)
		}
		a.token, a.has = sha256.Sum256(tok), true
	}
	if usersFile != "" {
		b, err := readSmall(usersFile)
		if err != nil {
			return nil, fmt.Errorf("users file: %w", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			user, hash, ok := strings.Cut(line, ":")
			if !ok || user == "" {
				return nil, fmt.Errorf("users file %s:%d: want user:$2a$... (a bcrypt hash)", usersFile, n)
			}
			if _, err := bcrypt.Cost([]byte(hash)); err != nil {
				return nil, fmt.Errorf("users file %s:%d: user %q: not a bcrypt hash: %w", usersFile, n, user, err)
			}
			if _, dup := a.users[user]; dup {
				return nil, fmt.Errorf("users file %s:%d: user %q listed twice", usersFile, n, user)
			}
			a.users[user] = []byte(hash)
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("users file %s: %w", usersFile, err)
		}
		if len(a.users) == 0 {
			return nil, fmt.Errorf("users file %s: no users (lines user:$2a$...)", usersFile)
		}
	}
	return a, nil
}

func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxAuthFile {
		return nil, fmt.Errorf("%s: %d bytes, at most %d", path, fi.Size(), maxAuthFile)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return buf.Bytes(), nil
}

// check says whether r carries valid credentials.
func (a *auth) check(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") && a.has {
		sum := sha256.Sum256([]byte(strings.TrimSpace(rest)))
		return subtle.ConstantTimeCompare(sum[:], a.token[:]) == 1
	}
	user, pass, ok := r.BasicAuth()
	if !ok || len(a.users) == 0 {
		return false
	}
	return a.checkUser(r.Context(), user, pass)
}

func (a *auth) checkUser(ctx context.Context, user, pass string) bool {
	hash, known := a.users[user]
	key := sha256.Sum256([]byte(user + "\x00" + pass + "\x00" + string(hash)))
	now := time.Now()
	a.mu.Lock()
	exp, cached := a.cache[key]
	a.mu.Unlock()
	if cached && known && now.Before(exp) {
		return true
	}
	select {
	case a.sem <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	defer func() { <-a.sem }()
	if !known {
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(pass))
		return false
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(pass)) != nil {
		return false
	}
	a.mu.Lock()
	if len(a.cache) >= authCacheSize {
		clear(a.cache)
	}
	a.cache[key] = now.Add(authCacheTTL)
	a.mu.Unlock()
	return true
}

// challenge is the WWW-Authenticate value of a 401.
func (a *auth) challenge() string {
	var c []string
	if a.has {
		c = append(c, `Bearer realm="honeyscope"`)
	}
	if len(a.users) > 0 {
		c = append(c, `Basic realm="honeyscope", charset="UTF-8"`)
	}
	return strings.Join(c, ", ")
}

// isLoopback says whether listen (host:port) binds loopback addresses only.
// An empty host or an unspecified address binds every interface; a name
// other than localhost is resolved and every address must be loopback.
func isLoopback(ctx context.Context, listen string) (bool, error) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false, fmt.Errorf("listen address %q: %w", listen, err)
	}
	if host == "" {
		return false, nil
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().IsLoopback(), nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return false, fmt.Errorf("listen address %q: %w", listen, err)
	}
	for _, a := range addrs {
		if !a.Unmap().IsLoopback() {
			return false, nil
		}
	}
	return len(addrs) > 0, nil
}
