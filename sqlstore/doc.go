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
// monitehooks_deliveries, monitehooks_attempts, monitehooks_queues,
// monitehooks_counts and monitehooks_instance; [Config].Schema puts them in a PostgreSQL schema of
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
// A subscription's event types and secrets are JSON text columns, and
// its version column counts its writes. A deleted subscription stays as a
// row without its secrets, so that a list cursor naming it still finds
// its place, until retention deletes it with its queue, once its
// deliveries are gone and its last write is older than the retention. monitehooks_instance holds one random ID, made by the first
// migration, that tells the store's database from another (see
// [Store.CreateEventTx]). Counts of deliveries by state are kept in 16
// shards that writers pick at random, so CountDeliveries costs O(1) and
// no single row is hot; on PostgreSQL a writer picks among the shards no
// other transaction holds (SKIP LOCKED), and makes one more when all are
// held, so that an application's transaction that emitted (see below),
// which holds its shard until it ends, never makes another writer wait.
//
// [Store.DeleteExpired] deletes finished deliveries (with their
// attempts) oldest first, and the events left without deliveries, in
// batches of the Limit it is given, one transaction each, and the
// deleted subscriptions left without deliveries. One process sweeps at a
// time: on PostgreSQL a sweep takes a per-schema advisory lock if it is
// free, and a process that finds it taken leaves the work to the one
// under way; on SQLite sweeps take turns on the write lock. Each event counts the
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
// # Processes sharing the database
//
// The store is a [monitehooks.SharedStore]: every process that shares
// the database takes it, not its own memory, as the truth about
// subscriptions. [Store.CreateMatchedEvent], which [monitehooks.Emitter]
// calls for Emit, matches the event against the subscriptions as they
// are stored, in the statement that stores it, so that an event emitted
// through any process after a subscription change was acknowledged by
// any process is matched against the change. The match reads an index of
// the enabled subscriptions by (partner, object type, creation order) and
// tests the event types of the few rows it finds.
// [Store.ChangeSubscription] reads and writes a subscription in one
// transaction that locks it, so that changes made at once by several
// processes are all kept. A claim gives each delivery its subscription as
// stored ([monitehooks.Claim].Subscription, nil once deleted): the claim
// reads each subscription's version, and decodes only those written since
// the store last decoded them.
//
// # Emitting inside your transaction
//
// [monitehooks.Emitter.EmitTx] writes an event and its deliveries through
// a *sql.Tx of the application's own, with the application's own
// changes, by calling [Store.CreateEventTx]:
//
//	tx, err := store.DB().BeginTx(ctx, nil) // or a *sql.DB of your own on the same database
//	…
//	defer tx.Rollback()
//	if _, err := tx.ExecContext(ctx, "UPDATE payments SET status = 'paid' WHERE id = $1", id); err != nil { … }
//	if _, err := em.EmitTx(ctx, tx, monitehooks.Event{PartnerID: p, ObjectType: "payment", Type: "updated", ObjectID: id}); err != nil { … }
//	if err := tx.Commit(); err != nil { … }
//	em.Wake()
//
// If tx rolls back, nothing is delivered, and nothing of the event is
// left but what the database keeps of rolled-back work. If it commits,
// the event is delivered at least once, even if the process dies right
// after Commit: the emitter of any process on the database delivers it.
// Every subscription change acknowledged before the commit is matched:
// on PostgreSQL CreateEventTx holds a lock, shared, that every write of
// the partner's subscriptions that changes which events they match
// (creating an enabled one, enabling, disabling, deleting, a new object
// type or event types) takes exclusively, so such a change made while tx
// is open waits for tx to end; other writes (a URL, a name, a secret, a
// failure record) do not wait. Do not make such a change from the
// goroutine that holds tx open: it would wait for tx. This holds in PostgreSQL's default isolation, READ
// COMMITTED; under REPEATABLE READ or SERIALIZABLE, tx matches the
// subscriptions as they were at its first statement. On SQLite the
// transaction that writes holds the write lock until it ends; begin tx on
// a database opened as Open opens it, with _txlock=immediate (store.DB()
// is), or SQLite may refuse tx's first write with SQLITE_BUSY.
//
// The emitter learns of the commit by itself on PostgreSQL, unless
// [Config].NoNotify is set, on any emitter that listens to the store's
// [Store.Notifications] (pg_notify in tx, which PostgreSQL sends at
// commit). Otherwise, and on SQLite, it finds the deliveries at its next
// poll ([monitehooks.EmitterConfig].PollInterval); call
// [monitehooks.Emitter.Wake] after Commit to have it look at once.
//
// [monitehooks.EmitterConfig].MaxPending is checked in tx without the
// lock that makes Emit's checks take turns, which would make every
// transaction that emits wait for the one before it to end: transactions
// open at once may pass the bound together.
//
// A transaction on a database without the store's tables, or with
// another store's (each store's tables get a random ID when they are
// made), is refused with an error wrapping
// [monitehooks.ErrTxNotSupported]; on PostgreSQL that error aborts tx,
// which must be rolled back. A copy of the store's database has the same
// ID: emitting through a transaction on it is the caller's mistake.
//
// Applications on pgx's own interface go through database/sql for the
// transactions that emit: [github.com/jackc/pgx/v5/stdlib.OpenDBFromPool] gives a *sql.DB over
// their *pgxpool.Pool (or sql.Open("pgx", url) a pool of its own), which
// [New] takes too. A pgx.Tx cannot be given to EmitTx; but a transaction
// begun on a *sql.Conn of that *sql.DB can still use pgx's interface,
// since [sql.Conn.Raw] hands over the *pgx.Conn of the same session:
//
//	conn, err := db.Conn(ctx) // db := stdlib.OpenDBFromPool(pool)
//	…
//	defer conn.Close()
//	tx, err := conn.BeginTx(ctx, nil)
//	…
//	err = conn.Raw(func(dc any) error {
//		pc := dc.(*stdlib.Conn).Conn() // in tx
//		_, err := pc.Exec(ctx, "UPDATE payments SET status = 'paid' WHERE id = $1", id)
//		return err
//	})
//	…
//	_, err = em.EmitTx(ctx, tx, ev)
//
// A store that is not a SQL store on the transaction's database, such as
// memstore, cannot emit through it: EmitTx answers an error wrapping
// ErrTxNotSupported.
//
// # Wake-ups
//
// Unless [Config].NoNotify is set, [Store.Notifications] returns a channel that
// receives a value when deliveries may have become claimable: after
// CreateEvent, CreateMatchedEvent, CreateEventTx (at the application's
// commit, on PostgreSQL), RequeueDelivery, RequeueFailed or
// ReleaseDelivery commits,
// in this process or, on PostgreSQL (pg_notify in the transaction, LISTEN
// on a connection the store keeps from its pool), in any process sharing
// the schema. The values are coalesced hints that may be lost while the
// listener reconnects, so a consumer still polls. Transactions that notify
// commit one at a time on PostgreSQL, which NoNotify spares where polling
// is soon enough.
//
// # Costs
//
// Creating an event is one transaction of four statements whatever its
// fan-out (five with a MaxPending bound, which makes the bounded
// CreateEvents of a PostgreSQL schema take turns on an advisory lock).
// On PostgreSQL, CreateMatchedEvent is one statement, matching included
// (a transaction of two with a bound), and CreateEventTx two in the
// application's transaction: the lock, then that statement. On SQLite
// they are five statements and six. A write of a subscription is a
// transaction: on PostgreSQL it locks the row (to update or delete it),
// takes the partner's lock when the write changes matching, then writes;
// a create writes the subscription's queue too. A claim probes each subscription's queue once (a row per
// subscription) and reads at most Limit+1 claimable deliveries from each
// with an index, passing over those of the queue whose leases are in
// force (the deliveries in flight), then runs four more statements on
// SQLite (five when a subscription it hands out was written since the
// store last decoded it). On PostgreSQL through pgx a claim is two round
// trips, each a pipeline of statements on one connection: BEGIN with the
// candidates, then one statement that leases, reads what it leased,
// numbers the turns and finds NextDue, with COMMIT (a third, after the
// commit, when a subscription it hands out was written since). Recording
// an outcome is one transaction of three statements on SQLite; on
// PostgreSQL the outcomes workers record at once share one statement,
// which is a transaction of its own (see [Store.RecordAttempt]).
// [Open] keeps up to [DefaultMaxIdleConns] idle PostgreSQL connections,
// so that these statements seldom open one. Lists page by keyset (sort key, seq) on indexes, one
// statement for the page and its attempts and, after a cursor, one to
// know whether a page lies behind it. Gets are one indexed statement.
//
// On SQLite the store prepares each statement once, and its writers take
// turns on a mutex of its own before SQLite's lock, which then only
// writers of other processes contend for.
package sqlstore
