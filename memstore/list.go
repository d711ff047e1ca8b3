package memstore

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/monitehooks/monitehooks"
)

// entry is one item of a list being paged: its sort key, its sequence
// number (which orders items with equal keys in the order they were
// created), its ID, and the item or what leads to it.
type entry[T any] struct {
	key  time.Time
	seq  uint64
	id   id
	item T
}

// listQuery is a list request resolved: the query, and where the page
// starts when a token was given.
type listQuery struct {
	monitehooks.ListParams      // normalized
	cursor                 bool // a token was given: the page is next to (key, seq)
	key                    time.Time
	seq                    uint64
	before                 bool // the page holds the items before (key, seq)
}

// resolveList reads p: the token when there is one (ignoring every other
// field), the fields otherwise. ids makes the IDs of the items listed: a
// token names its boundary item by ID, which ids reads the sequence number
// back from; a token whose ID ids did not make is not valid.
func (s *Store) resolveList(p monitehooks.ListParams, ids *idGen) (listQuery, error) {
	if p.Cursor == "" {
		if err := p.Validate(); err != nil {
			return listQuery{}, err
		}
		return listQuery{ListParams: p.Normalized()}, nil
	}
	c, err := monitehooks.DecodeCursor(p.Cursor)
	if err != nil {
		return listQuery{}, fmt.Errorf("memstore: %w", err)
	}
	cid, ok := parseID(c.ID)
	if !ok {
		return listQuery{}, fmt.Errorf("memstore: %w", monitehooks.ErrInvalidCursor)
	}
	s.mu.RLock()
	seq, ok := ids.seqOf(&cid)
	s.mu.RUnlock()
	if !ok {
		return listQuery{}, fmt.Errorf("memstore: %w", monitehooks.ErrInvalidCursor)
	}
	return listQuery{ListParams: c.Params, cursor: true, key: c.Key, seq: seq, before: c.Before}, nil
}

// sortKey returns the time a list sorted by q.Sort orders an item by.
func (q *listQuery) sortKey(created, updated time.Time) time.Time {
	if q.Sort == monitehooks.SortUpdatedAt {
		return updated
	}
	return created
}

// paginate sorts es in list order and returns the page q asks for, with
// the tokens of the pages on either side ("" where there is none). The
// page aliases es.
func paginate[T any](es []entry[T], q *listQuery) (page []entry[T], next, prev string) {
	dir := 1
	if q.Order == monitehooks.OrderDesc {
		dir = -1
	}
	// cmpTo compares an entry with a boundary in list order.
	cmpTo := func(e *entry[T], key time.Time, seq uint64) int {
		if c := e.key.Compare(key); c != 0 {
			return dir * c
		}
		return dir * cmp.Compare(e.seq, seq)
	}
	slices.SortFunc(es, func(a, b entry[T]) int { return cmpTo(&a, b.key, b.seq) })

	n := len(es)
	start, end := 0, min(q.Limit, n)
	if q.cursor {
		// The boundary item need not exist any more: the page is placed
		// by its position.
		if q.before {
			end = sort.Search(n, func(i int) bool { return cmpTo(&es[i], q.key, q.seq) >= 0 })
			start = max(0, end-q.Limit)
		} else {
			start = sort.Search(n, func(i int) bool { return cmpTo(&es[i], q.key, q.seq) > 0 })
			end = min(n, start+q.Limit)
		}
	}
	page = es[start:end]
	if len(page) == 0 {
		return page, "", ""
	}
	if start > 0 {
		prev = q.token(&page[0].key, page[0].id, true)
	}
	if end < n {
		last := &page[len(page)-1]
		next = q.token(&last.key, last.id, false)
	}
	return page, next, prev
}

// token returns the token of the page next to the item (key, id): the
// token names the item by its ID, never by its sequence number.
func (q *listQuery) token(key *time.Time, bid id, before bool) string {
	return monitehooks.EncodeCursor(monitehooks.Cursor{
		Params: q.ListParams,
		Key:    *key,
		ID:     bid.String(),
		Before: before,
	})
}

// matchEvent reports whether an event's text passes the list's object
// type and event type filters.
func (q *listQuery) matchEvent(t eventText) bool {
	return (q.ObjectType == "" || string(q.ObjectType) == t.fields[fieldObjectType]) &&
		(q.EventType == "" || string(q.EventType) == t.fields[fieldType])
}

// readLocked returns f's result, called under s's read lock.
func readLocked[T any](s *Store, f func() T) T {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return f()
}

// listStep is how many items a list passes over under one hold of the read
// lock. Between steps the lock is released, so that a writer waits for one
// step at most, however many items a filter skips; the next step seeks back
// to where the last one stopped.
const listStep = 256

// walker walks an index in list order.
type walker interface {
	// walk visits the items after from in the direction of desc (at or
	// after it when incl; from the first when from is nil), calling visit
	// with each item's key and record number, until visit returns false
	// or it has passed budget items. It returns the key of the last item
	// it passed, and false when it reached the end of the index. s.mu
	// must be held.
	walk(from *ikey, incl, desc bool, budget int, visit func(k ikey, num uint32) bool) (last ikey, more bool)
}

// treesWalker walks trees whose keys are the items', together.
type treesWalker struct {
	trees []*tree
	one   [1]*tree // trees, when there is one
	m     mergeIter
}

// newTreesWalker returns the walker of the trees, which must not be
// empty.
func newTreesWalker(ts treeSet) *treesWalker {
	w := &treesWalker{trees: ts.many}
	if ts.one != nil {
		w.one[0] = ts.one
		w.trees = w.one[:]
	}
	w.m = newMergeIter(len(w.trees))
	return w
}

func (w *treesWalker) walk(from *ikey, incl, desc bool, budget int, visit func(ikey, uint32) bool) (last ikey, more bool) {
	for w.m.seekFrom(w.trees, from, incl, desc); w.m.valid(); w.m.advance() {
		if budget == 0 {
			return last, true
		}
		budget--
		last = w.m.key()
		if !visit(last, last.seq-1) {
			return last, true
		}
	}
	return last, false
}

// sentWalker walks deliveries in the order of a partner's sent index,
// whose entries are events: each stands for its deliveries, keyed by
// (the event's due time, delivery number).
type sentWalker struct {
	s     *Store
	trees []*tree // of the sent index, walked together
	one   [1]*tree
	m     mergeIter
}

// newSentWalker returns the walker of the deliveries of the events of the
// trees, which must not be empty.
func newSentWalker(s *Store, ts treeSet) *sentWalker {
	w := &sentWalker{s: s, trees: ts.many}
	if ts.one != nil {
		w.one[0] = ts.one
		w.trees = w.one[:]
	}
	w.m = newMergeIter(len(w.trees))
	return w
}

func (w *sentWalker) walk(from *ikey, incl, desc bool, budget int, visit func(ikey, uint32) bool) (last ikey, more bool) {
	s := w.s
	for w.start(from, desc); w.m.valid(); w.m.advance() {
		e := s.events.at(w.m.seq() - 1)
		for i := range e.n {
			dn := e.first + i
			if desc {
				dn = e.first + e.n - 1 - i
			}
			k := keyOf(e.due, dn+1)
			if from != nil {
				c := k.compare(*from)
				if desc {
					c = -c
				}
				if c < 0 || (c == 0 && !incl) {
					continue
				}
			}
			if budget == 0 {
				return last, true
			}
			budget--
			last = k
			if d := s.deliveries.get(dn); d == nil || d.id == (id{}) {
				continue // deleted
			}
			if !visit(k, dn) {
				return last, true
			}
		}
	}
	return last, false
}

// start places the walk at the first event, in its order, whose
// deliveries may come after p (at or after it): ascending, the first
// whose last delivery is at or after p; descending, the first whose first
// delivery is at or before p.
func (w *sentWalker) start(p *ikey, desc bool) {
	if p == nil || p.seq == 0 {
		// No delivery's key has the sequence number 0.
		w.m.seekFrom(w.trees, p, true, desc)
		return
	}
	s, dn := w.s, p.seq-1
	if d := s.deliveries.get(dn); d != nil && d.id != (id{}) {
		if e := s.events.at(d.event); e.due == p.at() {
			// Events of p's time made before d's have their deliveries
			// before it, those made after after it: d's event is where
			// p is.
			k := keyOf(e.due, d.event+1)
			w.m.seekFrom(w.trees, &k, true, desc)
			return
		}
	}
	// p's delivery is gone (or p is not one's key): pass the events of
	// p's time whose deliveries all come before it (after it,
	// descending).
	k := ikey{t: p.t}
	if desc {
		k.seq = math.MaxUint32
	}
	for w.m.seekFrom(w.trees, &k, true, desc); w.m.valid(); w.m.advance() {
		ek := w.m.key()
		if ek.at() != p.at() {
			break
		}
		if e := s.events.at(ek.seq - 1); (!desc && e.first+e.n > dn) || (desc && e.first <= dn) {
			break
		}
	}
}

// mergeIter walks several trees, which hold no key in common, together in
// list order: a position in each, and the key at each. A walk of one tree
// reads no key it is not asked for.
type mergeIter struct {
	its  []titer
	keys []ikey // the key at each position that is valid, of several trees
	cur  int    // the position at the key of the walk; -1 at the end
	desc bool
}

// newMergeIter returns a mergeIter with room for n trees.
func newMergeIter(n int) mergeIter {
	return mergeIter{its: make([]titer, 0, n), keys: make([]ikey, 0, n)}
}

// seekFrom places the walk of the trees in the direction of desc as
// tree.seekFrom places one tree's.
func (m *mergeIter) seekFrom(trees []*tree, from *ikey, incl, desc bool) {
	m.its, m.keys, m.desc = m.its[:0], m.keys[:0], desc
	for _, t := range trees {
		it := t.seekFrom(from, incl, desc)
		var k ikey
		if it.valid() && len(trees) > 1 {
			k = it.key()
		}
		m.its = append(m.its, it)
		m.keys = append(m.keys, k)
	}
	m.pick()
}

// pick finds the position whose key comes first in the walk's order.
func (m *mergeIter) pick() {
	m.cur = -1
	if len(m.its) == 1 {
		if m.its[0].valid() {
			m.cur = 0
		}
		return
	}
	for i := range m.its {
		if !m.its[i].valid() {
			continue
		}
		if m.cur < 0 || (m.keys[i].less(m.keys[m.cur]) != m.desc) {
			m.cur = i
		}
	}
}

// valid reports whether the walk is at a key.
func (m *mergeIter) valid() bool { return m.cur >= 0 }

// key returns the key the walk is at, which must be valid.
func (m *mergeIter) key() ikey {
	if len(m.its) == 1 {
		return m.its[0].key()
	}
	return m.keys[m.cur]
}

// seq returns the sequence number of the key the walk is at, which must be
// valid.
func (m *mergeIter) seq() uint32 { return m.its[m.cur].seq() }

// advance moves the walk to its next key, or the end.
func (m *mergeIter) advance() {
	it := &m.its[m.cur]
	if it.advance(m.desc); it.valid() && len(m.its) > 1 {
		m.keys[m.cur] = it.key()
	}
	m.pick()
}

// span bounds the keys of a walk, both ends included; nil is no bound.
type span struct{ lo, hi *ikey }

// createdSpan returns the keys the Created bounds of p allow, when keys
// are creation times; empty reports that they allow none.
func createdSpan(p *monitehooks.ListParams) (r span, empty bool) {
	lower := func(t time.Time, seq uint32) {
		if k := keyOf(stampOf(t), seq); r.lo == nil || r.lo.less(k) {
			r.lo = &k
		}
	}
	upper := func(t time.Time, seq uint32) {
		if k := keyOf(stampOf(t), seq); r.hi == nil || k.less(*r.hi) {
			r.hi = &k
		}
	}
	// Sequence numbers start at 1 and end at math.MaxUint32.
	if !p.CreatedGT.IsZero() {
		lower(p.CreatedGT, math.MaxUint32)
	}
	if !p.CreatedGTE.IsZero() {
		lower(p.CreatedGTE, 0)
	}
	if !p.CreatedLT.IsZero() {
		upper(p.CreatedLT, 0)
	}
	if !p.CreatedLTE.IsZero() {
		upper(p.CreatedLTE, math.MaxUint32)
	}
	return r, r.lo != nil && r.hi != nil && r.hi.less(*r.lo)
}

// clampStart returns where a walk from (from, incl) starts within the
// span.
func (r span) clampStart(from *ikey, incl, desc bool) (*ikey, bool) {
	bound := r.lo
	if desc {
		bound = r.hi
	}
	switch {
	case bound == nil:
		return from, incl
	case from == nil:
		return bound, true
	}
	c := from.compare(*bound)
	if desc {
		c = -c
	}
	if c < 0 {
		return bound, true
	}
	return from, incl
}

// beyond reports whether k is past the end of the span in the walk's
// direction.
func (r span) beyond(k ikey, desc bool) bool {
	if desc {
		return r.lo != nil && k.less(*r.lo)
	}
	return r.hi != nil && r.hi.less(k)
}

// hit is an item a scan found.
type hit[R any] struct {
	key    ikey
	id     id
	fields R
}

// scan walks w in list order from (from, incl) within the span, and
// returns the first want items match accepts, with what read returns of
// them (nothing when read is nil). It takes the read lock for one step of
// listStep items at a time; match and read are called under it, and must
// not allocate: the hits have their room before the lock is taken.
func scan[R any](ctx context.Context, s *Store, w walker, r span, from *ikey, incl, desc bool, want int,
	match func(num uint32) bool, read func(num uint32) (R, id)) ([]hit[R], error) {
	from, incl = r.clampStart(from, incl, desc)
	hits := make([]hit[R], 0, want)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ended := false
		s.mu.RLock()
		last, more := w.walk(from, incl, desc, listStep, func(k ikey, num uint32) bool {
			if r.beyond(k, desc) {
				ended = true
				return false
			}
			if !match(num) {
				return true
			}
			h := hit[R]{key: k}
			if read != nil {
				h.fields, h.id = read(num)
			}
			hits = append(hits, h)
			return len(hits) < want
		})
		s.mu.RUnlock()
		if ended || !more || len(hits) == want {
			return hits, nil
		}
		from, incl = &last, false
	}
}

// seekPage returns the page q asks for from an index, walking it with
// scan: the items after the token's position (or before it, for a Prev
// token; from the start without a token), and the tokens of the pages on
// either side. A token's item need not exist any more: the page is placed
// by its position. read takes what an item's view is made of under the
// lock, and view makes the view after.
func seekPage[R, T any](ctx context.Context, s *Store, q *listQuery, w walker, r span,
	match func(num uint32) bool, read func(num uint32) (R, id), view func(*R) T) ([]T, string, string, error) {
	desc := q.Order == monitehooks.OrderDesc
	var from *ikey
	if q.cursor {
		k := keyOf(stampOf(q.key), uint32(q.seq))
		from = &k
	}
	back := q.cursor && q.before
	hits, err := scan(ctx, s, w, r, from, false, desc != back, q.Limit+1, match, read)
	if err != nil {
		return nil, "", "", err
	}
	beyond := len(hits) > q.Limit // more items past the page, away from the token
	hits = hits[:min(len(hits), q.Limit)]
	if len(hits) == 0 {
		return []T{}, "", "", nil
	}
	// Whether there are items on the token's side: the token's item
	// itself, or any before it.
	behind := false
	if q.cursor {
		probe, err := scan[R](ctx, s, w, r, from, true, desc == back, 1, match, nil)
		if err != nil {
			return nil, "", "", err
		}
		behind = len(probe) > 0
	}
	if back {
		slices.Reverse(hits)
		beyond, behind = behind, beyond
	}
	data := make([]T, len(hits))
	for i := range hits {
		data[i] = view(&hits[i].fields)
	}
	var next, prev string
	if beyond {
		last := &hits[len(hits)-1]
		t := last.key.at().time()
		next = q.token(&t, last.id, false)
	}
	if behind {
		t := hits[0].key.at().time()
		prev = q.token(&t, hits[0].id, true)
	}
	return data, next, prev, nil
}
