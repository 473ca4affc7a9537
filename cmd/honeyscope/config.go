package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/honeyscope/honeyscope/internal/boundedfile"
	"os"
	"path/filepath"
	"strings"

	svcconfig "github.com/honeyscope/honeyscope/internal/config"
)

// config is the optional settings file. Flags override it.
//
// It is read from --config, else ./honeyscope.json, else
// $XDG_CONFIG_HOME/honeyscope/config.json (~/.config/...), when present.
type config struct {
	DB    string `json:"db"`
	GeoIP string `json:"geoip"`
	ASN   string `json:"asn"`
	TZ    string `json:"tz"`
	Lang  string `json:"lang"`
	path  string
	// svc is the service configuration when the file is YAML or TOML
	// (internal/config: the sections of serve, the honeypot's among them).
	svc *svcconfig.File
}

func configCandidates(explicit string) []string {
	if explicit != "" {
		return []string{explicit}
	}
	c := []string{"honeyscope.json", "honeyscope.yaml", "honeyscope.toml"}
	if d, err := os.UserConfigDir(); err == nil {
		c = append(c, filepath.Join(d, "honeyscope", "config.json"), filepath.Join(d, "honeyscope", "config.yaml"))
	}
	return c
}

// loadConfig reads the first config file that exists. A malformed file is an
// error naming the file and the line; an explicit --config must exist.
func loadConfig(explicit string) (*config, error) {
	for _, p := range configCandidates(explicit) {
		data, err := readConfigFile(p)
		if errors.Is(err, os.ErrNotExist) && explicit == "" {
			continue
		}
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("config %s: no such file", p)
			}
			return nil, fmt.Errorf("config %w", err) // the error names the file
		}
		if svcFormat(p, data) {
			f, err := svcconfig.Parse(p, data, svcconfig.FormatOf(p, data))
			if err != nil {
				return nil, err // names the file, the line and the key
			}
			f.Path = p
			return &config{DB: f.DB, GeoIP: f.GeoIP, ASN: f.ASN, TZ: f.TZ, Lang: f.Lang, path: p, svc: f}, nil
		}
		var c config
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			line := 1
			var se *json.SyntaxError
			var te *json.UnmarshalTypeError
			switch {
			case errors.As(err, &se):
				line += bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
			case errors.As(err, &te):
				line += bytes.Count(data[:min(int(te.Offset), len(data))], []byte("\n"))
			}
			return nil, fmt.Errorf("config %s: line %d: %v (keys: db, geoip, asn, tz, lang)", p, line, err)
		}
		c.path = p
		return &c, nil
	}
	return &config{}, nil
}

// svcFormat reports whether a settings file is a YAML or TOML service
// configuration rather than the JSON settings file: by its extension, or
// for another name by not starting with "{".
func svcFormat(path string, data []byte) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".toml":
		return true
	case ".json":
		return false
	}
	t := bytes.TrimSpace(data)
	return len(t) > 0 && t[0] != '{'
}

// maxConfigSize is the largest config file read: 1 MiB (a config file
// has five keys).
const maxConfigSize = 1 << 20

// readConfigFile reads a config file whole: a regular file (not a device
// or a pipe: /dev/zero would never end) of at most maxConfigSize bytes.
func readConfigFile(path string) ([]byte, error) {
	return boundedfile.Read(path, maxConfigSize, "config file")
}

// applyConfig fills geo flags left empty from the config file.
func (o *geoOptions) applyConfig(g *globals) {
	if g.cfg == nil {
		return
	}
	if o.countryDB == "" {
		o.countryDB = g.cfg.GeoIP
	}
	if o.asnDB == "" {
		o.asnDB = g.cfg.ASN
	}
}
