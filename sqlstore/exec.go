package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// The store runs every statement through query, queryRow and exec, in a
// transaction when tx is not nil. On SQLite it prepares each statement
// once, the first time it runs, and keeps it until Close: compiling a
// statement costs SQLite more than running it on a small table, many
// times more under the race detector. On PostgreSQL the driver (pgx)
// keeps a cache of prepared statements per connection already.
//
// Preparing a statement takes a connection of the pool, which a
// transaction that uses the statement for the first time already holds
// one of: with a pool of one connection (sqlite::memory:, or a DB given to
// New so limited) it would wait forever, so such a store prepares
// nothing. The store's SQLite writers take turns (writeMu), so at most
// one of its transactions waits for a second connection at a time.
//
// SQLite compiles a prepared statement again at its next step when a
// value bound to it changes and the plan used that value: a LIMIT given
// as a bare parameter, or a parameter compared with a column that a
// partial index's WHERE names (status, here). The statements write
// "LIMIT $n + 0" and "status = $n || ''" so that the plan cannot use the
// values, and a statement prepared once stays prepared: the lists' pages
// alternate two limits, and recompiling them made the SQLite suite three
// times slower.

// stmts are a store's prepared statements.
type stmts struct {
	mu     sync.Mutex           // guards byText and closed
	byText map[string]*sql.Stmt // by query text
	closed bool
}

// stmt returns the prepared statement of query, preparing it if needed.
func (s *Store) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.stmts.mu.Lock()
	st := s.stmts.byText[query]
	s.stmts.mu.Unlock()
	if st != nil {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	switch old := s.stmts.byText[query]; {
	case s.stmts.closed:
		// Closed meanwhile: use it once, then let it go with the DB.
	case old != nil:
		// Prepared by another call meanwhile.
		st.Close()
		st = old
	default:
		if s.stmts.byText == nil {
			s.stmts.byText = make(map[string]*sql.Stmt)
		}
		s.stmts.byText[query] = st
	}
	return st, nil
}

// closeStmts closes the prepared statements.
func (s *Store) closeStmts() {
	s.stmts.mu.Lock()
	defer s.stmts.mu.Unlock()
	for _, st := range s.stmts.byText {
		st.Close()
	}
	s.stmts.byText, s.stmts.closed = nil, true
}

// query runs a statement that returns rows.
func (s *Store) query(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if !s.prepare {
		if tx != nil {
			return tx.QueryContext(ctx, query, args...)
		}
		return s.db.QueryContext(ctx, query, args...)
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if tx != nil {
		st = tx.StmtContext(ctx, st)
	}
	return st.QueryContext(ctx, args...)
}

// row is the answer of queryRow: a *sql.Row, or the error of preparing
// its statement.
type row interface{ Scan(dest ...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// queryRow runs a statement that returns at most one row.
func (s *Store) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) row {
	if !s.prepare {
		if tx != nil {
			return tx.QueryRowContext(ctx, query, args...)
		}
		return s.db.QueryRowContext(ctx, query, args...)
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return errRow{err}
	}
	if tx != nil {
		st = tx.StmtContext(ctx, st)
	}
	return st.QueryRowContext(ctx, args...)
}

// exec runs a statement that returns no rows. Every such statement
// writes: outside a transaction, it waits for the store's other writers
// (see Store.writeMu).
func (s *Store) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if tx == nil && s.serialize {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	if !s.prepare {
		if tx != nil {
			return tx.ExecContext(ctx, query, args...)
		}
		return s.db.ExecContext(ctx, query, args...)
	}
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if tx != nil {
		st = tx.StmtContext(ctx, st)
	}
	return st.ExecContext(ctx, args...)
}

// txExec runs the statements of one transaction. The store's own
// transactions run through its prepared statements (ownTx); a
// transaction of the application's own (CreateEventTx), which may belong
// to another *sql.DB, runs its statements as they are (callerTx): a
// statement prepared on one *sql.DB cannot run in a transaction of
// another.
type txExec interface {
	exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	queryRow(ctx context.Context, query string, args ...any) row
	query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// ownTx is a transaction of the store's own; with a nil tx, each
// statement is a transaction of its own.
type ownTx struct {
	s  *Store
	tx *sql.Tx
}

// own returns the txExec of the store's transaction tx.
func (s *Store) own(tx *sql.Tx) ownTx { return ownTx{s, tx} }

func (o ownTx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return o.s.exec(ctx, o.tx, query, args...)
}

func (o ownTx) queryRow(ctx context.Context, query string, args ...any) row {
	return o.s.queryRow(ctx, o.tx, query, args...)
}

func (o ownTx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return o.s.query(ctx, o.tx, query, args...)
}

// callerTx is a transaction of the application's own.
type callerTx struct{ tx *sql.Tx }

func (c callerTx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.tx.ExecContext(ctx, query, args...)
}

func (c callerTx) queryRow(ctx context.Context, query string, args ...any) row {
	return c.tx.QueryRowContext(ctx, query, args...)
}

func (c callerTx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.tx.QueryContext(ctx, query, args...)
}
