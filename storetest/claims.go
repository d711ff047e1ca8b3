package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/monitehooks/monitehooks"
)

func claimTests() []test {
	return []test{
		{"DueOldestFirst", testClaimDueOldestFirst},
		{"TurnsAcrossSubscriptions", testClaimOrderAcrossSubscriptions},
		{"TiesInCreationOrder", testClaimTiesInCreationOrder},
		{"LimitCutsShort", testClaimLimit},
		{"NothingPending", testClaimNothing},
		{"LeaseHoldsUntilItEnds", testClaimLease},
		{"InvalidParams", testClaimInvalidParams},
		{"FinishedNotClaimable", testClaimFinished},
		{"AllowRefusals", testClaimAllowRefuses},
		{"AllowAskedInDueOrder", testClaimAllowOrder},
		{"AllowAskedPerCandidate", testClaimAllowPerCandidate},
		{"AttemptsCounted", testClaimAttemptsCounted},
	}
}

func testClaimDueOldestFirst(t *testing.T, b *bundle) {
	sub := b.subID(partnerA)
	ev := newEvent(partnerA)
	type item struct {
		due time.Duration
		id  string
		ev  monitehooks.Event
	}
	items := []*item{{due: 0}, {due: -2 * time.Second}, {due: time.Second}, {due: -time.Second}}
	for _, it := range items {
		it.ev = b.createEvent(ev, []string{sub}, at(it.due))
		it.id = b.deliveriesOf(partnerA, it.ev.ID, []string{sub})[0]
	}
	res := b.claim(base, 10)

	var want []monitehooks.Claim
	for _, i := range []int{1, 3, 0} {
		it := items[i]
		want = append(want, monitehooks.Claim{
			DeliveryID: it.id, SubscriptionID: sub, PartnerID: partnerA,
			Attempts: 0, CreatedAt: at(it.due), Event: it.ev,
		})
	}
	// Subscription is a SharedStore's: see the SharedStore tests.
	if d := diff(want, res.Claims, cmpopts.IgnoreFields(monitehooks.Claim{}, "LeaseToken", "Subscription")); d != "" {
		t.Errorf("claims at base (-want +got):\n%s", d)
	}
	tokens := make(map[string]bool)
	for _, c := range res.Claims {
		if c.LeaseToken == "" || tokens[c.LeaseToken] {
			t.Errorf("claim of %s has lease token %q, empty or given to another claim too", c.DeliveryID, c.LeaseToken)
		}
		tokens[c.LeaseToken] = true
	}
	if want := at(time.Second); !res.NextDue.Equal(want) {
		t.Errorf("NextDue = %v; want %v (the delivery not yet due)", res.NextDue, want)
	}
}

func testClaimOrderAcrossSubscriptions(t *testing.T, b *bundle) {
	subA, subB := b.subID(partnerA), b.subID(partnerA)
	a1 := b.emit1(partnerA, subA, at(-4*time.Second))
	a2 := b.emit1(partnerA, subA, at(-time.Second))
	b1 := b.emit1(partnerA, subB, at(-3*time.Second))
	b2 := b.emit1(partnerA, subB, at(-2*time.Second))
	// B's deliveries have waited longer than a2, but A and B take turns.
	var got []string
	for range 4 {
		got = append(got, claimedIDs(b.claim(base, 1))...)
	}
	checkRounds(t, "claims one at a time", got, []string{a1, b1}, []string{a2, b2})
	// And the same in one claim, after the leases end.
	checkRounds(t, "claim of all", claimedIDs(b.claim(at(time.Hour), 10)), []string{a1, b1}, []string{a2, b2})
}

// testClaimTiesInCreationOrder: deliveries due at the same time are
// claimed in the order they were created, here the order of the
// subscriptions given to CreateEvent; not by ID, which says nothing.
func testClaimTiesInCreationOrder(t *testing.T, b *bundle) {
	subs := b.subIDs(partnerA, 5)
	ids := b.emit(partnerA, subs, base)

	res := b.claim(base, 2)
	if d := diff(ids[:2], claimedIDs(res)); d != "" {
		t.Errorf("claim of 2 among deliveries due at the same time (-want +got):\n%s", d)
	}
	res = b.claim(base, 10)
	if d := diff(ids[2:], claimedIDs(res)); d != "" {
		t.Errorf("claim of the rest (-want +got):\n%s", d)
	}
	if want := at(time.Minute); !res.NextDue.Equal(want) {
		t.Errorf("NextDue with every delivery leased = %v; want the end of the leases, %v", res.NextDue, want)
	}
}

func testClaimLimit(t *testing.T, b *bundle) {
	sub := b.subID(partnerA)
	var ids []string
	for i := range 4 {
		ids = append(ids, b.emit1(partnerA, sub, at(time.Duration(i-4)*time.Second)))
	}
	res := b.claim(base, 3)
	if d := diff(ids[:3], claimedIDs(res)); d != "" {
		t.Errorf("claim with limit 3 (-want +got):\n%s", d)
	}
	if want := at(-time.Second); !res.NextDue.Equal(want) {
		t.Errorf("NextDue after a claim cut short = %v; want %v, the due time of the delivery left", res.NextDue, want)
	}
}

func testClaimNothing(t *testing.T, b *bundle) {
	res := b.claim(base, 10)
	if len(res.Claims) != 0 || !res.NextDue.IsZero() {
		t.Errorf("claim from an empty store = %v, NextDue %v; want nothing, zero", claimedIDs(res), res.NextDue)
	}
	sub := b.subID(partnerA)
	b.emit1(partnerA, sub, at(2*time.Hour))
	b.emit1(partnerA, sub, at(time.Hour))
	res = b.claim(base, 10)
	if len(res.Claims) != 0 || !res.NextDue.Equal(at(time.Hour)) {
		t.Errorf("claim before anything is due = %v, NextDue %v; want nothing, %v", claimedIDs(res), res.NextDue, at(time.Hour))
	}
}

func testClaimLease(t *testing.T, b *bundle) {
	sub := b.subID(partnerA)
	id := b.emit1(partnerA, sub, base)
	later := b.emit1(partnerA, sub, at(5*time.Minute))
	lease := time.Minute

	first := b.claimOne(base, id)
	res := b.claim(at(lease-1), 10)
	if len(res.Claims) != 0 {
		t.Errorf("claim while the lease holds = %v; want nothing", claimedIDs(res))
	}
	if !res.NextDue.Equal(at(lease)) {
		t.Errorf("NextDue while a lease holds = %v; want the end of the lease, %v", res.NextDue, at(lease))
	}

	second := b.claimOne(at(lease), id)
	if second.LeaseToken == first.LeaseToken {
		t.Errorf("claim after the lease ended reused the token %q", first.LeaseToken)
	}
	if second.Attempts != 0 {
		t.Errorf("claim after the lease ended: Attempts = %d; want 0", second.Attempts)
	}
	if res := b.claim(at(lease+time.Second), 10); len(res.Claims) != 0 || !res.NextDue.Equal(at(2*lease)) {
		t.Errorf("claim during the second lease = %v, NextDue %v; want nothing, %v", claimedIDs(res), res.NextDue, at(2*lease))
	}

	before := b.getDelivery(partnerA, id)
	a := attemptAt(at(lease), 200)
	err := b.s.RecordAttempt(b.ctx, monitehooks.RecordAttemptParams{
		DeliveryID: id, LeaseToken: first.LeaseToken, Attempt: &a,
		Status: monitehooks.DeliverySucceeded, UpdatedAt: at(lease),
	})
	checkErr(t, "RecordAttempt with the token of a lease that ended and was claimed again", err, monitehooks.ErrLeaseLost)
	err = b.s.ReleaseDelivery(b.ctx, monitehooks.ReleaseParams{DeliveryID: id, LeaseToken: first.LeaseToken})
	checkErr(t, "ReleaseDelivery with the token of a lease that ended and was claimed again", err, monitehooks.ErrLeaseLost)
	if d := diff(before, b.getDelivery(partnerA, id)); d != "" {
		t.Errorf("stale token changed the delivery (-want +got):\n%s", d)
	}

	b.finish(second, monitehooks.DeliverySucceeded, at(lease))
	if got := b.getDelivery(partnerA, id); got.Status != monitehooks.DeliverySucceeded {
		t.Errorf("after RecordAttempt with the current token, Status = %q; want succeeded", got.Status)
	}
	b.claimOne(at(5*time.Minute), later)
}

func testClaimInvalidParams(t *testing.T, b *bundle) {
	b.emit1(partnerA, b.subID(partnerA), base)
	for _, p := range []monitehooks.ClaimParams{
		{Now: base, Limit: 0, Lease: time.Minute},
		{Now: base, Limit: -1, Lease: time.Minute},
		{Now: base, Limit: 1, Lease: 0},
		{Now: base, Limit: 1, Lease: -time.Second},
	} {
		res, err := b.s.ClaimDeliveries(b.ctx, p)
		if err == nil || len(res.Claims) != 0 {
			t.Errorf("ClaimDeliveries(Limit: %d, Lease: %v) = %d claims, err %v; want an error", p.Limit, p.Lease, len(res.Claims), err)
		}
	}
	// Nothing was leased by the refused calls.
	if res := b.claim(base, 10); len(res.Claims) != 1 {
		t.Errorf("claim after invalid claims = %d claims; want 1", len(res.Claims))
	}
}

func testClaimFinished(t *testing.T, b *bundle) {
	subs := b.subIDs(partnerA, 2)
	b.emit(partnerA, subs, base)
	res := b.claim(base, 10)
	if len(res.Claims) != 2 {
		t.Fatalf("claimed %d; want 2", len(res.Claims))
	}
	b.finish(res.Claims[0], monitehooks.DeliverySucceeded, base)
	b.finish(res.Claims[1], monitehooks.DeliveryFailed, base)
	if res := b.claim(farAway, 10); len(res.Claims) != 0 || !res.NextDue.IsZero() {
		t.Errorf("claim with only finished deliveries = %v, NextDue %v; want nothing, zero", claimedIDs(res), res.NextDue)
	}
}

func testClaimAllowRefuses(t *testing.T, b *bundle) {
	subA, subB := b.subID(partnerA), b.subID(partnerA)
	a1 := b.emit1(partnerA, subA, at(-3*time.Second))
	b1 := b.emit1(partnerA, subB, at(-2*time.Second))
	a2 := b.emit1(partnerA, subA, at(-time.Second))
	b.emit1(partnerA, subB, at(5*time.Second))
	before := []monitehooks.Delivery{b.getDelivery(partnerA, a1), b.getDelivery(partnerA, a2)}

	var asked []string
	res := b.claimWith(monitehooks.ClaimParams{Now: base, Limit: 10, Lease: time.Minute, Allow: func(sid string) bool {
		asked = append(asked, sid)
		return sid != subA
	}})
	if d := diff([]string{b1}, claimedIDs(res)); d != "" {
		t.Errorf("claim refusing subscription A (-want +got):\n%s", d)
	}
	// A is asked first (its delivery is the oldest due), then B; A may be
	// asked again about its second delivery or skipped.
	if len(asked) < 2 || asked[0] != subA || asked[1] != subB || slices.ContainsFunc(asked[2:], func(s string) bool { return s != subA }) {
		t.Errorf("Allow asked about %v; want A (%s), B (%s), then A or nothing", asked, subA, subB)
	}
	if want := at(5 * time.Second); !res.NextDue.Equal(want) {
		t.Errorf("NextDue = %v; want %v, ignoring the refused deliveries", res.NextDue, want)
	}
	after := []monitehooks.Delivery{b.getDelivery(partnerA, a1), b.getDelivery(partnerA, a2)}
	if d := diff(before, after); d != "" {
		t.Errorf("refused deliveries changed (-want +got):\n%s", d)
	}

	// Refusing everything claims nothing; the refused deliveries do not
	// count for NextDue, the one not yet due does.
	res = b.claimWith(monitehooks.ClaimParams{Now: base, Limit: 10, Lease: time.Minute, Allow: func(string) bool { return false }})
	if len(res.Claims) != 0 || !res.NextDue.Equal(at(5*time.Second)) {
		t.Errorf("claim refusing everything = %v, NextDue %v; want nothing, %v", claimedIDs(res), res.NextDue, at(5*time.Second))
	}

	// The refused deliveries are still pending and unleased.
	res = b.claim(base, 10)
	if d := diff([]string{a1, a2}, claimedIDs(res)); d != "" {
		t.Errorf("claim without Allow after refusals (-want +got):\n%s", d)
	}
	for _, c := range res.Claims {
		if c.Attempts != 0 {
			t.Errorf("refused delivery %s claimed with %d attempts; want 0", c.DeliveryID, c.Attempts)
		}
	}
}

func testClaimAllowOrder(t *testing.T, b *bundle) {
	subs := b.subIDs(partnerA, 3)
	// Created in another order than due.
	b.emit1(partnerA, subs[2], at(-time.Second))
	b.emit1(partnerA, subs[0], at(-3*time.Second))
	b.emit1(partnerA, subs[1], at(-2*time.Second))

	var asked []string
	res := b.claimWith(monitehooks.ClaimParams{Now: base, Limit: 10, Lease: time.Minute, Allow: func(sid string) bool {
		asked = append(asked, sid)
		return true
	}})
	if len(res.Claims) != 3 {
		t.Errorf("claimed %d; want 3", len(res.Claims))
	}
	if d := diff(subs, asked); d != "" {
		t.Errorf("Allow asked (-want +got):\n%s", d)
	}
}

func testClaimAllowPerCandidate(t *testing.T, b *bundle) {
	sub := b.subID(partnerA)
	for i := range 3 {
		b.emit1(partnerA, sub, at(time.Duration(i)*time.Second))
	}
	// A concurrency cap of one: the first candidate is allowed, the others
	// are not.
	slots := 1
	res := b.claimWith(monitehooks.ClaimParams{Now: at(time.Hour), Limit: 10, Lease: time.Minute, Allow: func(string) bool {
		slots--
		return slots >= 0
	}})
	if len(res.Claims) != 1 {
		t.Errorf("claim with Allow granting one slot = %d claims; want 1", len(res.Claims))
	}
}

func testClaimAttemptsCounted(t *testing.T, b *bundle) {
	id := b.emit1(partnerA, b.subID(partnerA), base)
	for n := range 3 {
		now := at(time.Duration(n) * time.Minute)
		c := b.claimOne(now, id)
		if c.Attempts != n {
			t.Errorf("claim %d: Attempts = %d; want %d", n+1, c.Attempts, n)
		}
		a := attemptAt(now, 500)
		b.record(monitehooks.RecordAttemptParams{
			DeliveryID: id, LeaseToken: c.LeaseToken, Attempt: &a,
			Status: monitehooks.DeliveryPending, NextAttemptAt: now.Add(time.Minute), UpdatedAt: now,
		})
	}
}
