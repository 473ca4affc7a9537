package sandboxrun

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Defaults of the retries of failed runs.
const (
	DefaultAttempts   = 3
	DefaultRetryAfter = 10 * time.Minute
	// MaxRetryAfter caps the wait before a retry, which doubles with each
	// failure.
	MaxRetryAfter = 24 * time.Hour
)

// failuresFile keeps, in the runs' directory, the samples whose runs
// failed, so that a restart neither forgets a sample given up nor
// retries it at once.
const failuresFile = "failures.json"

// maxFailures bounds the samples remembered; past it the oldest failures
// are forgotten (those samples may be tried again).
const maxFailures = 100000

// Failure is what the component remembers of a sample whose run failed.
type Failure struct {
	// Attempts is the runs tried that failed.
	Attempts int       `json:"attempts"`
	Last     time.Time `json:"last"`
	// Next is when the sample may be tried again (zero once given up).
	Next time.Time `json:"next,omitzero"`
	// GaveUp is set when Attempts reached the configuration's bound, or
	// at once for a run whose containment failed: such a sample is not
	// run again by serve.
	GaveUp bool   `json:"gave_up,omitempty"`
	Err    string `json:"err"`
}

// backoff is the wait after the n-th failure (n >= 1): base, doubled for
// each failure before, at most MaxRetryAfter.
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < MaxRetryAfter; i++ {
		d *= 2
	}
	return min(d, MaxRetryAfter)
}

// record notes a failure of sha at now and returns its new state:
// retried after the backoff until attempts failures, then given up
// (final gives up at once).
func record(m map[string]Failure, sha string, now time.Time, err error, attempts int, base time.Duration, final bool) Failure {
	f := m[sha]
	f.Attempts++
	f.Last = now
	f.Err = err.Error()
	f.Next = time.Time{}
	f.GaveUp = final || f.Attempts >= attempts
	if !f.GaveUp {
		f.Next = now.Add(backoff(base, f.Attempts))
	}
	m[sha] = f
	if len(m) > maxFailures {
		shas := slices.Collect(maps.Keys(m))
		slices.SortFunc(shas, func(a, b string) int { return cmp.Or(m[a].Last.Compare(m[b].Last), cmp.Compare(a, b)) })
		for _, s := range shas[:len(m)-maxFailures] {
			delete(m, s)
		}
	}
	return f
}

// loadFailures reads the failures file of dir (none when it is absent).
func loadFailures(dir string) (map[string]Failure, error) {
	m := map[string]Failure{}
	b, err := os.ReadFile(filepath.Join(dir, failuresFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return map[string]Failure{}, fmt.Errorf("%s: %w", filepath.Join(dir, failuresFile), err)
	}
	return m, nil
}

// saveFailures writes the failures file of dir (a new file renamed over
// the old one).
func saveFailures(dir string, m map[string]Failure) error {
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, failuresFile+".new")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, failuresFile))
}

// loadFailures reads the failures file at start; a file that cannot be
// read is set aside (failures.json.bad) and the component starts afresh.
func (c *Component) loadFailures() {
	m, err := loadFailures(c.cfg.Dir)
	if err != nil {
		p := filepath.Join(c.cfg.Dir, failuresFile)
		c.log.Warn("sandbox: the failed samples' record is not readable; starting afresh", "file", p, "err", err)
		os.Rename(p, p+".bad")
	}
	c.mu.Lock()
	c.failures = m
	c.mu.Unlock()
}

// failed records a failed run of sha (final: give up at once), saves the
// record and arms the retry timer. The sample leaves the seen set, so a
// pass queues it again once its retry is due.
func (c *Component) failed(sha string, err error, final bool) Failure {
	c.mu.Lock()
	f := record(c.failures, sha, c.now(), err, c.cfg.Attempts, c.cfg.RetryAfter, final)
	delete(c.seen, sha)
	serr := saveFailures(c.cfg.Dir, c.failures)
	c.mu.Unlock()
	if serr != nil {
		c.log.Warn("sandbox: the failed samples' record not saved", "err", serr)
	}
	c.armRetry()
	return f
}

// succeeded forgets the failures of sha once a run of it is stored.
func (c *Component) succeeded(sha string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.failures[sha]; !ok {
		return
	}
	delete(c.failures, sha)
	if err := saveFailures(c.cfg.Dir, c.failures); err != nil {
		c.log.Warn("sandbox: the failed samples' record not saved", "err", err)
	}
}

// armRetry sets the timer that kicks a pass when the earliest retry not
// yet due becomes due.
func (c *Component) armRetry() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx.Err() != nil {
		return
	}
	now := c.now()
	var next time.Time
	for _, f := range c.failures {
		if !f.GaveUp && f.Next.After(now) && (next.IsZero() || f.Next.Before(next)) {
			next = f.Next
		}
	}
	if next.IsZero() || next.Equal(c.retryAt) {
		return
	}
	if c.retry != nil {
		c.retry.Stop()
	}
	c.retryAt = next
	c.retry = time.AfterFunc(next.Sub(now), c.Kick)
}
