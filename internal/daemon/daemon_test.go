package daemon

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

type fake struct {
	name     string
	log      *[]string
	startErr error
	stopErr  error
}

func (f *fake) Start(context.Context) error {
	*f.log = append(*f.log, "start "+f.name)
	return f.startErr
}

func (f *fake) Stop(context.Context) error {
	*f.log = append(*f.log, "stop "+f.name)
	return f.stopErr
}

func entries(log *[]string, names ...string) ([]Entry, map[string]*fake) {
	m := map[string]*fake{}
	var out []Entry
	for _, n := range names {
		f := &fake{name: n, log: log}
		m[n] = f
		out = append(out, Entry{Name: n, Component: f})
	}
	return out, m
}

func TestOrder(t *testing.T) {
	var log []string
	es, _ := entries(&log, "store", "geo", "metrics", "api")
	d := New(nil, es...)
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err == nil {
		t.Error("second Start accepted")
	}
	if err := d.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := []string{"start store", "start geo", "start metrics", "start api", "stop api", "stop metrics", "stop geo", "stop store"}
	if !slices.Equal(log, want) {
		t.Errorf("got %v\nwant %v", log, want)
	}
	// Stopping again does nothing.
	log = nil
	if err := d.Stop(context.Background()); err != nil || len(log) != 0 {
		t.Errorf("second Stop: %v %v", err, log)
	}
}

func TestStartFailureStopsStarted(t *testing.T) {
	var log []string
	es, m := entries(&log, "store", "geo", "metrics", "api")
	boom := errors.New("boom")
	m["metrics"].startErr = boom
	d := New(nil, es...)
	err := d.Start(context.Background())
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "start metrics") {
		t.Fatalf("err = %v, want boom naming metrics", err)
	}
	// The failed component is not stopped (it did not start); api never started.
	want := []string{"start store", "start geo", "start metrics", "stop geo", "stop store"}
	if !slices.Equal(log, want) {
		t.Errorf("got %v\nwant %v", log, want)
	}
	log = nil
	if err := d.Stop(context.Background()); err != nil || len(log) != 0 {
		t.Errorf("Stop after failed Start: %v %v", err, log)
	}
}

func TestStopErrorsJoinedAndAllStopped(t *testing.T) {
	var log []string
	es, m := entries(&log, "a", "b", "c")
	e1, e2 := errors.New("e1"), errors.New("e2")
	m["c"].stopErr = e1
	m["a"].stopErr = e2
	d := New(nil, es...)
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	err := d.Stop(context.Background())
	if !errors.Is(err, e1) || !errors.Is(err, e2) {
		t.Errorf("err = %v, want both stop errors", err)
	}
	want := []string{"start a", "start b", "start c", "stop c", "stop b", "stop a"}
	if !slices.Equal(log, want) {
		t.Errorf("got %v\nwant %v", log, want)
	}
}

func TestFirstStartFails(t *testing.T) {
	var log []string
	es, m := entries(&log, "store", "api")
	m["store"].startErr = errors.New("locked")
	if err := New(nil, es...).Start(context.Background()); err == nil {
		t.Fatal("no error")
	}
	if want := []string{"start store"}; !slices.Equal(log, want) {
		t.Errorf("got %v", log)
	}
}
