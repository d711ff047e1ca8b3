package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/monitehooks/monitehooks"
)

// claimColumns are the columns lease reads of a claimed delivery d, its
// event e and its subscription s (LEFT JOINed: NULL when deleted).
const claimColumns = `d.seq, d.id, d.subscription_id, d.partner_id, d.attempts, d.created_ns, d.lease_token,
	e.id, e.partner_id, e.entity_id, e.object_type, e.object_id, e.type, e.object, e.created_ns,
	COALESCE(s.version, 0)`

// turnOrder orders a claim's candidates (rows with rn, the candidate's
// place in its subscription's queue from 1, last_turn, and head_next and
// head_seq, its queue's first candidate) in turns: every subscription has
// its first candidate taken before any has its second, and so on. Within
// a round, the subscription whose last turn is the oldest goes first, one
// that never had a turn before all others, and those alike in the order
// their first candidates came due and were made. A claim numbers the
// turns it gives (see claimTurns), so the order carries over from one
// claim to the next: claims of one delivery at a time go round the
// subscriptions, one that comes due joins before any has a second turn,
// and one that Allow refused, whose last turn is unchanged, loses no
// turn.
const turnOrder = `ORDER BY t.rn, t.last_turn NULLS FIRST, t.head_next, t.head_seq`

// turnRow is an element of claimTurns' JSON argument.
type turnRow struct {
	Sub string `json:"sub"`
	Pos int    `json:"pos"`
}

// candidate is a delivery a claim may take.
type candidate struct {
	seq  int64
	sub  string
	next int64 // NextAttemptAt, stored form
	top  bool  // the subscription alone has the highest last turn
}

// leaseRow is an element of claimLease's JSON argument.
type leaseRow struct {
	Seq   int64  `json:"seq"`
	Token string `json:"token"`
}

// ClaimDeliveries leases up to p.Limit pending deliveries due at p.Now,
// in one transaction that makes no call out of the store but to Allow:
//
//  1. It reads the candidates: in every subscription's queue, up to
//     Limit+1 deliveries claimable at p.Now (due, and no lease in force),
//     oldest due first, the queues taking turns (see turnOrder); on
//     PostgreSQL it locks them, skipping those another claim has locked
//     (SELECT … FOR UPDATE SKIP LOCKED), so that concurrent claims never
//     take the same delivery and never wait for each other.
//  2. In Go, it goes through the candidates in claim order and asks Allow
//     about each, until it has Limit; once Allow refuses a subscription,
//     the subscription's other candidates are skipped without asking.
//  3. It leases the chosen deliveries, each with a new random token, until
//     p.Now + p.Lease, reads them with their events and their
//     subscriptions (Claim.Subscription, nil for one deleted: see
//     subcache.go), numbers the turns it gave their subscriptions, and
//     finds NextDue: on PostgreSQL in one statement (claimTake), so that
//     a claim that takes something is four round trips with BEGIN and
//     COMMIT; one that finds no candidate is three, the candidates'
//     statement answering NextDue then.
//
// Allow runs inside the transaction, as the Store contract permits; it is
// a callback into the caller's memory, never a network call. The locks of
// step 1 hold until the transaction ends, a few milliseconds later, so an
// allowed candidate is always claimed. On SQLite the transaction holds
// the database's write lock instead (BEGIN IMMEDIATE).
//
// NextDue is, when Limit cut the claim short, the due time of the first
// candidate left (at or before p.Now); otherwise the earliest time a
// pending delivery becomes claimable after p.Now (its next attempt, or
// the end of its lease), leaving out the deliveries of the subscriptions
// Allow refused, but for their leases.
func (s *Store) ClaimDeliveries(ctx context.Context, p monitehooks.ClaimParams) (monitehooks.ClaimResult, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.ClaimResult{}, err
	}
	if p.Limit <= 0 {
		return monitehooks.ClaimResult{}, fmt.Errorf("sqlstore: claim limit %d: must be positive: %w", p.Limit, monitehooks.ErrInvalid)
	}
	if p.Lease <= 0 {
		return monitehooks.ClaimResult{}, fmt.Errorf("sqlstore: claim lease %v: must be positive: %w", p.Lease, monitehooks.ErrInvalid)
	}
	now, err := toNs("claim Now", p.Now)
	if err != nil {
		return monitehooks.ClaimResult{}, err
	}
	until, err := toNs("lease end", p.Now.Add(p.Lease))
	if err != nil {
		return monitehooks.ClaimResult{}, err
	}

	if s.dialect == DialectPostgres {
		res, err := s.claimPipelined(ctx, p, now, until)
		if !errors.Is(err, errNotPgx) {
			return res, err
		}
	}
	var res monitehooks.ClaimResult
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res = monitehooks.ClaimResult{}
		cands, none, err := s.candidates(ctx, tx, now, p.Limit+1)
		if err != nil {
			return err
		}
		if none.known {
			if none.next.Valid {
				res.NextDue = fromNs(none.next.Int64)
			}
			return nil
		}
		chosen, refused, cut := choose(cands, p.Limit, p.Allow)
		if len(chosen) > 0 && s.dialect == DialectPostgres {
			var next sql.NullInt64
			if res.Claims, next, err = s.take(ctx, tx, chosen, refused, now, until, cut == nil); err != nil {
				return err
			}
			switch {
			case cut != nil:
				res.NextDue = fromNs(cut.next)
			case next.Valid && next.Int64 < until:
				res.NextDue = fromNs(next.Int64)
			default:
				res.NextDue = fromNs(until) // the leases just given
			}
			return nil
		}
		if len(chosen) > 0 {
			if res.Claims, err = s.lease(ctx, tx, chosen, until); err != nil {
				return err
			}
			if needTurns(chosen) {
				if err := s.recordTurns(ctx, tx, chosen); err != nil {
					return err
				}
			}
		}
		if cut != nil {
			res.NextDue = fromNs(cut.next)
			return nil
		}
		refusedJSON, _ := json.Marshal(nonNil(refused)) // strings only: never fails
		var next sql.NullInt64
		if err := s.queryRow(ctx, tx, s.q.claimNextDue, now, string(refusedJSON)).Scan(&next); err != nil {
			return fmt.Errorf("sqlstore: claiming: next due: %w", err)
		}
		if next.Valid {
			res.NextDue = fromNs(next.Int64)
		}
		return nil
	})
	if err != nil {
		return monitehooks.ClaimResult{}, err
	}
	return res, nil
}

// noCandidates is what PostgreSQL's claimCandidates says when it finds
// none: the claim's NextDue.
type noCandidates struct {
	known bool // it found none, and next is the claim's NextDue
	next  sql.NullInt64
}

// candidates reads the candidates of a claim at now, up to perQueue of
// each subscription's, in claim order. On PostgreSQL, when there is none,
// it also answers when the next delivery becomes claimable.
func (s *Store) candidates(ctx context.Context, tx *sql.Tx, now int64, perQueue int) ([]candidate, noCandidates, error) {
	rows, err := s.query(ctx, tx, s.q.claimCandidates, now, perQueue)
	if err != nil {
		return nil, noCandidates{}, fmt.Errorf("sqlstore: claiming: %w", err)
	}
	defer rows.Close()
	return s.readCandidates(rows)
}

// readCandidates reads the rows of claimCandidates.
func (s *Store) readCandidates(rows rowsReader) ([]candidate, noCandidates, error) {
	var (
		cands []candidate
		none  noCandidates
	)
	for rows.Next() {
		var c candidate
		if s.dialect == DialectPostgres {
			var (
				seq, next sql.NullInt64
				sub       sql.NullString
			)
			if err := rows.Scan(&seq, &sub, &next, &c.top, &none.next); err != nil {
				return nil, noCandidates{}, fmt.Errorf("sqlstore: claiming: %w", err)
			}
			if !seq.Valid {
				none.known = true
				continue
			}
			c.seq, c.sub, c.next = seq.Int64, sub.String, next.Int64
		} else if err := rows.Scan(&c.seq, &c.sub, &c.next, &c.top); err != nil {
			return nil, noCandidates{}, fmt.Errorf("sqlstore: claiming: %w", err)
		}
		cands = append(cands, c)
	}
	if err := rows.Err(); err != nil {
		return nil, noCandidates{}, fmt.Errorf("sqlstore: claiming: %w", err)
	}
	if len(cands) > 0 {
		none = noCandidates{}
	}
	return cands, none, nil
}

// choose goes through the candidates in order and returns up to limit
// that allow lets through (all, when allow is nil), the subscriptions it
// refused, and the first candidate left when limit cut the claim short.
func choose(cands []candidate, limit int, allow func(string) bool) (chosen []candidate, refused []string, cut *candidate) {
	isRefused := func(sub string) bool {
		for _, r := range refused {
			if r == sub {
				return true
			}
		}
		return false
	}
	for i := range cands {
		c := &cands[i]
		if isRefused(c.sub) {
			continue
		}
		if len(chosen) == limit {
			return chosen, refused, c
		}
		if allow != nil && !allow(c.sub) {
			refused = append(refused, c.sub)
			continue
		}
		chosen = append(chosen, *c)
	}
	return chosen, refused, nil
}

// recordTurns numbers the turns the chosen deliveries gave their
// subscriptions, in claim order: a subscription's last turn is the place
// of its last delivery in the claim.
func (s *Store) recordTurns(ctx context.Context, tx *sql.Tx, chosen []candidate) error {
	if _, err := s.exec(ctx, tx, s.q.claimTurns, turnsJSON(chosen)); err != nil {
		return fmt.Errorf("sqlstore: claiming: recording turns: %w", err)
	}
	return nil
}

// leases returns the JSON argument that leases the chosen deliveries,
// each with a new token, and their seqs.
func leases(chosen []candidate) (string, []int64) {
	rows := make([]leaseRow, len(chosen))
	seqs := make([]int64, len(chosen))
	for i, c := range chosen {
		rows[i] = leaseRow{Seq: c.seq, Token: newLeaseToken()}
		seqs[i] = c.seq
	}
	b, _ := json.Marshal(rows) // numbers and strings: never fails
	return string(b), seqs
}

// take leases the chosen deliveries until the time given, numbers the
// turns they gave, and reads them, in one statement (PostgreSQL's
// claimTake), and returns their claims in the order chosen and, when
// wantNext is set, when the next delivery becomes claimable after now,
// not counting those leased, nor those of the refused subscriptions.
func (s *Store) take(ctx context.Context, tx *sql.Tx, chosen []candidate, refused []string, now, until int64, wantNext bool) ([]monitehooks.Claim, sql.NullInt64, error) {
	leased, _ := leases(chosen)
	refusedJSON, _ := json.Marshal(nonNil(refused)) // strings only: never fails
	r, err := s.query(ctx, tx, s.q.claimTake, leased, until, turnsJSON(chosen), string(refusedJSON), wantNext, now)
	if err != nil {
		return nil, sql.NullInt64{}, fmt.Errorf("sqlstore: claiming: %w", err)
	}
	defer r.Close()
	var next sql.NullInt64
	claims, versions, err := readClaims(r, chosen, &next)
	if err != nil {
		return nil, sql.NullInt64{}, err
	}
	r.Close()
	if err := s.claimSubscriptions(ctx, s.txQuery(tx), claims, versions); err != nil {
		return nil, sql.NullInt64{}, err
	}
	return claims, next, nil
}

// needTurns reports whether numbering the turns the chosen deliveries
// gave changes the turn order. It does not when they are all of one
// subscription that alone has the highest last turn already: numbering
// would raise it above the others again. Skipping it spares the claims
// of one busy subscription from queueing on its queue's row, which the
// numbering locks until the claim commits.
func needTurns(chosen []candidate) bool {
	for _, c := range chosen {
		if !c.top || c.sub != chosen[0].sub {
			return true
		}
	}
	return false
}

// turnsJSON returns the JSON argument of claimTurns for the chosen
// deliveries ([] when needTurns says so): a subscription's last turn is
// the place of its last delivery in the claim.
func turnsJSON(chosen []candidate) string {
	if !needTurns(chosen) {
		return "[]"
	}
	pos := make(map[string]int, len(chosen))
	for i, c := range chosen {
		pos[c.sub] = i + 1
	}
	turns := make([]turnRow, 0, len(pos))
	for sub, p := range pos {
		turns = append(turns, turnRow{Sub: sub, Pos: p})
	}
	b, _ := json.Marshal(turns) // strings and numbers: never fails
	return string(b)
}

// lease leases the chosen deliveries until the time given, each with a
// new token, and returns their claims in the order chosen.
func (s *Store) lease(ctx context.Context, tx *sql.Tx, chosen []candidate, until int64) ([]monitehooks.Claim, error) {
	leased, seqs := leases(chosen)
	if _, err := s.exec(ctx, tx, s.q.claimLease, leased, until); err != nil {
		return nil, fmt.Errorf("sqlstore: claiming: leasing: %w", err)
	}
	seqsJSON, _ := json.Marshal(seqs)
	r, err := s.query(ctx, tx, s.q.claimSelect, string(seqsJSON))
	if err != nil {
		return nil, fmt.Errorf("sqlstore: claiming: %w", err)
	}
	defer r.Close()
	claims, versions, err := readClaims(r, chosen)
	if err != nil {
		return nil, err
	}
	r.Close()
	if err := s.claimSubscriptions(ctx, s.txQuery(tx), claims, versions); err != nil {
		return nil, err
	}
	return claims, nil
}

// rowsReader is what the store reads of *sql.Rows and pgx.Rows.
type rowsReader interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// queryFunc runs a statement that returns rows, and returns them with
// the function that closes them.
type queryFunc func(ctx context.Context, query string, args ...any) (rowsReader, func(), error)

// txQuery returns the queryFunc of the store's transaction tx.
func (s *Store) txQuery(tx *sql.Tx) queryFunc {
	return func(ctx context.Context, query string, args ...any) (rowsReader, func(), error) {
		r, err := s.query(ctx, tx, query, args...)
		if err != nil {
			return nil, nil, err
		}
		return r, func() { r.Close() }, nil
	}
}

// readClaims reads rows of claimColumns, and of the extra columns into
// extra (the last row's values), and returns the claims of the chosen
// deliveries in the order chosen, without their subscriptions, and the
// versions of their subscriptions (0 when deleted).
func readClaims(r rowsReader, chosen []candidate, extra ...any) ([]monitehooks.Claim, []int64, error) {
	type claimed struct {
		claim   monitehooks.Claim
		version int64 // the subscription's, 0 when deleted
	}
	bySeq := make(map[int64]claimed, len(chosen))
	for r.Next() {
		var (
			c                                monitehooks.Claim
			seq, created, evCreated, version int64
			objectType, eventType            string
		)
		err := r.Scan(append([]any{&seq, &c.DeliveryID, &c.SubscriptionID, &c.PartnerID, &c.Attempts, &created, &c.LeaseToken,
			&c.Event.ID, &c.Event.PartnerID, &c.Event.EntityID, &objectType, &c.Event.ObjectID, &eventType, &c.Event.Object, &evCreated,
			&version}, extra...)...)
		if err != nil {
			return nil, nil, fmt.Errorf("sqlstore: claiming: %w", err)
		}
		c.CreatedAt = fromNs(created)
		c.Event.ObjectType, c.Event.Type, c.Event.CreatedAt = monitehooks.ObjectType(objectType), monitehooks.EventType(eventType), fromNs(evCreated)
		bySeq[seq] = claimed{c, version}
	}
	if err := r.Err(); err != nil {
		return nil, nil, fmt.Errorf("sqlstore: claiming: %w", err)
	}
	claims := make([]monitehooks.Claim, len(chosen))
	versions := make([]int64, len(chosen))
	for i, c := range chosen {
		cl, ok := bySeq[c.seq]
		if !ok {
			return nil, nil, fmt.Errorf("sqlstore: claiming: delivery %d leased but not found", c.seq)
		}
		claims[i], versions[i] = cl.claim, cl.version
	}
	return claims, versions, nil
}
