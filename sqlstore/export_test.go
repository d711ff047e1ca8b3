package sqlstore

// PartnerLockKey is the key of the partner's subscription lock, for tests
// that hold the lock as a write of the store does.
func PartnerLockKey(s *Store, partnerID string) string { return s.partnerLockKey(partnerID) }
