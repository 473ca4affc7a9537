package evidence

import (
	"cmp"
	"slices"
)

// Merge returns the evidence of several collectors of one capture (the
// workers of a live interval) as one part: each payload once (by hash),
// counts of one day, source, protocol, port and payload added up, totals
// summed. The parts must have been kept with one MaxLen (the first one's
// is the result's). Nil parts are skipped; Merge of none is nil.
func Merge(parts []*Part) *Part {
	var out *Part
	n := 0
	for _, p := range parts {
		if p != nil {
			n++
			if out == nil {
				out = p
			}
		}
	}
	if n <= 1 {
		return out
	}
	m := &Part{MaxLen: out.MaxLen}
	index := map[[32]byte]uint32{}
	type key struct {
		c   Count // Packets zero
		pay uint32
	}
	cells := map[key]uint64{}
	for _, p := range parts {
		if p == nil {
			continue
		}
		m.Packets += p.Packets
		m.Kept += p.Kept
		m.Dropped += p.Dropped
		m.Truncated += p.Truncated
		remap := make([]uint32, len(p.Payloads))
		for i := range p.Payloads {
			q := &p.Payloads[i]
			j, ok := index[q.Hash]
			if !ok {
				j = uint32(len(m.Payloads))
				index[q.Hash] = j
				m.Payloads = append(m.Payloads, *q)
			}
			remap[i] = j
		}
		for _, c := range p.Counts {
			k := key{c: Count{Day: c.Day, Src: c.Src, Proto: c.Proto, Port: c.Port}, pay: remap[c.Payload]}
			cells[k] += c.Packets
		}
	}
	m.Counts = make([]Count, 0, len(cells))
	for k, v := range cells {
		c := k.c
		c.Payload, c.Packets = k.pay, v
		m.Counts = append(m.Counts, c)
	}
	slices.SortFunc(m.Counts, func(x, y Count) int {
		return cmp.Or(cmp.Compare(x.Day, y.Day), x.Src.Compare(y.Src), cmp.Compare(x.Proto, y.Proto),
			cmp.Compare(x.Port, y.Port), cmp.Compare(x.Payload, y.Payload))
	})
	return m
}
