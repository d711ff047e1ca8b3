package sqlstore

import (
	"regexp"
	"strings"
)

// queries holds every statement of a store, in its dialect, naming its
// schema. Each field is one statement; those the dialects share are the
// constants of the files that use them, the others are in postgres.go and
// sqlite.go. Statements take their values through placeholders ($1, $2,
// …, which both PostgreSQL and SQLite read), never in their text.
type queries struct {
	insertSubscription string
	selectSubscription string
	updateSubscription string
	deleteSubscription string
	loadSubscriptions  string
	subscriptionSeq    string
	subscriptionExists string
	insertQueue        string
	// Writes of subscriptions on PostgreSQL: see shared.go.
	selectMatchKeyLocked string
	// ChangeSubscription's read, which locks the row on PostgreSQL.
	selectSubscriptionLocked string // dialect
	subscriptionsByID        string // dialect
	lockPartner              string
	instance                 string

	matchSubscriptions string // dialect: SQLite's matching, before insertEvent
	insertMatchedEvent string // dialect: PostgreSQL's matching and storing in one statement
	lockPartnerShared  string

	insertEvent      string
	insertDeliveries string // dialect
	insertQueues     string // dialect
	selectEvent      string
	eventSeq         string
	partnerEventSeq  string

	selectDelivery  string
	deliverySeq     string
	deliveryExists  string
	recordAttempt   string
	insertAttempt   string
	recordAttempts  string // PostgreSQL's batch: see recorder.go
	releaseDelivery string
	deliveryStatus  string
	requeueDelivery string
	requeueFailed   string

	claimCandidates string // dialect
	claimTurns      string // dialect
	holdQueue       string
	liftHold        string
	claimLease      string // dialect
	claimSelect     string // dialect
	claimNextDue    string // dialect
	claimTake       string // dialect: PostgreSQL's only

	expiredDeliveries      string // dialect
	deleteDeliveryAttempts string // dialect
	deleteDeliveries       string // dialect
	expireEvents           string // dialect
	deleteEvents           string // dialect
	pruneQueues            string // dialect: SQLite's, before pruneTombstones
	pruneTombstones        string // dialect

	updateCounts string // dialect
	sumCounts    string

	// The lists, by scan direction: asc scans in ascending order of the
	// sort key after the cursor, desc in descending order before it.
	listSubscriptionsByCreated scans
	listSubscriptionsByUpdated scans
	listEvents                 scans
	listDeliveriesByCreated    scans
	listDeliveriesByUpdated    scans
}

// scans are one list's statements in both directions.
type scans struct{ asc, desc string }

// dialectQueries are the statements that differ between the dialects.
type dialectQueries struct {
	selectSubscriptionLocked, subscriptionsByID                        string
	matchSubscriptions, insertMatchedEvent                             string
	insertDeliveries, insertQueues, updateCounts                       string
	claimCandidates, claimTurns, claimLease, claimSelect, claimNextDue string
	claimTake                                                          string
	expiredDeliveries, deleteDeliveryAttempts, deleteDeliveries        string
	expireEvents, deleteEvents, pruneQueues, pruneTombstones           string
}

// newQueries returns the statements of dialect d, naming the schema when
// it is not empty.
func newQueries(d Dialect, schema string) *queries {
	dq := sqliteQueries
	if d == DialectPostgres {
		dq = postgresQueries
	}
	Q := func(query string) string { return qualify(query, schema) }
	return &queries{
		insertSubscription:   Q(insertSubscription),
		selectSubscription:   Q(selectSubscription),
		updateSubscription:   Q(updateSubscription),
		deleteSubscription:   Q(deleteSubscription),
		loadSubscriptions:    Q(loadSubscriptions),
		subscriptionSeq:      Q(subscriptionSeq),
		subscriptionExists:   Q(subscriptionExists),
		insertQueue:          Q(insertQueue),
		selectMatchKeyLocked: Q(selectMatchKeyLocked),

		selectSubscriptionLocked: Q(dq.selectSubscriptionLocked),
		subscriptionsByID:        Q(dq.subscriptionsByID),
		lockPartner:              lockPartner,
		instance:                 Q(selectInstance),

		matchSubscriptions: Q(dq.matchSubscriptions),
		insertMatchedEvent: Q(dq.insertMatchedEvent),
		lockPartnerShared:  Q(lockPartnerShared),

		insertEvent:      Q(insertEvent),
		insertDeliveries: Q(dq.insertDeliveries),
		insertQueues:     Q(dq.insertQueues),
		selectEvent:      Q(selectEvent),
		eventSeq:         Q(eventSeq),
		partnerEventSeq:  Q(partnerEventSeq),

		selectDelivery:  Q(selectDelivery),
		deliverySeq:     Q(deliverySeq),
		deliveryExists:  Q(deliveryExists),
		recordAttempt:   Q(recordAttempt),
		insertAttempt:   Q(insertAttempt),
		recordAttempts:  Q(recordAttempts),
		releaseDelivery: Q(releaseDelivery),
		deliveryStatus:  Q(deliveryStatus),
		requeueDelivery: Q(requeueDelivery),
		requeueFailed:   Q(requeueFailed),

		claimCandidates: Q(dq.claimCandidates),
		claimTurns:      Q(dq.claimTurns),
		holdQueue:       Q(holdQueue),
		liftHold:        Q(liftHold),
		claimLease:      Q(dq.claimLease),
		claimSelect:     Q(dq.claimSelect),
		claimNextDue:    Q(dq.claimNextDue),
		claimTake:       Q(dq.claimTake),

		expiredDeliveries:      Q(dq.expiredDeliveries),
		deleteDeliveryAttempts: Q(dq.deleteDeliveryAttempts),
		deleteDeliveries:       Q(dq.deleteDeliveries),
		expireEvents:           Q(dq.expireEvents),
		deleteEvents:           Q(dq.deleteEvents),
		pruneQueues:            Q(dq.pruneQueues),
		pruneTombstones:        Q(dq.pruneTombstones),

		updateCounts: Q(dq.updateCounts),
		sumCounts:    Q(sumCounts),

		listSubscriptionsByCreated: listScans(schema, listSubscriptions, "created_ns"),
		listSubscriptionsByUpdated: listScans(schema, listSubscriptions, "updated_ns"),
		listEvents:                 listScans(schema, listEventsQuery, "created_ns"),
		listDeliveriesByCreated:    listScans(schema, listDeliveries, "created_ns"),
		listDeliveriesByUpdated:    listScans(schema, listDeliveries, "updated_ns"),
	}
}

// listScans fills a list's template with its sort column, in both
// directions, naming the schema. The template says {key} for the sort column, {cmp} for the
// comparison with the cursor and {dir} for the order: identifiers and
// keywords from this file, never values.
func listScans(schema, template, key string) scans {
	fill := func(cmp, dir string) string {
		return qualify(strings.NewReplacer("{key}", key, "{cmp}", cmp, "{dir}", dir).Replace(template), schema)
	}
	return scans{asc: fill(">", "ASC"), desc: fill("<", "DESC")}
}

// tableName matches the store's table names where a statement uses them.
// \b keeps index names (monitehooks_deliveries_queue_idx) as they are:
// an index lives in its table's schema and cannot be qualified.
var tableName = regexp.MustCompile(`\bmonitehooks_(subscriptions|events|deliveries|attempts|queues|counts|migrations|instance)\b`)

// qualify returns query with every table name prefixed by the schema.
func qualify(query, schema string) string {
	if schema == "" {
		return query
	}
	return tableName.ReplaceAllString(query, quoteIdent(schema)+".$0")
}
