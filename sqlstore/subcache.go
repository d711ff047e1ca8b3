package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/monitehooks/monitehooks"
)

// A claim hands each delivery's subscription to the worker
// (monitehooks.Claim.Subscription), as it is stored at the claim. The
// claim's statement reads each subscription's version, which every write
// of the subscription raises, and the store keeps the subscriptions it
// decoded by ID with their versions: a claim decodes (and reads) only
// those written since, in one statement for all of them, and claims of
// the same version share one *Subscription, which nobody changes.

// maxCachedSubscriptions bounds the cache: past it, it starts again
// empty.
const maxCachedSubscriptions = 1 << 14

// subCache holds the decoded subscriptions.
type subCache struct {
	mu sync.Mutex // guards byID
	// byID holds, by subscription ID, the last version decoded.
	byID map[string]cachedSub
}

// cachedSub is one decoded version of a subscription.
type cachedSub struct {
	version int64
	sub     *monitehooks.Subscription // read only
}

// get returns the subscription of the ID at the version, if cached.
func (c *subCache) get(id string, version int64) (*monitehooks.Subscription, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[id]
	if !ok || e.version != version {
		return nil, false
	}
	return e.sub, true
}

// put caches the subscription at the version, unless a later one is
// cached.
func (c *subCache) put(sub *monitehooks.Subscription, version int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[sub.ID]; ok && e.version > version {
		return
	}
	if c.byID == nil || len(c.byID) >= maxCachedSubscriptions {
		c.byID = make(map[string]cachedSub)
	}
	c.byID[sub.ID] = cachedSub{version: version, sub: sub}
}

// drop forgets a deleted subscription.
func (c *subCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byID, id)
}

// claimSubscriptions sets the Subscription of each claim, whose
// subscription's version the claim read (0: deleted): from the cache, and
// those it lacks read in one statement, through query.
func (s *Store) claimSubscriptions(ctx context.Context, query queryFunc, claims []monitehooks.Claim, versions []int64) error {
	var missing []string
	for i := range claims {
		c := &claims[i]
		if versions[i] == 0 {
			s.subs.drop(c.SubscriptionID)
			continue
		}
		if sub, ok := s.subs.get(c.SubscriptionID, versions[i]); ok {
			c.Subscription = sub
			continue
		}
		missing = append(missing, c.SubscriptionID)
	}
	if len(missing) == 0 {
		return nil
	}
	ids, _ := json.Marshal(missing) // strings only: never fails
	rows, closeRows, err := query(ctx, s.q.subscriptionsByID, string(ids))
	if err != nil {
		return fmt.Errorf("sqlstore: claiming: reading subscriptions: %w", err)
	}
	defer closeRows()
	read := make(map[string]*monitehooks.Subscription, len(missing))
	for rows.Next() {
		var version int64
		sub, _, err := scanSubscription(scanAlso{rows, &version})
		if err != nil {
			return fmt.Errorf("sqlstore: claiming: reading subscriptions: %w", err)
		}
		read[sub.ID] = &sub
		s.subs.put(&sub, version)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: claiming: reading subscriptions: %w", err)
	}
	for i := range claims {
		c := &claims[i]
		if c.Subscription == nil && versions[i] != 0 {
			// Absent when deleted since the claim's first statement.
			c.Subscription = read[c.SubscriptionID]
		}
	}
	return nil
}

// scanAlso scans a row's columns, and as many more into extra.
type scanAlso struct {
	row   interface{ Scan(...any) error }
	extra any
}

func (s scanAlso) Scan(dest ...any) error {
	return s.row.Scan(append(dest, s.extra)...)
}
