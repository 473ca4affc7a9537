package main

import (
	"fmt"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/geo"
)

func newVersionCmd(g *globals) *cobra.Command {
	var notice bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, the built-in GeoIP data's build date and its licence notice",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "honeyscope %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			if info, ok := debug.ReadBuildInfo(); ok {
				if s := vcsLine(info); s != "" {
					fmt.Fprintln(w, s)
				}
			}
			fmt.Fprintf(w, "store schema version %d\n", duckstore.SchemaVersion)
			fmt.Fprintf(w, "built-in country database: ip-location-db geo-whois-asn-country, built %s\n",
				geo.DefaultBuildDate().UTC().Format("2006-01-02"))
			fmt.Fprintf(w, "built-in ASN database: ip-location-db asn, built %s\n",
				geo.DefaultASNBuildDate().UTC().Format("2006-01-02"))
			fmt.Fprintln(w, "GeoIP data: CC BY 4.0 / CC0, see `honeyscope version --notice` and NOTICE")
			if notice {
				fmt.Fprintln(w)
				fmt.Fprintln(w, geo.Notice)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&notice, "notice", false, "also print the attribution notice of the bundled GeoIP data")
	return cmd
}

// vcsLine describes the commit the binary was built from, as the go command
// records it (vcs.revision, vcs.time, vcs.modified), or "" when it recorded
// none (go run, go test, -buildvcs=false, a build outside a checkout).
func vcsLine(info *debug.BuildInfo) string {
	var rev, at string
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString("built from revision " + rev)
	var notes []string
	if at != "" {
		notes = append(notes, "committed "+at)
	}
	if modified {
		notes = append(notes, "with uncommitted changes")
	}
	if len(notes) > 0 {
		b.WriteString(" (" + strings.Join(notes, ", ") + ")")
	}
	return b.String()
}
