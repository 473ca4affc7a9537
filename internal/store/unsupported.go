package store

import "errors"

// ErrUnsupported is wrapped by the errors of the methods a backend does not
// implement (yet): the error names the method, and a caller can tell it
// from a failed query with errors.Is. A backend never answers such a
// question with an approximation.
var ErrUnsupported = errors.New("not supported by this store backend")
