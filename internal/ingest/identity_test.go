package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zeebo/xxh3"

	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/synth"
)

func sha256ID(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func xxh3ID(b []byte) string {
	sum := xxh3.Hash128(b).Bytes()
	return fmt.Sprintf("xxh3-128:%s:%d", hex.EncodeToString(sum[:]), len(b))
}

// TestIDHash: streamed identities are XXH3-128 and SHA-256 of the bytes,
// asked for at any point without disturbing the state.
func TestIDHash(t *testing.T) {
	data := make([]byte, 300000)
	for i := range data {
		data[i] = byte(i*7 + i>>9)
	}
	h := newIDHash(schemeXXH3 | schemeSHA256)
	for _, n := range []int{0, 1, 17, 1024, 4096, 99999, 300000} {
		h.Write(data[h.n:n])
		if got, want := h.id(schemeXXH3), xxh3ID(data[:n]); got != want {
			t.Errorf("%d bytes: %s, want %s", n, got, want)
		}
		if got, want := h.id(schemeSHA256), sha256ID(data[:n]); got != want {
			t.Errorf("%d bytes: %s, want %s", n, got, want)
		}
		if !h.matches(xxh3ID(data[:n])) || !h.matches(sha256ID(data[:n])) {
			t.Errorf("%d bytes: its own identities do not match", n)
		}
		if n > 0 && (h.matches(xxh3ID(data[:n-1])) || h.matches(sha256ID(data[:n-1])) || h.matches("md5:00")) {
			t.Errorf("%d bytes: another content's identity matches", n)
		}
	}
	if x := newIDHash(schemeXXH3); x.id(schemeSHA256) != "" || x.matches(sha256ID(nil)) {
		t.Error("a scheme not computed gave an identity")
	}
}

// TestPrefixMatches: one read tells which earlier ingests, of either
// identity scheme, hold the start of the file.
func TestPrefixMatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	data := make([]byte, 100000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	other := append([]byte{1}, data[1:4096]...)
	earlier := []store.KnownIngest{
		{Size: 4096, Hash: sha256ID(data[:4096])},
		{Size: 0, Hash: xxh3ID(nil)},
		{Size: 99999, Hash: xxh3ID(data[:99999])},
		{Size: 4096, Hash: xxh3ID(other)},
		{Size: 4096, Hash: sha256ID(other)},
		{Size: 17, Hash: sha256ID(data[:17])},
		{Size: 18, Hash: "unknown:" + sha256ID(data[:18])},
	}
	got, err := prefixMatches(path, earlier)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{earlier[1].Hash, earlier[5].Hash, earlier[0].Hash, earlier[2].Hash}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("prefixMatches:\n got %q\nwant %q", got, want)
	}
	if _, err := prefixMatches(path, []store.KnownIngest{{Size: 200000, Hash: xxh3ID(nil)}}); err == nil {
		t.Error("a prefix longer than the file gave no error")
	}
}

// setHash rewrites the identity a store records for the ingest of path,
// as an earlier build would have recorded it.
func setHash(t *testing.T, db, path, hash string) {
	t.Helper()
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	abs, _ := filepath.Abs(path)
	r, err := st.DB().Exec(`UPDATE ingests SET hash = ? WHERE path = ?`, hash, abs)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := r.RowsAffected(); n != 1 {
		t.Fatalf("%d ingests of %s", n, abs)
	}
}

// TestOldIdentities: a store an earlier build wrote records SHA-256
// identities. The same content is still skipped, and with Force replaced
// (counted once), and a file that was still being written then is still
// known as its own earlier, shorter version.
func TestOldIdentities(t *testing.T) {
	dir := t.TempDir()
	truth, data := synthBytes(t, filepath.Join(dir, "full.pcap"), synth.Config{Packets: 20000, Days: 1, Seed: 21})
	capPath := filepath.Join(dir, "sensor.pcap")
	db := filepath.Join(dir, "s.duckdb")
	run := func(force bool) FileResult {
		t.Helper()
		res, err := Run(context.Background(), Config{DBPath: db, Force: force}, []string{capPath})
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Err != nil && !res[0].Committed {
			t.Fatal(res[0].Err)
		}
		return res[0]
	}
	if err := os.WriteFile(capPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(false); !r.Committed || r.Hash != xxh3ID(data) {
		t.Fatalf("first ingest: %+v, want committed as %s", r, xxh3ID(data))
	}
	setHash(t, db, capPath, sha256ID(data))
	if r := run(false); !r.Skipped || r.Committed || !strings.HasSuffix(r.Duplicate, "sensor.pcap") || r.Rewritten {
		t.Fatalf("same content, stored as SHA-256: %+v, want skipped as a duplicate", r)
	}
	if r := run(true); !r.Committed || !r.Replaced || r.Rewritten {
		t.Fatalf("same content with force: %+v, want committed and replaced", r)
	}
	if p, n := storeTotals(t, db); p != int64(truth.Packets) || n != 1 {
		t.Errorf("after --force: %d packets in %d ingests, want %d in 1", p, n, truth.Packets)
	}

	// An old build ingested the first half while it was being written.
	half := data[:len(data)/2]
	db = filepath.Join(dir, "t.duckdb")
	if err := os.WriteFile(capPath, half, 0o644); err != nil {
		t.Fatal(err)
	}
	first := run(false)
	setHash(t, db, capPath, sha256ID(half))
	if err := os.WriteFile(capPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(false); !r.Committed || !r.Grown || r.Rewritten {
		t.Fatalf("completed file: %+v, want committed and grown", r)
	}
	if p, _ := storeTotals(t, db); p != int64(first.Packets)+int64(truth.Packets) {
		t.Errorf("without force: %d packets, want both ingests' %d", p, int64(first.Packets)+int64(truth.Packets))
	}
	if r := run(true); !r.Committed || !r.Replaced {
		t.Fatalf("completed file with force: %+v, want committed and replaced", r)
	}
	if p, n := storeTotals(t, db); p != int64(truth.Packets) || n != 1 {
		t.Errorf("after --force: %d packets in %d ingests, want %d in 1", p, n, truth.Packets)
	}
}

// BenchmarkContentHash: the identity ingest records (XXH3-128) against
// the SHA-256 earlier builds recorded, over 16 MiB of capture-like bytes
// (B/s is the throughput).
func BenchmarkContentHash(b *testing.B) {
	data := make([]byte, 16<<20)
	x := uint64(1)
	for i := range data {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		data[i] = byte(x)
	}
	for _, s := range []struct {
		name   string
		scheme idScheme
	}{{"xxh3-128", schemeXXH3}, {"sha256", schemeSHA256}} {
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				h := newIDHash(s.scheme)
				for off := 0; off < len(data); off += 1 << 20 {
					h.Write(data[off : off+1<<20])
				}
				if h.id(s.scheme) == "" {
					b.Fatal("no identity")
				}
			}
		})
	}
}
