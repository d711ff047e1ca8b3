-- The first schema of sqlstore. Times are nanoseconds since 1970 UTC in
-- BIGINT columns (the zero time.Time is -9223372036854775808): timestamptz
-- keeps microseconds, and lists page by exact keys. IDs are random UUIDs;
-- the seq columns keep the creation order that lists and claims break ties
-- by.

CREATE TABLE monitehooks_subscriptions (
	seq              BIGSERIAL PRIMARY KEY,
	id               UUID NOT NULL UNIQUE,
	partner_id       TEXT NOT NULL,
	object_type      TEXT NOT NULL,
	event_types      TEXT NOT NULL, -- a JSON array of strings
	url              TEXT NOT NULL,
	name             TEXT NOT NULL,
	status           TEXT NOT NULL,
	api_format       TEXT NOT NULL,
	api_version      TEXT NOT NULL,
	secrets          TEXT NOT NULL, -- a JSON array of {"v": value, "e": expiry ns}
	failing_since_ns BIGINT NOT NULL,
	created_ns       BIGINT NOT NULL,
	updated_ns       BIGINT NOT NULL,
	-- A deleted subscription stays as a tombstone without secrets, so that
	-- a list's cursor naming it still finds its place.
	deleted          BOOLEAN NOT NULL DEFAULT FALSE,
	-- Counts the subscription's writes, so that a claim knows whether the
	-- copy it decoded before is still the subscription as stored.
	version          BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX monitehooks_subscriptions_partner_created_idx ON monitehooks_subscriptions (partner_id, created_ns, seq);
CREATE INDEX monitehooks_subscriptions_partner_updated_idx ON monitehooks_subscriptions (partner_id, updated_ns, seq);
-- Matching an event: the partner's enabled subscriptions of an object type,
-- in creation order; their event types (few) are tested on these rows.
-- Retention: the tombstones, oldest written first.
CREATE INDEX monitehooks_subscriptions_tombstones_idx ON monitehooks_subscriptions (updated_ns, seq) WHERE deleted = TRUE;
CREATE INDEX monitehooks_subscriptions_match_idx ON monitehooks_subscriptions (partner_id, object_type, seq)
	WHERE status = 'enabled' AND deleted = FALSE;

CREATE TABLE monitehooks_events (
	seq         BIGSERIAL PRIMARY KEY,
	id          UUID NOT NULL UNIQUE,
	partner_id  TEXT NOT NULL,
	entity_id   TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id   TEXT NOT NULL,
	type        TEXT NOT NULL,
	object      BYTEA, -- the bytes as given: jsonb would reformat them
	created_ns  BIGINT NOT NULL,
	-- Retention: how many deliveries the event has left, and, once it has
	-- none, the time from which its age counts (its CreatedAt, or when its
	-- last delivery finished); NULL while it has deliveries.
	deliveries_left INTEGER NOT NULL DEFAULT 0,
	expires_ns      BIGINT
);
CREATE INDEX monitehooks_events_partner_created_idx ON monitehooks_events (partner_id, created_ns, seq);
CREATE INDEX monitehooks_events_expires_idx ON monitehooks_events (expires_ns, seq) WHERE expires_ns IS NOT NULL;

CREATE TABLE monitehooks_deliveries (
	seq             BIGSERIAL PRIMARY KEY,
	id              UUID NOT NULL UNIQUE,
	event_seq       BIGINT NOT NULL REFERENCES monitehooks_events (seq),
	subscription_id UUID NOT NULL,
	partner_id      TEXT NOT NULL,
	object_type     TEXT NOT NULL,
	event_type      TEXT NOT NULL,
	status          TEXT NOT NULL, -- pending, succeeded or failed
	next_attempt_ns BIGINT NOT NULL,
	-- When a pending delivery can be claimed: next_attempt_ns, or the end
	-- of its lease while one is in force.
	available_ns    BIGINT NOT NULL,
	-- The token of the last claim while it holds the delivery; NULL once
	-- recorded or released.
	lease_token     TEXT,
	attempts        INTEGER NOT NULL DEFAULT 0,
	created_ns      BIGINT NOT NULL,
	updated_ns      BIGINT NOT NULL
);
CREATE INDEX monitehooks_deliveries_event_idx ON monitehooks_deliveries (event_seq);
CREATE INDEX monitehooks_deliveries_partner_created_idx ON monitehooks_deliveries (partner_id, created_ns, seq);
CREATE INDEX monitehooks_deliveries_partner_updated_idx ON monitehooks_deliveries (partner_id, updated_ns, seq);
CREATE INDEX monitehooks_deliveries_subscription_idx ON monitehooks_deliveries (subscription_id, status, created_ns);
-- A subscription's claimable deliveries, in claim order.
CREATE INDEX monitehooks_deliveries_queue_idx ON monitehooks_deliveries (subscription_id, next_attempt_ns, seq) WHERE status = 'pending';
-- When the next pending delivery becomes claimable.
CREATE INDEX monitehooks_deliveries_available_idx ON monitehooks_deliveries (available_ns) WHERE status = 'pending';
-- Retention: the finished deliveries, oldest first.
CREATE INDEX monitehooks_deliveries_finished_idx ON monitehooks_deliveries (updated_ns, seq) WHERE status <> 'pending';

CREATE TABLE monitehooks_attempts (
	delivery_seq BIGINT NOT NULL REFERENCES monitehooks_deliveries (seq),
	n            INTEGER NOT NULL, -- 1 for the first attempt
	at_ns        BIGINT NOT NULL,
	duration_ns  BIGINT NOT NULL,
	url          TEXT NOT NULL,
	status_code  INTEGER NOT NULL,
	error_class  TEXT NOT NULL,
	error        TEXT NOT NULL,
	response     TEXT NOT NULL,
	PRIMARY KEY (delivery_seq, n)
);

-- One row per subscription, made with it (or with its first delivery, or
-- hold): the claims' queues.
-- last_turn numbers the subscription's last turn at a claim, NULL before
-- its first: claims take turns between subscriptions, the one whose last
-- turn is the oldest first.
-- held_until, when set, holds the queue's deliveries back from claims
-- until then (monitehooks.Holder).
CREATE TABLE monitehooks_queues (
	subscription_id UUID PRIMARY KEY,
	last_turn       BIGINT,
	held_until      BIGINT
);
CREATE INDEX monitehooks_queues_turn_idx ON monitehooks_queues (last_turn);
CREATE INDEX monitehooks_queues_held_idx ON monitehooks_queues (held_until) WHERE held_until IS NOT NULL;

-- Counts of deliveries by state, in shards that writers pick at random so
-- that they seldom wait for each other; CountDeliveries adds them up.
CREATE TABLE monitehooks_counts (
	shard     INTEGER PRIMARY KEY,
	pending   BIGINT NOT NULL DEFAULT 0,
	succeeded BIGINT NOT NULL DEFAULT 0,
	failed    BIGINT NOT NULL DEFAULT 0
);
INSERT INTO monitehooks_counts (shard) SELECT generate_series(0, 15);

-- One row: a random ID made when the tables were, which tells this
-- database from another that has monitehooks tables too, so that an event
-- written through a transaction on the wrong one is refused.
CREATE TABLE monitehooks_instance (
	one INTEGER PRIMARY KEY DEFAULT 1 CHECK (one = 1),
	id  TEXT NOT NULL
);
INSERT INTO monitehooks_instance (id) VALUES (gen_random_uuid()::text);
