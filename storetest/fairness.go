package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// The contract leaves open the order of the subscriptions within a round:
// these tests check what each round holds, and the order of one
// subscription's deliveries.

func fairnessTests() []test {
	return []test{
		{"OneTurnEach", testFairOneTurnEach},
		{"RotationOneAtATime", testFairRotation},
		{"OldestFirstWithinSubscription", testFairOldestWithin},
		{"NotDueTakesNoTurn", testFairNotDue},
		{"RefusedKeepsTurn", testFairRefusedKeepsTurn},
		{"NewlyDueBeforeSecondTurns", testFairNewlyDue},
		{"NextDueWhenCutShort", testFairNextDue},
	}
}

// emitN stores n events of the partner to sub, due one second apart from
// first on, and returns the deliveries' IDs, oldest due first.
func (b *bundle) emitN(partnerID, sub string, n int, first time.Time) []string {
	b.t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = b.emit1(partnerID, sub, first.Add(time.Duration(i)*time.Second))
	}
	return ids
}

// checkRounds fails the test unless got is the rounds one after the other,
// each in any order.
func checkRounds(t *testing.T, what string, got []string, rounds ...[]string) {
	t.Helper()
	var want []string
	for _, r := range rounds {
		want = append(want, r...)
	}
	if len(got) != len(want) {
		t.Errorf("%s: claimed %v; want %d deliveries, by rounds %v", what, got, len(want), rounds)
		return
	}
	rest := got
	for i, r := range rounds {
		part := rest[:len(r)]
		rest = rest[len(r):]
		if d := diff(sorted(r), sorted(part)); d != "" {
			t.Errorf("%s: round %d (-want +got):\n%s", what, i+1, d)
		}
	}
}

func sorted(ids []string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

// claimOneAtATime claims one delivery at a time at now, n times, and
// returns the IDs claimed.
func (b *bundle) claimOneAtATime(now time.Time, n int) []string {
	b.t.Helper()
	var got []string
	for range n {
		got = append(got, claimedIDs(b.claim(now, 1))...)
	}
	return got
}

func testFairOneTurnEach(t *testing.T, b *bundle) {
	subA, subB, subC := b.subID(partnerA), b.subID(partnerA), b.subID(partnerB)
	// A's backlog is older than anything of B's or C's.
	as := b.emitN(partnerA, subA, 10, at(-time.Hour))
	b1 := b.emit1(partnerA, subB, at(-time.Second))
	c1 := b.emit1(partnerB, subC, base)

	checkRounds(t, "claim of 3", claimedIDs(b.claim(base, 3)), []string{as[0], b1, c1})
	if d := diff(as[1:], claimedIDs(b.claim(base, 20))); d != "" {
		t.Errorf("claim of the rest, A's alone (-want +got):\n%s", d)
	}
}

func testFairRotation(t *testing.T, b *bundle) {
	subA, subB, subC := b.subID(partnerA), b.subID(partnerA), b.subID(partnerA)
	as := b.emitN(partnerA, subA, 4, at(-time.Hour))
	bs := b.emitN(partnerA, subB, 2, at(-time.Minute))
	cs := b.emitN(partnerA, subC, 2, at(-10*time.Second))

	checkRounds(t, "claims one at a time", b.claimOneAtATime(base, 9),
		[]string{as[0], bs[0], cs[0]}, []string{as[1], bs[1], cs[1]}, []string{as[2]}, []string{as[3]})
}

func testFairOldestWithin(t *testing.T, b *bundle) {
	subA, subB := b.subID(partnerA), b.subID(partnerA)
	// Created in another order than due.
	a3 := b.emit1(partnerA, subA, at(-time.Second))
	a1 := b.emit1(partnerA, subA, at(-3*time.Second))
	a2 := b.emit1(partnerA, subA, at(-2*time.Second))
	b1 := b.emit1(partnerA, subB, at(-10*time.Second))

	got := claimedIDs(b.claim(base, 10))
	checkRounds(t, "claim of all", got, []string{a1, b1}, []string{a2}, []string{a3})
	got = slices.DeleteFunc(got, func(id string) bool { return id == b1 })
	if d := diff([]string{a1, a2, a3}, got); d != "" {
		t.Errorf("A's deliveries in the claim (-want +got):\n%s", d)
	}
}

func testFairNotDue(t *testing.T, b *bundle) {
	subA, subB := b.subID(partnerA), b.subID(partnerA)
	as := b.emitN(partnerA, subA, 3, at(-3*time.Second))
	later := b.emit1(partnerA, subB, at(30*time.Second))

	// B has nothing due: every claim of one goes to A.
	if d := diff(as, b.claimOneAtATime(base, 3)); d != "" {
		t.Errorf("claims one at a time (-want +got):\n%s", d)
	}
	res := b.claim(base, 1)
	if len(res.Claims) != 0 || !res.NextDue.Equal(at(30*time.Second)) {
		t.Errorf("claim with nothing due = %v, NextDue %v; want nothing, %v", claimedIDs(res), res.NextDue, at(30*time.Second))
	}
	b.claimOne(at(30*time.Second), later)
}

func testFairRefusedKeepsTurn(t *testing.T, b *bundle) {
	subA, subB := b.subID(partnerA), b.subID(partnerA)
	as := b.emitN(partnerA, subA, 2, at(-time.Hour))
	bs := b.emitN(partnerA, subB, 3, at(-time.Minute))

	// A refused: B may have every turn meanwhile.
	res := b.claimWith(monitehooks.ClaimParams{Now: base, Limit: 2, Lease: time.Minute, Allow: func(sid string) bool { return sid != subA }})
	if d := diff(bs[:2], claimedIDs(res)); d != "" {
		t.Errorf("claim of 2 refusing A (-want +got):\n%s", d)
	}
	// A has not had its turn; B has.
	res = b.claim(base, 1)
	if d := diff(as[:1], claimedIDs(res)); d != "" {
		t.Errorf("claim of 1 after A was refused (-want +got):\n%s", d)
	}
	checkRounds(t, "claim of the rest", claimedIDs(b.claim(base, 10)), []string{as[1], bs[2]})
}

func testFairNewlyDue(t *testing.T, b *bundle) {
	subA, subB, subC := b.subID(partnerA), b.subID(partnerA), b.subID(partnerA)
	as := b.emitN(partnerA, subA, 3, at(-time.Hour))
	bs := b.emitN(partnerA, subB, 3, at(-time.Minute))
	c1 := b.emit1(partnerA, subC, at(time.Second))

	checkRounds(t, "first turns", b.claimOneAtATime(base, 2), []string{as[0], bs[0]})
	// C comes due after A and B had their first turns: it has its turn
	// before their second.
	if d := diff([]string{c1}, claimedIDs(b.claim(at(time.Second), 1))); d != "" {
		t.Errorf("claim of 1 once C is due (-want +got):\n%s", d)
	}
	checkRounds(t, "claim of the rest", claimedIDs(b.claim(at(time.Second), 10)),
		[]string{as[1], bs[1]}, []string{as[2], bs[2]})

	// A, drained, and a new subscription D come due: each has a turn
	// before D has its second.
	subD := b.subID(partnerA)
	ds := b.emitN(partnerA, subD, 2, at(2*time.Second))
	e1 := b.emit1(partnerA, subA, at(2*time.Second))
	checkRounds(t, "claims after more came due", claimedIDs(b.claim(at(3*time.Second), 10)), []string{ds[0], e1}, []string{ds[1]})
}

func testFairNextDue(t *testing.T, b *bundle) {
	subA, subB := b.subID(partnerA), b.subID(partnerA)
	b.emitN(partnerA, subA, 3, at(-time.Hour))
	b.emitN(partnerA, subB, 2, at(-time.Minute))
	for n := range 4 {
		res := b.claim(base, 1)
		if len(res.Claims) != 1 || res.NextDue.IsZero() || res.NextDue.After(base) {
			t.Errorf("claim %d of 1 with more due = %d claims, NextDue %v; want 1, at or before %v", n+1, len(res.Claims), res.NextDue, base)
		}
	}
	res := b.claim(base, 1)
	if len(res.Claims) != 1 || !res.NextDue.Equal(at(time.Minute)) {
		t.Errorf("claim of the last = %d claims, NextDue %v; want 1, %v (the end of the leases)", len(res.Claims), res.NextDue, at(time.Minute))
	}
}
