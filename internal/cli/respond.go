package cli

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// replyKind is what listen does with a request.
type replyKind int

const (
	replyStatus replyKind = iota // answer a status code
	replyHang                    // answer nothing until the client gives up
	replyReset                   // close the connection without an answer
)

// reply is one item of --respond.
type reply struct {
	kind       replyKind
	status     int // the status code of replyStatus, 200 to 599
	retryAfter int // the seconds of the Retry-After header of replyStatus, or -1 for none
}

// okReply is listen's answer once the --respond items are used up.
var okReply = reply{kind: replyStatus, status: http.StatusOK, retryAfter: -1}

// parseReply reads an item of --respond: 503, 429:30, hang or reset.
func parseReply(s string) (reply, error) {
	switch s {
	case "hang":
		return reply{kind: replyHang, retryAfter: -1}, nil
	case "reset":
		return reply{kind: replyReset, retryAfter: -1}, nil
	}
	code, seconds, hasRetry := strings.Cut(s, ":")
	r := reply{kind: replyStatus, retryAfter: -1}
	n, err := strconv.Atoi(code)
	if err != nil || n < 200 || n > 599 {
		return reply{}, errors.New("not a status code from 200 to 599, CODE:SECONDS, hang or reset")
	}
	r.status = n
	if hasRetry {
		secs, err := strconv.ParseUint(seconds, 10, 31)
		if err != nil {
			return reply{}, errors.New("the SECONDS of CODE:SECONDS must be a whole number of seconds, such as 503:30")
		}
		r.retryAfter = int(secs)
	}
	return r, nil
}

// repliesFlag defines a flag holding a comma-separated list of replies.
// Each use replaces the list.
func repliesFlag(fs *flag.FlagSet, name string) *[]reply {
	var replies []reply
	fs.Func(name, "", func(v string) error {
		var parsed []reply
		for i, item := range strings.Split(v, ",") {
			r, err := parseReply(strings.TrimSpace(item))
			if err != nil {
				return fmt.Errorf("item %d, %q: %w", i+1, item, err)
			}
			parsed = append(parsed, r)
		}
		replies = parsed
		return nil
	})
	return &replies
}

// abort ends the exchange of w without an answer: it closes the
// connection at once, with a TCP reset where it can, so that the client
// reads "connection reset by peer" rather than a clean end of stream.
func abort(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not a connection of its own (HTTP/2): let net/http reset the
		// stream.
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0) // RST rather than FIN
	}
	conn.Close()
}
