package sqlstore

// tombstones selects the IDs of up to $2 deleted subscriptions last
// written before $1 that have no delivery left (see pruneTombstones).
const tombstones = `SELECT s.id FROM monitehooks_subscriptions s
	WHERE s.deleted = TRUE AND s.updated_ns < $1
		AND NOT EXISTS (SELECT 1 FROM monitehooks_deliveries d WHERE d.subscription_id = s.id)
	ORDER BY s.updated_ns, s.seq
	LIMIT $2 + 0`

// sqliteQueries are the statements only SQLite speaks. SQLite lets one
// connection write at a time, and every transaction of the store begins
// with the write lock (BEGIN IMMEDIATE), so the claim needs no row locks.
var sqliteQueries = dialectQueries{
	// selectSubscriptionLocked reads the partner's subscription for
	// ChangeSubscription, whose transaction holds the write lock.
	selectSubscriptionLocked: selectSubscription,

	// subscriptionsByID reads the subscriptions, not deleted, whose IDs
	// are in the JSON array $1, with their versions.
	subscriptionsByID: `SELECT ` + subscriptionColumns + `, s.version
FROM monitehooks_subscriptions s
WHERE s.id IN (SELECT j.value FROM json_each($1) AS j) AND s.deleted = FALSE`,

	// matchSubscriptions returns the IDs of the subscriptions an event
	// matches, in creation order: the partner's ($1), enabled, of the
	// object type ($2), whose event types are none or name the event's
	// type ($3). The index monitehooks_subscriptions_match_idx finds the
	// first three; the event types (few) are tested on those rows.
	matchSubscriptions: `SELECT s.id
FROM monitehooks_subscriptions s
WHERE s.partner_id = $1 AND s.object_type = $2 AND s.status = 'enabled' AND s.deleted = FALSE
	AND (s.event_types = '[]' OR EXISTS (SELECT 1 FROM json_each(s.event_types) AS j WHERE j.value = $3))
ORDER BY s.seq`,

	// updateCounts adds to one shard of the counts: $1 pending, $2
	// succeeded, $3 failed, $4 the shard.
	updateCounts: `UPDATE monitehooks_counts
SET pending = pending + $1, succeeded = succeeded + $2, failed = failed + $3
WHERE shard = $4`,

	// insertDeliveries: $1 the event's seq, $2 partner, $3 object type,
	// $4 event type, $5 due, $6 a JSON array of [delivery ID,
	// subscription ID], in the order the deliveries are made, which their
	// seqs follow.
	insertDeliveries: `INSERT INTO monitehooks_deliveries
	(id, event_seq, subscription_id, partner_id, object_type, event_type, status, next_attempt_ns, available_ns, created_ns, updated_ns)
SELECT json_extract(j.value, '$[0]'), $1, json_extract(j.value, '$[1]'), $2, $3, $4, 'pending', $5, $5, $5, $5
FROM json_each($6) AS j
ORDER BY j.key`,

	// insertQueues makes the queues of the subscriptions in the JSON
	// array $1 that have none.
	insertQueues: `INSERT INTO monitehooks_queues (subscription_id)
SELECT j.value FROM json_each($1) AS j WHERE TRUE
ON CONFLICT (subscription_id) DO NOTHING`,

	// claimCandidates returns, in each subscription's queue, up to $2 of
	// its deliveries claimable at $1, oldest due first (one LIMITed index
	// scan per queue, as on PostgreSQL, which SQLite writes as a
	// correlated IN), in turn order (see turnOrder), each saying whether
	// its subscription alone has the highest last turn (see needTurns).
	claimCandidates: `SELECT t.seq, t.subscription_id, t.next_attempt_ns,
	COALESCE(t.last_turn = (SELECT MAX(h.last_turn) FROM monitehooks_queues h)
		AND NOT EXISTS (SELECT 1 FROM monitehooks_queues h WHERE h.last_turn = t.last_turn AND h.subscription_id <> t.subscription_id), FALSE)
FROM (
	SELECT d.seq, q.subscription_id, d.next_attempt_ns, q.last_turn,
		row_number() OVER w AS rn, first_value(d.next_attempt_ns) OVER w AS head_next, first_value(d.seq) OVER w AS head_seq
	FROM monitehooks_queues q
	JOIN monitehooks_deliveries d ON d.seq IN (
		SELECT c.seq
		FROM monitehooks_deliveries c
		WHERE c.subscription_id = q.subscription_id AND c.status = 'pending'
			AND c.next_attempt_ns <= $1 AND c.available_ns <= $1
		ORDER BY c.next_attempt_ns, c.seq
		LIMIT $2 + 0
	)
	WHERE q.held_until IS NULL OR q.held_until <= $1
	WINDOW w AS (PARTITION BY q.subscription_id ORDER BY d.next_attempt_ns, d.seq)
) t
` + turnOrder,

	// claimTurns records the turns a claim gave: $1 is a JSON array of
	// {"sub": …, "pos": …}, pos counting from 1 in claim order. Each
	// subscription's last turn becomes the highest so far plus pos.
	claimTurns: `UPDATE monitehooks_queues
SET last_turn = (SELECT COALESCE(MAX(last_turn), 0) FROM monitehooks_queues) + x.pos
FROM (SELECT json_extract(j.value, '$.sub') AS sub, json_extract(j.value, '$.pos') AS pos FROM json_each($1) AS j) AS x
WHERE monitehooks_queues.subscription_id = x.sub`,

	// claimLease leases the deliveries of the JSON array $1 of
	// {"seq": …, "token": …} until $2.
	claimLease: `UPDATE monitehooks_deliveries
SET lease_token = x.token, available_ns = $2
FROM (SELECT json_extract(j.value, '$.seq') AS seq, json_extract(j.value, '$.token') AS token FROM json_each($1) AS j) AS x
WHERE monitehooks_deliveries.seq = x.seq`,

	// claimSelect reads what a worker needs of the deliveries whose seqs
	// are in the JSON array $1, with the version of their subscriptions
	// (0 for one deleted).
	claimSelect: `SELECT ` + claimColumns + `
FROM monitehooks_deliveries d
JOIN monitehooks_events e ON e.seq = d.event_seq
LEFT JOIN monitehooks_subscriptions s ON s.id = d.subscription_id AND s.deleted = FALSE
WHERE d.seq IN (SELECT j.value FROM json_each($1) AS j)`,

	// claimNextDue is when the next pending delivery becomes claimable
	// after $1: not counting the deliveries of the subscriptions in the
	// JSON array $2 (which Allow refused) but for their leases, and
	// counting those of a held subscription at the end of its hold.
	claimNextDue: `SELECT MIN(m.at) FROM (
	SELECT * FROM (
		SELECT d.available_ns AS at
		FROM monitehooks_deliveries d
		WHERE d.status = 'pending' AND d.available_ns > $1
			AND (d.lease_token IS NOT NULL
				OR d.subscription_id NOT IN (SELECT j.value FROM json_each($2) AS j))
			AND NOT EXISTS (SELECT 1 FROM monitehooks_queues h WHERE h.subscription_id = d.subscription_id AND h.held_until > $1)
		ORDER BY d.available_ns
		LIMIT 1
	) first
	UNION ALL
	SELECT MIN(q.held_until) AS at
	FROM monitehooks_queues q
	WHERE q.held_until > $1
		AND EXISTS (SELECT 1 FROM monitehooks_deliveries d WHERE d.subscription_id = q.subscription_id AND d.status = 'pending')
) m`,

	// expiredDeliveries returns up to $2 deliveries that finished before
	// $1, oldest first.
	expiredDeliveries: `SELECT d.seq, d.event_seq, d.updated_ns, d.status
FROM monitehooks_deliveries d
WHERE d.status <> 'pending' AND d.updated_ns < $1
ORDER BY d.updated_ns, d.seq
LIMIT $2 + 0`,

	// deleteDeliveryAttempts deletes the attempts of the deliveries whose
	// seqs are in the JSON array $1.
	deleteDeliveryAttempts: `DELETE FROM monitehooks_attempts WHERE delivery_seq IN (SELECT j.value FROM json_each($1) AS j)`,

	// deleteDeliveries deletes the deliveries whose seqs are in the JSON
	// array $1.
	deleteDeliveries: `DELETE FROM monitehooks_deliveries WHERE seq IN (SELECT j.value FROM json_each($1) AS j) AND status <> 'pending'`,

	// expireEvents tells events how many deliveries they lost, from the
	// JSON array $1 of {"seq": …, "lost": …, "last": …}: an event left
	// without any has its age count from "last", when its last delivery
	// finished.
	expireEvents: `UPDATE monitehooks_events
SET deliveries_left = deliveries_left - x.lost,
	expires_ns = CASE WHEN deliveries_left - x.lost <= 0 THEN x.last END
FROM (SELECT json_extract(j.value, '$.seq') AS seq, json_extract(j.value, '$.lost') AS lost, json_extract(j.value, '$.last') AS last
	FROM json_each($1) AS j) AS x
WHERE monitehooks_events.seq = x.seq`,

	// pruneQueues and pruneTombstones delete up to $2 deleted
	// subscriptions last written before $1 that have no delivery left,
	// and their queues first: the same ones, as the write lock holds
	// between the two.
	pruneQueues:     `DELETE FROM monitehooks_queues WHERE subscription_id IN (` + tombstones + `)`,
	pruneTombstones: `DELETE FROM monitehooks_subscriptions WHERE id IN (` + tombstones + `)`,

	// deleteEvents deletes up to $2 events left without deliveries whose
	// age counts from before $1, oldest first.
	deleteEvents: `DELETE FROM monitehooks_events WHERE seq IN (
	SELECT e.seq FROM monitehooks_events e
	WHERE e.expires_ns < $1
	ORDER BY e.expires_ns, e.seq
	LIMIT $2 + 0
)`,
}
