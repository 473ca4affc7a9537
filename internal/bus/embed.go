package bus

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults of a sensor's own JetStream storage.
const (
	DefaultLeafMaxBytes = 1 << 30
	DefaultLeafMaxAge   = 7 * 24 * time.Hour
	// DefaultHubDomain is the hub's JetStream domain.
	DefaultHubDomain = "hub"
	// LeafStream is the name of the stream on each sensor's server.
	LeafStream = "HONEYSCOPE_SENSOR"
	// HubStream is the name of the hub's stream.
	HubStream = "HONEYSCOPE"
	// maxPayload is the largest message the embedded servers take, and
	// what the publisher's parts stay under.
	maxPayload = 8 << 20
)

// LeafConfig configures a sensor's embedded nats-server.
type LeafConfig struct {
	// Sensor names the sensor; its JetStream domain is SensorDomain(Sensor).
	Sensor string
	// StoreDir is where its JetStream keeps messages until the hub has them.
	StoreDir string
	// MaxBytes and MaxAge bound what it keeps (defaults
	// DefaultLeafMaxBytes, DefaultLeafMaxAge): beyond them the oldest
	// messages go, sourced by the hub or not.
	MaxBytes int64
	MaxAge   time.Duration
	// Hub is the hub's leaf node URL (nats-leaf://HOST:7422, or tls://
	// for TLS); "" runs the sensor alone (the hub cannot source it).
	Hub string
	// Auth: credentials (URL user:password, Password, NkeySeedFile or
	// CredsFile) and TLS (CAFile, CertFile, KeyFile) for the hub link,
	// required when the hub is not loopback.
	Auth Auth
	// ReconnectInterval is how often a lost hub link is retried (default 1s).
	ReconnectInterval time.Duration
}

// Leaf is a sensor's embedded nats-server: it listens on no port (its
// clients are in-process) and links to the hub as a leaf node.
type Leaf struct {
	srv *server.Server
	cfg LeafConfig
}

// StartLeaf starts a sensor's server and makes its stream.
func StartLeaf(ctx context.Context, cfg LeafConfig) (*Leaf, error) {
	if cfg.Sensor == "" || cfg.StoreDir == "" {
		return nil, errors.New("leaf: a sensor name and a store directory are required")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultLeafMaxBytes
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultLeafMaxAge
	}
	if cfg.ReconnectInterval <= 0 {
		cfg.ReconnectInterval = time.Second
	}
	opts := &server.Options{
		ServerName:        SensorDomain(cfg.Sensor),
		DontListen:        true,
		NoSigs:            true,
		NoLog:             true,
		MaxPayload:        maxPayload,
		JetStream:         true,
		JetStreamDomain:   SensorDomain(cfg.Sensor),
		JetStreamMaxStore: cfg.MaxBytes + cfg.MaxBytes/4 + 64<<20,
		StoreDir:          cfg.StoreDir,
	}
	if cfg.Hub != "" {
		remote, err := leafRemote(cfg)
		if err != nil {
			return nil, err
		}
		opts.LeafNode.Remotes = []*server.RemoteLeafOpts{remote}
		opts.LeafNode.ReconnectInterval = cfg.ReconnectInterval
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("leaf: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("leaf: the embedded server did not start")
	}
	l := &Leaf{srv: srv, cfg: cfg}
	if err := l.ensureStream(ctx); err != nil {
		srv.Shutdown()
		return nil, err
	}
	return l, nil
}

// leafRemote is the hub link of cfg.
func leafRemote(cfg LeafConfig) (*server.RemoteLeafOpts, error) {
	raw := cfg.Hub
	if !strings.Contains(raw, "://") {
		raw = "nats-leaf://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("leaf: hub URL %q: want nats-leaf://HOST:PORT or tls://HOST:PORT", cfg.Hub)
	}
	check := "nats://" + u.Host
	if u.Scheme == "tls" {
		check = "tls://" + u.Host
	}
	a := cfg.Auth
	if _, ok := u.User.Password(); ok {
		a.Password = "set"
	}
	if err := CheckSecure(check, a); err != nil {
		return nil, fmt.Errorf("leaf: %w", err)
	}
	if cfg.Auth.User != "" || cfg.Auth.Password != "" {
		u.User = url.UserPassword(cfg.Auth.User, cfg.Auth.Password)
	}
	r := &server.RemoteLeafOpts{
		URLs: []*url.URL{u},
		// What the sensor publishes stays on it until the hub sources
		// it: a direct copy over the link would arrive twice.
		DenyExports: []string{SubjectPrefix + ".>", "$O." + SampleBucket + ".>"},
		DenyImports: []string{SubjectPrefix + ".>", "$O." + SampleBucket + ".>"},
		Credentials: cfg.Auth.CredsFile,
	}
	if cfg.Auth.NkeySeedFile != "" {
		seed, err := os.ReadFile(cfg.Auth.NkeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("leaf: nkey seed: %w", err)
		}
		r.Nkey = strings.TrimSpace(string(seed))
	}
	if u.Scheme == "tls" || cfg.Auth.CAFile != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CaFile: cfg.Auth.CAFile, CertFile: cfg.Auth.CertFile, KeyFile: cfg.Auth.KeyFile})
		if err != nil {
			return nil, fmt.Errorf("leaf: TLS: %w", err)
		}
		r.TLS, r.TLSConfig = true, tc
	}
	return r, nil
}

// Connect opens an in-process connection to the sensor's server.
func (l *Leaf) Connect() (*nats.Conn, error) {
	return nats.Connect("", nats.InProcessServer(l.srv), nats.Name("honeyscope "+l.cfg.Sensor), nats.MaxReconnects(-1))
}

// Domain is the sensor's JetStream domain.
func (l *Leaf) Domain() string { return SensorDomain(l.cfg.Sensor) }

// Linked reports whether the hub link is up.
func (l *Leaf) Linked() bool { return l.srv.NumLeafNodes() > 0 }

// Shutdown stops the server; what it kept stays in StoreDir.
func (l *Leaf) Shutdown() {
	l.srv.Shutdown()
	l.srv.WaitForShutdown()
}

func (l *Leaf) ensureStream(ctx context.Context) error {
	nc, err := l.Connect()
	if err != nil {
		return fmt.Errorf("leaf: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("leaf: %w", err)
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       LeafStream,
		Subjects:   []string{SensorSubjects(l.cfg.Sensor)},
		Storage:    jetstream.FileStorage,
		MaxBytes:   l.cfg.MaxBytes,
		MaxAge:     l.cfg.MaxAge,
		Discard:    jetstream.DiscardOld,
		Duplicates: 10 * time.Minute,
	})
	if err != nil {
		return fmt.Errorf("leaf: stream: %w", err)
	}
	_, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:   SampleBucket,
		Storage:  jetstream.FileStorage,
		MaxBytes: l.cfg.MaxBytes / 4,
		TTL:      l.cfg.MaxAge,
	})
	if err != nil {
		return fmt.Errorf("leaf: sample bucket: %w", err)
	}
	return nil
}

// Register makes the hub's stream (and sample bucket) source the
// sensor's, through the hub link (hubDomain: the hub's JetStream domain,
// "" for DefaultHubDomain). It retries until it succeeds or ctx ends:
// while the link is down, the sensor keeps what it publishes.
func (l *Leaf) Register(ctx context.Context, hubDomain string) error {
	if hubDomain == "" {
		hubDomain = DefaultHubDomain
	}
	nc, err := l.Connect()
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.NewWithDomain(nc, hubDomain)
	if err != nil {
		return err
	}
	for {
		err := AddSource(ctx, js, l.cfg.Sensor)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("register with the hub: %w (last: %v)", ctx.Err(), err)
		case <-time.After(time.Second):
		}
	}
}

// HubConfig bounds the hub's stream.
type HubConfig struct {
	// MaxBytes and MaxAge bound the stream (0: unbounded; MaxAge must
	// exceed the collectors' worst lag, or batches age out unread).
	MaxBytes int64
	MaxAge   time.Duration
	// Replicas of the stream in a hub cluster (0: 1).
	Replicas int
}

// EnsureHub makes the hub's stream and sample bucket (js: the hub's
// JetStream), keeping the sources sensors added.
func EnsureHub(ctx context.Context, js jetstream.JetStream, cfg HubConfig) error {
	sc := jetstream.StreamConfig{
		Name: HubStream,
		// Direct publishers (a sensor without its own server) publish
		// here; sensors with one are sourced (AddSource).
		Subjects:   []string{SubjectPrefix + ".>"},
		Storage:    jetstream.FileStorage,
		MaxBytes:   cfg.MaxBytes,
		MaxAge:     cfg.MaxAge,
		Replicas:   max(cfg.Replicas, 1),
		Duplicates: 10 * time.Minute,
	}
	if s, err := js.Stream(ctx, HubStream); err == nil {
		sc.Sources = s.CachedInfo().Config.Sources
		_, err = js.UpdateStream(ctx, sc)
		if err != nil {
			return fmt.Errorf("hub stream: %w", err)
		}
	} else if _, err := js.CreateStream(ctx, sc); err != nil {
		return fmt.Errorf("hub stream: %w", err)
	}
	_, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: SampleBucket, Storage: jetstream.FileStorage, Replicas: max(cfg.Replicas, 1)})
	if err != nil {
		return fmt.Errorf("hub sample bucket: %w", err)
	}
	return nil
}

// AddSource adds a sensor's stream and sample bucket to the sources of the
// hub's (js: the hub's JetStream). Stream updates are not atomic: after
// its update it reads the configuration back, and fails (to be retried)
// when another sensor's update took its source away.
func AddSource(ctx context.Context, js jetstream.JetStream, sensor string) error {
	dom := SensorDomain(sensor)
	for _, t := range []struct{ stream, source string }{
		{HubStream, LeafStream},
		{"OBJ_" + SampleBucket, "OBJ_" + SampleBucket},
	} {
		s, err := js.Stream(ctx, t.stream)
		if err != nil {
			return fmt.Errorf("hub stream %s: %w", t.stream, err)
		}
		has := func(cfg jetstream.StreamConfig) bool {
			for _, src := range cfg.Sources {
				if src.Name == t.source && (src.Domain == dom || src.External != nil && src.External.APIPrefix == "$JS."+dom+".API") {
					return true
				}
			}
			return false
		}
		cfg := s.CachedInfo().Config
		if has(cfg) {
			continue
		}
		cfg.Sources = append(cfg.Sources, &jetstream.StreamSource{Name: t.source, Domain: dom})
		if _, err := js.UpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("hub stream %s: add source %s: %w", t.stream, dom, err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			return err
		}
		if !has(info.Config) {
			return fmt.Errorf("hub stream %s: source %s was lost to a concurrent update", t.stream, dom)
		}
	}
	return nil
}

// HubServerConfig configures an embedded hub server (tests, or a small
// installation without a NATS deployment of its own).
type HubServerConfig struct {
	Host           string // default 127.0.0.1
	Port, LeafPort int    // client and leaf node ports
	StoreDir       string
	Domain         string // default DefaultHubDomain
	User, Password string // required beyond loopback (as TLS is, which this does not set up)
}

// StartHubServer starts an embedded hub with JetStream and a leaf node
// listener.
func StartHubServer(cfg HubServerConfig) (*server.Server, error) {
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.Domain == "" {
		cfg.Domain = DefaultHubDomain
	}
	if !isLoopback(cfg.Host) {
		return nil, fmt.Errorf("hub server on %s: %w", cfg.Host, ErrInsecure)
	}
	opts := &server.Options{
		ServerName:      "honeyscope-hub",
		Host:            cfg.Host,
		Port:            cfg.Port,
		NoSigs:          true,
		NoLog:           true,
		MaxPayload:      maxPayload,
		JetStream:       true,
		JetStreamDomain: cfg.Domain,
		StoreDir:        cfg.StoreDir,
		Username:        cfg.User,
		Password:        cfg.Password,
	}
	opts.LeafNode.Host, opts.LeafNode.Port = cfg.Host, cfg.LeafPort
	opts.LeafNode.Username, opts.LeafNode.Password = cfg.User, cfg.Password
	// Sensors link to the address they are given (a proxy, a NAT): the
	// hub does not hand them its own.
	opts.LeafNode.NoAdvertise = true
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return nil, errors.New("hub: the embedded server did not start")
	}
	return srv, nil
}

// Drain waits until the hub (in hubDomain, "" for DefaultHubDomain) has
// sourced everything the sensor's stream holds: the hub's source of it
// reports no lag and has seen its last message. When ctx ends first it
// returns how many messages the sensor still holds and ctx's error (the
// count read last, or, when ctx ended before any read of the sensor's
// stream completed, one read more of at most 2 s).
func (l *Leaf) Drain(ctx context.Context, hubDomain string) (uint64, error) {
	if hubDomain == "" {
		hubDomain = DefaultHubDomain
	}
	nc, err := l.Connect()
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	hjs, err := jetstream.NewWithDomain(nc, hubDomain)
	if err != nil {
		return 0, err
	}
	dom := l.Domain()
	var held uint64
	known := false
	for {
		if s, err := js.Stream(ctx, LeafStream); err == nil {
			if info, err := s.Info(ctx); err == nil {
				held, known = info.State.Msgs, true
				if held == 0 {
					return 0, nil
				}
				if l.sourcedUpTo(ctx, hjs, dom, info.State.LastTime) {
					return 0, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			if !known {
				held = l.held(ctx, js)
			}
			return held, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// held is how many messages the sensor's stream holds, read within 2 s
// of ctx's end (0 when even that read fails).
func (l *Leaf) held(ctx context.Context, js jetstream.JetStream) uint64 {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	s, err := js.Stream(rctx, LeafStream)
	if err != nil {
		return 0
	}
	info, err := s.Info(rctx)
	if err != nil {
		return 0
	}
	return info.State.Msgs
}

// sourcedUpTo reports whether the hub's source of this sensor has no lag
// and was active after last (the sensor's last message).
func (l *Leaf) sourcedUpTo(ctx context.Context, hjs jetstream.JetStream, dom string, last time.Time) bool {
	hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := hjs.Stream(hctx, HubStream)
	if err != nil {
		return false
	}
	info, err := s.Info(hctx)
	if err != nil {
		return false
	}
	for _, src := range info.Sources {
		if src.Name != LeafStream || src.External == nil || src.External.APIPrefix != "$JS."+dom+".API" {
			continue
		}
		return src.Lag == 0 && src.Active >= 0 && time.Since(last) > src.Active
	}
	return false
}
