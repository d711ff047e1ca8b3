package monitehooks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestTemplateCache checks that an event's template is rendered once per
// format while it is cached, and again once another event has taken its
// entry.
func TestTemplateCache(t *testing.T) {
	c := newTemplateCache()
	ev := &Event{ID: "ev-1", ObjectID: "o", ObjectType: "entity", Type: "created", CreatedAt: time.Unix(0, 0)}
	settings, _ := c.get(ev, FormatSettings, nil)
	subs, _ := c.get(ev, FormatSubscriptions, nil)
	if _, e := c.entry(templateKey{ev.ID, FormatSettings}); e.key.format != FormatSettings {
		t.Fatal("the subscriptions format took the settings format's entry")
	}
	again, _ := c.get(ev, FormatSubscriptions, nil)
	if &again.buf[0] != &subs.buf[0] {
		t.Error("a cached template was rendered again")
	}
	if string(settings.buf) == string(subs.buf) {
		t.Error("both formats rendered alike")
	}
	// Find another event whose template takes the same entry.
	_, mine := c.entry(templateKey{ev.ID, FormatSubscriptions})
	for i := 0; ; i++ {
		other := &Event{ID: fmt.Sprint("other-", i)}
		if _, e := c.entry(templateKey{other.ID, FormatSubscriptions}); e == mine {
			c.get(other, FormatSubscriptions, nil)
			break
		}
		if i > 1_000_000 {
			t.Fatal("no other event maps to the same entry")
		}
	}
	fresh, _ := c.get(ev, FormatSubscriptions, nil)
	if &fresh.buf[0] == &subs.buf[0] || string(fresh.buf) != string(subs.buf) {
		t.Error("a dropped template was not rendered again, or rendered differently")
	}
}

// TestTemplateCacheBytes checks that a shard of the template cache keeps
// no more than templateShardBytes of templates.
func TestTemplateCacheBytes(t *testing.T) {
	c := newTemplateCache()
	object := []byte(`{"blob":"` + strings.Repeat("x", 1<<20) + `"}`) // 1 MiB
	// Templates of 1 MiB events, all to one shard.
	var ids []string
	for i := 0; len(ids) < 8; i++ {
		id := fmt.Sprint("ev-", i)
		if sh, _ := c.entry(templateKey{id, FormatSubscriptions}); sh == &c.shards[0] {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		c.get(&Event{ID: id, ObjectID: "o", ObjectType: "entity", Type: "created", Object: object}, FormatSubscriptions, nil)
	}
	sh := &c.shards[0]
	held := 0
	for _, e := range sh.slots {
		held += len(e.t.buf)
	}
	if held != sh.bytes || held > templateShardBytes || held < templateShardBytes-2*len(object) {
		t.Errorf("the shard holds %d bytes of templates (counted %d); want the count, at most %d and close to it", held, sh.bytes, templateShardBytes)
	}
	// A small template still finds room.
	small := &Event{ObjectID: "o", ObjectType: "entity", Type: "created"}
	for i := 0; ; i++ {
		small.ID = fmt.Sprint("small-", i)
		if sh, e := c.entry(templateKey{small.ID, FormatSubscriptions}); sh == &c.shards[0] && e.key.eventID == "" {
			break
		}
	}
	first, _ := c.get(small, FormatSubscriptions, nil)
	if again, _ := c.get(small, FormatSubscriptions, nil); &again.buf[0] != &first.buf[0] {
		t.Error("a small template was not cached in a shard full of large ones")
	}
}

// TestDeadline checks a worker's deadline: an attempt that outlives it
// finds its context canceled with errAttemptTimeout, and the next attempt
// gets a live context, as does one after an attempt that ended in time.
func TestDeadline(t *testing.T) {
	d := newDeadline(context.Background())
	defer d.close()
	ctx := d.begin(time.Nanosecond)
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the deadline never fired")
	}
	if !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		t.Errorf("cause = %v; want errAttemptTimeout", context.Cause(ctx))
	}
	d.end()
	for range 3 {
		next := d.begin(time.Hour)
		if next.Err() != nil {
			t.Fatalf("next attempt's context: %v; want it live", next.Err())
		}
		d.end()
	}
	if d.ctx.Err() != nil {
		t.Errorf("context after attempts in time: %v; want it live", d.ctx.Err())
	}
}

// TestWorkerRelease checks that a worker lets go of buffers grown past
// maxKeptBuffer and keeps the others.
func TestWorkerRelease(t *testing.T) {
	w := &workerState{body: make([]byte, 0, maxKeptBuffer+1), scratch: make([]byte, 0, 1024)}
	w.release()
	if w.body != nil || cap(w.scratch) != 1024 {
		t.Errorf("after release: body cap %d, scratch cap %d; want 0, 1024", cap(w.body), cap(w.scratch))
	}
}

// TestLane checks the lane's places: taken up to its size, refused until
// the first of them frees up, free again when given back or once held
// for the hold, and not given back by a ticket whose place was taken
// since.
func TestLane(t *testing.T) {
	const hold = time.Millisecond
	t0 := time.Unix(1000, 0)
	l := newLane(2, hold, new(sync.Mutex), func() {})
	a, okA, _ := l.take(t0)
	b, okB, _ := l.take(t0.Add(hold / 2))
	if !okA || !okB {
		t.Fatalf("take of the lane's two places = %v, %v; want both", okA, okB)
	}
	if _, ok, freeAt := l.take(t0.Add(hold / 2)); ok || !freeAt.Equal(t0.Add(hold)) {
		t.Errorf("take of a full lane = %v, free at %v; want refused until %v", ok, freeAt, t0.Add(hold))
	}
	l.give(b)
	if _, ok, _ := l.take(t0.Add(hold / 2)); !ok {
		t.Error("take after a place was given back refused")
	}
	// a's place, held for the hold, is taken again; a's end then gives
	// back nothing.
	c, ok, _ := l.take(t0.Add(hold))
	if !ok || c.place != a.place {
		t.Fatalf("take once a place was held for the hold = %v, place %d; want a's place %d", ok, c.place, a.place)
	}
	l.give(a)
	if _, ok, _ := l.take(t0.Add(hold)); ok {
		t.Error("a stale ticket gave back a place taken since")
	}
	l.give(c)
	if _, ok, _ := l.take(t0.Add(hold)); !ok {
		t.Error("take after the place's ticket gave it back refused")
	}
}

func TestLaneSize(t *testing.T) {
	tests := []struct{ procs, failingCap, want int }{
		{1, 32, 1},
		{2, 32, 1},
		{3, 32, 1},
		{8, 32, 4},
		{128, 32, 32},
		{8, 1, 1},
	}
	for _, tt := range tests {
		if got := laneSize(tt.procs, tt.failingCap); got != tt.want {
			t.Errorf("laneSize(%d, %d) = %d; want %d", tt.procs, tt.failingCap, got, tt.want)
		}
	}
}
