package rivercompare

import (
	"context"
	"testing"
)

// TestSides runs a few units of work on each side over each kind of
// database, as the benchmark does, and checks that every one reached the
// receiver once, signed with the subscription's secret: the benchmark
// compares the same work on both sides, and none of it lost.
func TestSides(t *testing.T) {
	const events, workers = 20, 4
	for _, st := range stores() {
		t.Run("store="+st.name, func(t *testing.T) {
			recv := newReceiver(t, true)
			c := &comparison{recv: recv, recorded: make(map[side]int64), labels: make(map[side]context.Context)}
			c.ours = st.openOurs(t, recv, workers)
			c.labels[c.ours] = context.Background()
			recv.setSecrets(c.ours.secret)
			c.ids = make(map[string]bool)
			c.batch(t, c.ours, events)
			c.river = st.openRiver(t, recv, c.ours.secret, recv.firstBody(), workers)
			c.labels[c.river] = context.Background()
			c.batch(t, c.river, events)
			c.checkNoDuplicates(t)
			want := c.ids
			if len(want) != 2*events {
				t.Errorf("%d distinct Webhook-Ids inserted; want %d", len(want), 2*events)
			}

			recv.mu.Lock()
			defer recv.mu.Unlock()
			for _, why := range recv.bad {
				t.Errorf("bad request: %s", why)
			}
			for id := range want {
				if n := recv.ids[id]; n != 1 {
					t.Errorf("Webhook-Id %s: received %d times; want 1", id, n)
				}
			}
			if len(recv.ids) != len(want) {
				t.Errorf("received %d Webhook-Ids; want %d", len(recv.ids), len(want))
			}
		})
	}
}
