package duckstore

import (
	"log/slog"
	"time"
)

// SetLog makes the read questions log how long each took, at debug level
// (nil: no log). Set it before the store is shared.
func (s *Store) SetLog(l *slog.Logger) { s.log = l }

// took logs, at debug level, that question name took the time since start.
func (s *Store) took(name string, start time.Time) {
	if s.log != nil {
		s.log.Debug("store question", "q", name, "took", time.Since(start).Round(time.Millisecond))
	}
}
