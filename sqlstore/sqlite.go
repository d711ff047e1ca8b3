package sqlstore

// sqliteQueries are the statements only SQLite speaks. SQLite lets one
// connection write at a time, and every transaction of the store begins
// with the write lock (BEGIN IMMEDIATE), so the claim needs no row locks.
var sqliteQueries = dialectQueries{
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

	// claimCandidates returns, for each subscription, up to $2 of its
	// deliveries claimable at $1, oldest due first.
	claimCandidates: `SELECT c.seq, c.subscription_id, c.next_attempt_ns
FROM (
	SELECT d.seq, d.subscription_id, d.next_attempt_ns,
		row_number() OVER (PARTITION BY d.subscription_id ORDER BY d.next_attempt_ns, d.seq) AS rn
	FROM monitehooks_deliveries d
	WHERE d.status = 'pending' AND d.next_attempt_ns <= $1 AND d.available_ns <= $1
) c
WHERE c.rn <= $2
ORDER BY c.next_attempt_ns, c.seq`,

	// claimLease leases the deliveries of the JSON array $1 of
	// {"seq": …, "token": …} until $2.
	claimLease: `UPDATE monitehooks_deliveries
SET lease_token = x.token, available_ns = $2
FROM (SELECT json_extract(j.value, '$.seq') AS seq, json_extract(j.value, '$.token') AS token FROM json_each($1) AS j) AS x
WHERE monitehooks_deliveries.seq = x.seq`,

	// claimSelect reads what a worker needs of the deliveries whose seqs
	// are in the JSON array $1.
	claimSelect: `SELECT ` + claimColumns + `
FROM monitehooks_deliveries d
JOIN monitehooks_events e ON e.seq = d.event_seq
WHERE d.seq IN (SELECT j.value FROM json_each($1) AS j)`,

	// claimNextDue is when the next pending delivery becomes claimable
	// after $1, leaving out those of the subscriptions in the JSON array
	// $2 (which Allow refused) but for their leases.
	claimNextDue: `SELECT MIN(d.available_ns)
FROM monitehooks_deliveries d
WHERE d.status = 'pending' AND d.available_ns > $1
	AND (d.lease_token IS NOT NULL
		OR d.subscription_id NOT IN (SELECT j.value FROM json_each($2) AS j))`,
}
