package memstore

import (
	"cmp"
	"fmt"
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
