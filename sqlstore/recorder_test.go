package sqlstore_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
)

// recorderBundle is a PostgreSQL store with claimed deliveries.
type recorderBundle struct {
	s      *sqlstore.Store
	now    time.Time
	claims []monitehooks.Claim
}

// setupRecorder makes n deliveries and claims them all.
func setupRecorder(t *testing.T, n int) *recorderBundle {
	t.Helper()
	s := newPostgresStore(t)
	ctx := t.Context()
	sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity", Status: monitehooks.StatusEnabled, URL: "https://example.com/hook"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for range n {
		_, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
			Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
			SubscriptionIDs: []string{sub.ID}, Due: now,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: n, Lease: time.Minute})
	if err != nil || len(res.Claims) != n {
		t.Fatalf("ClaimDeliveries = %d claims, %v; want %d", len(res.Claims), err, n)
	}
	return &recorderBundle{s: s, now: now, claims: res.Claims}
}

// outcome is the outcome of claim c, succeeded or retried (pending).
func (b *recorderBundle) outcome(c monitehooks.Claim, status monitehooks.DeliveryStatus, response string) monitehooks.RecordAttemptParams {
	p := monitehooks.RecordAttemptParams{
		DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken, Status: status, UpdatedAt: b.now.Add(time.Second),
		Attempt: &monitehooks.Attempt{At: b.now.Add(time.Second), Duration: time.Millisecond, URL: "https://example.com/hook", StatusCode: 200, Response: response},
	}
	if status == monitehooks.DeliveryPending {
		p.NextAttemptAt = b.now.Add(time.Hour)
		p.Attempt.StatusCode = 500
	}
	return p
}

// TestRecordBatch: outcomes recorded in one batch each get their own
// answer, as RecordAttempt one at a time would give them.
func TestRecordBatch(t *testing.T) {
	b := setupRecorder(t, 4)
	ctx := t.Context()
	wrongToken := b.outcome(b.claims[1], monitehooks.DeliverySucceeded, "")
	wrongToken.LeaseToken = "not-the-token"
	unknown := b.outcome(b.claims[2], monitehooks.DeliverySucceeded, "")
	unknown.DeliveryID = "00000000-0000-4000-8000-000000000000"
	noAttempt := b.outcome(b.claims[3], monitehooks.DeliveryFailed, "")
	noAttempt.Attempt = nil
	errs := sqlstore.RecordBatch(b.s, []monitehooks.RecordAttemptParams{
		b.outcome(b.claims[0], monitehooks.DeliverySucceeded, "ok"),
		wrongToken,
		unknown,
		b.outcome(b.claims[2], monitehooks.DeliveryPending, "busy"),
		b.outcome(b.claims[0], monitehooks.DeliverySucceeded, "again"), // the token held once only
		noAttempt,
	})
	wantErrs := []error{nil, monitehooks.ErrLeaseLost, monitehooks.ErrDeliveryNotFound, nil, monitehooks.ErrLeaseLost, nil}
	for i, want := range wantErrs {
		if (want == nil) != (errs[i] == nil) || (want != nil && !errors.Is(errs[i], want)) {
			t.Errorf("outcome %d: %v; want %v", i, errs[i], want)
		}
	}
	type state struct {
		Status   monitehooks.DeliveryStatus
		Attempts int
		Response string
	}
	var got []state
	for _, c := range b.claims {
		d, err := b.s.GetDelivery(ctx, "p", c.DeliveryID)
		if err != nil {
			t.Fatal(err)
		}
		st := state{Status: d.Status, Attempts: len(d.Attempts)}
		if len(d.Attempts) > 0 {
			st.Response = d.Attempts[len(d.Attempts)-1].Response
		}
		got = append(got, st)
	}
	want := []state{
		{monitehooks.DeliverySucceeded, 1, "ok"},
		{monitehooks.DeliveryPending, 0, ""},
		{monitehooks.DeliveryPending, 1, "busy"},
		{monitehooks.DeliveryFailed, 0, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	c, err := b.s.CountDeliveries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(monitehooks.DeliveryCounts{Pending: 2, Succeeded: 1, Failed: 1}, c); diff != "" {
		t.Errorf("CountDeliveries (-want +got):\n%s", diff)
	}
}

// TestRecordBatchRefusedOutcome: an outcome PostgreSQL cannot store (a
// NUL byte in text) fails alone; the others of its batch are recorded.
func TestRecordBatchRefusedOutcome(t *testing.T) {
	b := setupRecorder(t, 2)
	errs := sqlstore.RecordBatch(b.s, []monitehooks.RecordAttemptParams{
		b.outcome(b.claims[0], monitehooks.DeliverySucceeded, "ok"),
		b.outcome(b.claims[1], monitehooks.DeliverySucceeded, "nul\x00byte"),
	})
	if errs[0] != nil || errs[1] == nil {
		t.Fatalf("answers = %v; want nil, an error", errs)
	}
	d, err := b.s.GetDelivery(t.Context(), "p", b.claims[0].DeliveryID)
	if err != nil || d.Status != monitehooks.DeliverySucceeded {
		t.Errorf("first delivery = %v, %v; want succeeded", d.Status, err)
	}
	d, err = b.s.GetDelivery(t.Context(), "p", b.claims[1].DeliveryID)
	if err != nil || d.Status != monitehooks.DeliveryPending || len(d.Attempts) != 0 {
		t.Errorf("refused delivery = %v with %d attempts, %v; want pending, none", d.Status, len(d.Attempts), err)
	}
}

// TestRecordAttemptConcurrent: many workers recording at once, their
// outcomes batched as they come, each get their own answer.
func TestRecordAttemptConcurrent(t *testing.T) {
	const n = 64
	b := setupRecorder(t, n)
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for i, c := range b.claims {
		wg.Go(func() { errs[2*i] = b.s.RecordAttempt(t.Context(), b.outcome(c, monitehooks.DeliverySucceeded, "ok")) })
		bad := b.outcome(c, monitehooks.DeliverySucceeded, "ok")
		bad.LeaseToken = "wrong"
		wg.Go(func() { errs[2*i+1] = b.s.RecordAttempt(t.Context(), bad) })
	}
	wg.Wait()
	for i := range n {
		if errs[2*i] != nil || !errors.Is(errs[2*i+1], monitehooks.ErrLeaseLost) {
			t.Errorf("delivery %d: %v and %v; want nil and ErrLeaseLost", i, errs[2*i], errs[2*i+1])
		}
	}
	c, err := b.s.CountDeliveries(t.Context())
	if err != nil || c != (monitehooks.DeliveryCounts{Succeeded: n}) {
		t.Errorf("CountDeliveries = %+v, %v; want %d succeeded", c, err, n)
	}
}
