package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/spf13/pflag"

	"github.com/honeyscope/honeyscope/internal/bus"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/store"
)

// busOptions are the NATS JetStream flags of ingest and serve
// (docs/scale.md).
type busOptions struct {
	publish      string
	collect      string
	leafDir      string
	leafMaxBytes int64
	leafMaxAge   time.Duration
	hubDomain    string
	name         string
	drainWait    time.Duration
	ackWait      time.Duration
	user         string
	passwordFile string
	nkeyFile     string
	credsFile    string
	caFile       string
	certFile     string
	keyFile      string
}

// registerPublish adds the publishing flags (and the connection's).
func (o *busOptions) registerPublish(f *pflag.FlagSet, drain bool) {
	f.StringVar(&o.publish, "publish", "", "publish what is committed to NATS JetStream: `URL` nats://HOST:4222 or tls://HOST:4222 (the hub's client port), "+
		"or nats-leaf://HOST:7422 (its leaf node port) to keep everything in an embedded server on this host until the hub has it (docs/scale.md)")
	f.StringVar(&o.leafDir, "nats-leaf-dir", "", "`DIR` of the embedded server's JetStream storage with a nats-leaf:// --publish (default: beside the store, STORE.nats)")
	f.Int64Var(&o.leafMaxBytes, "nats-leaf-max-bytes", bus.DefaultLeafMaxBytes, "at most this many `BYTES` kept on this host for the hub (the oldest go first)")
	f.DurationVar(&o.leafMaxAge, "nats-leaf-max-age", bus.DefaultLeafMaxAge, "keep messages for the hub at most this long on this host")
	f.StringVar(&o.hubDomain, "nats-hub-domain", bus.DefaultHubDomain, "the hub's JetStream `DOMAIN`")
	if !drain {
		f.StringVar(&o.name, "nats-name", "", "this sensor host's `NAME` in the subjects it publishes on (default: the host name)")
	}
	if drain {
		f.DurationVar(&o.drainWait, "nats-drain-wait", 2*time.Minute, "with nats-leaf://, how long to wait at the end for the hub to take what was published (what it has not taken stays in --nats-leaf-dir for the next run)")
	}
	o.registerAuth(f)
}

// registerCollect adds serve's collector flag.
func (o *busOptions) registerCollect(f *pflag.FlagSet) {
	o.registerAuth(f)
	f.StringVar(&o.collect, "collect", "", "consume the hub's stream at `URL` (nats://HOST:4222 or tls://...) into the store: each batch one transaction, acknowledged after its commit")
	f.DurationVar(&o.ackWait, "nats-ack-wait", 2*time.Minute, "with --collect, how long a batch may stay unacknowledged (a collector that died) before it is delivered again; the consumer is shared, so every collector's setting changes it")
}

func (o *busOptions) registerAuth(f *pflag.FlagSet) {
	if f.Lookup("nats-user") != nil {
		return
	}
	f.StringVar(&o.user, "nats-user", "", "NATS user `NAME` (with --nats-password-file)")
	f.StringVar(&o.passwordFile, "nats-password-file", "", "`FILE` holding the NATS user's password")
	f.StringVar(&o.nkeyFile, "nats-nkey", "", "`FILE` holding an nkey seed to authenticate to NATS with")
	f.StringVar(&o.credsFile, "nats-creds", "", "NATS credentials `FILE` (user JWT and seed)")
	f.StringVar(&o.caFile, "nats-ca", "", "`FILE` of the CA certificates that sign the NATS server's (enables TLS)")
	f.StringVar(&o.certFile, "nats-cert", "", "client certificate `FILE` for NATS TLS")
	f.StringVar(&o.keyFile, "nats-key", "", "client key `FILE` for NATS TLS")
}

// auth reads the credentials the flags name.
func (o *busOptions) auth() (bus.Auth, error) {
	a := bus.Auth{User: o.user, NkeySeedFile: o.nkeyFile, CredsFile: o.credsFile, CAFile: o.caFile, CertFile: o.certFile, KeyFile: o.keyFile}
	if o.passwordFile != "" {
		b, err := os.ReadFile(o.passwordFile)
		if err != nil {
			return a, fmt.Errorf("--nats-password-file: %w", err)
		}
		a.Password = strings.TrimSpace(string(b))
	}
	return a, nil
}

// busPublisher is a running publisher: its connection, and the embedded
// server when there is one.
type busPublisher struct {
	pub  *bus.Publisher
	nc   *nats.Conn
	leaf *bus.Leaf
	stop context.CancelFunc
}

// startPublisher connects a publisher for sensor (days in tz) as the
// flags say; dbPath places the embedded server's default directory.
func (o *busOptions) startPublisher(ctx context.Context, sensor, tz string, zone func() string, dbPath string, log io.Writer) (*busPublisher, error) {
	a, err := o.auth()
	if err != nil {
		return nil, err
	}
	bp := &busPublisher{stop: func() {}}
	if strings.HasPrefix(o.publish, "nats-leaf://") || strings.HasPrefix(o.publish, "leaf+tls://") {
		hub := o.publish
		if rest, ok := strings.CutPrefix(hub, "leaf+tls://"); ok {
			hub = "tls://" + rest
		}
		dir := o.leafDir
		if dir == "" {
			dir = dbPath + ".nats"
		}
		leaf, err := bus.StartLeaf(ctx, bus.LeafConfig{Sensor: sensor, StoreDir: dir, MaxBytes: o.leafMaxBytes, MaxAge: o.leafMaxAge, Hub: hub, Auth: a})
		if err != nil {
			return nil, err
		}
		bp.leaf = leaf
		rctx, cancel := context.WithCancel(context.Background())
		bp.stop = cancel
		go func() {
			if err := leaf.Register(rctx, o.hubDomain); err != nil && rctx.Err() == nil {
				fmt.Fprintf(log, "warning: NATS: %v\n", err)
			}
		}()
		bp.nc, err = leaf.Connect()
		if err != nil {
			leaf.Shutdown()
			return nil, err
		}
	} else {
		bp.nc, err = bus.Connect(o.publish, a, "honeyscope "+sensor)
		if err != nil {
			return nil, err
		}
	}
	bp.pub, err = bus.NewPublisher(bp.nc, bus.PublisherConfig{Sensor: sensor, TimeZone: tz, Zone: zone})
	if err != nil {
		bp.close(nil, "", log)
		return nil, err
	}
	return bp, nil
}

// close waits for the publishes in flight and, with an embedded server,
// up to wait for the hub to take what it keeps.
func (bp *busPublisher) close(ctx context.Context, hubDomain string, log io.Writer) error {
	var err error
	if bp.pub != nil {
		err = bp.pub.Close()
	}
	if bp.leaf != nil && ctx != nil {
		left, derr := bp.leaf.Drain(ctx, hubDomain)
		if derr != nil && !errors.Is(derr, context.DeadlineExceeded) {
			err = errors.Join(err, derr)
		} else if left > 0 {
			fmt.Fprintf(log, "NATS: %d messages not yet taken by the hub stay on this host for the next run\n", left)
		}
	}
	bp.stop()
	bp.nc.Close()
	if bp.leaf != nil {
		bp.leaf.Shutdown()
	}
	return err
}

// ingestOpen makes ingest publish instead of writing the store: cfg.Open
// returns the publisher. The returned func waits for the hub and closes.
func (o *busOptions) ingestOpen(ctx context.Context, cfg *ingest.Config, ruleArgs []string, log io.Writer) (func(), error) {
	if cfg.Sensor == "" {
		return nil, errors.New("--publish needs --sensor: the sensor's name is in its subjects")
	}
	if len(ruleArgs) > 0 {
		return nil, errors.New("--publish with --rules is not supported yet: rule sets are stored in the collectors' store")
	}
	tz := cfg.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	bp, err := o.startPublisher(ctx, cfg.Sensor, tz, nil, cfg.DBPath, log)
	if err != nil {
		return nil, err
	}
	cfg.SkipVerify = true
	cfg.Open = func(context.Context, string) (store.Store, error) { return keepOpen{bp.pub}, nil }
	return func() {
		dctx, cancel := context.WithTimeout(context.Background(), o.drainWait)
		defer cancel()
		if err := bp.close(dctx, o.hubDomain, log); err != nil {
			fmt.Fprintf(log, "warning: NATS: %v\n", err)
		}
	}, nil
}

// keepOpen keeps a shared store open across its users' closes (serve
// closes it).
type keepOpen struct{ store.Store }

// Close does nothing.
func (keepOpen) Close() error { return nil }
