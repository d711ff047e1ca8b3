package monitehooks

import (
	"hash/maphash"
	"sync"
)

// templateCache keeps the templates of recent events, so that an event's
// payload is rendered once per format however many subscriptions and
// attempts it has. It is a direct-mapped cache of templateSlots entries: a
// template goes to the entry that a hash of its event ID picks, taking the
// place of the one there, which is rendered again if it is needed again.
// It is safe for concurrent use: the entries are split into shards with a
// lock each, so that the workers seldom wait for one another.
type templateCache struct {
	seed   maphash.Seed
	shards [templateShards]templateShard
}

const (
	templateShards = 16
	templateSlots  = 4096 // in all
	// templateShardBytes bounds the bytes of the templates one shard
	// holds, 64 MiB in all: a burst of events with large objects must not
	// leave gigabytes behind. A template that does not fit is not cached.
	templateShardBytes = 4 << 20
)

// templateShard is one shard of a templateCache.
type templateShard struct {
	mu    sync.Mutex // guards the fields below
	slots [templateSlots / templateShards]templateEntry
	bytes int // of the templates in slots
}

type templateEntry struct {
	key templateKey // the zero key while the entry is empty
	t   template
}

type templateKey struct {
	eventID string
	format  APIFormat
}

func newTemplateCache() *templateCache {
	return &templateCache{seed: maphash.MakeSeed()}
}

// entry returns the entry for key, in its shard.
func (c *templateCache) entry(key templateKey) (*templateShard, *templateEntry) {
	h := maphash.String(c.seed, key.eventID)
	if key.format == FormatSettings {
		h = ^h // the two formats of an event go to different entries
	}
	sh := &c.shards[h%templateShards]
	return sh, &sh.slots[h/templateShards%uint64(len(sh.slots))]
}

// get returns the template of ev in the format f, rendering it if it is
// not cached, with scratch as working space; it returns scratch, perhaps
// grown.
func (c *templateCache) get(ev *Event, f APIFormat, scratch []byte) (template, []byte) {
	key := templateKey{ev.ID, f}
	sh, e := c.entry(key)
	sh.mu.Lock()
	t, ok := e.t, e.key == key
	sh.mu.Unlock()
	if ok {
		return t, scratch
	}
	t, scratch = newTemplate(ev, f, scratch)
	sh.mu.Lock()
	if bytes := sh.bytes - len(e.t.buf) + len(t.buf); bytes <= templateShardBytes {
		e.key, e.t, sh.bytes = key, t, bytes
	}
	sh.mu.Unlock()
	return t, scratch
}
