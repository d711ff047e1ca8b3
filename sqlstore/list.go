package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/monitehooks/monitehooks"
)

// Lists page by keyset: a page is the items after (or before) the
// boundary item of its token in list order, (sort key, seq), where seq is
// the item's creation sequence, so items with equal keys are listed in
// creation order and a descending list is the exact reverse of the
// ascending one. A token names its boundary item by ID, like memstore's,
// and carries its sort key; the store finds the item's seq by the ID
// (deleted subscriptions stay as tombstones for this). When the item is
// gone, deleted by retention, the page continues from its sort key alone:
// among the items with that very key, which the store cannot place
// before or after the item without its seq, it lists all, so a page may
// repeat one that a page before it held, and never skips one. A token is
// refused (ErrInvalidCursor) when it is not one the store makes, or names
// something that is not a UUID.

// listQuery is a list request resolved: the query, and where the page
// starts when a token was given.
type listQuery struct {
	monitehooks.ListParams // normalized
	cursor                 bool
	key                    int64 // the boundary's sort key, stored form
	seq                    int64 // the boundary's seq
	gone                   bool  // the boundary item is gone: seq is unknown
	before                 bool  // the page holds the items before the boundary
}

// resolveList reads p: the token when there is one (ignoring every other
// field), the fields otherwise. seqQuery finds the seq of an item by ID.
func (s *Store) resolveList(ctx context.Context, p monitehooks.ListParams, seqQuery string) (listQuery, error) {
	if err := ctx.Err(); err != nil {
		return listQuery{}, err
	}
	if p.Cursor == "" {
		if err := p.Validate(); err != nil {
			return listQuery{}, err
		}
		return listQuery{ListParams: p.Normalized()}, nil
	}
	c, err := monitehooks.DecodeCursor(p.Cursor)
	if err != nil {
		return listQuery{}, fmt.Errorf("sqlstore: %w", err)
	}
	if !validID(c.ID) {
		return listQuery{}, fmt.Errorf("sqlstore: %w", monitehooks.ErrInvalidCursor)
	}
	lq := listQuery{ListParams: c.Params, cursor: true, key: clampNs(c.Key), before: c.Before}
	switch err := s.queryRow(ctx, nil, seqQuery, c.ID).Scan(&lq.seq); {
	case errors.Is(err, sql.ErrNoRows):
		lq.gone = true
	case err != nil:
		return listQuery{}, fmt.Errorf("sqlstore: reading cursor: %w", err)
	}
	return lq, nil
}

// sortKey returns the stored sort key of an item created and updated at
// the times given.
func sortKey(lq *listQuery, created, updated time.Time) int64 {
	if lq.Sort == monitehooks.SortUpdatedAt {
		return clampNs(updated)
	}
	return clampNs(created)
}

// boundary is where a scan starts: after (in scan order) the item with
// the key and seq, or at the start when set is false.
type boundary struct {
	set      bool
	key, seq int64
}

// flag is the boundary's $5 of a list statement: 1 when it is set.
func (b boundary) flag() int {
	if b.set {
		return 1
	}
	return 0
}

// pick returns the statement that scans in ascending order when asc is
// set, in descending order otherwise.
func (sc scans) pick(asc bool) string {
	if asc {
		return sc.asc
	}
	return sc.desc
}

// keyed is an item of a list with its place in it.
type keyed[T any] struct {
	item T
	key  int64 // stored form
	seq  int64
	id   string
}

// scanFunc returns up to limit items in scan order (ascending when asc
// is set) after the boundary.
type scanFunc[T any] func(asc bool, after boundary, limit int) ([]keyed[T], error)

func emptyPage[T any]() monitehooks.Page[T] { return monitehooks.Page[T]{Data: []T{}} }

// pageOf returns the page lq asks for, with the tokens of the pages on
// either side, using scan. It fetches one item more than the page holds,
// to know whether there are more on the far side, and one item on the
// near side when a token was given.
func pageOf[T any](ctx context.Context, lq *listQuery, scan scanFunc[T]) (monitehooks.Page[T], error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Page[T]{}, err
	}
	listAsc := lq.Order != monitehooks.OrderDesc
	// A Prev token's page is the items just before the boundary: a scan
	// against the list's order, reversed.
	scanAsc := listAsc != lq.before
	from := boundary{set: lq.cursor, key: lq.key, seq: lq.seq}
	if lq.gone {
		// Every item with the boundary's key lies beyond it.
		from.seq = math.MaxInt64
		if scanAsc {
			from.seq = math.MinInt64
		}
	}
	items, err := scan(scanAsc, from, lq.Limit+1)
	if err != nil {
		return monitehooks.Page[T]{}, err
	}
	more := len(items) > lq.Limit
	if more {
		items = items[:lq.Limit]
	}
	if lq.before {
		slices.Reverse(items)
	}
	if len(items) == 0 {
		return emptyPage[T](), nil
	}
	first, last := &items[0], &items[len(items)-1]
	page := monitehooks.Page[T]{Data: make([]T, len(items))}
	for i := range items {
		page.Data[i] = items[i].item
	}
	// exists reports whether an item lies beyond b, in scan order asc.
	exists := func(asc bool, b *keyed[T]) (bool, error) {
		got, err := scan(asc, boundary{set: true, key: b.key, seq: b.seq}, 1)
		return len(got) > 0, err
	}
	hasPrev, hasNext := false, false
	if lq.before {
		hasPrev = more
		if hasNext, err = exists(listAsc, last); err != nil {
			return monitehooks.Page[T]{}, err
		}
	} else {
		hasNext = more
		if lq.cursor {
			if hasPrev, err = exists(!listAsc, first); err != nil {
				return monitehooks.Page[T]{}, err
			}
		}
	}
	if hasPrev {
		page.Prev = lq.token(first, true)
	}
	if hasNext {
		page.Next = lq.token(last, false)
	}
	return page, nil
}

// token returns the token of the page next to the item.
func (lq *listQuery) token(k interface{ boundaryOf() (int64, string) }, before bool) string {
	key, id := k.boundaryOf()
	return monitehooks.EncodeCursor(monitehooks.Cursor{
		Params: lq.ListParams,
		Key:    fromNs(key),
		ID:     id,
		Before: before,
	})
}

func (k *keyed[T]) boundaryOf() (int64, string) { return k.key, k.id }
