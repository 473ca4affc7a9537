package duckstore

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// bigBatch is a batch of n source-days with two hits each: enough rows to
// fill several blocks of the store file.
func bigBatch(hash string, n int) *store.Batch {
	ts := time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC).UnixNano()
	r := &aggregate.Result{First: ts, Last: ts}
	places := make([]store.Place, n)
	for i := 0; i < n; i++ {
		a := netip.AddrFrom4([4]byte{byte(1 + i>>16), byte(i >> 8), byte(i), byte(i * 7)})
		r.Sources = append(r.Sources, aggregate.SourceDay{Addr: a, Day: day("2026-05-01"), Packets: uint64(3 + i%11),
			Bytes: uint64(60 * (3 + i%11)), First: ts + int64(i)*1e6, Last: ts + int64(i)*2e6, Tags: classify.Access.Bit(),
			SrcPort: uint16(i * 13), PortState: 1})
		r.Hits = append(r.Hits, aggregate.Hit{Source: uint32(i), Proto: 6, Port: uint16(i % 1024), Tags: classify.Access.Bit(), Packets: 2},
			aggregate.Hit{Source: uint32(i), Proto: 17, Port: uint16(i % 4096), Tags: classify.Access.Bit(), Packets: uint64(1 + i%11)})
		places[i] = store.Place{Country: []string{"JP", "US", "CN", "DE"}[i%4], ASN: uint32(i % 5000)}
		r.Inbound += uint64(3 + i%11)
	}
	r.Packets = r.Inbound
	return &store.Batch{
		Ingest:  store.Ingest{Path: "big.pcap", Hash: hash, Size: int64(n), Sensor: "s1", Format: "pcap", ErrorOffset: -1},
		Result:  r,
		Places:  places,
		Pattern: func(int) string { return "" },
		Sensor:  store.Sensor{Name: "s1"},
	}
}

// fullRead reads every column of every table with plain queries, as the
// commands do between them: the reference for what Verify must find.
func fullRead(ctx context.Context, path string) error {
	st, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer st.Close()
	tables, err := st.tableColumns(ctx)
	if err != nil {
		return err
	}
	for _, t := range tables {
		rows, err := st.db.QueryContext(ctx, "SELECT * FROM "+quoteIdent(t.name))
		if err != nil {
			return err
		}
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// probeEnv names, in the environment of a child test process, the damaged
// store file it is to probe (see TestVerifyFindsDamagedBlocks).
const probeEnv = "HONEYSCOPE_VERIFY_PROBE"

// probe reports, on stdout, what reading back the store at path gave:
// "read-ok", "open-failed", or "read-failed" followed by what Verify said.
func probe(path string) string {
	ctx := context.Background()
	if fullRead(ctx, path) == nil {
		return "read-ok"
	}
	st, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		return "open-failed"
	}
	defer st.Close()
	err = st.Verify(ctx)
	if errors.Is(err, ErrCorrupt) {
		return "read-failed corrupt"
	}
	return fmt.Sprintf("read-failed verify: %v", err)
}

// TestVerifyProbe is the child process of TestVerifyFindsDamagedBlocks:
// DuckDB can crash on some damaged files, so each is probed in a process
// of its own.
func TestVerifyProbe(t *testing.T) {
	path := os.Getenv(probeEnv)
	if path == "" {
		t.Skip("child process of TestVerifyFindsDamagedBlocks")
	}
	fmt.Println("probe:", probe(path))
}

// TestVerifyFindsDamagedBlocks damages each block of a store file in turn:
// whenever reading every table back fails and Open does not, Verify must
// report ErrCorrupt; on the intact file it must pass.
func TestVerifyFindsDamagedBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("one process per block")
	}
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "v.duckdb")
	st, err := Open(ctx, path, Options{TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := st.Commit(ctx, bigBatch(fmt.Sprintf("sha256:%02d", i), 60000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Verify(ctx); err != nil {
		t.Fatalf("intact store: %v", err)
	}
	st.Close()
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const header, block = 3 * 4096, 256 << 10
	seen := map[string]int{}
	for off := header; off+block <= len(orig); off += block {
		bad := filepath.Join(dir, fmt.Sprintf("bad%d.duckdb", off/block))
		data := append([]byte(nil), orig...)
		for i := off + block/2; i < off+block/2+16; i++ {
			data[i] ^= 0xff
		}
		if err := os.WriteFile(bad, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestVerifyProbe$")
		cmd.Env = append(os.Environ(), probeEnv+"="+bad)
		out, _ := cmd.CombinedOutput()
		res := "crashed"
		if _, after, ok := strings.Cut(string(out), "probe: "); ok {
			res, _, _ = strings.Cut(after, "\n")
		}
		seen[strings.Fields(res)[0]]++
		if strings.HasPrefix(res, "read-failed") && res != "read-failed corrupt" {
			t.Errorf("block at %d damaged: reading it back fails but %s", off, res)
		}
	}
	t.Logf("blocks damaged in turn: %v", seen)
	if seen["read-failed"] == 0 {
		t.Fatal("no damaged data block found: the test tests nothing")
	}
}
