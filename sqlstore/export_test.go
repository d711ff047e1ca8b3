package sqlstore

import (
	"context"

	"github.com/monitehooks/monitehooks"
)

// PartnerLockKey is the key of the partner's subscription lock, for tests
// that hold the lock as a write of the store does.
func PartnerLockKey(s *Store, partnerID string) string { return s.partnerLockKey(partnerID) }

// RecordBatch records the outcomes in one batch, as RecordAttempt's
// batching does when they arrive together (PostgreSQL only), and returns
// each one's answer.
func RecordBatch(s *Store, ps []monitehooks.RecordAttemptParams) []error {
	batch := make([]*recordCall, len(ps))
	for i, p := range ps {
		c := &recordCall{id: p.DeliveryID, token: p.LeaseToken, status: string(p.Status),
			next: p.NextAttemptAt.UnixNano(), updated: p.UpdatedAt.UnixNano(), done: make(chan error, 1)}
		if a := p.Attempt; a != nil {
			c.added, c.at, c.duration, c.url, c.code = 1, a.At.UnixNano(), int64(a.Duration), a.URL, a.StatusCode
			c.class, c.err, c.resp = string(a.ErrorClass), a.Error, a.Response
		}
		batch[i] = c
	}
	s.writeRecords(context.Background(), batch)
	errs := make([]error, len(ps))
	for i, c := range batch {
		errs[i] = <-c.done
	}
	return errs
}
