package monitehooks

import (
	"fmt"
	"testing"
	"time"
)

// TestTemplateCache checks that an event's template is rendered once per
// format while it is cached, and again once it has been dropped.
func TestTemplateCache(t *testing.T) {
	c := newTemplateCache(templateShards) // one template per shard
	ev := &Event{ID: "ev-1", ObjectID: "o", ObjectType: "entity", Type: "created", CreatedAt: time.Unix(0, 0)}
	settings, _ := c.get(ev, FormatSettings, nil)
	subs, _ := c.get(ev, FormatSubscriptions, nil)
	if &settings.buf[0] == &subs.buf[0] {
		t.Fatal("both formats share one template")
	}
	again, _ := c.get(ev, FormatSubscriptions, nil)
	if &again.buf[0] != &subs.buf[0] {
		t.Error("a cached template was rendered again")
	}
	// Fill the event's shard with other events until it is dropped.
	sh := &c.shards[c.shardOf(ev.ID)]
	for i := 0; sh.m[templateKey{ev.ID, FormatSubscriptions}].buf != nil; i++ {
		if i > 10_000 {
			t.Fatal("the template was never dropped")
		}
		c.get(&Event{ID: fmt.Sprint("other-", i)}, FormatSubscriptions, nil)
	}
	if len(sh.m) > len(sh.ring) {
		t.Errorf("shard holds %d templates; want at most %d", len(sh.m), len(sh.ring))
	}
	fresh, _ := c.get(ev, FormatSubscriptions, nil)
	if &fresh.buf[0] == &subs.buf[0] || string(fresh.buf) != string(subs.buf) {
		t.Error("a dropped template was not rendered again, or rendered differently")
	}
}
