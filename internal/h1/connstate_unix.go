//go:build unix

package h1

import (
	"net"
	"syscall"
)

// quietOpen reports whether the connection c is open with nothing to
// read: whether a connection that was idle may take a request. A server
// that closed it, or wrote to it unasked (such as a 408 before closing),
// makes it false. It peeks at the socket without blocking. known is false
// for a connection that is not a socket, which it cannot look at.
func quietOpen(c net.Conn) (quiet, known bool) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false, true
	}
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		quiet = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
		return true // done, whatever the answer: never wait
	})
	return err == nil && quiet, true
}
