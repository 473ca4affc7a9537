package remote

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
)

// The source-port study's reads through the owner (store.SrcPortStore and
// store.SrcPortRanker): its store's, or their errors when it keeps none.
const (
	opSrcPortObs  = "source-port-bins"
	opSrcPortDays = "source-port-days"
	opSrcPortTop  = "source-port-top"
)

type srcPortObsReply struct {
	Obs []srcports.Obs
	Cut bool
}

type srcPortDaysArgs struct {
	From, To civil.Day
	Sensors  []string
}

type srcPortTopArgs struct {
	Q          store.SrcPortQuery
	N, MinDays int
}

func init() {
	readOps[opSrcPortObs] = readOp(func(st store.Store, ctx context.Context, q store.SrcPortQuery) (srcPortObsReply, error) {
		sp, err := store.SrcPortsOf(st)
		if err != nil {
			return srcPortObsReply{}, err
		}
		obs, cut, err := sp.SrcPortObs(ctx, q)
		return srcPortObsReply{obs, cut}, err
	})
	readOps[opSrcPortDays] = readOp(func(st store.Store, ctx context.Context, a srcPortDaysArgs) (map[civil.Day]int, error) {
		sp, err := store.SrcPortsOf(st)
		if err != nil {
			return nil, err
		}
		return sp.SrcPortDays(ctx, a.From, a.To, a.Sensors)
	})
	readOps[opSrcPortTop] = readOp(func(st store.Store, ctx context.Context, a srcPortTopArgs) (store.SrcPortRanking, error) {
		r, ok := st.(store.SrcPortRanker)
		if !ok {
			return store.SrcPortRanking{}, store.ErrNoSrcPortRanking
		}
		return r.SrcPortTop(ctx, a.Q, a.N, a.MinDays)
	})
}

var (
	_ store.SrcPortStore  = (*Client)(nil)
	_ store.SrcPortRanker = (*Client)(nil)
)

// SrcPortObs asks the owner.
func (cl *Client) SrcPortObs(ctx context.Context, q store.SrcPortQuery) ([]srcports.Obs, bool, error) {
	r, err := readCall[srcPortObsReply](ctx, cl, opSrcPortObs, q)
	return r.Obs, r.Cut, err
}

// SrcPortDays asks the owner.
func (cl *Client) SrcPortDays(ctx context.Context, from, to civil.Day, sensors []string) (map[civil.Day]int, error) {
	return readCall[map[civil.Day]int](ctx, cl, opSrcPortDays, srcPortDaysArgs{from, to, sensors})
}

// SrcPortTop asks the owner.
func (cl *Client) SrcPortTop(ctx context.Context, q store.SrcPortQuery, n, minDays int) (store.SrcPortRanking, error) {
	return readCall[store.SrcPortRanking](ctx, cl, opSrcPortTop, srcPortTopArgs{q, n, minDays})
}

// A transaction's source-port histograms (store.SrcPortTx) are an
// opSrcPorts message announcing the part, then its rows in bulk frames
// (gob, at most srcPortFrame rows each), checked by the owner before it
// appends them.
const opSrcPorts = "source-ports"

// srcPortFrame is the rows a client puts in one bulk frame (a variable so
// that tests can make many small frames).
var srcPortFrame = 1 << 16

// maxSrcPortRows bounds the rows of one part sent through the owner, as
// maxEvidenceCounts bounds an evidence part's (about 800 MiB of rows held
// by the owner at the most; with srcports' default options a part has at
// most DefaultMaxSources pairs of K + DstPorts + 1 bins, 2.5 M rows).
const maxSrcPortRows = 1 << 24

// srcPortHeader announces a part: its totals and the rows to come.
type srcPortHeader struct {
	Part   srcports.Part // without its rows
	Sensor string
	Rows   int
}

var _ store.SrcPortTx = (*clientTx)(nil)

// AppendSrcPorts implements store.SrcPortTx: the part goes to the owner,
// which appends it to the transaction.
func (t *clientTx) AppendSrcPorts(ctx context.Context, p *srcports.Part, sensor string) error {
	if p == nil {
		return nil
	}
	if len(p.Rows) > maxSrcPortRows {
		return fmt.Errorf("source ports: %d rows, more than the %d one part may send to the owner", len(p.Rows), maxSrcPortRows)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errors.New("transaction already finished")
	}
	var frames [][]byte
	for i := 0; i < len(p.Rows); i += srcPortFrame {
		var b bytes.Buffer
		if err := gob.NewEncoder(&b).Encode(p.Rows[i:min(len(p.Rows), i+srcPortFrame)]); err != nil {
			return fmt.Errorf("source ports: %w", err)
		}
		frames = append(frames, b.Bytes())
	}
	hdr := *p
	hdr.Rows = nil
	var hb bytes.Buffer
	if err := gob.NewEncoder(&hb).Encode(srcPortHeader{Part: hdr, Sensor: sensor, Rows: len(p.Rows)}); err != nil {
		return fmt.Errorf("source ports: %w", err)
	}
	return t.sendPart(ctx, "source ports", opSrcPorts, hb.Bytes(), frames)
}

// receiveSrcPorts reads the part m announces from the next frames and
// checks it: every row announced and no more, each of a valid source, a
// known kind and a protocol of its kind, and K within srcports' bounds.
func receiveSrcPorts(m *message, next func() (frame, bool)) (*srcports.Part, string, error) {
	var h srcPortHeader
	if err := gob.NewDecoder(bytes.NewReader(m.Args)).Decode(&h); err != nil {
		return nil, "", fmt.Errorf("source ports: bad header: %w", err)
	}
	if h.Rows < 0 || h.Rows > maxSrcPortRows || m.Count < 0 || m.Count > h.Rows {
		return nil, "", fmt.Errorf("source ports: %d rows in %d frames: beyond the bounds", h.Rows, m.Count)
	}
	p := h.Part
	if p.K <= 0 || p.K > srcports.MaxK {
		return nil, "", fmt.Errorf("source ports: bound K %d (want 1 to %d)", p.K, srcports.MaxK)
	}
	p.Rows = make([]srcports.Row, 0, min(h.Rows, srcPortFrame))
	for range m.Count {
		f, ok := next()
		if !ok {
			return nil, "", errors.New("source ports: the client left")
		}
		if f.kind != kindBulk {
			return nil, "", errors.New("source ports: a control frame among its rows")
		}
		var rows []srcports.Row
		if err := gob.NewDecoder(bytes.NewReader(f.payload)).Decode(&rows); err != nil {
			return nil, "", fmt.Errorf("source ports: bad rows: %w", err)
		}
		if len(p.Rows)+len(rows) > h.Rows {
			return nil, "", errors.New("source ports: more rows than announced")
		}
		for i, r := range rows {
			if !r.Src.IsValid() || r.Kind > srcports.KindOther || (r.Kind == srcports.KindOther) != (r.Proto == 0) ||
				r.Kind != srcports.KindOther && r.Proto != 6 && r.Proto != 17 {
				return nil, "", fmt.Errorf("source ports: row %d: source %v, kind %d, protocol %d", len(p.Rows)+i, r.Src, r.Kind, r.Proto)
			}
		}
		p.Rows = append(p.Rows, rows...)
	}
	if len(p.Rows) != h.Rows {
		return nil, "", fmt.Errorf("source ports: got %d rows, announced %d", len(p.Rows), h.Rows)
	}
	return &p, h.Sensor, nil
}
