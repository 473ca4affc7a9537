//go:build !linux

package nflogsrc

import (
	"context"
	"errors"
)

// ErrUnsupported is returned by Open where NFLOG does not exist.
var ErrUnsupported = errors.New("nflog: only available on Linux")

// Source is a bound NFLOG group; on this system none can be opened.
type Source struct{}

// Open fails with ErrUnsupported: NFLOG is Linux's.
func Open(group uint16, bufsize int) (*Source, error) { return nil, ErrUnsupported }

// OpenOptions fails with ErrUnsupported: NFLOG is Linux's.
func OpenOptions(group uint16, o Options) (*Source, error) { return nil, ErrUnsupported }

// Group returns 0.
func (s *Source) Group() uint16 { return 0 }

// Stats returns zero counts.
func (s *Source) Stats() Stats { return Stats{} }

// Close does nothing.
func (s *Source) Close() error { return nil }

// Run fails with ErrUnsupported.
func (s *Source) Run(ctx context.Context, h Handler) error { return ErrUnsupported }
