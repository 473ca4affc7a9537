package main

import (
	"encoding/json"
	"fmt"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"io"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/geo"
)

func newGeoCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "geo",
		Aliases: []string{"geoip"},
		Short:   "Look up, re-assign and build GeoIP data (country, ASN)",
		Long: `GeoIP: every source address gets a country (ISO code), its autonomous
system and organisation.

Special-purpose addresses (private, loopback, link-local, CGNAT, documentation,
benchmarking, multicast, reserved, 6to4/Teredo, ULA, ...) are never looked up:
they get the pseudo-country ZZ and the name of their range.

Databases: a country table and an ASN table are built in (ip-location-db
geo-whois-asn-country and asn, CC BY 4.0 / CC0; see NOTICE). --geoip takes
any MaxMind DB country or city database (GeoLite2-Country/City, DB-IP lite,
IPinfo lite, ip-location-db); --asn a GeoLite2-ASN-style database, which
` + "`geo build-asn`" + ` makes from ip-location-db's free ASN CSV, in place of the
built-in ASN table.

A database is checked when it is opened: its whole search tree is walked and
every record it points to decoded, so a damaged file is an error at start-up,
naming the file. The MaxMind DB format has no checksum, so a changed byte
inside a value that still decodes (a country code altered) cannot be told
from real data; the ingest log records each database's SHA-256, to compare
with the publisher's.`,
	}
	cmd.AddCommand(newGeoLookupCmd(g), newGeoReassignCmd(g), newGeoBuildASNCmd(g))
	return cmd
}

func newGeoLookupCmd(g *globals) *cobra.Command {
	var (
		opt    geoOptions
		format string
		lang   string
	)
	cmd := &cobra.Command{
		Use:   "lookup IP...",
		Short: "Print country, ASN, organisation and special range of addresses",
		Long: `Print the country, AS number, AS organisation and special-purpose range of
each address. An argument that is not an IP address gets an error line on
stderr; the other addresses are still printed, and the exit status is 1.`,
		Example: "  honeyscope geo lookup 8.8.8.8 133.11.0.1 192.168.1.1\n  honeyscope geo lookup --asn asn.mmdb --format json 2001:db8::1",
		Args:    cobra.MinimumNArgs(1),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if format != "table" && format != "json" {
				return fmt.Errorf("--format %q: want table or json", format)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opt.applyConfig(g)
			l, err := opt.open()
			if err != nil {
				return err
			}
			defer l.close()
			db := l.countryDB
			if l.asnDB != "" {
				db += "; " + l.asnDB
			}
			// Every address that parses gets its row; each one that does
			// not gets an error line, and the exit status is 1.
			rows := []lookupRow{}
			bad := 0
			for _, a := range args {
				ip, err := netip.ParseAddr(strings.TrimSpace(a))
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "error: %q is not an IP address\n", a)
					bad++
					continue
				}
				i := l.loc.Lookup(ip)
				rows = append(rows, lookupRow{ip.String(), i.Country, geo.CountryName(i.Country, lang), i.ASN, i.Org, i.Special, db})
			}
			if err := writeLookup(cmd.OutOrStdout(), format, rows); err != nil {
				return err
			}
			if bad > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	opt.register(cmd.Flags())
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	cmd.Flags().StringVar(&lang, "lang", "en", "language of country names: en or ja")
	return cmd
}

// lookupRow is one address of geo lookup. In JSON every key is always
// present (asn 0, as_org "" and special "" when unknown or not special), so
// all objects have the same keys.
type lookupRow struct {
	IP          string `json:"ip"`
	Country     string `json:"country"`
	CountryName string `json:"country_name"`
	ASN         uint32 `json:"asn"`
	Org         string `json:"as_org"`
	Special     string `json:"special"`
	Database    string `json:"database"`
}

// writeLookup writes geo lookup's rows as JSON or as a table aligned by
// display width (Japanese country names take two columns a character).
func writeLookup(w io.Writer, format string, rows []lookupRow) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	if len(rows) == 0 {
		return nil
	}
	table := make([][]string, len(rows))
	for i, r := range rows {
		asn := ""
		if r.ASN != 0 {
			asn = fmt.Sprintf("AS%d", r.ASN)
		}
		table[i] = []string{r.IP, r.Country, r.CountryName, asn, r.Org, r.Special}
	}
	if err := writeTable(w, []string{"ip", "country", "name", "asn", "organisation", "special"}, table, map[int]bool{3: true}); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "database: %s\n", rows[0].Database)
	return err
}

func newGeoReassignCmd(g *globals) *cobra.Command {
	var (
		opt      geoOptions
		from, to string
	)
	cmd := &cobra.Command{
		Use:   "reassign",
		Short: "Re-geolocate stored sources with another database version (no captures re-read)",
		Long: `Look up every stored source address of the chosen days again with the given
databases and update its country, ASN, organisation and special range, in one
transaction. The ingest log records the databases for ingests whose days were
all re-geolocated, and geo_history records every reassignment.`,
		Example: "  honeyscope geo reassign --geoip GeoLite2-Country.mmdb --asn GeoLite2-ASN.mmdb\n  honeyscope geo reassign --asn asn.mmdb --from 2026-05-01 --to 2026-05-31",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opt.applyConfig(g)
			l, err := opt.open()
			if err != nil {
				return err
			}
			defer l.close()
			st, err := openStoreOpts(cmd.Context(), g.dbPath(), duckstore.Options{MustExist: true})
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := st.Reassign(cmd.Context(), from, to, l.place, l.countryDB, l.asnDB)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "re-geolocated %d sources: %d source-day rows, %d changed country or ASN (%s", res.Sources, res.Rows, res.Changed, l.countryDB)
			if l.asnDB != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "; %s", l.asnDB)
			}
			fmt.Fprintln(cmd.OutOrStdout(), ")")
			return nil
		},
	}
	opt.register(cmd.Flags())
	cmd.Flags().StringVar(&from, "from", "", "first day, YYYY-MM-DD (default: all)")
	cmd.Flags().StringVar(&to, "to", "", "last day, YYYY-MM-DD (default: all)")
	return cmd
}

func newGeoBuildASNCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "build-asn CSV|TGZ OUT.mmdb",
		Short: "Convert ip-location-db's ASN CSV (start,end,asn,org) into a MaxMind DB for --asn",
		Long: `Convert the ip-location-db ASN data (CC BY 4.0: RouteViews, DB-IP, NRO; npm
package @ip-location-db/asn, either its .tgz or the CSV inside) into a
GeoLite2-ASN-style MaxMind DB usable with --asn. Attribution: IP to ASN data by
DB-IP (https://db-ip.com), RouteViews and the NRO, CC BY 4.0.`,
		Example: "  honeyscope geo build-asn ip-location-db-asn.tgz asn.mmdb",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := geo.BuildASN(args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", args[1])
			return nil
		},
	}
}
