package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

func retentionTests() []test {
	return []test{
		{"DeletesWhatFinishedBeforeTheCutoff", testRetentionDeletes},
		{"KeepsPendingNewerAndSubscriptions", testRetentionKeeps},
		{"DeletedIsNotFound", testRetentionNotFound},
		{"EventGoesWithItsLastDelivery", testRetentionEventWithLastDelivery},
		{"RequeuedIsKeptUntilItFinishesAgain", testRetentionRequeued},
		{"LimitAndRepeat", testRetentionLimit},
		{"TokensContinueFromADeletedItem", testRetentionTokens},
		{"InvalidLimit", testRetentionInvalidLimit},
		{"WhileClaimingAndRecording", testRetentionConcurrent},
	}
}

// deleteExpired runs DeleteExpired until it has deleted everything due at
// before, and returns the totals.
func (b *bundle) deleteExpired(before time.Time) monitehooks.DeleteExpiredResult {
	b.t.Helper()
	var total monitehooks.DeleteExpiredResult
	for range 1000 {
		res, err := b.s.DeleteExpired(b.ctx, monitehooks.DeleteExpiredParams{Before: before, Limit: 1000})
		if err != nil {
			b.t.Fatalf("DeleteExpired(%v): %v", before, err)
		}
		total.Deliveries += res.Deliveries
		total.Events += res.Events
		if res.Deliveries < 1000 && res.Events < 1000 {
			return total
		}
	}
	b.t.Fatal("DeleteExpired never ran out")
	return total
}

// deliveryGone fails the test unless the partner's delivery is gone, or
// kept.
func (b *bundle) deliveryGone(partnerID, id string, gone bool) {
	b.t.Helper()
	_, err := b.s.GetDelivery(b.ctx, partnerID, id)
	if gone && !errors.Is(err, monitehooks.ErrDeliveryNotFound) {
		b.t.Errorf("GetDelivery(%s) after retention = %v; want ErrDeliveryNotFound", id, err)
	}
	if !gone && err != nil {
		b.t.Errorf("GetDelivery(%s) after retention = %v; want it kept", id, err)
	}
}

// eventGone fails the test unless the partner's event is gone, or kept.
func (b *bundle) eventGone(partnerID, id string, gone bool) {
	b.t.Helper()
	_, err := b.s.GetEvent(b.ctx, partnerID, id)
	if gone && !errors.Is(err, monitehooks.ErrEventNotFound) {
		b.t.Errorf("GetEvent(%s) after retention = %v; want ErrEventNotFound", id, err)
	}
	if !gone && err != nil {
		b.t.Errorf("GetEvent(%s) after retention = %v; want it kept", id, err)
	}
}

// eventOf returns the ID of the delivery's event.
func (b *bundle) eventOf(partnerID, deliveryID string) string {
	b.t.Helper()
	return b.getDelivery(partnerID, deliveryID).EventID
}

func testRetentionDeletes(t *testing.T, b *bundle) {
	subs := b.subIDs(partnerA, 2)
	ok := b.emit1(partnerA, subs[0], base)
	failed := b.emit1(partnerA, subs[1], base)
	b.settle(ok, at(time.Second), monitehooks.DeliverySucceeded)
	b.settle(failed, at(2*time.Second), monitehooks.DeliveryFailed)
	okEvent, failedEvent := b.eventOf(partnerA, ok), b.eventOf(partnerA, failed)
	lone := b.createEvent(newEvent(partnerA), nil, base) // no deliveries, created at base

	got := b.deleteExpired(at(3 * time.Second))
	if want := (monitehooks.DeleteExpiredResult{Deliveries: 2, Events: 3}); got != want {
		t.Errorf("DeleteExpired = %+v; want %+v", got, want)
	}
	b.deliveryGone(partnerA, ok, true)
	b.deliveryGone(partnerA, failed, true)
	b.eventGone(partnerA, okEvent, true)
	b.eventGone(partnerA, failedEvent, true)
	b.eventGone(partnerA, lone.ID, true)
	if n, err := b.s.CountDeliveries(b.ctx); err != nil || n != (monitehooks.DeliveryCounts{}) {
		t.Errorf("CountDeliveries after retention = %+v, %v; want none", n, err)
	}
	if again := b.deleteExpired(at(3 * time.Second)); again != (monitehooks.DeleteExpiredResult{}) {
		t.Errorf("DeleteExpired again = %+v; want nothing: it is idempotent", again)
	}
}

func testRetentionKeeps(t *testing.T, b *bundle) {
	subs := b.subIDs(partnerA, 4)
	cutoff := at(time.Minute)
	ids := b.emit(partnerA, subs, base)
	pending, leased, newer, atCutoff := ids[0], ids[1], ids[2], ids[3]
	// newer finishes after the cutoff, atCutoff exactly at it: neither is
	// before it. leased is claimed and still held.
	b.settle(newer, cutoff.Add(time.Second), monitehooks.DeliverySucceeded)
	b.settle(atCutoff, cutoff, monitehooks.DeliveryFailed)
	res := b.claim(cutoff, 10)
	for _, c := range res.Claims {
		if c.DeliveryID != leased {
			if err := b.s.ReleaseDelivery(b.ctx, monitehooks.ReleaseParams{DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken}); err != nil {
				t.Fatalf("ReleaseDelivery: %v", err)
			}
		}
	}
	loneEvent := newEvent(partnerA)
	loneEvent.CreatedAt = cutoff // not before it
	loneNew := b.createEvent(loneEvent, nil, cutoff)
	// An event whose finished delivery is old, with a pending one left.
	mixed := b.emit(partnerA, subs[:2], base)
	b.settle(mixed[0], base, monitehooks.DeliverySucceeded)

	got := b.deleteExpired(cutoff)
	if want := (monitehooks.DeleteExpiredResult{Deliveries: 1}); got != want {
		t.Errorf("DeleteExpired = %+v; want %+v, mixed's finished delivery only", got, want)
	}
	for _, id := range []string{pending, leased, newer, atCutoff, mixed[1]} {
		b.deliveryGone(partnerA, id, false)
	}
	b.deliveryGone(partnerA, mixed[0], true)
	b.eventGone(partnerA, b.eventOf(partnerA, pending), false)
	b.eventGone(partnerA, b.eventOf(partnerA, mixed[1]), false)
	b.eventGone(partnerA, loneNew.ID, false)
	for _, sub := range subs {
		if _, err := b.s.GetSubscription(b.ctx, partnerA, sub); err != nil {
			t.Errorf("GetSubscription after retention: %v", err)
		}
	}
	// The lease still holds: the holder records its outcome.
	for _, c := range res.Claims {
		if c.DeliveryID == leased {
			b.finish(c, monitehooks.DeliverySucceeded, cutoff)
		}
	}
	// Far later, everything finished goes; the pending delivery and its
	// event stay.
	b.deleteExpired(farAway)
	b.deliveryGone(partnerA, pending, false)
	b.eventGone(partnerA, b.eventOf(partnerA, pending), false)
	b.deliveryGone(partnerA, mixed[1], false)
	for _, id := range []string{leased, newer, atCutoff} {
		b.deliveryGone(partnerA, id, true)
	}
	b.eventGone(partnerA, loneNew.ID, true)
	if n, err := b.s.CountDeliveries(b.ctx); err != nil || n != (monitehooks.DeliveryCounts{Pending: 2}) {
		t.Errorf("CountDeliveries = %+v, %v; want the 2 pending", n, err)
	}
}

func testRetentionNotFound(t *testing.T, b *bundle) {
	sub := b.subID(partnerA)
	id := b.emit1(partnerA, sub, base)
	attempt := b.settle(id, base, monitehooks.DeliveryFailed)
	ev := b.eventOf(partnerA, id)
	if got := b.getDelivery(partnerA, id); len(got.Attempts) != 1 || !got.Attempts[0].At.Equal(attempt.At) {
		t.Fatalf("before retention: %d attempts", len(got.Attempts))
	}
	kept := b.emit1(partnerA, sub, at(time.Hour))

	b.deleteExpired(at(time.Second))
	b.deliveryGone(partnerA, id, true)
	b.eventGone(partnerA, ev, true)
	_, err := b.s.RequeueDelivery(b.ctx, monitehooks.RequeueDeliveryParams{PartnerID: partnerA, DeliveryID: id, Due: base})
	checkErr(t, "RequeueDelivery of a deleted delivery", err, monitehooks.ErrDeliveryNotFound)
	if n, err := b.s.RequeueFailed(b.ctx, monitehooks.RequeueFailedParams{PartnerID: partnerA, SubscriptionID: sub, Due: base}); err != nil || n != 0 {
		t.Errorf("RequeueFailed after its failed delivery was deleted = %d, %v; want 0", n, err)
	}
	for _, p := range []monitehooks.ListParams{{}, {SubscriptionID: sub}, {EventID: ev}, {Status: monitehooks.DeliveryFailed}, {Sort: monitehooks.SortUpdatedAt}} {
		ds := b.listAllDeliveries(partnerA, p)
		want := []string{kept}
		if p.EventID != "" || p.Status != "" {
			want = nil
		}
		var got []string
		for _, d := range ds {
			got = append(got, d.ID)
		}
		if d := diff(want, got); d != "" {
			t.Errorf("ListDeliveries(%+v) after retention (-want +got):\n%s", p, d)
		}
	}
	page, err := b.s.ListEvents(b.ctx, partnerA, monitehooks.ListParams{})
	if err != nil || len(page.Data) != 1 || page.Data[0].ID != b.eventOf(partnerA, kept) {
		t.Errorf("ListEvents after retention = %d events, %v; want the one kept", len(page.Data), err)
	}
}

func testRetentionEventWithLastDelivery(t *testing.T, b *bundle) {
	subs := b.subIDs(partnerA, 2)
	ids := b.emit(partnerA, subs, base)
	ev := b.eventOf(partnerA, ids[0])
	b.settle(ids[0], at(time.Second), monitehooks.DeliverySucceeded)
	b.settle(ids[1], at(time.Hour), monitehooks.DeliverySucceeded)

	// The first delivery goes; the event stays with the second.
	if got := b.deleteExpired(at(time.Minute)); got != (monitehooks.DeleteExpiredResult{Deliveries: 1}) {
		t.Errorf("DeleteExpired before the second finished long enough = %+v; want 1 delivery", got)
	}
	b.eventGone(partnerA, ev, false)
	// The event's time is when its last delivery finished: at an hour.
	if got := b.deleteExpired(at(time.Hour)); got != (monitehooks.DeleteExpiredResult{}) {
		t.Errorf("DeleteExpired at the second's finish = %+v; want nothing (strictly before)", got)
	}
	if got := b.deleteExpired(at(time.Hour + 1)); got != (monitehooks.DeleteExpiredResult{Deliveries: 1, Events: 1}) {
		t.Errorf("DeleteExpired after the second finished = %+v; want 1 delivery and its event", got)
	}
	b.eventGone(partnerA, ev, true)
}

func testRetentionRequeued(t *testing.T, b *bundle) {
	id := b.emit1(partnerA, b.subID(partnerA), base)
	b.settle(id, base, monitehooks.DeliveryFailed)
	if _, err := b.s.RequeueDelivery(b.ctx, monitehooks.RequeueDeliveryParams{PartnerID: partnerA, DeliveryID: id, Due: at(time.Second)}); err != nil {
		t.Fatalf("RequeueDelivery: %v", err)
	}
	b.deleteExpired(at(time.Hour))
	b.deliveryGone(partnerA, id, false)
	b.settle(id, at(2*time.Hour), monitehooks.DeliverySucceeded)
	b.deleteExpired(at(2 * time.Hour))
	b.deliveryGone(partnerA, id, false)
	b.deleteExpired(at(3 * time.Hour))
	b.deliveryGone(partnerA, id, true)
}

func testRetentionLimit(t *testing.T, b *bundle) {
	subs := b.subIDs(partnerA, 3)
	const events = 5
	var ids []string
	for i := range events {
		ids = append(ids, b.emit(partnerA, subs, at(time.Duration(i)*time.Millisecond))...)
	}
	res := b.claim(at(time.Hour), 100)
	for i, c := range res.Claims {
		b.finish(c, monitehooks.DeliverySucceeded, at(time.Duration(i)*time.Second))
	}
	for i := range 3 {
		b.createEvent(newEvent(partnerA), nil, at(time.Duration(i)*time.Second))
	}
	total := monitehooks.DeleteExpiredResult{}
	for calls := 0; ; calls++ {
		if calls > 20 {
			t.Fatal("DeleteExpired with limit 4 never ran out")
		}
		got, err := b.s.DeleteExpired(b.ctx, monitehooks.DeleteExpiredParams{Before: farAway, Limit: 4})
		if err != nil {
			t.Fatalf("DeleteExpired: %v", err)
		}
		if got.Deliveries > 4 || got.Events > 4 {
			t.Fatalf("DeleteExpired with limit 4 = %+v", got)
		}
		total.Deliveries += got.Deliveries
		total.Events += got.Events
		if got.Deliveries < 4 && got.Events < 4 {
			break
		}
	}
	if want := (monitehooks.DeleteExpiredResult{Deliveries: events * 3, Events: events + 3}); total != want {
		t.Errorf("DeleteExpired with limit 4, repeated: %+v in all; want %+v", total, want)
	}
	for _, id := range ids {
		b.deliveryGone(partnerA, id, true)
	}
}

func testRetentionTokens(t *testing.T, b *bundle) {
	sub := b.subID(partnerA)
	var ids []string
	for i := range 6 {
		ev := newEvent(partnerA)
		ev.CreatedAt = at(time.Duration(i) * time.Second)
		ev = b.createEvent(ev, []string{sub}, ev.CreatedAt)
		ids = append(ids, b.deliveriesOf(partnerA, ev.ID, []string{sub})[0])
	}
	// 1 and 2 finish as soon as they are due, and will go; the others
	// stay pending. By creation and by update alike, the order is 0 to 5.
	b.settle(ids[1], at(time.Second), monitehooks.DeliverySucceeded)
	b.settle(ids[2], at(2*time.Second), monitehooks.DeliverySucceeded)

	type tokenCase struct {
		name  string
		token string
		want  []string // once 1 and 2 are gone
	}
	var cases []tokenCase
	for _, p := range []monitehooks.ListParams{{Limit: 2}, {Limit: 2, SubscriptionID: sub}, {Limit: 2, Sort: monitehooks.SortUpdatedAt}} {
		// The first page is [0, 1]; its Next token names 1.
		cases = append(cases, tokenCase{fmt.Sprintf("Next of the first page of %+v", p), b.pageAfter(partnerA, p), []string{ids[3], ids[4]}})
	}
	// The second page by creation is [2, 3]; its Prev token names 2, and
	// leads to what is left before it.
	second, err := b.s.ListDeliveries(b.ctx, partnerA, monitehooks.ListParams{Cursor: cases[0].token})
	if err != nil || len(second.Data) != 2 || second.Prev == "" {
		t.Fatalf("second page: %v, %d items, Prev %q", err, len(second.Data), second.Prev)
	}
	cases = append(cases, tokenCase{"Prev of the second page", second.Prev, []string{ids[0]}})

	b.deleteExpired(at(time.Hour))
	b.deliveryGone(partnerA, ids[1], true)
	for _, c := range cases {
		page, err := b.s.ListDeliveries(b.ctx, partnerA, monitehooks.ListParams{Cursor: c.token})
		if err != nil {
			t.Errorf("%s, after its item was deleted: %v", c.name, err)
			continue
		}
		var got []string
		for _, d := range page.Data {
			got = append(got, d.ID)
		}
		if d := diff(c.want, got); d != "" {
			t.Errorf("%s, after its item was deleted (-want +got):\n%s", c.name, d)
		}
	}
}

// pageAfter returns the Next token of the first page of p.
func (b *bundle) pageAfter(partnerID string, p monitehooks.ListParams) string {
	b.t.Helper()
	page, err := b.s.ListDeliveries(b.ctx, partnerID, p)
	if err != nil || page.Next == "" {
		b.t.Fatalf("ListDeliveries(%+v): %v, next %q", p, err, page.Next)
	}
	return page.Next
}

func testRetentionInvalidLimit(t *testing.T, b *bundle) {
	b.emit1(partnerA, b.subID(partnerA), base)
	for _, limit := range []int{0, -1} {
		res, err := b.s.DeleteExpired(b.ctx, monitehooks.DeleteExpiredParams{Before: farAway, Limit: limit})
		if err == nil || res != (monitehooks.DeleteExpiredResult{}) {
			t.Errorf("DeleteExpired(Limit: %d) = %+v, %v; want an error and nothing deleted", limit, res, err)
		}
	}
}

// testRetentionConcurrent runs retention in a loop while producers store
// events and workers claim and record them, and checks that nothing
// pending is lost and every finished delivery is either kept or gone.
func testRetentionConcurrent(t *testing.T, b *bundle) {
	const producers, perProducer, workers = 3, 30, 3
	subs := b.subIDs(partnerA, 2)
	total := producers * perProducer * len(subs)
	var (
		wg       sync.WaitGroup
		recorded atomic.Int64
		deleted  atomic.Int64
		clock    atomic.Int64 // seconds after base
		stop     = make(chan struct{})
		failures = make(chan string, producers+workers+2)
	)
	fail := func(what string, err error) {
		select {
		case failures <- what + ": " + err.Error():
		default:
		}
	}
	now := func() time.Time { return at(time.Duration(clock.Load()) * time.Second) }
	for range producers {
		wg.Go(func() {
			for range perProducer {
				if _, err := b.s.CreateEvent(b.ctx, monitehooks.CreateEventParams{Event: newEvent(partnerA), SubscriptionIDs: subs, Due: now()}); err != nil {
					fail("CreateEvent", err)
					return
				}
				clock.Add(1)
			}
		})
	}
	for range workers {
		wg.Go(func() {
			for recorded.Load() < int64(total) {
				select {
				case <-stop:
					return
				default:
				}
				res, err := b.s.ClaimDeliveries(b.ctx, monitehooks.ClaimParams{Now: farAway, Limit: 3, Lease: time.Hour})
				if err != nil {
					fail("ClaimDeliveries", err)
					return
				}
				for _, c := range res.Claims {
					a := attemptAt(now(), 200)
					err := b.s.RecordAttempt(b.ctx, monitehooks.RecordAttemptParams{
						DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken, Attempt: &a,
						Status: monitehooks.DeliverySucceeded, UpdatedAt: now(),
					})
					if err != nil {
						fail("RecordAttempt", err)
						return
					}
					recorded.Add(1)
				}
			}
		})
	}
	pruned := make(chan struct{})
	go func() {
		defer close(pruned)
		for {
			select {
			case <-stop:
				return
			default:
			}
			res, err := b.s.DeleteExpired(b.ctx, monitehooks.DeleteExpiredParams{Before: now().Add(-5 * time.Second), Limit: 7})
			if err != nil {
				fail("DeleteExpired", err)
				return
			}
			deleted.Add(int64(res.Deliveries))
			if _, err := b.s.ListDeliveries(b.ctx, partnerA, monitehooks.ListParams{Limit: 5, Order: monitehooks.OrderDesc}); err != nil {
				fail("ListDeliveries", err)
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-pruned
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	counts, err := b.s.CountDeliveries(b.ctx)
	if err != nil {
		t.Fatalf("CountDeliveries: %v", err)
	}
	if counts.Pending != 0 || counts.Failed != 0 || counts.Succeeded+int(deleted.Load()) != total {
		t.Errorf("CountDeliveries = %+v with %d deleted; want %d succeeded or deleted, nothing pending", counts, deleted.Load(), total)
	}
	left := b.listAllDeliveries(partnerA, monitehooks.ListParams{})
	if len(left) != counts.Succeeded {
		t.Errorf("ListDeliveries lists %d; CountDeliveries says %d", len(left), counts.Succeeded)
	}
	b.deleteExpired(farAway.Add(time.Hour))
	if n, _ := b.s.CountDeliveries(b.ctx); n != (monitehooks.DeliveryCounts{}) {
		t.Errorf("after retention of everything, CountDeliveries = %+v", n)
	}
	if page, err := b.s.ListEvents(b.ctx, partnerA, monitehooks.ListParams{}); err != nil || len(page.Data) != 0 {
		t.Errorf("after retention of everything, ListEvents = %d, %v; want none", len(page.Data), err)
	}
}
