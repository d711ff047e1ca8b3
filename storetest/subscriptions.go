package storetest

import (
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

func subscriptionTests() []test {
	return []test{
		{"CreateAssignsID", testCreateSubscriptionAssignsID},
		{"GetReturnsStored", testGetSubscription},
		{"Update", testUpdateSubscription},
		{"Delete", testDeleteSubscription},
		{"NotFound", testSubscriptionNotFound},
		{"OtherPartnerCannotChange", testSubscriptionOtherPartnerCannotChange},
		{"ValuesAreCopies", testSubscriptionCopies},
		{"LoadReturnsEveryPartner", testLoadSubscriptions},
	}
}

func testCreateSubscriptionAssignsID(t *testing.T, b *bundle) {
	in := newSubscription(partnerA)
	in.ID = "chosen-by-caller"
	got := b.createSub(in)
	checkID(t, "created subscription", got.ID)

	want := in
	want.ID = got.ID
	if d := diff(want, got); d != "" {
		t.Errorf("CreateSubscription returned (-want +got):\n%s", d)
	}
	if other := b.createSub(in); other.ID == got.ID {
		t.Errorf("two subscriptions got the same ID %s", got.ID)
	}
}

func testGetSubscription(t *testing.T, b *bundle) {
	created := b.createSub(newSubscription(partnerA))
	got, err := b.s.GetSubscription(b.ctx, partnerA, created.ID)
	if err != nil {
		t.Fatalf("GetSubscription: %v", err)
	}
	if d := diff(created, got); d != "" {
		t.Errorf("GetSubscription (-want +got):\n%s", d)
	}
}

func testUpdateSubscription(t *testing.T, b *bundle) {
	sub := b.createSub(newSubscription(partnerA))
	sub.URL = "https://example.org/other"
	sub.ObjectType = "role"
	sub.EventTypes = []monitehooks.EventType{"deleted"}
	sub.Name = ""
	sub.Status = monitehooks.StatusDisabled
	sub.Secrets = []monitehooks.Secret{{Value: "whsec_new"}}
	sub.FailingSince = at(time.Minute)
	sub.UpdatedAt = at(time.Hour)
	if err := b.s.UpdateSubscription(b.ctx, sub); err != nil {
		t.Fatalf("UpdateSubscription: %v", err)
	}
	got, err := b.s.GetSubscription(b.ctx, partnerA, sub.ID)
	if err != nil {
		t.Fatalf("GetSubscription: %v", err)
	}
	if d := diff(sub, got); d != "" {
		t.Errorf("after UpdateSubscription, GetSubscription (-want +got):\n%s", d)
	}
}

func testDeleteSubscription(t *testing.T, b *bundle) {
	gone := b.createSub(newSubscription(partnerA))
	kept := b.createSub(newSubscription(partnerA))
	if err := b.s.DeleteSubscription(b.ctx, partnerA, gone.ID); err != nil {
		t.Fatalf("DeleteSubscription: %v", err)
	}
	_, err := b.s.GetSubscription(b.ctx, partnerA, gone.ID)
	checkErr(t, "GetSubscription after delete", err, monitehooks.ErrSubscriptionNotFound, monitehooks.ErrNotFound)
	err = b.s.DeleteSubscription(b.ctx, partnerA, gone.ID)
	checkErr(t, "second DeleteSubscription", err, monitehooks.ErrSubscriptionNotFound, monitehooks.ErrNotFound)
	err = b.s.UpdateSubscription(b.ctx, gone)
	checkErr(t, "UpdateSubscription after delete", err, monitehooks.ErrSubscriptionNotFound, monitehooks.ErrNotFound)

	page, err := b.s.ListSubscriptions(b.ctx, partnerA, monitehooks.ListParams{})
	if err != nil {
		t.Fatalf("ListSubscriptions: %v", err)
	}
	if d := diff([]monitehooks.Subscription{kept}, page.Data); d != "" {
		t.Errorf("ListSubscriptions after delete (-want +got):\n%s", d)
	}
	all, err := b.s.LoadSubscriptions(b.ctx)
	if err != nil {
		t.Fatalf("LoadSubscriptions: %v", err)
	}
	if d := diff([]monitehooks.Subscription{kept}, all); d != "" {
		t.Errorf("LoadSubscriptions after delete (-want +got):\n%s", d)
	}
}

func testSubscriptionNotFound(t *testing.T, b *bundle) {
	other := b.createSub(newSubscription(partnerB))
	ids := append([]struct{ name, id string }{{"other partner's", other.ID}}, absentIDs...)
	for _, tc := range ids {
		_, err := b.s.GetSubscription(b.ctx, partnerA, tc.id)
		checkErr(t, "GetSubscription("+tc.name+")", err, monitehooks.ErrSubscriptionNotFound, monitehooks.ErrNotFound)

		sub := newSubscription(partnerA)
		sub.ID = tc.id
		err = b.s.UpdateSubscription(b.ctx, sub)
		checkErr(t, "UpdateSubscription("+tc.name+")", err, monitehooks.ErrSubscriptionNotFound, monitehooks.ErrNotFound)

		err = b.s.DeleteSubscription(b.ctx, partnerA, tc.id)
		checkErr(t, "DeleteSubscription("+tc.name+")", err, monitehooks.ErrSubscriptionNotFound, monitehooks.ErrNotFound)
	}
}

func testSubscriptionOtherPartnerCannotChange(t *testing.T, b *bundle) {
	sub := b.createSub(newSubscription(partnerB))
	hijack := sub
	hijack.PartnerID = partnerA
	hijack.URL = "https://evil.example/"
	err := b.s.UpdateSubscription(b.ctx, hijack)
	checkErr(t, "UpdateSubscription with another partner", err, monitehooks.ErrSubscriptionNotFound)
	err = b.s.DeleteSubscription(b.ctx, partnerA, sub.ID)
	checkErr(t, "DeleteSubscription by another partner", err, monitehooks.ErrSubscriptionNotFound)

	got, err := b.s.GetSubscription(b.ctx, partnerB, sub.ID)
	if err != nil {
		t.Fatalf("GetSubscription by its partner: %v", err)
	}
	if d := diff(sub, got); d != "" {
		t.Errorf("subscription changed by another partner (-want +got):\n%s", d)
	}
}

func testSubscriptionCopies(t *testing.T, b *bundle) {
	in := newSubscription(partnerA)
	created := b.createSub(in)
	want := created.Clone()
	scribble := func(sub *monitehooks.Subscription) {
		sub.EventTypes[0] = "scribbled"
		sub.Secrets[0].Value = "whsec_scribbled"
	}
	check := func(after string) {
		t.Helper()
		got, err := b.s.GetSubscription(b.ctx, partnerA, created.ID)
		if err != nil {
			t.Fatalf("GetSubscription: %v", err)
		}
		if d := diff(want, got); d != "" {
			t.Errorf("after %s, stored subscription changed (-want +got):\n%s", after, d)
		}
	}

	scribble(&in)
	check("changing the slices passed to CreateSubscription")
	scribble(&created)
	check("changing the slices CreateSubscription returned")

	got, _ := b.s.GetSubscription(b.ctx, partnerA, want.ID)
	scribble(&got)
	check("changing the slices GetSubscription returned")

	page, err := b.s.ListSubscriptions(b.ctx, partnerA, monitehooks.ListParams{})
	if err != nil || len(page.Data) != 1 {
		t.Fatalf("ListSubscriptions = %d items, %v; want 1", len(page.Data), err)
	}
	scribble(&page.Data[0])
	check("changing the slices ListSubscriptions returned")

	all, err := b.s.LoadSubscriptions(b.ctx)
	if err != nil || len(all) != 1 {
		t.Fatalf("LoadSubscriptions = %d items, %v; want 1", len(all), err)
	}
	scribble(&all[0])
	check("changing the slices LoadSubscriptions returned")

	upd := want.Clone()
	upd.Name = "renamed"
	if err := b.s.UpdateSubscription(b.ctx, upd); err != nil {
		t.Fatalf("UpdateSubscription: %v", err)
	}
	want = upd.Clone()
	scribble(&upd)
	check("changing the slices passed to UpdateSubscription")
}

func testLoadSubscriptions(t *testing.T, b *bundle) {
	var want []monitehooks.Subscription
	for _, p := range []string{partnerA, partnerB, partnerA, partnerB} {
		want = append(want, b.createSub(newSubscription(p)))
	}
	got, err := b.s.LoadSubscriptions(b.ctx)
	if err != nil {
		t.Fatalf("LoadSubscriptions: %v", err)
	}
	byID := func(s monitehooks.Subscription) string { return s.ID }
	if d := diff(sortedByID(want, byID), sortedByID(got, byID)); d != "" {
		t.Errorf("LoadSubscriptions (-want +got):\n%s", d)
	}
}
