package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/honeyscope/honeyscope/internal/samplestore"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/triage"
)

// serveTriageEvery is how often serve looks for untriaged samples besides
// the passes the honeypot's commits start.
const serveTriageEvery = 10 * time.Minute

// triagePassMax bounds the samples one pass triages (the rest wait for the
// next pass).
const triagePassMax = 2000

// triagingStore is the store the honeypot commits to: a commit whose
// sessions produced a sample starts a triage pass in the background.
type triagingStore struct {
	store.Store
	kick chan struct{}
}

// CommitSessions commits b and, when it holds a sample, starts a pass.
func (t *triagingStore) CommitSessions(ctx context.Context, b store.SessionBatch) error {
	err := t.Store.CommitSessions(ctx, b)
	if err != nil {
		return err
	}
	for i := range b.Sessions {
		for _, f := range b.Sessions[i].Files {
			if f.Sample {
				select {
				case t.kick <- struct{}{}:
				default:
				}
				return nil
			}
		}
	}
	return nil
}

// startTriager wraps st so that the samples the honeypot commits are
// triaged (and all samples clustered again) shortly after, and every
// serveTriageEvery. It returns st unchanged when the store keeps no
// triage. stop ends the background work and waits for it.
func startTriager(st store.Store, samples *samplestore.Store, log *slog.Logger) (store.Store, func()) {
	// Through st: the cache's generation moves on with the triage written,
	// and serve's sandbox hears of it (malwareStore).
	ts, err := store.TriageOf(st)
	if err != nil || samples == nil {
		return st, func() {}
	}
	t := &triagingStore{Store: st, kick: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(serveTriageEvery)
		defer tick.Stop()
		pass := func() {
			n, err := triagePass(ctx, ts, samples)
			switch {
			case err != nil && !errors.Is(err, context.Canceled):
				log.Warn("sample triage", "err", err)
			case n > 0:
				log.Info("samples triaged", "samples", n)
			}
		}
		pass()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.kick:
				pass()
			case <-tick.C:
				pass()
			}
		}
	}()
	return t, func() {
		cancel()
		<-done
	}
}

// triagePass triages the samples without a current triage whose content
// the sample store holds, and clusters again when it triaged any.
func triagePass(ctx context.Context, ts store.TriageStore, samples *samplestore.Store) (int, error) {
	shas, err := ts.Untriaged(ctx, triage.Version, triagePassMax)
	if err != nil {
		return 0, err
	}
	var recs []store.TriageRecord
	n := 0
	for _, sha := range shas {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		b, err := samples.Read(sha, 0)
		if err != nil {
			continue // not kept (a Cowrie log's sample), or gone
		}
		r := triage.Analyze(b)
		rec, err := triageRecord(&r, time.Now().UTC())
		if err != nil {
			return n, err
		}
		recs = append(recs, rec)
		if len(recs) >= triageBatch {
			if err := ts.PutTriage(ctx, recs); err != nil {
				return n, err
			}
			n += len(recs)
			recs = recs[:0]
		}
	}
	if err := ts.PutTriage(ctx, recs); err != nil {
		return n, err
	}
	n += len(recs)
	if n > 0 {
		if _, _, err := recluster(ctx, ts); err != nil {
			return n, err
		}
	}
	return n, nil
}
