package geo

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// BuildASN converts ip-location-db's ASN data, a CSV of start,end,asn,org
// lines (IPv4 and/or IPv6 addresses), into a MaxMind DB file at out with the
// GeoLite2-ASN record layout (autonomous_system_number,
// autonomous_system_organization) for Config.ASNDB. src is either such a CSV
// or the npm package tarball (.tgz) that holds asn-ipv4.csv and
// asn-ipv6.csv. Ranges inside blocks that MaxMind DB files alias to IPv4
// (::ffff:0:0/96, 2002::/16 and the like) are skipped. out is replaced only
// when the whole conversion succeeds.
func BuildASN(src, out string) error {
	isTar, built, err := inspectASNSource(src)
	if err != nil {
		return fmt.Errorf("build asn: %w", err)
	}
	b := &asnBuilder{values: map[asnKey]mmdbtype.Map{}}
	b.tree, err = mmdbwriter.New(mmdbwriter.Options{
		BuildEpoch:              built.Unix(),
		DatabaseType:            "ip-location-db-ASN",
		Description:             map[string]string{"en": "IP to ASN from ip-location-db (RouteViews, DB-IP, NRO; CC BY 4.0), converted from " + filepath.Base(src)},
		IncludeReservedNetworks: true,
		RecordSize:              32,
		KeyGenerator:            asnKeyGen{},
	})
	if err != nil {
		return fmt.Errorf("build asn: %w", err)
	}
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("build asn: %w", err)
	}
	defer f.Close()
	if isTar {
		err = b.addTarball(f, src)
	} else {
		err = b.addCSV(bufio.NewReaderSize(f, 1<<20), src)
	}
	if err != nil {
		return fmt.Errorf("build asn: %w", err)
	}
	if b.ranges == 0 {
		return fmt.Errorf("build asn: %s: no ranges found", src)
	}
	if err := b.write(out); err != nil {
		return fmt.Errorf("build asn: %w", err)
	}
	return nil
}

// inspectASNSource reports whether src is a gzip-compressed tarball and the
// date of its data: for a tarball the date in its package.json version
// (ip-location-db versions end in YYYYMMDDHH), else the file's modification
// time, unless that is implausible (npm tarballs set every file's time to
// 1985-10-26): then the time of the conversion.
func inspectASNSource(src string) (isTar bool, built time.Time, err error) {
	f, err := os.Open(src)
	if err != nil {
		return false, time.Time{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, time.Time{}, err
	}
	built = st.ModTime().UTC()
	if built.Year() < 2000 {
		built = time.Now().UTC().Truncate(time.Second)
	}
	br := bufio.NewReader(f)
	if magic, _ := br.Peek(2); len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return false, built, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return false, time.Time{}, fmt.Errorf("%s: %w", src, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return true, built, nil
		}
		if err != nil {
			return false, time.Time{}, fmt.Errorf("%s: %w", src, err)
		}
		if path.Base(h.Name) != "package.json" {
			continue
		}
		var pkg struct{ Version string }
		if json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&pkg) == nil {
			v := pkg.Version[strings.LastIndexByte(pkg.Version, '.')+1:]
			if t, err := time.Parse("2006010215", v); err == nil {
				return true, t, nil
			}
		}
	}
}

type asnKey struct {
	asn uint32
	org string
}

type asnBuilder struct {
	tree    *mmdbwriter.Tree
	values  map[asnKey]mmdbtype.Map
	ranges  int
	skipped int // ranges in aliased blocks
}

// asnKeyGen keys the writer's value deduplication by AS number and name
// instead of the default serialise-and-hash of every inserted value, which
// dominated the conversion time.
type asnKeyGen struct{}

// Key implements mmdbwriter.KeyGenerator.
func (asnKeyGen) Key(v mmdbtype.DataType) ([]byte, error) {
	m, ok := v.(mmdbtype.Map)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	n, _ := m["autonomous_system_number"].(mmdbtype.Uint32)
	org, _ := m["autonomous_system_organization"].(mmdbtype.String)
	key := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(org)), uint32(n))
	return append(key, org...), nil
}

// addTarball reads asn-ipv4.csv and asn-ipv6.csv from an npm package
// tarball.
func (b *asnBuilder) addTarball(r io.Reader, src string) error {
	zr, err := gzip.NewReader(bufio.NewReaderSize(r, 1<<20))
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	tr := tar.NewReader(zr)
	found := 0
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", src, err)
		}
		if name := path.Base(h.Name); name == "asn-ipv4.csv" || name == "asn-ipv6.csv" || name == "asn.csv" {
			found++
			if err := b.addCSV(tr, src+":"+h.Name); err != nil {
				return err
			}
		}
	}
	if found == 0 {
		return fmt.Errorf("%s: no asn-ipv4.csv or asn-ipv6.csv inside", src)
	}
	return nil
}

// addCSV inserts the start,end,asn,org lines of r; name is used in errors.
func (b *asnBuilder) addCSV(r io.Reader, name string) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if len(rec) < 3 {
			return fmt.Errorf("%s:%d: want start,end,asn,org, got %d fields", name, line, len(rec))
		}
		start, err1 := netip.ParseAddr(strings.TrimSpace(rec[0]))
		end, err2 := netip.ParseAddr(strings.TrimSpace(rec[1]))
		if err1 != nil || err2 != nil {
			if line == 1 { // a header line
				continue
			}
			return fmt.Errorf("%s:%d: bad address range %q-%q", name, line, rec[0], rec[1])
		}
		if start.Is4() != end.Is4() || end.Less(start) {
			return fmt.Errorf("%s:%d: bad address range %s-%s", name, line, start, end)
		}
		asn, err := strconv.ParseUint(strings.TrimSpace(rec[2]), 10, 32)
		if err != nil {
			return fmt.Errorf("%s:%d: bad AS number %q", name, line, rec[2])
		}
		org := ""
		if len(rec) > 3 {
			org = strings.TrimSpace(rec[3])
		}
		k := asnKey{uint32(asn), org}
		v, ok := b.values[k]
		if !ok {
			v = mmdbtype.Map{
				"autonomous_system_number":       mmdbtype.Uint32(k.asn),
				"autonomous_system_organization": mmdbtype.String(k.org),
			}
			b.values[k] = v
		}
		err = b.tree.InsertRange(net.IP(start.AsSlice()), net.IP(end.AsSlice()), v)
		var aliased *mmdbwriter.AliasedNetworkError
		switch {
		case errors.As(err, &aliased):
			b.skipped++
		case err != nil:
			return fmt.Errorf("%s:%d: %w", name, line, err)
		default:
			b.ranges++
		}
	}
}

func (b *asnBuilder) write(out string) error {
	tmp, err := os.CreateTemp(filepath.Dir(out), ".asn-*.mmdb")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	w := bufio.NewWriterSize(tmp, 1<<20)
	if _, err := b.tree.WriteTo(w); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return os.Rename(tmp.Name(), out)
}
