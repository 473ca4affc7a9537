package remote

import (
	"context"
	"errors"

	"github.com/honeyscope/honeyscope/internal/infra"
	"github.com/honeyscope/honeyscope/internal/store"
)

// DNS resolutions through the owner (infra.ResolutionStore): the read is a
// Reader call; the write one too, run under the owner's write lock
// (server.go). Both are sent in parts that fit a request frame.
const (
	opPutResolutions = "put-resolutions"
	opResolutions    = "resolutions"

	resolutionsPerCall = 500
	namesPerCall       = 5000
)

var errNoResolutions = errors.New("the owner's store keeps no DNS resolutions")

func resolutionsOf(st store.Store) (infra.ResolutionStore, error) {
	if r, ok := st.(infra.ResolutionStore); ok {
		return r, nil
	}
	return nil, errNoResolutions
}

// putResolutionsOp is run by the server holding its write lock.
var putResolutionsOp = readOp(func(st store.Store, ctx context.Context, rs []infra.Resolution) (bool, error) {
	r, err := resolutionsOf(st)
	if err != nil {
		return false, err
	}
	if len(rs) > resolutionsPerCall {
		return false, errors.New("too many resolutions in one call")
	}
	return true, r.PutResolutions(ctx, rs)
})

// resolutionsArgs asks for the resolutions of Names, or of all names.
type resolutionsArgs struct {
	All   bool
	Names []string
}

func init() {
	readOps[opResolutions] = readOp(func(st store.Store, ctx context.Context, a resolutionsArgs) ([]infra.Resolution, error) {
		r, err := resolutionsOf(st)
		if err != nil {
			return nil, err
		}
		if a.All {
			return r.Resolutions(ctx, nil)
		}
		if len(a.Names) > namesPerCall {
			return nil, errors.New("too many names in one call")
		}
		if len(a.Names) == 0 {
			return nil, nil
		}
		return r.Resolutions(ctx, a.Names)
	})
}

var _ infra.ResolutionStore = (*Client)(nil)

// PutResolutions asks the owner to store resolutions (in parts; each
// part is one transaction).
func (cl *Client) PutResolutions(ctx context.Context, rs []infra.Resolution) error {
	if cl.readOnly {
		return errReadOnly
	}
	for lo := 0; lo < len(rs); lo += resolutionsPerCall {
		if _, err := readCall[bool](ctx, cl, opPutResolutions, rs[lo:min(lo+resolutionsPerCall, len(rs))]); err != nil {
			return err
		}
	}
	return nil
}

// Resolutions asks the owner (names in parts; nil asks for all).
func (cl *Client) Resolutions(ctx context.Context, names []string) ([]infra.Resolution, error) {
	if names == nil {
		return readCall[[]infra.Resolution](ctx, cl, opResolutions, resolutionsArgs{All: true})
	}
	var out []infra.Resolution
	for lo := 0; lo < len(names); lo += namesPerCall {
		part, err := readCall[[]infra.Resolution](ctx, cl, opResolutions, resolutionsArgs{Names: names[lo:min(lo+namesPerCall, len(names))]})
		if err != nil {
			return nil, err
		}
		out = append(out, part...)
	}
	return out, nil
}
