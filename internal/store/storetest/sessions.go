// Package storetest builds honeypot sessions and their intrusion hits for
// the tests of the store backends and of the commands that read them.
package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// ELF returns the bytes of a minimal ELF header of a 32-bit little-endian
// ARM executable followed by tag (not a program: nothing runs it).
func ELF(tag string) []byte {
	b := make([]byte, 52)
	copy(b, "\x7fELF\x01\x01\x01")
	b[16], b[18] = 2, 40 // ET_EXEC, EM_ARM
	return append(b, tag...)
}

// SHA256 is the hex SHA-256 of b.
func SHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// File is a file of content written at t by via, a sample when its type
// is one.
func File(t time.Time, path, via string, content []byte) session.File {
	ty := session.FileType(content)
	return session.File{Time: t, Path: path, Size: int64(len(content)), SHA256: SHA256(content), Type: ty, Via: via,
		Sample: session.IsSample(ty), Content: content}
}

// Telnet returns a finished telnet intrusion from src at start: a failed
// and a successful login, the commands, a wget URL and, when content is
// not nil, the file it dropped.
func Telnet(id, sensor string, src netip.Addr, start time.Time, content []byte, commands ...string) session.Session {
	s := session.Session{
		ID: id, Sensor: sensor, Service: session.Telnet, Port: 23, Src: src, SrcPort: 40001,
		Dst: netip.MustParseAddr("192.0.2.1"), Start: start, End: start.Add(30 * time.Second), EndReason: "closed",
		Arch: "arm7", TelnetOptions: "WILL 24,DO 1", Country: "JP",
		LoggedIn: true, Username: "root", Password: "xc3511", BytesIn: 512, BytesOut: 2048,
		Logins: []session.Login{
			{Time: start.Add(time.Second), Method: "telnet", Username: "admin", Password: "admin"},
			{Time: start.Add(2 * time.Second), Method: "telnet", Username: "root", Password: "xc3511", Success: true},
		},
	}
	for i, c := range commands {
		s.Commands = append(s.Commands, session.Command{Time: start.Add(time.Duration(3+i) * time.Second), Input: c, Known: true})
	}
	if content != nil {
		at := start.Add(20 * time.Second)
		s.URLs = append(s.URLs, session.URL{Time: at, URL: "http://198.51.100.9/bins/x.arm7", Via: "wget", Target: "/tmp/x"})
		s.Files = append(s.Files, File(at, "/tmp/x", "download", content))
	}
	return s
}

// HTTP returns an HTTP session from src at start with one request.
func HTTP(id, sensor string, src netip.Addr, start time.Time, path string) session.Session {
	return session.Session{
		ID: id, Sensor: sensor, Service: session.HTTP, Port: 8080, Src: src, SrcPort: 50000,
		Dst: netip.MustParseAddr("192.0.2.1"), Start: start, End: start.Add(time.Second), EndReason: "closed",
		ClientVersion: "Hello, World", Country: "US",
		Requests: []session.Request{{Time: start, Method: "GET", Path: path, Version: "HTTP/1.1", Host: "192.0.2.1",
			Headers: "User-Agent: Hello, World", Status: 404, Patterns: []string{"jaws-shell"}}},
	}
}

// IntrusionHits returns the hits of the intrusions among ss as a honeypot
// commits them: one hit tagged intrusion per session, per day (in loc) ×
// source × port, proto TCP, packets counting sessions.
func IntrusionHits(batchID, sensor string, ss []session.Session, loc *time.Location) *store.Batch {
	r := aggregate.Intrusions(ss, loc)
	places := make([]store.Place, len(r.Sources))
	for i := range r.Sources {
		for j := range ss {
			if ss[j].Src.Unmap() == r.Sources[i].Addr {
				places[i] = store.Place{Country: ss[j].Country}
				break
			}
		}
	}
	return &store.Batch{
		Ingest: store.Ingest{Path: "honeypot:" + sensor, Hash: "honeypot:" + batchID, Sensor: sensor, Format: "honeypot",
			Packets: r.Inbound, First: time.Unix(0, r.First), Last: time.Unix(0, r.Last), ErrorOffset: -1},
		Result: r,
		Places: places,
		Sensor: store.Sensor{Name: sensor},
	}
}
