package sqlstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
)

// TestTokenOfDeletedTie: a token naming a deleted item whose sort key
// ties with others continues with every item of that key: none is
// skipped.
func TestTokenOfDeletedTie(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			o.prepare(t)
			ctx := t.Context()
			s, err := o.open(t, sqlstore.Config{})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			var subs []string
			for range 4 {
				sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity"})
				if err != nil {
					t.Fatal(err)
				}
				subs = append(subs, sub.ID)
			}
			// One event: its four deliveries tie on CreatedAt.
			if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
				Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
				SubscriptionIDs: subs, Due: now,
			}); err != nil {
				t.Fatal(err)
			}
			first, err := s.ListDeliveries(ctx, "p", monitehooks.ListParams{Limit: 2})
			if err != nil || len(first.Data) != 2 || first.Next == "" {
				t.Fatalf("first page: %v, %d items, Next %q", err, len(first.Data), first.Next)
			}
			// The first two finish and retention deletes them.
			res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 4, Lease: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range res.Claims {
				st := monitehooks.DeliveryPending
				if c.DeliveryID == first.Data[0].ID || c.DeliveryID == first.Data[1].ID {
					st = monitehooks.DeliverySucceeded
				}
				if err := s.RecordAttempt(ctx, monitehooks.RecordAttemptParams{
					DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken, Status: st, NextAttemptAt: now.Add(time.Hour), UpdatedAt: now,
				}); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := s.DeleteExpired(ctx, monitehooks.DeleteExpiredParams{Before: now.Add(time.Second), Limit: 10}); err != nil || got.Deliveries != 2 {
				t.Fatalf("DeleteExpired = %+v, %v; want 2 deliveries", got, err)
			}
			next, err := s.ListDeliveries(ctx, "p", monitehooks.ListParams{Cursor: first.Next})
			if err != nil {
				t.Fatalf("Next of a deleted item: %v", err)
			}
			if len(next.Data) != 2 {
				t.Errorf("Next of a deleted item = %d items; want the 2 left, which tie with it", len(next.Data))
			}
		})
	}
}

// TestRetentionPrunesTombstones: retention deletes a deleted
// subscription, and its queue, once its deliveries are gone, but not
// before; a list token that named it still pages on.
func TestRetentionPrunesTombstones(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			o.prepare(t)
			ctx := t.Context()
			s, err := o.open(t, sqlstore.Config{})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			var subs []string // made a second apart: gone, kept, live
			for i := range 3 {
				at := now.Add(time.Duration(i) * time.Second)
				sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity", Status: monitehooks.StatusEnabled, CreatedAt: at, UpdatedAt: at})
				if err != nil {
					t.Fatal(err)
				}
				subs = append(subs, sub.ID)
			}
			gone, kept, live := subs[0], subs[1], subs[2]
			first, err := s.ListSubscriptions(ctx, "p", monitehooks.ListParams{Limit: 1})
			if err != nil || len(first.Data) != 1 || first.Data[0].ID != gone || first.Next == "" {
				t.Fatalf("first page = %+v, %v; want %s and a next token", first, err, gone)
			}
			if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
				Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
				SubscriptionIDs: subs, Due: now,
			}); err != nil {
				t.Fatal(err)
			}
			res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 3, Lease: time.Minute})
			if err != nil || len(res.Claims) != 3 {
				t.Fatalf("claim = %d claims, %v; want 3", len(res.Claims), err)
			}
			for _, c := range res.Claims {
				p := monitehooks.RecordAttemptParams{DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken, Status: monitehooks.DeliverySucceeded, UpdatedAt: now}
				if c.SubscriptionID == kept {
					p.Status, p.NextAttemptAt = monitehooks.DeliveryPending, now.Add(time.Hour)
				}
				if err := s.RecordAttempt(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			for _, id := range []string{gone, kept} {
				if err := s.DeleteSubscription(ctx, "p", id); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := s.DeleteExpired(ctx, monitehooks.DeleteExpiredParams{Before: now.Add(time.Hour), Limit: 10}); err != nil || got.Deliveries != 2 {
				t.Fatalf("DeleteExpired = %+v, %v; want 2 deliveries", got, err)
			}
			rows := func(table, column, id string) int {
				t.Helper()
				var n int
				if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+o.table(table)+" WHERE "+column+" = $1", id).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			for _, tc := range []struct {
				name, id string
				want     int
			}{
				{"deleted, its deliveries gone", gone, 0},
				{"deleted, a delivery pending", kept, 1},
				{"live", live, 1},
			} {
				if n := rows("monitehooks_subscriptions", "id", tc.id); n != tc.want {
					t.Errorf("%s: %d rows of the subscription; want %d", tc.name, n, tc.want)
				}
				if n := rows("monitehooks_queues", "subscription_id", tc.id); n != tc.want {
					t.Errorf("%s: %d rows of its queue; want %d", tc.name, n, tc.want)
				}
			}
			next, err := s.ListSubscriptions(ctx, "p", monitehooks.ListParams{Cursor: first.Next})
			if err != nil {
				t.Fatalf("the next page after a subscription retention deleted: %v", err)
			}
			if len(next.Data) != 1 || next.Data[0].ID != live {
				t.Errorf("the next page after a subscription retention deleted = %+v; want %s", next.Data, live)
			}
		})
	}
}

// TestOneSweeperAtATime: on PostgreSQL a DeleteExpired that finds another
// process's sweep under way (its lock held) leaves the work to it, and
// deletes once that sweep has ended.
func TestOneSweeperAtATime(t *testing.T) {
	for _, o := range openers(t) {
		if o.dialect != sqlstore.DialectPostgres {
			continue
		}
		t.Run(o.name, func(t *testing.T) {
			o.prepare(t)
			ctx := t.Context()
			s, err := o.open(t, sqlstore.Config{})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
				Event: monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
				Due:   now,
			}); err != nil {
				t.Fatal(err)
			}
			// Another process's sweep: a transaction holding the lock.
			other, err := s.DB().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Rollback()
			schema := strings.TrimSuffix(strings.TrimPrefix(o.table(""), `"`), `".`)
			if _, err := other.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "monitehooks_retention:"+schema); err != nil {
				t.Fatal(err)
			}
			p := monitehooks.DeleteExpiredParams{Before: now.Add(time.Second), Limit: 10}
			if got, err := s.DeleteExpired(ctx, p); err != nil || got != (monitehooks.DeleteExpiredResult{}) {
				t.Fatalf("DeleteExpired during another sweep = %+v, %v; want nothing deleted", got, err)
			}
			if err := other.Rollback(); err != nil {
				t.Fatal(err)
			}
			if got, err := s.DeleteExpired(ctx, p); err != nil || got.Events != 1 {
				t.Fatalf("DeleteExpired after the other sweep = %+v, %v; want the event deleted", got, err)
			}
		})
	}
}
