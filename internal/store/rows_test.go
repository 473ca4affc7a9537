package store

import (
	"errors"
	"fmt"
	"slices"
	"testing"
)

// fakeRows is a result of one int column; err is what Err gives at the end.
type fakeRows struct {
	vals   []int
	at     int
	err    error
	closed bool
}

func (r *fakeRows) Next() bool {
	if r.at >= len(r.vals) {
		return false
	}
	r.at++
	return true
}

func (r *fakeRows) Scan(dest ...any) error {
	if len(dest) != 1 {
		return fmt.Errorf("%d columns, want 1", len(dest))
	}
	p, ok := dest[0].(*int)
	if !ok {
		return fmt.Errorf("scan into %T", dest[0])
	}
	*p = r.vals[r.at-1]
	return nil
}

func (r *fakeRows) Close() error { r.closed = true; return nil }
func (r *fakeRows) Err() error   { return r.err }

func TestCollectRows(t *testing.T) {
	r := &fakeRows{vals: []int{3, 1, 2}}
	got, err := CollectRows(r, ScanValue[int])
	if err != nil || !slices.Equal(got, []int{3, 1, 2}) || !r.closed {
		t.Fatalf("CollectRows = %v, %v (closed %v), want [3 1 2]", got, err, r.closed)
	}

	end := errors.New("connection lost")
	r = &fakeRows{vals: []int{1}, err: end}
	got, err = CollectRows(r, ScanValue[int])
	if err != end || !slices.Equal(got, []int{1}) || !r.closed {
		t.Fatalf("CollectRows with Err = %v, %v, want [1], %v", got, err, end)
	}

	r = &fakeRows{vals: []int{1, 2, 3}}
	got, err = CollectRows(r, ScanWrapped("numbers", func(sc Scanner) (int, error) {
		v, err := ScanValue[int](sc)
		if v == 2 {
			return 0, errors.New("two")
		}
		return v, err
	}))
	if err == nil || err.Error() != "numbers: two" || got != nil || !r.closed || r.at != 2 {
		t.Fatalf("CollectRows with a bad row = %v, %v (at %d), want nil, numbers: two at row 2", got, err, r.at)
	}

	r = &fakeRows{vals: []int{1}}
	if _, err := CollectRows(r, ScanValue[string]); err == nil || !r.closed {
		t.Fatalf("CollectRows into a string: %v, want the scan's error", err)
	}
}

func TestEachRow(t *testing.T) {
	r := &fakeRows{vals: []int{5, 6, 7}}
	sum := 0
	stop := errors.New("stop")
	err := EachRow(r, func(sc Scanner) error {
		v, err := ScanValue[int](sc)
		sum += v
		if v == 6 {
			return stop
		}
		return err
	})
	if err != stop || sum != 11 || !r.closed {
		t.Fatalf("EachRow = %v, sum %d, want stop after 11", err, sum)
	}
	end := errors.New("end")
	r = &fakeRows{vals: []int{5}, err: end}
	if err := EachRow(r, func(Scanner) error { return nil }); err != end || !r.closed {
		t.Fatalf("EachRow = %v, want %v", err, end)
	}
}

// textRows is a result of one text column.
type textRows struct {
	fakeRows
	text []string
}

func (r *textRows) Scan(dest ...any) error {
	p, ok := dest[0].(*string)
	if !ok {
		return fmt.Errorf("scan into %T", dest[0])
	}
	*p = r.text[r.at-1]
	return nil
}

func TestCollectJSON(t *testing.T) {
	type pair struct{ A, B int }
	r := &textRows{text: []string{`{"A":1,"B":2}`, `not json`, `{"A":3}`}}
	r.vals = make([]int, len(r.text))
	got, err := CollectJSON[pair](r, "pairs")
	if err != nil || !slices.Equal(got, []pair{{1, 2}, {3, 0}}) || !r.closed {
		t.Fatalf("CollectJSON = %v, %v, want [{1 2} {3 0}]", got, err)
	}
	if _, err := CollectJSON[pair](&fakeRows{vals: []int{1}}, "pairs"); err == nil || err.Error() != "pairs: scan into *string" {
		t.Fatalf("CollectJSON of an int column: %v, want pairs: scan into *string", err)
	}
}

func TestInChunks(t *testing.T) {
	var sizes []int
	got, err := InChunks([]string{"a", "b", "c", "d", "e"}, 2, func(args []any) ([]string, error) {
		sizes = append(sizes, len(args))
		var out []string
		for _, a := range args {
			out = append(out, a.(string)+"!")
		}
		return out, nil
	})
	if err != nil || !slices.Equal(got, []string{"a!", "b!", "c!", "d!", "e!"}) || !slices.Equal(sizes, []int{2, 2, 1}) {
		t.Fatalf("InChunks = %v, %v in chunks %v", got, err, sizes)
	}
	bad := errors.New("bad")
	if got, err := InChunks([]int{1, 2, 3}, 2, func([]any) ([]int, error) { return nil, bad }); err != bad || got != nil {
		t.Fatalf("InChunks = %v, %v, want nil, bad", got, err)
	}
}
