package bus

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Drain returns once the hub has sourced what a sensor published, and
// reports what is left while its link is cut.
func TestLeafDrain(t *testing.T) {
	inputs := makeInputs(t)
	h := newHub(t)
	s := newSensor(t, h, inputs[0].name)
	s.proxy.cut()
	feed(t, inputs[0], s.open)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	left, err := s.leaf.Drain(ctx, "")
	cancel()
	if left == 0 || err == nil {
		t.Fatalf("drain with the link cut: %d left, %v", left, err)
	}
	s.proxy.restore()
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	restored := time.Now()
	if left, err := s.leaf.Drain(ctx, ""); err != nil || left != 0 {
		t.Fatalf("drain: %d left, %v", left, err)
	}
	t.Logf("drained %v after the link was restored", time.Since(restored).Round(time.Millisecond))
	nc := h.connect()
	defer nc.Close()
	js, _ := jetstream.New(nc)
	hs, err := js.Stream(ctx, HubStream)
	if err != nil {
		t.Fatal(err)
	}
	lnc, _ := s.leaf.Connect()
	defer lnc.Close()
	ljs, _ := jetstream.New(lnc)
	ls, err := ljs.Stream(ctx, LeafStream)
	if err != nil {
		t.Fatal(err)
	}
	hi, _ := hs.Info(ctx)
	li, _ := ls.Info(ctx)
	if hi.State.Msgs != li.State.Msgs || li.State.Msgs == 0 {
		t.Fatalf("hub holds %d messages, the sensor %d", hi.State.Msgs, li.State.Msgs)
	}
}
