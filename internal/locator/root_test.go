package locator

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/honeyscope/honeyscope/internal/daemon"
)

// writeCountryDB writes a country database placing 8.8.8.0/24 in cc to
// path (a public block: documentation blocks are special-purpose and never
// looked up).
func writeCountryDB(t *testing.T, path, cc string) {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-Country", RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	_, n, _ := net.ParseCIDR("8.8.8.0/24")
	if err := tree.Insert(n, mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(cc)}}); err != nil {
		t.Fatal(err)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	// Replaced by rename, as an updater would.
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "country.mmdb")
	writeCountryDB(t, path, "JP")
	c, err := New(daemon.NewReporter(nil), Configuration{CountryDB: path}, Dependencies{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(); err != ErrNotStarted {
		t.Errorf("Reload before Start: %v", err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddr("8.8.8.8")
	if got := c.Lookup(a).Country; got != "JP" {
		t.Fatalf("before reload: %s", got)
	}
	writeCountryDB(t, path, "US")
	if got := c.Lookup(a).Country; got != "JP" {
		t.Errorf("changed before Reload: %s", got)
	}
	if err := c.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := c.Lookup(a).Country; got != "US" {
		t.Errorf("after reload: %s, want US", got)
	}
	// A damaged file: the reload fails and the databases in use stay.
	if err := os.WriteFile(path, []byte("not a maxmind db"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.Reload(); err == nil {
		t.Error("Reload of a damaged file succeeded")
	}
	if got := c.Lookup(a).Country; got != "US" {
		t.Errorf("after failed reload: %s, want US kept", got)
	}
	if ok, bad := testutil.ToFloat64(c.m.reloads.WithLabelValues("ok")), testutil.ToFloat64(c.m.reloads.WithLabelValues("error")); ok != 1 || bad != 1 {
		t.Errorf("reloads ok=%v error=%v, want 1 and 1", ok, bad)
	}
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := c.Lookup(a).Country; got != "??" {
		t.Errorf("after Stop: %s", got)
	}
}

func TestStartFailsOnMissingFile(t *testing.T) {
	c, err := New(daemon.NewReporter(nil), Configuration{ASNDB: filepath.Join(t.TempDir(), "missing.mmdb")}, Dependencies{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err == nil {
		t.Error("Start with a missing ASN database succeeded")
	}
}
