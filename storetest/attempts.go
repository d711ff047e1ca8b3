package storetest

import (
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

func attemptTests() []test {
	return []test{
		{"RecordAppendsAndReschedules", testRecordAttempt},
		{"RecordWithoutAttempt", testRecordNilAttempt},
		{"RecordWithWrongTokenIsLeaseLost", testRecordWrongToken},
		{"UnknownDeliveryIsNotFound", testRecordUnknownDelivery},
		{"ReleaseMakesClaimableAtOnce", testRelease},
	}
}

func testRecordAttempt(t *testing.T, b *bundle) {
	sub := b.subID(partnerA)
	id := b.emit1(partnerA, sub, base)
	want := b.getDelivery(partnerA, id)

	c := b.claimOne(base, id)
	a1 := attemptAt(base, 503)
	retry := at(5 * time.Second)
	b.record(monitehooks.RecordAttemptParams{
		DeliveryID: id, LeaseToken: c.LeaseToken, Attempt: &a1,
		Status: monitehooks.DeliveryPending, NextAttemptAt: retry, UpdatedAt: at(time.Second),
	})
	want.Attempts = []monitehooks.Attempt{a1}
	want.NextAttemptAt, want.UpdatedAt = retry, at(time.Second)
	if d := diff(want, b.getDelivery(partnerA, id)); d != "" {
		t.Errorf("after a failed attempt to retry (-want +got):\n%s", d)
	}

	// The lease ended with the record: the delivery is due at its retry
	// time, not at the end of the lease.
	if res := b.claim(retry.Add(-1), 10); len(res.Claims) != 0 || !res.NextDue.Equal(retry) {
		t.Errorf("claim just before the retry = %v, NextDue %v; want nothing, %v", claimedIDs(res), res.NextDue, retry)
	}
	c = b.claimOne(retry, id)
	if c.Attempts != 1 {
		t.Errorf("claim of the retry: Attempts = %d; want 1", c.Attempts)
	}
	a2 := attemptAt(retry, 200)
	b.record(monitehooks.RecordAttemptParams{
		DeliveryID: id, LeaseToken: c.LeaseToken, Attempt: &a2,
		Status: monitehooks.DeliverySucceeded, UpdatedAt: at(6 * time.Second),
	})
	want.Attempts = []monitehooks.Attempt{a1, a2}
	want.Status = monitehooks.DeliverySucceeded
	want.NextAttemptAt, want.UpdatedAt = time.Time{}, at(6*time.Second)
	if d := diff(want, b.getDelivery(partnerA, id)); d != "" {
		t.Errorf("after a successful attempt (-want +got):\n%s", d)
	}
	if res := b.claim(farAway, 10); len(res.Claims) != 0 || !res.NextDue.IsZero() {
		t.Errorf("claim after success = %v, NextDue %v; want nothing, zero", claimedIDs(res), res.NextDue)
	}
	// The attempt given to RecordAttempt was copied.
	a2.Response = "scribbled"
	if got := b.getDelivery(partnerA, id); got.Attempts[1].Response == "scribbled" {
		t.Errorf("changing the Attempt passed to RecordAttempt changed the stored one")
	}
}

func testRecordNilAttempt(t *testing.T, b *bundle) {
	id := b.emit1(partnerA, b.subID(partnerA), base)
	c := b.claimOne(base, id)
	b.record(monitehooks.RecordAttemptParams{
		DeliveryID: id, LeaseToken: c.LeaseToken,
		Status: monitehooks.DeliveryFailed, UpdatedAt: at(time.Second),
	})
	got := b.getDelivery(partnerA, id)
	if got.Status != monitehooks.DeliveryFailed || len(got.Attempts) != 0 || !got.UpdatedAt.Equal(at(time.Second)) {
		t.Errorf("after RecordAttempt without an attempt: Status %q, %d attempts, UpdatedAt %v; want failed, 0, %v",
			got.Status, len(got.Attempts), got.UpdatedAt, at(time.Second))
	}
}

func testRecordWrongToken(t *testing.T, b *bundle) {
	subs := b.subIDs(partnerA, 2)
	b.emit(partnerA, subs, base)
	res := b.claim(base, 10)
	if len(res.Claims) != 2 {
		t.Fatalf("claimed %d; want 2", len(res.Claims))
	}
	mine, other := res.Claims[0], res.Claims[1]
	id := mine.DeliveryID

	// A token that held the delivery once, and no longer does.
	done := b.emit1(partnerA, subs[0], base)
	dc := b.claimOne(base, done)
	b.finish(dc, monitehooks.DeliveryFailed, base)

	tests := []struct{ name, id, token string }{
		{"empty", id, ""},
		{"garbage", id, "garbage"},
		{"another delivery's", id, other.LeaseToken},
		{"used already", done, dc.LeaseToken},
	}
	for _, tt := range tests {
		before := b.getDelivery(partnerA, tt.id)
		a := attemptAt(base, 200)
		err := b.s.RecordAttempt(b.ctx, monitehooks.RecordAttemptParams{
			DeliveryID: tt.id, LeaseToken: tt.token, Attempt: &a,
			Status: monitehooks.DeliverySucceeded, UpdatedAt: at(time.Second),
		})
		checkErr(t, "RecordAttempt with "+tt.name+" token", err, monitehooks.ErrLeaseLost)
		err = b.s.ReleaseDelivery(b.ctx, monitehooks.ReleaseParams{DeliveryID: tt.id, LeaseToken: tt.token})
		checkErr(t, "ReleaseDelivery with "+tt.name+" token", err, monitehooks.ErrLeaseLost)
		if d := diff(before, b.getDelivery(partnerA, tt.id)); d != "" {
			t.Errorf("%s token changed the delivery (-want +got):\n%s", tt.name, d)
		}
	}
	// The right token still holds.
	b.finish(mine, monitehooks.DeliverySucceeded, base)
	if got := b.getDelivery(partnerA, id); got.Status != monitehooks.DeliverySucceeded {
		t.Errorf("after RecordAttempt with the right token, Status = %q; want succeeded", got.Status)
	}
}

func testRecordUnknownDelivery(t *testing.T, b *bundle) {
	for _, tc := range absentIDs {
		err := b.s.RecordAttempt(b.ctx, monitehooks.RecordAttemptParams{
			DeliveryID: tc.id, LeaseToken: "1", Status: monitehooks.DeliverySucceeded, UpdatedAt: base,
		})
		checkErr(t, "RecordAttempt("+tc.name+")", err, monitehooks.ErrDeliveryNotFound)
		err = b.s.ReleaseDelivery(b.ctx, monitehooks.ReleaseParams{DeliveryID: tc.id, LeaseToken: "1"})
		checkErr(t, "ReleaseDelivery("+tc.name+")", err, monitehooks.ErrDeliveryNotFound)
	}
}

func testRelease(t *testing.T, b *bundle) {
	id := b.emit1(partnerA, b.subID(partnerA), base)
	want := b.getDelivery(partnerA, id)
	c := b.claimOne(at(time.Second), id)
	release := monitehooks.ReleaseParams{DeliveryID: id, LeaseToken: c.LeaseToken}
	if err := b.s.ReleaseDelivery(b.ctx, release); err != nil {
		t.Fatalf("ReleaseDelivery: %v", err)
	}
	if d := diff(want, b.getDelivery(partnerA, id)); d != "" {
		t.Errorf("ReleaseDelivery changed the delivery (-want +got):\n%s", d)
	}
	err := b.s.ReleaseDelivery(b.ctx, release)
	checkErr(t, "second ReleaseDelivery", err, monitehooks.ErrLeaseLost)

	again := b.claimOne(at(time.Second), id)
	if again.LeaseToken == c.LeaseToken || again.Attempts != 0 {
		t.Errorf("claim after release: token %q (first %q), Attempts %d; want a new token, 0", again.LeaseToken, c.LeaseToken, again.Attempts)
	}
	err = b.s.ReleaseDelivery(b.ctx, release)
	checkErr(t, "ReleaseDelivery with the token released", err, monitehooks.ErrLeaseLost)
}
