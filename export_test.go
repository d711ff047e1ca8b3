package monitehooks

import (
	"net/netip"
	"syscall"
)

// EmitterGoroutines returns how many goroutines of e are running.
func EmitterGoroutines(e *Emitter) int64 { return e.goroutines.Load() }

// Unexported helpers under test.
var (
	ParseRetryAfter  = parseRetryAfter
	AppendJSONString = appendJSONString
	AppendObject     = appendObject
	Excerpt          = excerpt
)

// GuardControl returns the SSRF guard's dial hook.
func GuardControl(allowAll bool, allowed []netip.Prefix) func(network, address string, c syscall.RawConn) error {
	g := &guard{allowAll: allowAll, allowed: allowed}
	return g.control
}
