package memstore

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
)

// TestEvacuation checks that survivors, here one delivery in 100 still
// pending after its neighbours were deleted, do not keep their chunks and
// blocks: the chunks go, the survivors move out of them unchanged, and
// everything works on them as before, until they go too.
func TestEvacuation(t *testing.T) {
	ctx := context.Background()
	s := New()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	subs := createSubs(t, s, "p", 2)
	common, rare := subs[0], subs[1]
	const events = 3*tableChunk + 17
	for i := range events {
		to := []string{common}
		if i%100 == 0 {
			to = append(to, rare)
		}
		object := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", i%7*100))
		if i%250 == 0 {
			object = `{"big":"` + strings.Repeat("y", maxBlockObject) + `"}`
		}
		ev := monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: fmt.Sprint("o", i),
			EntityID: strings.Repeat("e", i%3*1000), Object: []byte(object), CreatedAt: base}
		if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: to, Due: base}); err != nil {
			t.Fatal(err)
		}
	}
	// The common deliveries succeed; the rare ones are retried, some
	// twice, so that their attempts are in their log's own array or not.
	for round := range 2 {
		for {
			res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: base.Add(time.Minute), Limit: 100, Lease: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Claims) == 0 {
				break
			}
			for _, c := range res.Claims {
				st := monitehooks.DeliverySucceeded
				if c.SubscriptionID == rare {
					st = monitehooks.DeliveryPending
				}
				err := s.RecordAttempt(ctx, monitehooks.RecordAttemptParams{
					DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken,
					Attempt: &monitehooks.Attempt{At: base, StatusCode: 503, Response: fmt.Sprint("round ", round)},
					Status:  st, NextAttemptAt: base.Add(time.Duration(1+round) * time.Hour), UpdatedAt: base,
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		if round == 0 {
			// Half the rare ones get a second attempt.
			res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: base.Add(time.Hour), Limit: 3, Lease: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range res.Claims {
				if err := s.RecordAttempt(ctx, monitehooks.RecordAttemptParams{
					DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken, Attempt: &monitehooks.Attempt{At: base, StatusCode: 500},
					Status: monitehooks.DeliveryPending, NextAttemptAt: base.Add(2 * time.Hour), UpdatedAt: base,
				}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	before := listAll(t, s, monitehooks.ListParams{SubscriptionID: rare})
	var beforeEvents []monitehooks.Event
	for _, d := range before {
		ev, err := s.GetEvent(ctx, "p", d.EventID)
		if err != nil {
			t.Fatal(err)
		}
		beforeEvents = append(beforeEvents, ev)
	}
	if len(before) != events/100+1 {
		t.Fatalf("%d rare deliveries; want %d", len(before), events/100+1)
	}

	res, err := s.DeleteExpired(ctx, monitehooks.DeleteExpiredParams{Before: base.Add(time.Second), Limit: 100_000})
	if err != nil {
		t.Fatal(err)
	}
	if want := events; res.Deliveries != want || res.Events != events-len(before) {
		t.Fatalf("DeleteExpired = %+v; want %d deliveries and %d events", res, want, events-len(before))
	}
	// Only the chunks being filled are left; the survivors moved out.
	for name, chunks := range map[string]int{"events": heldChunks(&s.events), "deliveries": heldChunks(&s.deliveries), "logs": heldChunks(&s.logs)} {
		if chunks > 1 {
			t.Errorf("%s: %d chunks held; want at most the one being filled", name, chunks)
		}
	}
	if n := len(s.deliveries.moved); n != len(before) {
		t.Errorf("%d deliveries moved out; want %d", n, len(before))
	}
	// Besides the blocks being written, the survivors' texts and objects
	// moved into at most one more of each (they are few), and the large
	// ones have blocks of their own (of their size, under 4 KiB here).
	shared := 0
	for i, r := range s.texts.blocks.refs {
		if b := s.texts.blocks.off + uint32(i); r > 0 && !s.texts.writing(b) && len(*s.texts.blocks.at(b)) > 4<<10 {
			shared++
		}
	}
	for i, r := range s.objects.blocks.refs {
		if b := s.objects.blocks.off + uint32(i); r > 0 && b != s.objects.curNum && len(*s.objects.blocks.at(b)) > 4<<10 {
			shared++
		}
	}
	if shared > 2 {
		t.Errorf("%d shared text and object blocks held besides those being written; want at most 2", shared)
	}

	// A moved log's single attempt is in the moved record, not in the
	// chunk let go, which it would keep alive.
	for _, l := range s.logs.moved {
		if cap(l.attempts) == 1 && &l.attempts[:1][0] != &l.first[0] {
			t.Fatal("a moved log's attempts are still in its old chunk")
		}
	}

	// The survivors are unchanged.
	after := listAll(t, s, monitehooks.ListParams{SubscriptionID: rare})
	if d := cmp.Diff(before, after); d != "" {
		t.Fatalf("rare deliveries after evacuation (-before +after):\n%s", d)
	}
	for i, d := range after {
		ev, err := s.GetEvent(ctx, "p", d.EventID)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(beforeEvents[i], ev); d != "" {
			t.Fatalf("event %s after evacuation (-before +after):\n%s", ev.ID, d)
		}
	}
	checkHeaps(t, s)

	// They are claimed, recorded and deleted as any other.
	claimed := 0
	for {
		res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: base.Add(3 * time.Hour), Limit: 10, Lease: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Claims) == 0 {
			break
		}
		for _, c := range res.Claims {
			claimed++
			if err := s.RecordAttempt(ctx, monitehooks.RecordAttemptParams{
				DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken, Attempt: &monitehooks.Attempt{At: base, StatusCode: 200},
				Status: monitehooks.DeliverySucceeded, UpdatedAt: base.Add(3 * time.Hour),
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if claimed != len(before) {
		t.Fatalf("claimed %d survivors; want %d", claimed, len(before))
	}
	if d, err := s.GetDelivery(ctx, "p", before[0].ID); err != nil || len(d.Attempts) != len(before[0].Attempts)+1 {
		t.Fatalf("survivor after another attempt: %v, %d attempts", err, len(d.Attempts))
	}
	if _, err := s.DeleteExpired(ctx, monitehooks.DeleteExpiredParams{Before: base.Add(4 * time.Hour), Limit: 100_000}); err != nil {
		t.Fatal(err)
	}
	if n := len(s.deliveries.moved) + len(s.events.moved) + len(s.logs.moved); n != 0 {
		t.Errorf("%d moved records left after everything was deleted", n)
	}
	if got, _ := s.CountDeliveries(ctx); got != (monitehooks.DeliveryCounts{}) {
		t.Errorf("CountDeliveries = %+v; want none", got)
	}
	checkHeaps(t, s)
}

func heldChunks[T any](t *table[T]) (n int) {
	for _, c := range t.chunks {
		if c != nil {
			n++
		}
	}
	return n
}

func listAll(t *testing.T, s *Store, p monitehooks.ListParams) []monitehooks.Delivery {
	t.Helper()
	var all []monitehooks.Delivery
	for {
		page, err := s.ListDeliveries(context.Background(), "p", p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Data...)
		if page.Next == "" {
			return all
		}
		p = monitehooks.ListParams{Cursor: page.Next}
	}
}
