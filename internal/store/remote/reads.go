package remote

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"

	"github.com/honeyscope/honeyscope/internal/store"
)

// Reader calls. Each is a request whose argument travels gob-encoded in
// message.Args and whose result comes back gob-encoded in message.Result,
// cut into frames. Adding a method to store.Reader takes two lines: an
// entry in readOps, and a Client method calling readCall, e.g. for
// Foo(ctx, FooQuery) ([]FooRow, error):
//
//	opFoo: readOp(store.Store.Foo),                         // readOps
//	func (cl *Client) Foo(ctx context.Context, q store.FooQuery) ([]store.FooRow, error) {
//		return readCall[[]store.FooRow](ctx, cl, opFoo, q)
//	}
//
// (a method of several arguments takes them in a struct, with a closure
// here; one without takes readOp0 and a nil argument).

// readOps are the Reader calls the owner answers, by operation name.
var readOps = map[string]readFunc{
	opStats: readOp(statsOp), // by column: stats_wire.go
	opKnown: readOp0(store.Store.KnownSizes),
}

// readFunc decodes a call's argument with args and calls the store.
type readFunc func(ctx context.Context, st store.Store, args func(any) error) (any, error)

// readOp makes the readFunc of a method taking one argument.
func readOp[A, R any](f func(store.Store, context.Context, A) (R, error)) readFunc {
	return func(ctx context.Context, st store.Store, args func(any) error) (any, error) {
		var a A
		if err := args(&a); err != nil {
			return nil, err
		}
		return f(st, ctx, a)
	}
}

// readOp0 makes the readFunc of a method without arguments.
func readOp0[R any](f func(store.Store, context.Context) (R, error)) readFunc {
	return func(ctx context.Context, st store.Store, _ func(any) error) (any, error) {
		return f(st, ctx)
	}
}

// resultFrame is how much of a result one reply frame carries.
const resultFrame = 1 << 20

// maxResult bounds a result a client accepts.
const maxResult = 1 << 30

// read answers a Reader call.
func (s *Server) read(ctx context.Context, c *conn, m *message, f readFunc) {
	res, err := f(ctx, s.st, func(v any) error {
		if err := gob.NewDecoder(bytes.NewReader(m.Args)).Decode(v); err != nil {
			return fmt.Errorf("%s: bad argument: %w", m.Op, err)
		}
		return nil
	})
	if err != nil {
		s.reply(c, &message{Op: opRows}, err)
		return
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(res); err != nil {
		s.reply(c, &message{Op: opRows}, fmt.Errorf("%s: encode result: %w", m.Op, err))
		return
	}
	b := buf.Bytes()
	for {
		n := min(len(b), resultFrame)
		if err := c.writeMessage(&message{Op: opRows, Result: b[:n], More: n < len(b)}); err != nil {
			s.log.Warn("store owner: reply", "op", m.Op, "err", err)
			return
		}
		b = b[n:]
		if len(b) == 0 {
			break
		}
	}
	c.flush()
}

// readCall makes a Reader call (args nil for a method without arguments)
// and decodes its result.
func readCall[R any](ctx context.Context, cl *Client, op string, args any) (R, error) {
	var out R
	k, err := cl.open(ctx)
	if err != nil {
		return out, err
	}
	defer k.close()
	m := &message{Op: op}
	if args != nil {
		var ab bytes.Buffer
		if err := gob.NewEncoder(&ab).Encode(args); err != nil {
			return out, fmt.Errorf("%s: encode argument: %w", op, err)
		}
		if ab.Len() > maxRequestFrame-1024 {
			return out, fmt.Errorf("%s: argument of %d bytes is too large", op, ab.Len())
		}
		m.Args = ab.Bytes()
	}
	if err := k.send(m); err != nil {
		return out, err
	}
	var blob []byte
	for {
		r, err := k.recv(op)
		if err != nil {
			return out, err
		}
		if len(blob)+len(r.Result) > maxResult {
			return out, errors.New(op + ": result larger than 1 GiB")
		}
		blob = append(blob, r.Result...)
		if !r.More {
			break
		}
	}
	if err := gob.NewDecoder(bytes.NewReader(blob)).Decode(&out); err != nil {
		return out, fmt.Errorf("%s: decode result: %w", op, err)
	}
	return out, nil
}
