package remote

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/honeyscope/honeyscope/internal/store"
)

// Reassign through the owner: the owner holds its write lock, lists the
// distinct sources of the days (sorted), and sends them in bulk frames; the
// client locates each (it has the GeoIP databases) and sends the places
// back in the same order; the owner applies them in one transaction.

// reassigner is what an owned store needs for a remote Reassign
// (duckstore.Store has it).
type reassigner interface {
	ReassignSources(ctx context.Context, from, to string) ([]netip.Addr, error)
	ReassignPlaces(ctx context.Context, from, to string, srcs []netip.Addr, places []store.Place, countryDB, asnDB string) (store.ReassignResult, error)
}

// addrsPerFrame is how many addresses (or places) go in one bulk frame.
const addrsPerFrame = 1 << 16

const addrSize = 17

func encodeAddrs(as []netip.Addr) []byte {
	var e encoder
	e.b = make([]byte, 0, 4+len(as)*addrSize)
	e.u32(uint32(len(as)))
	for _, a := range as {
		if a.Is4() {
			e.u8(4)
		} else {
			e.u8(6)
		}
		b := a.As16()
		e.b = append(e.b, b[:]...)
	}
	return e.b
}

func decodeAddrs(b []byte) ([]netip.Addr, error) {
	d := &decoder{b: b}
	n := d.count(addrSize)
	out := make([]netip.Addr, n)
	for i := 0; i < n && d.err == nil; i++ {
		kind := d.u8()
		var a [16]byte
		copy(a[:], d.take(16))
		switch kind {
		case 4:
			out[i] = netip.AddrFrom16(a).Unmap()
		case 6:
			out[i] = netip.AddrFrom16(a)
		default:
			d.fail(fmt.Errorf("address %d: kind %d", i, kind))
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail(fmt.Errorf("%d bytes after the addresses", len(d.b)))
	}
	if d.err != nil {
		return nil, fmt.Errorf("bad address frame: %w", d.err)
	}
	return out, nil
}

const placeSize = 16

func encodePlaces(ps []store.Place) []byte {
	var e encoder
	strs := map[string]uint32{}
	var table []string
	intern := func(s string) uint32 {
		if i, ok := strs[s]; ok {
			return i
		}
		strs[s] = uint32(len(table))
		table = append(table, s)
		return strs[s]
	}
	idx := make([][3]uint32, len(ps))
	for i, p := range ps {
		idx[i] = [3]uint32{intern(p.Country), intern(p.Org), intern(p.Special)}
	}
	e.u32(uint32(len(table)))
	for _, s := range table {
		e.str(s)
	}
	e.u32(uint32(len(ps)))
	for i, p := range ps {
		e.u32(idx[i][0])
		e.u32(p.ASN)
		e.u32(idx[i][1])
		e.u32(idx[i][2])
	}
	return e.b
}

// decodePlaces decodes a frame of places, sharing strings through intern
// so that millions of places hold each country and organisation once.
func decodePlaces(b []byte, intern map[string]string) ([]store.Place, error) {
	d := &decoder{b: b}
	ns := d.count(4)
	table := make([]string, ns)
	for i := range table {
		s := d.str()
		if v, ok := intern[s]; ok {
			s = v
		} else if len(intern) < 1<<20 {
			intern[s] = s
		}
		table[i] = s
	}
	str := func(i uint32) string {
		if int64(i) >= int64(len(table)) {
			d.fail(fmt.Errorf("string %d of %d", i, len(table)))
			return ""
		}
		return table[i]
	}
	n := d.count(placeSize)
	out := make([]store.Place, n)
	for i := 0; i < n && d.err == nil; i++ {
		out[i].Country = str(d.u32())
		out[i].ASN = d.u32()
		out[i].Org = str(d.u32())
		out[i].Special = str(d.u32())
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail(fmt.Errorf("%d bytes after the places", len(d.b)))
	}
	if d.err != nil {
		return nil, fmt.Errorf("bad place frame: %w", d.err)
	}
	return out, nil
}
