// Command gen writes the builtin country table of package geo from a MaxMind
// DB country database. It is run by `go generate` in internal/geo.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/honeyscope/honeyscope/internal/geo"
)

func main() {
	in := flag.String("in", "", "country `mmdb` to read")
	out := flag.String("out", "country.bin", "table `file` to write")
	flag.Parse()
	if *in == "" {
		fmt.Fprintln(os.Stderr, "gen: -in is required")
		os.Exit(2)
	}
	if err := geo.WriteCountryTable(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
