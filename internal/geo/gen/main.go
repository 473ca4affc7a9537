// Command gen writes the builtin tables of package geo: the country table
// from a MaxMind DB country database (-in), or the ASN table from the
// ip-location-db asn package tarball or CSV (-asn). It is run by
// `go generate` in internal/geo.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/honeyscope/honeyscope/internal/geo"
)

func main() {
	in := flag.String("in", "", "country `mmdb` to read")
	asn := flag.String("asn", "", "ip-location-db asn `tgz` or CSV to read")
	out := flag.String("out", "", "table `file` to write (default country.bin or asn.bin)")
	flag.Parse()
	var err error
	switch {
	case (*in == "") == (*asn == ""):
		fmt.Fprintln(os.Stderr, "gen: give one of -in or -asn")
		os.Exit(2)
	case *in != "":
		if *out == "" {
			*out = "country.bin"
		}
		err = geo.WriteCountryTable(*in, *out)
	default:
		if *out == "" {
			*out = "asn.bin"
		}
		err = geo.WriteASNTable(*asn, *out)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
