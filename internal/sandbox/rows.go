package sandbox

import (
	"strconv"

	"github.com/honeyscope/honeyscope/internal/store"
)

// Rows returns the indicators as the store keeps them (see the
// store.Indicator* kinds).
func (ind Indicators) Rows() []store.SandboxIndicator {
	var out []store.SandboxIndicator
	add := func(kind, value string, n int64) {
		out = append(out, store.SandboxIndicator{Kind: kind, Value: value, Count: n})
	}
	for _, d := range ind.Domains {
		add(store.IndicatorDomain, d, 1)
	}
	for _, e := range ind.Contacted {
		v := e.Proto + " " + e.Addr.String()
		if e.Domain != "" {
			v += " " + e.Domain
		}
		add(store.IndicatorContacted, v, int64(e.Count))
	}
	for _, p := range ind.Scanned {
		add(store.IndicatorScanned, strconv.Itoa(int(p.Port)), int64(p.Count))
	}
	for _, p := range ind.SourcePorts {
		add(store.IndicatorSourcePort, strconv.Itoa(int(p.Port)), int64(p.Count))
	}
	if ind.SynSeqIsDst > 0 {
		add(store.IndicatorMirai, "syn", int64(ind.SynSeqIsDst))
	}
	sc := ind.Syscalls
	for _, f := range sc.Created {
		add(store.IndicatorFile, f, 1)
	}
	for _, f := range sc.Opened {
		add(store.IndicatorOpened, f, 1)
	}
	for _, f := range sc.Deleted {
		add(store.IndicatorDeleted, f, 1)
	}
	for _, f := range sc.Executed {
		add(store.IndicatorExec, f, 1)
	}
	if sc.Forks > 0 {
		add(store.IndicatorProcesses, "fork", int64(sc.Forks))
	}
	for _, s := range sc.Sockets {
		add(store.IndicatorSocket, s, 1)
	}
	return out
}

// StoreRun returns the run as the store keeps it (ID 0: not stored yet).
func (r *Result) StoreRun(sensor string) store.SandboxRun {
	return store.SandboxRun{
		SHA256: r.SHA256, Arch: r.Arch, Started: r.Started, Duration: r.Duration, Exit: r.Exit, TimedOut: r.TimedOut,
		Packets: r.Packets, Sensor: sensor, Notes: r.Notes, Indicators: r.Indicators.Rows(),
	}
}
