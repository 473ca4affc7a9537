package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
}

func configCandidates(explicit string) []string {
	if explicit != "" {
		return []string{explicit}
	}
	c := []string{"honeyscope.json"}
	if d, err := os.UserConfigDir(); err == nil {
		c = append(c, filepath.Join(d, "honeyscope", "config.json"))
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
			return nil, fmt.Errorf("config %s: %w", p, err)
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

// maxConfigSize is the largest config file read: 1 MiB (a config file
// has five keys).
const maxConfigSize = 1 << 20

// readConfigFile reads a config file whole: a regular file (not a device
// or a pipe: /dev/zero would never end) of at most maxConfigSize bytes.
func readConfigFile(path string) ([]byte, error) {
	fi, err := os.Stat(path) // before opening: opening a FIFO would wait
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fileKind(fi.Mode()))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("larger than %d bytes, the most a config file may have", maxConfigSize)
	}
	return data, nil
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

// fileKind names what a file that is not regular is.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	}
	return "a special file"
}
