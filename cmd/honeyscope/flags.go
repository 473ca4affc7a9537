package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/clickstore"
)

// parseUnit reads --unit.
func parseUnit(unit string) (analysis.Unit, error) {
	switch unit {
	case "packets":
		return analysis.UnitPackets, nil
	case "sources":
		return analysis.UnitSources, nil
	}
	return "", fmt.Errorf("--unit %q: want packets or sources", unit)
}

// langs are the accepted values of --lang and of the config key "lang".
var langs = []string{"en", "ja"}

// checkLang checks --lang.
func checkLang(lang string) error {
	for _, l := range langs {
		if lang == l {
			return nil
		}
	}
	return fmt.Errorf("--lang %q: want %s", lang, strings.Join(langs, " or "))
}

// applyLang gives a command's --lang flag, when it has one and it was not
// set on the command line, the config file's "lang", and checks the result.
// Every command with --lang gets the same treatment here, so none can forget
// the config file or accept a language it cannot write.
func applyLang(cmd *cobra.Command, cfg *config) error {
	f := cmd.Flags().Lookup("lang")
	if f == nil {
		return nil
	}
	if !f.Changed && cfg != nil && cfg.Lang != "" {
		if err := checkLang(cfg.Lang); err != nil {
			return fmt.Errorf("config %s: \"lang\" %q: want %s", cfg.path, cfg.Lang, strings.Join(langs, " or "))
		}
		// Value.Set, not Flags().Set: the flag still reads as not given.
		if err := f.Value.Set(cfg.Lang); err != nil {
			return fmt.Errorf("config %s: lang: %w", cfg.path, err)
		}
	}
	return checkLang(f.Value.String())
}

// parsePorts reads --port values (comma-separated or repeated).
func parsePorts(in []string) ([]int, error) {
	var out []int
	for _, s := range splitList(in) {
		p, err := strconv.ParseUint(s, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("--port %q: not a port number (0-65535)", s)
		}
		out = append(out, int(p))
	}
	return out, nil
}

// parseASNs reads --asn values of stats: AS numbers, with or without "AS".
func parseASNs(in []string) ([]uint32, error) {
	var out []uint32
	for _, s := range splitList(in) {
		digits := s
		if len(s) > 2 && strings.EqualFold(s[:2], "AS") {
			digits = s[2:]
		}
		n, err := strconv.ParseUint(digits, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--asn %q: not an AS number (e.g. 13335 or AS13335); stats filters on the ASNs stored at ingest, "+
				"an ASN database is given to ingest or geo reassign", s)
		}
		out = append(out, uint32(n))
	}
	return out, nil
}

// checkCountries checks --country codes: two letters (ISO 3166-1 alpha-2,
// including the pseudo-code ZZ) or "??" for unknown.
func checkCountries(codes []string) error {
	for _, c := range codes {
		if c == "??" {
			continue
		}
		ok := len(c) == 2
		for i := 0; ok && i < len(c); i++ {
			b := c[i] | 0x20 // lower case
			ok = b >= 'a' && b <= 'z'
		}
		if !ok {
			return fmt.Errorf("--country: country codes are two letters (ISO 3166-1 alpha-2), got %s", c)
		}
	}
	return nil
}

// checkPeriod checks --from and --to: days as YYYY-MM-DD, --from not after --to.
func checkPeriod(from, to string) error {
	var f, t string
	for _, p := range []struct{ name, v string }{{"--from", from}, {"--to", to}} {
		if p.v == "" {
			continue
		}
		d, err := store.ParseDay(p.v)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		if p.name == "--from" {
			f = d.Format("2006-01-02")
		} else {
			t = d.Format("2006-01-02")
		}
	}
	if f != "" && t != "" && f > t {
		return fmt.Errorf("--from %s is after --to %s", from, to)
	}
	return nil
}

// addStoreFlag adds the global --store flag: a ClickHouse store
// (clickhouse://HOST:PORT/DB, docs/store.md) instead of the DuckDB file of
// --db, for every command.
func addStoreFlag(root *cobra.Command, g *globals) {
	root.PersistentFlags().StringVar(&g.store, "store", "", "ClickHouse store `URL` (clickhouse://HOST:PORT/DB) instead of the DuckDB file of --db")
	prev := root.PersistentPreRunE
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if g.store != "" {
			if !clickstore.IsURL(g.store) {
				return fmt.Errorf("--store %q: want clickhouse://HOST:PORT/DB (a DuckDB file is given with --db)", g.store)
			}
			if g.db != "" {
				return fmt.Errorf("--store and --db name two stores: give one")
			}
		}
		if prev != nil {
			return prev(cmd, args)
		}
		return nil
	}
}
