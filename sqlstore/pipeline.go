package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/monitehooks/monitehooks"
)

// On PostgreSQL through pgx, ClaimDeliveries sends its statements in
// pipelines (pgx batches) on one connection of the pool, as the same
// transaction as over database/sql, in two round trips instead of three
// or four: BEGIN with the candidates, then, once Allow has been asked,
// the claim's last statement (claimTake, or claimNextDue when it took
// nothing) with COMMIT. A statement that fails aborts the transaction,
// and the COMMIT behind it then rolls back. A connection left in a
// transaction (a ROLLBACK that failed, a panic of Allow's) is discarded
// by pgx's database/sql driver before it is used again. A *sql.DB of
// another driver goes through database/sql's transactions.

// errNotPgx says a connection of the pool is not pgx's.
var errNotPgx = errors.New("sqlstore: not a pgx connection")

// claimPipelined is ClaimDeliveries on PostgreSQL through pgx's
// pipelines; it answers errNotPgx, having done nothing, when the pool's
// driver is not pgx.
func (s *Store) claimPipelined(ctx context.Context, p monitehooks.ClaimParams, now, until int64) (monitehooks.ClaimResult, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return monitehooks.ClaimResult{}, fmt.Errorf("sqlstore: claiming: %w", err)
	}
	defer conn.Close()
	var res monitehooks.ClaimResult
	err = conn.Raw(func(driverConn any) error {
		sc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return errNotPgx
		}
		var err error
		res, err = s.claimOn(ctx, sc.Conn(), p, now, until)
		return err
	})
	return res, err
}

// claimOn is claimPipelined's transaction on pc.
func (s *Store) claimOn(ctx context.Context, pc *pgx.Conn, p monitehooks.ClaimParams, now, until int64) (monitehooks.ClaimResult, error) {
	open := false
	defer func() {
		if open {
			// Failing, the connection is left in the transaction, and
			// discarded (see above).
			pc.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue(s.q.claimCandidates, now, p.Limit+1)
	br := pc.SendBatch(ctx, b)
	_, err := br.Exec()
	open = err == nil
	var (
		cands []candidate
		none  noCandidates
	)
	if err == nil {
		var rows pgx.Rows
		if rows, err = br.Query(); err == nil {
			cands, none, err = s.readCandidates(rows)
			rows.Close()
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return monitehooks.ClaimResult{}, fmt.Errorf("sqlstore: claiming: %w", err)
	}

	var res monitehooks.ClaimResult
	chosen, refused, cut := choose(cands, p.Limit, p.Allow)
	refusedJSON, _ := json.Marshal(nonNil(refused)) // strings only: never fails
	b = &pgx.Batch{}
	switch {
	case none.known:
		if none.next.Valid {
			res.NextDue = fromNs(none.next.Int64)
		}
	case len(chosen) > 0:
		leased, _ := leases(chosen)
		b.Queue(s.q.claimTake, leased, until, turnsJSON(chosen), string(refusedJSON), cut == nil, now)
	case cut != nil:
		res.NextDue = fromNs(cut.next)
	default:
		b.Queue(s.q.claimNextDue, now, string(refusedJSON))
	}
	b.Queue("COMMIT")
	br = pc.SendBatch(ctx, b)
	var versions []int64
	if b.Len() == 2 {
		var rows pgx.Rows
		if rows, err = br.Query(); err == nil {
			var next sql.NullInt64
			if len(chosen) > 0 {
				res.Claims, versions, err = readClaims(rows, chosen, &next)
			} else {
				for rows.Next() {
					err = rows.Scan(&next)
				}
				if err == nil {
					err = rows.Err()
				}
			}
			rows.Close()
			switch {
			case len(chosen) > 0 && cut != nil:
				res.NextDue = fromNs(cut.next)
			case len(chosen) > 0 && (!next.Valid || next.Int64 >= until):
				res.NextDue = fromNs(until) // the leases just given
			case next.Valid:
				res.NextDue = fromNs(next.Int64)
			}
		}
	}
	_, cerr := br.Exec() // COMMIT, a ROLLBACK when a statement failed
	if err == nil {
		err = cerr
	}
	open = cerr != nil
	if cerr2 := br.Close(); err == nil {
		err = cerr2
	}
	if err != nil {
		return monitehooks.ClaimResult{}, fmt.Errorf("sqlstore: claiming: %w", err)
	}
	if len(res.Claims) > 0 {
		// Missing from the cache: read after the commit, on the same
		// connection (see claimSubscriptions).
		query := func(ctx context.Context, query string, args ...any) (rowsReader, func(), error) {
			r, err := pc.Query(ctx, query, args...)
			if err != nil {
				return nil, nil, err
			}
			return r, r.Close, nil
		}
		if err := s.claimSubscriptions(ctx, query, res.Claims, versions); err != nil {
			return monitehooks.ClaimResult{}, err
		}
	}
	return res, nil
}
