package memstore

import "github.com/monitehooks/monitehooks"

var _ monitehooks.Durable = (*Store)(nil)

// Durable reports false: everything the store holds is lost when the
// process exits. An emitter over the store therefore warns, when it stops,
// of the pending deliveries lost.
func (s *Store) Durable() bool { return false }
