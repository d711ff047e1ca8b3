package sqlstore

// postgresQueries are the statements only PostgreSQL speaks. JSON
// arguments are passed as text and cast, so that the driver never guesses
// how to encode them.
var postgresQueries = dialectQueries{
	// insertDeliveries: $1 the event's seq, $2 partner, $3 object type,
	// $4 event type, $5 due, $6 a JSON array of [delivery ID,
	// subscription ID], in the order the deliveries are made, which their
	// seqs follow.
	insertDeliveries: `INSERT INTO monitehooks_deliveries
	(id, event_seq, subscription_id, partner_id, object_type, event_type, status, next_attempt_ns, available_ns, created_ns, updated_ns)
SELECT (t.x->>0)::uuid, $1, (t.x->>1)::uuid, $2, $3, $4, 'pending', $5, $5, $5, $5
FROM jsonb_array_elements($6::text::jsonb) WITH ORDINALITY AS t(x, i)
ORDER BY t.i`,

	// insertQueues makes the queues of the subscriptions in the JSON
	// array $1 that have none, in the order of their IDs, so that two
	// transactions never wait for each other's in a circle.
	insertQueues: `INSERT INTO monitehooks_queues (subscription_id)
SELECT t.x::uuid FROM jsonb_array_elements_text($1::text::jsonb) AS t(x)
ORDER BY 1
ON CONFLICT (subscription_id) DO NOTHING`,

	// claimCandidates locks, in each subscription's queue, up to $2 of
	// its deliveries claimable at $1, oldest due first, skipping those
	// another claim has locked: one scan of the queue's index per queue,
	// stopping at $2 rows, however long the backlogs. ("available_ns + 0"
	// keeps the planner off the index of available_ns, which would read
	// every due delivery of every queue.) The locks hold until the claim's
	// transaction ends. It returns them in turn order (see turnOrder).
	claimCandidates: `SELECT t.seq, t.subscription_id, t.next_attempt_ns
FROM (
	SELECT c.seq, q.subscription_id, c.next_attempt_ns, q.last_turn,
		row_number() OVER w AS rn, first_value(c.next_attempt_ns) OVER w AS head_next, first_value(c.seq) OVER w AS head_seq
	FROM monitehooks_queues q
	CROSS JOIN LATERAL (
		SELECT d.seq, d.next_attempt_ns
		FROM monitehooks_deliveries d
		WHERE d.subscription_id = q.subscription_id AND d.status = 'pending'
			AND d.next_attempt_ns <= $1 AND d.available_ns + 0 <= $1
		ORDER BY d.next_attempt_ns, d.seq
		LIMIT $2
		FOR UPDATE OF d SKIP LOCKED
	) c
	WHERE q.held_until IS NULL OR q.held_until <= $1
	WINDOW w AS (PARTITION BY q.subscription_id ORDER BY c.next_attempt_ns, c.seq)
) t
` + turnOrder,

	// claimTurns records the turns a claim gave: $1 is a JSON array of
	// {"sub": …, "pos": …}, pos counting from 1 in claim order. Each
	// subscription's last turn becomes the highest so far plus pos. The
	// rows are locked in the order of their IDs first, so that two claims
	// never wait for each other in a circle.
	claimTurns: `WITH x AS (
	SELECT (t.x->>'sub')::uuid AS sub, (t.x->>'pos')::bigint AS pos
	FROM jsonb_array_elements($1::text::jsonb) AS t(x)
), locked AS (
	SELECT q.subscription_id FROM monitehooks_queues q
	WHERE q.subscription_id IN (SELECT sub FROM x)
	ORDER BY q.subscription_id
	FOR UPDATE
)
UPDATE monitehooks_queues AS q
SET last_turn = (SELECT COALESCE(MAX(last_turn), 0) FROM monitehooks_queues) + x.pos
FROM x, locked
WHERE q.subscription_id = x.sub AND locked.subscription_id = x.sub`,

	// claimLease leases the deliveries of the JSON array $1 of
	// {"seq": …, "token": …} until $2.
	claimLease: `UPDATE monitehooks_deliveries AS d
SET lease_token = x.token, available_ns = $2
FROM jsonb_to_recordset($1::text::jsonb) AS x(seq BIGINT, token TEXT)
WHERE d.seq = x.seq`,

	// claimSelect reads what a worker needs of the deliveries whose seqs
	// are in the JSON array $1.
	claimSelect: `SELECT ` + claimColumns + `
FROM monitehooks_deliveries d
JOIN monitehooks_events e ON e.seq = d.event_seq
WHERE d.seq IN (SELECT t.x::bigint FROM jsonb_array_elements_text($1::text::jsonb) AS t(x))`,

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
				OR d.subscription_id::text NOT IN (SELECT jsonb_array_elements_text($2::text::jsonb)))
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

	// expiredDeliveries locks up to $2 deliveries that finished before
	// $1, oldest first, skipping those another sweep has locked.
	expiredDeliveries: `SELECT d.seq, d.event_seq, d.updated_ns, d.status
FROM monitehooks_deliveries d
WHERE d.status <> 'pending' AND d.updated_ns < $1
ORDER BY d.updated_ns, d.seq
LIMIT $2
FOR UPDATE SKIP LOCKED`,

	// deleteDeliveryAttempts deletes the attempts of the deliveries whose
	// seqs are in the JSON array $1.
	deleteDeliveryAttempts: `DELETE FROM monitehooks_attempts
WHERE delivery_seq IN (SELECT t.x::bigint FROM jsonb_array_elements_text($1::text::jsonb) AS t(x))`,

	// deleteDeliveries deletes the deliveries whose seqs are in the JSON
	// array $1.
	deleteDeliveries: `DELETE FROM monitehooks_deliveries
WHERE seq IN (SELECT t.x::bigint FROM jsonb_array_elements_text($1::text::jsonb) AS t(x)) AND status <> 'pending'`,

	// expireEvents tells events how many deliveries they lost, from the
	// JSON array $1 of {"seq": …, "lost": …, "last": …}: an event left
	// without any has its age count from "last", when its last delivery
	// finished. The events are locked in the order of their seqs first.
	expireEvents: `WITH x AS (
	SELECT * FROM jsonb_to_recordset($1::text::jsonb) AS x(seq BIGINT, lost INTEGER, last BIGINT)
), locked AS (
	SELECT e.seq FROM monitehooks_events e WHERE e.seq IN (SELECT seq FROM x) ORDER BY e.seq FOR UPDATE
)
UPDATE monitehooks_events AS e
SET deliveries_left = e.deliveries_left - x.lost,
	expires_ns = CASE WHEN e.deliveries_left - x.lost <= 0 THEN x.last END
FROM x, locked
WHERE e.seq = x.seq AND locked.seq = x.seq`,

	// deleteEvents deletes up to $2 events left without deliveries whose
	// age counts from before $1, oldest first, skipping those another
	// sweep has locked.
	deleteEvents: `DELETE FROM monitehooks_events WHERE seq IN (
	SELECT e.seq FROM monitehooks_events e
	WHERE e.expires_ns < $1
	ORDER BY e.expires_ns, e.seq
	LIMIT $2
	FOR UPDATE SKIP LOCKED
)`,
}
