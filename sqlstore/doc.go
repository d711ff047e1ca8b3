// Package sqlstore is a [monitehooks.Store] over PostgreSQL or SQLite,
// through database/sql: nothing is lost when a process crashes, and
// several processes sharing one database work as one system.
package sqlstore
