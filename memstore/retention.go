package memstore

import (
	"context"
	"fmt"
	"runtime"

	"github.com/monitehooks/monitehooks"
)

// Retention. The candidates are kept in two trees, oldest first, so that
// DeleteExpired never looks at what it keeps:
//
//   - Store.expiringDeliveries holds the finished deliveries (succeeded,
//     or failed for good), by (UpdatedAt, number): recordLocked puts a
//     delivery there when it finishes, and takes it out when it is
//     requeued. A retry, which leaves the delivery pending, costs the
//     tree nothing.
//   - Store.expiringEvents holds the events left without deliveries: one
//     stored without any, by (CreatedAt, number), and one whose last
//     delivery was deleted, by (that delivery's UpdatedAt, number).
//
// So a call costs O(k log n) for the k records it deletes.

// deleteStep is how many records DeleteExpired looks at under one hold
// of the lock: about a tenth of a millisecond of work.
const deleteStep = 128

// DeleteExpired deletes the finished deliveries that finished before
// p.Before and the events left without deliveries (see
// [monitehooks.Store]), oldest first, at most p.Limit of each. It takes
// the write lock for deleteStep records at a time, and yields between
// steps.
func (s *Store) DeleteExpired(ctx context.Context, p monitehooks.DeleteExpiredParams) (monitehooks.DeleteExpiredResult, error) {
	var res monitehooks.DeleteExpiredResult
	if p.Limit <= 0 {
		return res, fmt.Errorf("memstore: delete limit %d: must be positive: %w", p.Limit, monitehooks.ErrInvalid)
	}
	before := stampOf(p.Before)
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if !s.deleteSome(before, p.Limit, &res) {
			return res, nil
		}
		runtime.Gosched() // let a writer waiting for the lock have it
	}
}

// deleteSome deletes up to deleteStep records due before the cutoff,
// while res stays under the limit, and reports whether there may be more.
func (s *Store) deleteSome(before stamp, limit int, res *monitehooks.DeleteExpiredResult) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range deleteStep {
		if k, ok := s.expiringDeliveries.min(); ok && res.Deliveries < limit && k.at().before(before) {
			s.expiringDeliveries.deleteMin()
			s.deleteDeliveryLocked(k.seq-1, k.at())
			res.Deliveries++
			continue
		}
		if k, ok := s.expiringEvents.min(); ok && res.Events < limit && k.at().before(before) {
			s.expiringEvents.deleteMin()
			s.deleteEventLocked(k.seq - 1)
			res.Events++
			continue
		}
		return false
	}
	return true
}

// deleteDeliveryLocked deletes the finished delivery dn, updated at
// updated, and its attempts, and notes its event as expiring when it was
// the event's last. s.mu must be held for writing.
func (s *Store) deleteDeliveryLocked(dn uint32, updated stamp) {
	d := s.deliveries.at(dn)
	en := d.event
	e := s.events.at(en)
	pr := s.partnerList[e.partner]
	created, changed := keyOf(e.due, dn+1), keyOf(updated, dn+1)
	pr.bySub[d.queue].delete(created)
	pr.updated.delete(changed)
	*s.countOf(d.status)--
	if ln := d.log; ln != 0 && s.logs.release(ln-1) {
		s.logs.evacuate(ln-1, moveLog)
	}
	if s.deliveries.release(dn) {
		s.deliveries.evacuate(dn, nil)
	}
	if d := s.deliveries.get(dn); d != nil {
		d.idx = -1 // a zeroed record in no heap, as checkHeaps expects
	}
	if e.live--; e.live == 0 {
		// Its deliveries gone, the event leaves the order of deliveries by
		// creation, and its due time becomes the time it was left without
		// them.
		t := s.textLocked(e)
		k := keyOf(e.due, en+1)
		pr.sent.delete(k)
		s.typesLocked(pr, t.fields[fieldObjectType], t.fields[fieldType]).sent.delete(k)
		e.due = updated
		s.expiringEvents.insert(keyOf(e.due, en+1))
	}
}

// deleteEventLocked deletes the event en, which has no delivery left.
// s.mu must be held for writing.
func (s *Store) deleteEventLocked(en uint32) {
	e := s.events.at(en)
	pr := s.partnerList[e.partner]
	t := s.textLocked(e)
	objectType, eventType := t.fields[fieldObjectType], t.fields[fieldType]
	k := keyOf(e.created, en+1)
	pr.events.delete(k)
	s.typesLocked(pr, objectType, eventType).events.delete(k)
	s.texts.drop(e.text)
	if e.objectLen > 0 {
		s.objects.drop(e.object)
	}
	if s.events.release(en) {
		s.events.evacuate(en, s.moveEventLocked)
	}
}

// moveEventLocked copies the text and object of an event moving out of
// its chunk into the blocks being written, so that the event keeps no
// block of its old neighbours alive. s.mu must be held for writing.
func (s *Store) moveEventLocked(from, to *event) {
	n := uint32(idText)
	for _, l := range from.lens {
		n += l
	}
	to.text, to.textOff, _ = s.texts.put([]byte(s.texts.get(from.text, from.textOff, n)))
	s.texts.drop(from.text)
	if from.objectLen > 0 {
		object := s.objects.get(from.object, from.objectOff, from.objectLen)
		to.object, to.objectOff = s.objects.put(object, own(object))
		s.objects.drop(from.object)
	}
}

// moveLog points the attempts of a log moving out of its chunk at the
// new record's array, when they were in the old one's.
func moveLog(from, to *deliveryLog) {
	if cap(from.attempts) == len(from.first) {
		to.attempts = to.first[:len(from.attempts)]
	}
}
