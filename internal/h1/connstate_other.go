//go:build !unix

package h1

import "net"

// quietOpen reports whether the connection c is open with nothing to
// read. Here it cannot look without blocking, so known is false: the
// client then reuses a connection only soon after its last answer.
func quietOpen(net.Conn) (quiet, known bool) { return false, false }
