//go:build !unix

package monitehooks

import "net"

// quietOpen reports whether the connection c is open with nothing to
// read. Here it cannot tell without blocking, so it answers true: a
// connection the server closed is found out by the request, which is then
// sent again on a new connection.
func quietOpen(net.Conn) bool { return true }
