package monitehooks_test

// A DNS server of the tests' own, so that the SSRF guard is tested on
// names that resolve to this machine's addresses without any real DNS.

import (
	"context"
	"encoding/binary"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// dnsServer is a minimal DNS responder on a local UDP port: it answers
// every A question, whatever the name, with 127.0.0.1, and every other
// question with no records. It records the questions it was asked.
type dnsServer struct {
	conn net.PacketConn
	done chan struct{} // closed when serve returns

	mu    sync.Mutex // guards asked
	asked []string   // "<name> <type>" of each question
}

func startDNS(t *testing.T) *dnsServer {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("DNS server: %v", err)
	}
	s := &dnsServer{conn: conn, done: make(chan struct{})}
	go s.serve()
	t.Cleanup(func() {
		conn.Close()
		<-s.done
	})
	return s
}

func (s *dnsServer) serve() {
	defer close(s.done)
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFrom(buf)
		if err != nil {
			return // closed
		}
		if resp := s.answer(buf[:n]); resp != nil {
			s.conn.WriteTo(resp, from)
		}
	}
}

// answer returns the response to one query (RFC 1035 section 4): its
// header and question copied, the flags of an authoritative answer, and
// for an A question one record, 127.0.0.1, whose name points back at the
// question's. A query it cannot parse gets no response.
func (s *dnsServer) answer(q []byte) []byte {
	const headerLen = 12
	if len(q) < headerLen || binary.BigEndian.Uint16(q[4:6]) != 1 { // QDCOUNT
		return nil
	}
	var labels []string
	i := headerLen
	for {
		if i >= len(q) {
			return nil
		}
		n := int(q[i])
		i++
		if n == 0 {
			break
		}
		if n > 63 || i+n > len(q) {
			return nil
		}
		labels = append(labels, string(q[i:i+n]))
		i += n
	}
	if i+4 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i : i+2])
	i += 4 // QTYPE and QCLASS
	resp := append([]byte(nil), q[:i]...)
	resp[2] = 0x84 | q[2]&0x01 // QR and AA set, RD echoed
	resp[3] = 0x80             // RA set, RCODE 0
	clear(resp[6:12])          // ANCOUNT, NSCOUNT, ARCOUNT: the query's EDNS record is not echoed
	typ := strconv.Itoa(int(qtype))
	switch qtype {
	case 1:
		typ = "A"
		resp[7] = 1 // ANCOUNT
		resp = append(resp,
			0xc0, headerLen, // NAME: a pointer to the question's
			0, 1, 0, 1, // TYPE A, CLASS IN
			0, 0, 0, 60, // TTL
			0, 4, 127, 0, 0, 1) // RDLENGTH, RDATA
	case 28:
		typ = "AAAA"
	}
	s.mu.Lock()
	s.asked = append(s.asked, strings.Join(labels, ".")+" "+typ)
	s.mu.Unlock()
	return resp
}

// resolver returns a resolver that sends every query to s.
func (s *dnsServer) resolver() *net.Resolver {
	addr := s.conn.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

func (s *dnsServer) questions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.asked)
}

// attackerHost is a name only the test's DNS server resolves, to
// 127.0.0.1.
const attackerHost = "metadata.attacker.example"
