package sqlstore

import "strings"

// nextDueAfter is when the next pending delivery becomes claimable after
// {now}: not counting the deliveries of the subscriptions in the JSON
// array {refused} (which Allow refused) but for their leases, and
// counting those of a held subscription at the end of its hold. The
// placeholders are filled with a statement's parameters.
const nextDueAfter = `MIN(m.at) FROM (
	SELECT * FROM (
		SELECT d.available_ns AS at
		FROM monitehooks_deliveries d
		WHERE d.status = 'pending' AND d.available_ns > {now}
			AND (d.lease_token IS NOT NULL
				OR d.subscription_id::text NOT IN (SELECT jsonb_array_elements_text({refused}::text::jsonb)))
			AND NOT EXISTS (SELECT 1 FROM monitehooks_queues h WHERE h.subscription_id = d.subscription_id AND h.held_until > {now})
		ORDER BY d.available_ns
		LIMIT 1
	) first
	UNION ALL
	SELECT MIN(q.held_until) AS at
	FROM monitehooks_queues q
	WHERE q.held_until > {now}
		AND EXISTS (SELECT 1 FROM monitehooks_deliveries d WHERE d.subscription_id = q.subscription_id AND d.status = 'pending')
) m`

// postgresQueries are the statements only PostgreSQL speaks. JSON
// arguments are passed as text and cast, so that the driver never guesses
// how to encode them.
var postgresQueries = dialectQueries{
	// selectSubscriptionLocked reads the partner's subscription for
	// ChangeSubscription and locks its row until the transaction ends.
	selectSubscriptionLocked: selectSubscription + `
FOR UPDATE`,

	// subscriptionsByID reads the subscriptions, not deleted, whose IDs
	// are in the JSON array $1, with their versions.
	subscriptionsByID: `SELECT ` + subscriptionColumns + `, s.version
FROM monitehooks_subscriptions s
WHERE s.id IN (SELECT t.x::uuid FROM jsonb_array_elements_text($1::text::jsonb) AS t(x)) AND s.deleted = FALSE`,

	// insertMatchedEvent stores an event and one pending delivery per
	// subscription it matches, in one statement: the matching
	// subscriptions (the partner's, enabled, of the object type, whose
	// event types are none or name the event's type; see the index
	// monitehooks_subscriptions_match_idx) in creation order, the bound
	// on the backlog, the event, its deliveries, their queues when they
	// have none (see insertQueues), the counts and the notification. $1 the event's ID, $2 partner, $3 entity, $4
	// object type, $5 object ID, $6 event type, $7 object, $8 created,
	// $9 due, $10 the bound (0: none), $11 the channel to notify ('':
	// none), $12 a shard of the counts to make when every shard is
	// locked.
	//
	// It answers one row: the event's seq, NULL when the bound refused
	// it (and nothing was stored); how many subscriptions matched; and
	// the pending deliveries counted for the bound. The counts' shard is
	// picked among those no other transaction holds (SKIP LOCKED), so
	// that a transaction of the application's own, which holds its shard
	// until it ends, never makes another wait.
	insertMatchedEvent: `WITH matched AS (
	SELECT s.id, s.seq
	FROM monitehooks_subscriptions s
	WHERE s.partner_id = $2::text AND s.object_type = $4::text AND s.status = 'enabled' AND s.deleted = FALSE
		AND (s.event_types = '[]' OR s.event_types::jsonb @> jsonb_build_array($6::text))
), room AS (
	SELECT m.n, CASE WHEN $10::bigint > 0 AND m.n > 0
		THEN (SELECT COALESCE(SUM(c.pending), 0) FROM monitehooks_counts c) ELSE 0 END AS pending
	FROM (SELECT count(*) AS n FROM matched) m
), ok AS (
	SELECT r.n FROM room r WHERE $10::bigint <= 0 OR r.n = 0 OR r.pending + r.n <= $10::bigint
), ev AS (
	INSERT INTO monitehooks_events
		(id, partner_id, entity_id, object_type, object_id, type, object, created_ns, deliveries_left, expires_ns)
	SELECT $1::uuid, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bytea, $8::bigint, ok.n,
		CASE WHEN ok.n = 0 THEN $8::bigint END
	FROM ok
	RETURNING seq
), deliveries AS (
	INSERT INTO monitehooks_deliveries
		(id, event_seq, subscription_id, partner_id, object_type, event_type, status, next_attempt_ns, available_ns, created_ns, updated_ns)
	SELECT gen_random_uuid(), ev.seq, m.id, $2::text, $4::text, $6::text, 'pending', $9::bigint, $9::bigint, $9::bigint, $9::bigint
	FROM ev, matched m
	ORDER BY m.seq
), queues AS (
	INSERT INTO monitehooks_queues (subscription_id)
	SELECT m.id FROM ev, matched m
	WHERE NOT EXISTS (SELECT 1 FROM monitehooks_queues q WHERE q.subscription_id = m.id)
	ORDER BY m.id
	ON CONFLICT (subscription_id) DO NOTHING
), shard AS (
	SELECT c.shard FROM monitehooks_counts c
	WHERE EXISTS (SELECT 1 FROM ev, ok WHERE ok.n > 0)
	ORDER BY random()
	LIMIT 1
	FOR UPDATE SKIP LOCKED
), counted AS (
	UPDATE monitehooks_counts c SET pending = c.pending + ok.n
	FROM shard, ok
	WHERE c.shard = shard.shard
), new_shard AS (
	INSERT INTO monitehooks_counts AS c (shard, pending)
	SELECT $12::integer, ok.n FROM ev, ok
	WHERE ok.n > 0 AND NOT EXISTS (SELECT 1 FROM shard)
	ON CONFLICT (shard) DO UPDATE SET pending = c.pending + excluded.pending
), notified AS (
	SELECT pg_notify($11::text, '') FROM ev, ok WHERE $11::text <> '' AND ok.n > 0
)
SELECT (SELECT seq FROM ev), r.n, r.pending, (SELECT count(*) FROM notified)
FROM room r`,

	// updateCounts adds $1 pending, $2 succeeded and $3 failed to a
	// shard of the counts that no other transaction holds (SKIP LOCKED),
	// so that a transaction of the application's own, which holds the
	// shard it picked until it ends, never makes another wait; when
	// every shard is held it makes the shard $4.
	updateCounts: `WITH shard AS (
	SELECT c.shard FROM monitehooks_counts c
	ORDER BY random()
	LIMIT 1
	FOR UPDATE SKIP LOCKED
), counted AS (
	UPDATE monitehooks_counts c
	SET pending = c.pending + $1::bigint, succeeded = c.succeeded + $2::bigint, failed = c.failed + $3::bigint
	FROM shard
	WHERE c.shard = shard.shard
)
INSERT INTO monitehooks_counts AS c (shard, pending, succeeded, failed)
SELECT $4::integer, $1::bigint, $2::bigint, $3::bigint
WHERE NOT EXISTS (SELECT 1 FROM shard)
ON CONFLICT (shard) DO UPDATE
SET pending = c.pending + excluded.pending, succeeded = c.succeeded + excluded.succeeded, failed = c.failed + excluded.failed`,

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
	// transactions never wait for each other's in a circle. The queues
	// are made with their subscriptions: NOT EXISTS, which reads the
	// statement's snapshot, skips those, where ON CONFLICT alone would
	// wait for every claim in flight that locked the queue's row to
	// number its turn (see claimTurns).
	insertQueues: `INSERT INTO monitehooks_queues (subscription_id)
SELECT t.x::uuid FROM jsonb_array_elements_text($1::text::jsonb) AS t(x)
WHERE NOT EXISTS (SELECT 1 FROM monitehooks_queues q WHERE q.subscription_id = t.x::uuid)
ORDER BY 1
ON CONFLICT (subscription_id) DO NOTHING`,

	// claimCandidates locks, in each subscription's queue, up to $2 of
	// its deliveries claimable at $1, oldest due first, skipping those
	// another claim has locked: one scan of the queue's index per queue,
	// stopping at $2 rows, however long the backlogs. ("available_ns + 0"
	// keeps the planner off the index of available_ns, which would read
	// every due delivery of every queue.) The locks hold until the claim's
	// transaction ends. It returns them in turn order (see turnOrder),
	// each saying whether its subscription alone has the highest last
	// turn (see needTurns). When there is none it returns one row of
	// NULLs but for its last column, claimNextDue's answer at $1 with
	// nothing refused, so that a claim that finds nothing makes one
	// statement between BEGIN and COMMIT; the subquery runs only then.
	claimCandidates: `SELECT t.seq, t.subscription_id, t.next_attempt_ns,
	COALESCE(t.last_turn = (SELECT MAX(h.last_turn) FROM monitehooks_queues h)
		AND NOT EXISTS (SELECT 1 FROM monitehooks_queues h WHERE h.last_turn = t.last_turn AND h.subscription_id <> t.subscription_id), FALSE),
	CASE WHEN t.seq IS NULL THEN (SELECT ` + strings.NewReplacer("{now}", "$1", "{refused}", "'[]'").Replace(nextDueAfter) + `) END
FROM (SELECT 1) AS one
LEFT JOIN (
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
) t ON TRUE
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
	// are in the JSON array $1, with the version of their subscriptions
	// (0 for one deleted).
	claimSelect: `SELECT ` + claimColumns + `
FROM monitehooks_deliveries d
JOIN monitehooks_events e ON e.seq = d.event_seq
LEFT JOIN monitehooks_subscriptions s ON s.id = d.subscription_id AND s.deleted = FALSE
WHERE d.seq IN (SELECT t.x::bigint FROM jsonb_array_elements_text($1::text::jsonb) AS t(x))`,

	// claimTake is claimLease, claimSelect, claimTurns and claimNextDue
	// in one statement, for a claim that took something: it leases the
	// deliveries of the JSON array $1 of {"seq": …, "token": …} until $2,
	// numbers the turns of the JSON array $3 (as claimTurns), and reads
	// the deliveries leased (claimColumns), each row with, when $5 is
	// true, claimNextDue's answer for the refused subscriptions of the
	// JSON array $4 at the claim's time $6 (NULL otherwise). The
	// statement's snapshot sees the leased deliveries as they were,
	// claimable at or before $6: the next due's "after $6" leaves them
	// out, and the caller counts the end of their leases, $2, itself.
	claimTake: `WITH leased AS (
	UPDATE monitehooks_deliveries AS d
	SET lease_token = x.token, available_ns = $2
	FROM jsonb_to_recordset($1::text::jsonb) AS x(seq BIGINT, token TEXT)
	WHERE d.seq = x.seq
	RETURNING d.seq, d.id, d.subscription_id, d.partner_id, d.attempts, d.created_ns, d.lease_token, d.event_seq
), x AS (
	SELECT (t.x->>'sub')::uuid AS sub, (t.x->>'pos')::bigint AS pos
	FROM jsonb_array_elements($3::text::jsonb) AS t(x)
), locked AS (
	SELECT q.subscription_id FROM monitehooks_queues q
	WHERE q.subscription_id IN (SELECT sub FROM x)
	ORDER BY q.subscription_id
	FOR UPDATE
), turned AS (
	UPDATE monitehooks_queues AS q
	SET last_turn = (SELECT COALESCE(MAX(last_turn), 0) FROM monitehooks_queues) + x.pos
	FROM x, locked
	WHERE q.subscription_id = x.sub AND locked.subscription_id = x.sub
), next_due AS (
	SELECT CASE WHEN $5::boolean THEN (SELECT ` + strings.NewReplacer("{now}", "$6", "{refused}", "$4").Replace(nextDueAfter) + `) END AS at
)
SELECT ` + claimColumns + `, (SELECT at FROM next_due)
FROM leased d
JOIN monitehooks_events e ON e.seq = d.event_seq
LEFT JOIN monitehooks_subscriptions s ON s.id = d.subscription_id AND s.deleted = FALSE`,

	// claimNextDue is when the next pending delivery becomes claimable
	// after $1: not counting the deliveries of the subscriptions in the
	// JSON array $2 (which Allow refused) but for their leases, and
	// counting those of a held subscription at the end of its hold.
	claimNextDue: `SELECT ` + strings.NewReplacer("{now}", "$1", "{refused}", "$2").Replace(nextDueAfter),

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

	// pruneTombstones deletes, with their queues, up to $2 deleted
	// subscriptions last written before $1 that have no delivery left,
	// skipping those another sweep has locked.
	pruneTombstones: `WITH gone AS (
	SELECT s.seq, s.id FROM monitehooks_subscriptions s
	WHERE s.deleted = TRUE AND s.updated_ns < $1
		AND NOT EXISTS (SELECT 1 FROM monitehooks_deliveries d WHERE d.subscription_id = s.id)
	ORDER BY s.updated_ns, s.seq
	LIMIT $2
	FOR UPDATE OF s SKIP LOCKED
), queues AS (
	DELETE FROM monitehooks_queues q USING gone WHERE q.subscription_id = gone.id
)
DELETE FROM monitehooks_subscriptions s USING gone WHERE s.seq = gone.seq`,

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
