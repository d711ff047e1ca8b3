package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/monitehooks/monitehooks"
)

// subscriptionColumns are the columns scanSubscription reads, in order.
const subscriptionColumns = `s.seq, s.id, s.partner_id, s.object_type, s.event_types, s.url, s.name, s.status,
	s.api_format, s.api_version, s.secrets, s.failing_since_ns, s.created_ns, s.updated_ns`

const (
	insertSubscription = `INSERT INTO monitehooks_subscriptions
	(id, partner_id, object_type, event_types, url, name, status, api_format, api_version, secrets, failing_since_ns, created_ns, updated_ns)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`

	selectSubscription = `SELECT ` + subscriptionColumns + `
FROM monitehooks_subscriptions s
WHERE s.id = $1 AND s.partner_id = $2 AND s.deleted = FALSE`

	updateSubscription = `UPDATE monitehooks_subscriptions
SET object_type = $3, event_types = $4, url = $5, name = $6, status = $7, api_format = $8, api_version = $9,
	secrets = $10, failing_since_ns = $11, created_ns = $12, updated_ns = $13, version = version + 1
WHERE id = $1 AND partner_id = $2 AND deleted = FALSE`

	// deleteSubscription leaves a tombstone, without the secrets.
	deleteSubscription = `UPDATE monitehooks_subscriptions
SET deleted = TRUE, secrets = '[]', version = version + 1
WHERE id = $1 AND partner_id = $2 AND deleted = FALSE`

	loadSubscriptions = `SELECT ` + subscriptionColumns + `
FROM monitehooks_subscriptions s
WHERE s.deleted = FALSE`

	// subscriptionSeq finds a list cursor's item, deleted or not.
	subscriptionSeq = `SELECT seq FROM monitehooks_subscriptions WHERE id = $1`

	subscriptionExists = `SELECT 1 FROM monitehooks_subscriptions WHERE id = $1 AND partner_id = $2 AND deleted = FALSE`

	// selectMatchKeyLocked reads what decides which events the partner's
	// subscription matches (see matchKey), and locks its row until the
	// transaction ends (PostgreSQL only).
	selectMatchKeyLocked = `SELECT object_type, event_types, status
FROM monitehooks_subscriptions
WHERE id = $1 AND partner_id = $2 AND deleted = FALSE
FOR UPDATE`

	// insertQueue makes a new subscription's queue (see CreateSubscription).
	insertQueue = `INSERT INTO monitehooks_queues (subscription_id) VALUES ($1)`

	// listSubscriptions is a list's template (see listScans). $1 partner,
	// $2 object type or '', $3 and $4 the created range, $5 1 when a
	// cursor is given, $6 and $7 its key and seq, $8 the limit.
	listSubscriptions = `SELECT ` + subscriptionColumns + `
FROM monitehooks_subscriptions s
WHERE s.partner_id = $1 AND s.deleted = FALSE
	AND ($2 = '' OR s.object_type = $2)
	AND s.created_ns BETWEEN $3 AND $4
	AND ($5 = 0 OR (s.{key}, s.seq) {cmp} ($6, $7))
ORDER BY s.{key} {dir}, s.seq {dir}
LIMIT $8 + 0`
)

// storedSecret is a Secret as the secrets column holds it, in JSON.
type storedSecret struct {
	Value     string `json:"v"`
	ExpiresNs int64  `json:"e,omitempty"` // 0 for the zero time
}

// subscriptionArgs returns the values of sub's columns after id and
// partner_id, in the order of insertSubscription and updateSubscription.
func subscriptionArgs(sub *monitehooks.Subscription) ([]any, error) {
	eventTypes, err := json.Marshal(nonNil(sub.EventTypes))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: subscription event types: %w", err)
	}
	secrets := make([]storedSecret, len(sub.Secrets))
	for i, sec := range sub.Secrets {
		secrets[i].Value = sec.Value
		if !sec.ExpiresAt.IsZero() {
			if secrets[i].ExpiresNs, err = toNs("secret expiry", sec.ExpiresAt); err != nil {
				return nil, err
			}
		}
	}
	secretsJSON, err := json.Marshal(secrets)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: subscription secrets: %w", err)
	}
	failing, err := toNs("FailingSince", sub.FailingSince)
	if err != nil {
		return nil, err
	}
	created, err := toNs("CreatedAt", sub.CreatedAt)
	if err != nil {
		return nil, err
	}
	updated, err := toNs("UpdatedAt", sub.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return []any{
		string(sub.ObjectType), string(eventTypes), sub.URL, sub.Name, string(sub.Status),
		string(sub.APIFormat), sub.APIVersion, string(secretsJSON), failing, created, updated,
	}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// scanSubscription reads a row of subscriptionColumns.
func scanSubscription(row interface{ Scan(...any) error }) (sub monitehooks.Subscription, seq int64, err error) {
	var (
		objectType, eventTypes, status, format, secrets string
		failing, created, updated                       int64
	)
	err = row.Scan(&seq, &sub.ID, &sub.PartnerID, &objectType, &eventTypes, &sub.URL, &sub.Name, &status,
		&format, &sub.APIVersion, &secrets, &failing, &created, &updated)
	if err != nil {
		return sub, 0, err
	}
	sub.ObjectType = monitehooks.ObjectType(objectType)
	sub.Status = monitehooks.SubscriptionStatus(status)
	sub.APIFormat = monitehooks.APIFormat(format)
	sub.FailingSince, sub.CreatedAt, sub.UpdatedAt = fromNs(failing), fromNs(created), fromNs(updated)
	if err := json.Unmarshal([]byte(eventTypes), &sub.EventTypes); err != nil {
		return sub, 0, fmt.Errorf("sqlstore: subscription %s: event types: %w", sub.ID, err)
	}
	if len(sub.EventTypes) == 0 {
		sub.EventTypes = nil
	}
	var stored []storedSecret
	if err := json.Unmarshal([]byte(secrets), &stored); err != nil {
		return sub, 0, fmt.Errorf("sqlstore: subscription %s: secrets: %w", sub.ID, err)
	}
	if len(stored) > 0 {
		sub.Secrets = make([]monitehooks.Secret, len(stored))
		for i, sec := range stored {
			sub.Secrets[i].Value = sec.Value
			if sec.ExpiresNs != 0 {
				sub.Secrets[i].ExpiresAt = fromNs(sec.ExpiresNs)
			}
		}
	}
	return sub, seq, nil
}

func subNotFound(id string) error {
	return fmt.Errorf("sqlstore: subscription %q: %w", id, monitehooks.ErrSubscriptionNotFound)
}

// CreateSubscription stores sub with a new ID, whatever sub.ID holds, and
// returns it. It makes the subscription's queue of deliveries in the same
// transaction: an event stored in an application's transaction
// (CreateEventTx) then never makes the queue, which would hold a lock
// that an Emit of the same goroutine, outside the open transaction,
// would wait for. On PostgreSQL, for an enabled subscription, it holds
// the partner's subscription lock (see shared.go).
func (s *Store) CreateSubscription(ctx context.Context, sub monitehooks.Subscription) (monitehooks.Subscription, error) {
	args, err := subscriptionArgs(&sub)
	if err != nil {
		return monitehooks.Subscription{}, err
	}
	sub = sub.Clone()
	sub.ID = newID()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockForWrite(ctx, tx, sub.PartnerID, matchKey{}, matchKeyOf(&sub)); err != nil {
			return err
		}
		if _, err := s.exec(ctx, tx, s.q.insertSubscription, append([]any{sub.ID, sub.PartnerID}, args...)...); err != nil {
			return err
		}
		_, err := s.exec(ctx, tx, s.q.insertQueue, sub.ID)
		return err
	})
	if err != nil {
		return monitehooks.Subscription{}, fmt.Errorf("sqlstore: creating subscription: %w", err)
	}
	return sub, nil
}

// GetSubscription returns the partner's subscription with the ID.
func (s *Store) GetSubscription(ctx context.Context, partnerID, id string) (monitehooks.Subscription, error) {
	if !validID(id) {
		if err := ctx.Err(); err != nil {
			return monitehooks.Subscription{}, err
		}
		return monitehooks.Subscription{}, subNotFound(id)
	}
	sub, _, err := scanSubscription(s.queryRow(ctx, nil, s.q.selectSubscription, id, partnerID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return monitehooks.Subscription{}, subNotFound(id)
	case err != nil:
		return monitehooks.Subscription{}, fmt.Errorf("sqlstore: getting subscription: %w", err)
	}
	return sub, nil
}

// UpdateSubscription replaces the stored subscription that has sub's ID
// and PartnerID. On PostgreSQL, when the change makes the subscription
// match other events, it takes the partner's subscription lock, and so
// waits for the transactions of the application's own that emitted for
// the partner (see CreateEventTx).
func (s *Store) UpdateSubscription(ctx context.Context, sub monitehooks.Subscription) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validID(sub.ID) {
		return subNotFound(sub.ID)
	}
	args, err := subscriptionArgs(&sub)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if s.dialect == DialectPostgres {
			old, err := s.lockedMatchKey(ctx, tx, sub.PartnerID, sub.ID)
			if err != nil {
				return err
			}
			if err := s.lockForWrite(ctx, tx, sub.PartnerID, old, matchKeyOf(&sub)); err != nil {
				return err
			}
		}
		res, err := s.exec(ctx, tx, s.q.updateSubscription, append([]any{sub.ID, sub.PartnerID}, args...)...)
		if err != nil {
			return fmt.Errorf("sqlstore: updating subscription: %w", err)
		}
		return oneRow(res, subNotFound(sub.ID))
	})
}

// oneRow answers notFound when res changed no row.
func oneRow(res sql.Result, notFound error) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// DeleteSubscription removes the partner's subscription with the ID. Its
// deliveries stay, pending ones included: they can still be claimed. The
// row stays as a tombstone without secrets, so that list cursors that
// name it still find their place, until DeleteExpired deletes it once its
// deliveries are gone. On PostgreSQL, for an enabled
// subscription, it takes the partner's subscription lock, as
// UpdateSubscription does.
func (s *Store) DeleteSubscription(ctx context.Context, partnerID, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validID(id) {
		return subNotFound(id)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if s.dialect == DialectPostgres {
			old, err := s.lockedMatchKey(ctx, tx, partnerID, id)
			if err != nil {
				return err
			}
			if err := s.lockForWrite(ctx, tx, partnerID, old, matchKey{}); err != nil {
				return err
			}
		}
		res, err := s.exec(ctx, tx, s.q.deleteSubscription, id, partnerID)
		if err != nil {
			return fmt.Errorf("sqlstore: deleting subscription: %w", err)
		}
		return oneRow(res, subNotFound(id))
	})
}

// ListSubscriptions returns one page of the partner's subscriptions.
func (s *Store) ListSubscriptions(ctx context.Context, partnerID string, p monitehooks.ListParams) (monitehooks.Page[monitehooks.Subscription], error) {
	lq, err := s.resolveList(ctx, p, s.q.subscriptionSeq)
	if err != nil {
		return monitehooks.Page[monitehooks.Subscription]{}, err
	}
	sc := s.q.listSubscriptionsByCreated
	if lq.Sort == monitehooks.SortUpdatedAt {
		sc = s.q.listSubscriptionsByUpdated
	}
	lo, hi, ok := createdRange(&lq.ListParams)
	if !ok {
		return emptyPage[monitehooks.Subscription](), nil
	}
	return pageOf(ctx, &lq, func(asc bool, after boundary, limit int) ([]keyed[monitehooks.Subscription], error) {
		rows, err := s.query(ctx, nil, sc.pick(asc), partnerID, string(lq.ObjectType), lo, hi,
			after.flag(), after.key, after.seq, limit)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: listing subscriptions: %w", err)
		}
		defer rows.Close()
		var out []keyed[monitehooks.Subscription]
		for rows.Next() {
			sub, seq, err := scanSubscription(rows)
			if err != nil {
				return nil, fmt.Errorf("sqlstore: listing subscriptions: %w", err)
			}
			out = append(out, keyed[monitehooks.Subscription]{item: sub, key: sortKey(&lq, sub.CreatedAt, sub.UpdatedAt), seq: seq, id: sub.ID})
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("sqlstore: listing subscriptions: %w", err)
		}
		return out, nil
	})
}

// LoadSubscriptions returns every subscription of every partner, in no
// particular order.
func (s *Store) LoadSubscriptions(ctx context.Context) ([]monitehooks.Subscription, error) {
	rows, err := s.query(ctx, nil, s.q.loadSubscriptions)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: loading subscriptions: %w", err)
	}
	defer rows.Close()
	var all []monitehooks.Subscription
	for rows.Next() {
		sub, _, err := scanSubscription(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: loading subscriptions: %w", err)
		}
		all = append(all, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: loading subscriptions: %w", err)
	}
	return all, nil
}
