package main

import "github.com/honeyscope/honeyscope/internal/session"

// placeSessions fills in the country of the sessions stored without one:
// where GeoIP places the source, as ingest places the sources of packets.
// The databases are opened (by open) only when some session needs them.
func placeSessions(ss []session.Session, open func() (*locator, error)) error {
	var loc *locator
	for i := range ss {
		s := &ss[i]
		if s.Country != "" || !s.Src.IsValid() {
			continue
		}
		if loc == nil {
			var err error
			if loc, err = open(); err != nil {
				return err
			}
			defer loc.close()
		}
		s.Country = loc.place(s.Src.Unmap()).Country
	}
	return nil
}
