// Package sqlstore is a [monitehooks.Store] over PostgreSQL or SQLite,
// through database/sql: nothing is lost when a process crashes, and
// several processes sharing one database work as one system. It passes
// the conformance suite of package storetest on both.
//
// # Opening
//
// [Open] takes a URL: postgres://… (or postgresql://…) for PostgreSQL,
// through pgx; sqlite:PATH for an SQLite file, through modernc.org/sqlite
// (pure Go, no cgo); sqlite::memory: for a database in memory, for tests
// and examples. [New] takes a *sql.DB the application opened and keeps,
// and the [Dialect] it speaks. Both apply the migrations unless
// [Config].SkipMigrations is set. A nil *Config means the defaults.
//
//	store, err := sqlstore.Open(ctx, "postgres://app@db.internal/app", nil)
//	…
//	defer store.Close()
//	reg, err := monitehooks.NewRegistry(ctx, store, nil)
//	…
//	em, err := monitehooks.NewEmitter(store, reg, nil)
//
// An SQLite database opened with New should be opened as Open does:
// "file:PATH?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_txlock=immediate",
// so that writers of several connections or processes wait for each other
// instead of failing with SQLITE_BUSY.
//
// # Schema and migrations
//
// The tables are named monitehooks_subscriptions, monitehooks_events,
// monitehooks_deliveries, monitehooks_attempts, monitehooks_queues and
// monitehooks_counts; [Config].Schema puts them in a PostgreSQL schema of
// their own, which every statement then names, so one *sql.DB can serve
// stores in several schemas. The migrations are numbered SQL files per
// dialect, embedded in the package; [Migrations] returns them for a
// migration tool of your own. The store records those it applied in
// monitehooks_migrations(version, applied_at). It applies them in one
// transaction under a lock, PostgreSQL's pg_advisory_xact_lock (per
// schema) or SQLite's write lock (BEGIN IMMEDIATE), so several processes
// starting at once on an empty database apply each migration once. A
// database that a newer version migrated is refused with
// [ErrSchemaTooNew].
//
// # What is stored how
//
// IDs are random (version 4) UUIDs; each table has a seq column (bigserial,
// or INTEGER PRIMARY KEY AUTOINCREMENT) that keeps the creation order
// lists and claims break ties by. Times are int64 nanoseconds since 1970
// in BIGINT columns, not timestamptz, which keeps microseconds: the store
// gives back the instants it was given, to the nanosecond, in UTC. It
// keeps times from 1677 to 2262 and the zero time; another time is
// refused with an error wrapping [monitehooks.ErrInvalid]. An event's
// Object is bytea or BLOB, kept byte for byte (jsonb would reformat it).
// A subscription's event types and secrets are JSON text columns. A
// deleted subscription stays as a row without its secrets, so that a list
// cursor naming it still finds its place. Counts of deliveries by state
// are kept in 16 shards that writers pick at random, so CountDeliveries
// costs O(1) and no single row is hot.
//
// [Store.DeleteExpired] deletes finished deliveries (with their
// attempts) oldest first, and the events left without deliveries, in
// batches of the Limit it is given, one transaction each; on PostgreSQL
// it locks what it deletes with SKIP LOCKED, so processes sweeping at once
// never wait for each other nor delete a row twice. Each event counts the
// deliveries it has left, so finding the events to delete reads an index,
// not the deliveries. A list token whose boundary item was deleted
// continues from the item's sort key (see [Store.ListDeliveries]).
//
// The store has no clock: leases, due times and UpdatedAt are the times
// its callers pass, and only migrations record the database's time.
//
// # Claims
//
// [Store.ClaimDeliveries] is one transaction that reads the candidates,
// asks Allow about them in Go, and leases those allowed, each with a
// random token. On PostgreSQL it locks the candidates with SELECT … FOR
// UPDATE SKIP LOCKED, one LIMITed index scan per subscription's queue, so
// concurrent claimers, in one process or many, never take the same
// delivery and never wait for each other; on SQLite the transaction holds
// the database's write lock. Allow is a callback into the caller's
// memory: the transaction never waits on the network, and the store never
// calls out.
//
// Claims take turns between subscriptions, as the contract requires:
// every subscription with due deliveries has one claimed before any has a
// second. The store numbers each subscription's last turn in
// monitehooks_queues and gives the next turn to the subscription whose
// last turn is the oldest, one that never had a turn first; within a
// claim, candidates are ordered by their place in their subscription's
// queue, then by that turn. The numbers carry the order from one claim to
// the next, across processes; claims made at the same instant by two
// processes may give two subscriptions the same number, which only
// decides the order between those two.
//
// The store is a [monitehooks.Holder]: a held subscription's queue is
// marked in monitehooks_queues until the hold ends, and claims skip it
// without reading its deliveries. The hold is the database's, so it holds
// for every process sharing it, and across restarts. A lease that ended makes its delivery claimable again, so
// the deliveries of a process that crashed are claimed by another once
// their leases end. RecordAttempt and ReleaseDelivery take effect only
// with the token of the claim that holds the delivery.
//
// # Wake-ups
//
// With [Config].Notify set, [Store.Notifications] returns a channel that
// receives a value when deliveries may have become claimable: after
// CreateEvent, RequeueDelivery, RequeueFailed or ReleaseDelivery commits,
// in this process or, on PostgreSQL (pg_notify in the transaction, LISTEN
// on a connection the store keeps from its pool), in any process sharing
// the schema. The values are coalesced hints that may be lost while the
// listener reconnects, so a consumer still polls. Transactions that notify
// commit one at a time on PostgreSQL, which is why it is off by default.
//
// # Costs
//
// Creating an event is one transaction of four statements whatever its
// fan-out (five with a MaxPending bound, which makes the bounded
// CreateEvents of a PostgreSQL schema take turns on an advisory lock). A
// claim probes each subscription's queue once (a row per subscription
// that ever had a delivery) and reads at most Limit+1 claimable
// deliveries from each with an index, passing over those of the queue
// whose leases are in force (the deliveries in flight), then runs four
// more statements. Lists page by keyset
// (sort key, seq) on indexes, one statement for the page and its attempts
// and, after a cursor, one to know whether a page lies behind it. Gets
// are one indexed statement.
//
// On SQLite the store prepares each statement once, and its writers take
// turns on a mutex of its own before SQLite's lock, which then only
// writers of other processes contend for.
package sqlstore
