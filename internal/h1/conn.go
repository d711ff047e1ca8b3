package h1

import (
	"bufio"
	"net"
	"time"
)

// persistConn is one connection of a Client.
type persistConn struct {
	key       string
	conn      net.Conn // the connection requests go over
	raw       net.Conn // the TCP connection under it
	br        *bufio.Reader
	read      int64 // bytes br has read from conn
	idleSince time.Time
}

// Read reads from the connection for br, counting.
func (pc *persistConn) Read(p []byte) (int, error) {
	n, err := pc.conn.Read(p)
	pc.read += int64(n)
	return n, err
}

// blindReuse is how long a connection whose socket quietOpen cannot look
// at may stay idle and still be reused. Servers close idle connections
// after seconds, not sooner.
const blindReuse = time.Second

// quiet reports whether a connection idle for so long may take a request:
// it is open and nothing waits to be read on it. A server may close an idle
// connection, or write to it unasked (a 408 before closing, or worse, a
// stray answer): what it wrote would be taken for the answer to the next
// request. net/http learns of both from a goroutine that reads every idle
// connection; here a look before each reuse tells, at the cost of a system
// call.
func (pc *persistConn) quiet(idle time.Duration) bool {
	if pc.br.Buffered() > 0 {
		return false
	}
	pc.conn.SetDeadline(time.Time{}) // the last exchange's has passed, and would fail the look
	// Where there is no look at the socket, it is reused only soon after
	// its last answer, before a server would close it for idleness.
	if quiet, known := quietOpen(pc.raw); known && !quiet || !known && idle >= blindReuse {
		return false
	}
	if pc.conn == pc.raw {
		return true
	}
	// TLS may have read records from the socket that wait in tls.Conn: a
	// read with a deadline already past returns them, and times out
	// otherwise without a system call.
	pc.conn.SetReadDeadline(time.Unix(1, 0))
	_, err := pc.br.Peek(1)
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// writeAhead is the size of request the client writes in full before it
// reads the answer. A larger one is written while the answer is read, since
// a server may answer (413, say) before it reads it all, and stop reading.
const writeAhead = 64 << 10

// roundTrip writes req and reads the answer into r. keep reports whether
// the connection may serve another request.
func (pc *persistConn) roundTrip(req []byte, deadline time.Time, r *Response) (keep bool, err error) {
	if err := pc.conn.SetDeadline(deadline); err != nil {
		return false, err
	}
	read := pc.read
	var werr error
	if len(req) <= writeAhead {
		_, werr = pc.conn.Write(req)
		keep, err = readResponse(pc.br, r)
	} else {
		written := make(chan error, 1)
		go func() {
			_, err := pc.conn.Write(req)
			written <- err
		}()
		keep, err = readResponse(pc.br, r)
		select {
		case werr = <-written:
		default:
			// Answered before the request was all written: the connection
			// can carry no other request. Closing it ends the write.
			pc.conn.Close()
			werr = <-written
			keep = false
		}
	}
	switch {
	case werr == nil:
		return keep, err
	case err == nil:
		return false, nil // an answer, early: it stands
	case pc.read == read:
		return false, &unsentError{werr}
	default:
		return false, werr
	}
}

// unsentError is the error of a request that could not be written in
// full, and got no byte of an answer: the server cannot have taken it.
type unsentError struct{ err error }

func (e *unsentError) Error() string { return e.err.Error() }
func (e *unsentError) Unwrap() error { return e.err }
