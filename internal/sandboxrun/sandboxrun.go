// Package sandboxrun turns sandbox runs into stored runs: the glue `sandbox
// run` and serve share (Record), and serve's sandbox component, which runs
// every triaged ELF sample of an architecture the sandbox emulates once.
package sandboxrun

import (
	"context"
	"fmt"

	"github.com/honeyscope/honeyscope/internal/sandbox"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Sensor is the sensor a run's capture is ingested as.
const Sensor = "sandbox"

// Ingester ingests a run's capture file as Sensor.
type Ingester func(ctx context.Context, pcap string) error

// Record ingests res's capture through ingest (when ingest is set and the
// run sent packets) and returns the run to store, its Sensor set when the
// capture was ingested.
func Record(ctx context.Context, res *sandbox.Result, ingest Ingester) (store.SandboxRun, error) {
	sensor := ""
	if ingest != nil && res.Packets > 0 {
		if err := ingest(ctx, res.PCAP); err != nil {
			return res.StoreRun(""), fmt.Errorf("ingest the capture %s: %w", res.PCAP, err)
		}
		sensor = Sensor
	}
	return res.StoreRun(sensor), nil
}

// Save records res (Record) and stores the run in st, returning it with
// its id.
func Save(ctx context.Context, st store.SandboxStore, res *sandbox.Result, ingest Ingester) (store.SandboxRun, error) {
	run, err := Record(ctx, res, ingest)
	if err != nil {
		return run, err
	}
	return st.AddSandboxRun(ctx, run)
}
