package webhooktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/monitehooks/monitehooks"
)

// scriptKey keys a script's state in testscript's Env.Values.
type scriptKey struct{}

// scriptState is one script's fake Monite and receivers.
type scriptState struct {
	server    *Server
	receivers map[string]*Receiver
}

// ScriptSetup starts a fake Monite for one testscript script and stops it
// when the script ends. Call it from testscript.Params.Setup. It sets
// $MONITE_API (the REST API's base URL), $MONITE_TOKEN and
// $MONITE_PARTNER, and makes the state the [Commands] work on. cfg may be
// nil.
func ScriptSetup(env *testscript.Env, cfg *ServerConfig) error {
	s, err := startServer(cfg)
	if err != nil {
		return fmt.Errorf("webhooktest: ScriptSetup: %w", err)
	}
	st := &scriptState{server: s, receivers: map[string]*Receiver{}}
	env.Values[scriptKey{}] = st
	env.Setenv("MONITE_API", s.URL)
	env.Setenv("MONITE_TOKEN", s.Token)
	env.Setenv("MONITE_PARTNER", s.PartnerID)
	env.Defer(func() {
		s.Close()
		for _, r := range st.receivers {
			r.Close()
		}
	})
	return nil
}

// Commands returns the testscript commands of the harness, to merge into
// testscript.Params.Cmds; the scripts must be set up with [ScriptSetup].
//
//	advance DURATION
//	    Move the fake Monite's clock forward and wait until no delivery
//	    is due (see settle).
//	api [-token T] [-set VAR=FIELD]... METHOD PATH [BODY]
//	    Call the REST API (PATH relative to $MONITE_API) and print
//	    "HTTP <status>" and the body. Fails on a status >= 400; with !,
//	    fails on one below 400. -set stores a top-level field of the
//	    JSON answer (dotted for nested ones) in $VAR.
//	deliveries [-partner P]
//	    Print the partner's delivery log, a JSON line per delivery, oldest
//	    first: {"event_type","status","attempts","status_codes"}.
//	emit [-partner P] OBJECT_TYPE EVENT_TYPE [object_id=ID] [entity_id=ID] [object=JSON]
//	    Emit an event from Go, set $EVENT_ID and print it. With !, expect
//	    a validation error and print it.
//	receiver NAME [RESPONSE]...
//	    Start a receiver on the fake Monite's clock (or add to its
//	    script), setting $NAME_URL. Each
//	    RESPONSE answers one request in turn: a status (500), a status
//	    with a Retry-After in seconds (429:120), hang, or reset; then 200.
//	requests NAME [N]
//	    Wait for N requests (default: those received) and print each as a
//	    JSON line: {"method","path","webhook_id","signature_verified","body"}.
//	secrets NAME SECRET...
//	    Verify the receiver's requests with these secrets from now on.
//	settle
//	    Wait until no delivery is due: each has succeeded, failed, or
//	    waits for the clock.
func Commands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"advance":    cmdAdvance,
		"api":        cmdAPI,
		"deliveries": cmdDeliveries,
		"emit":       cmdEmit,
		"receiver":   cmdReceiver,
		"requests":   cmdRequests,
		"secrets":    cmdSecrets,
		"settle":     cmdSettle,
	}
}

func state(ts *testscript.TestScript, cmd string) *scriptState {
	st, ok := ts.Value(scriptKey{}).(*scriptState)
	if !ok {
		ts.Fatalf("%s: the script has no fake Monite: call webhooktest.ScriptSetup in Params.Setup", cmd)
	}
	return st
}

func refuseNeg(ts *testscript.TestScript, neg bool, cmd string) {
	if neg {
		ts.Fatalf("unsupported: ! %s", cmd)
	}
}

func cmdAdvance(ts *testscript.TestScript, neg bool, args []string) {
	refuseNeg(ts, neg, "advance")
	if len(args) != 1 {
		ts.Fatalf("usage: advance DURATION")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil || d < 0 {
		ts.Fatalf("advance: %q is not a non-negative duration", args[0])
	}
	st := state(ts, "advance")
	st.server.Advance(d)
	ts.Check(st.server.settle(DefaultWait))
}

func cmdSettle(ts *testscript.TestScript, neg bool, args []string) {
	refuseNeg(ts, neg, "settle")
	if len(args) != 0 {
		ts.Fatalf("usage: settle")
	}
	ts.Check(state(ts, "settle").server.settle(DefaultWait))
}

func cmdAPI(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: api [-token T] [-set VAR=FIELD]... METHOD PATH [BODY]"
	st := state(ts, "api")
	token := st.server.Token
	var sets []string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		if len(args) < 2 {
			ts.Fatalf("%s", usage)
		}
		switch args[0] {
		case "-token":
			token = args[1]
		case "-set":
			if !strings.Contains(args[1], "=") {
				ts.Fatalf("api: -set %q: want VAR=FIELD", args[1])
			}
			sets = append(sets, args[1])
		default:
			ts.Fatalf("api: unknown flag %s; %s", args[0], usage)
		}
		args = args[2:]
	}
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("%s", usage)
	}
	body := ""
	if len(args) == 3 {
		body = args[2]
	}
	status, resp, err := st.server.do(token, strings.ToUpper(args[0]), args[1], body)
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "HTTP %d\n", status)
	if len(resp) > 0 {
		ts.Stdout().Write(resp)
		if !bytes.HasSuffix(resp, []byte("\n")) {
			fmt.Fprintln(ts.Stdout())
		}
	}
	switch {
	case neg && status < 400:
		ts.Fatalf("api %s %s: status %d; want an error status", args[0], args[1], status)
	case !neg && status >= 400:
		ts.Fatalf("api %s %s: status %d: %s", args[0], args[1], status, resp)
	}
	for _, set := range sets {
		name, field, _ := strings.Cut(set, "=")
		v, ok := jsonField(resp, field)
		if !ok {
			ts.Fatalf("api: -set %s: the answer has no field %q", name, field)
		}
		ts.Setenv(name, v)
	}
}

// jsonField returns a (dotted) field of a JSON object as text: strings as
// they are, anything else as JSON.
func jsonField(body []byte, path string) (string, bool) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return "", false
	}
	for _, key := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[key]; !ok {
				return "", false
			}
		case []any:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(x) {
				return "", false
			}
			v = x[i]
		default:
			return "", false
		}
	}
	if s, ok := v.(string); ok {
		return s, true
	}
	b, _ := json.Marshal(v)
	return string(b), true
}

func cmdEmit(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: emit [-partner P] OBJECT_TYPE EVENT_TYPE [object_id=ID] [entity_id=ID] [object=JSON]"
	st := state(ts, "emit")
	ev := monitehooks.Event{}
	if len(args) >= 2 && args[0] == "-partner" {
		ev.PartnerID, args = args[1], args[2:]
	}
	if len(args) < 2 {
		ts.Fatalf("%s", usage)
	}
	ev.ObjectType, ev.Type = monitehooks.ObjectType(args[0]), monitehooks.EventType(args[1])
	for _, kv := range args[2:] {
		k, v, ok := strings.Cut(kv, "=")
		switch {
		case !ok:
			ts.Fatalf("emit: %q is not key=value; %s", kv, usage)
		case k == "object_id":
			ev.ObjectID = v
		case k == "entity_id":
			ev.EntityID = v
		case k == "object":
			ev.Object = []byte(v)
		default:
			ts.Fatalf("emit: unknown key %q; %s", k, usage)
		}
	}
	got, err := st.server.emit(ev)
	if neg {
		if err == nil {
			ts.Fatalf("emit: succeeded with event %s; want an error", got.ID)
		}
		fmt.Fprintln(ts.Stdout(), err)
		return
	}
	ts.Check(err)
	ts.Setenv("EVENT_ID", got.ID)
	fmt.Fprintln(ts.Stdout(), got.ID)
}

func cmdReceiver(ts *testscript.TestScript, neg bool, args []string) {
	refuseNeg(ts, neg, "receiver")
	if len(args) < 1 || !validVarName(args[0]) {
		ts.Fatalf("usage: receiver NAME [RESPONSE]... (NAME made of letters, digits and _)")
	}
	var script []Response
	for _, a := range args[1:] {
		r, err := parseResponse(a)
		if err != nil {
			ts.Fatalf("receiver: %v", err)
		}
		script = append(script, r)
	}
	st := state(ts, "receiver")
	r, ok := st.receivers[args[0]]
	if !ok {
		r = newReceiver()
		r.SetClock(st.server.Clock.Now) // signatures are made on the server's clock
		st.receivers[args[0]] = r
		ts.Setenv(args[0]+"_URL", r.URL)
	}
	r.Script(script...)
}

// parseResponse reads a receiver script item: 500, 429:120, hang, reset.
func parseResponse(s string) (Response, error) {
	switch s {
	case "hang":
		return Hang(), nil
	case "reset":
		return Reset(), nil
	}
	code, after, hasRetry := strings.Cut(s, ":")
	n, err := strconv.Atoi(code)
	if err != nil || !finalStatus(n) {
		return Response{}, fmt.Errorf("response %q: want a final status from 200 to 599, STATUS:SECONDS, hang or reset", s)
	}
	if !hasRetry {
		return Status(n), nil
	}
	secs, err := strconv.Atoi(after)
	if err != nil || secs < 0 {
		return Response{}, fmt.Errorf("response %q: Retry-After must be whole seconds", s)
	}
	return RetryAfter(n, secs), nil
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func receiverNamed(ts *testscript.TestScript, cmd, name string) *Receiver {
	r, ok := state(ts, cmd).receivers[name]
	if !ok {
		ts.Fatalf("%s: no receiver %q; start it with: receiver %s", cmd, name, name)
	}
	return r
}

func cmdSecrets(ts *testscript.TestScript, neg bool, args []string) {
	refuseNeg(ts, neg, "secrets")
	if len(args) < 2 {
		ts.Fatalf("usage: secrets NAME SECRET...")
	}
	receiverNamed(ts, "secrets", args[0]).SetSecrets(args[1:]...)
}

// requestLine is how the requests command prints a request.
type requestLine struct {
	Method            string          `json:"method"`
	Path              string          `json:"path"`
	WebhookID         string          `json:"webhook_id"`
	SignatureVerified bool            `json:"signature_verified"`
	Body              json.RawMessage `json:"body"`
}

func cmdRequests(ts *testscript.TestScript, neg bool, args []string) {
	refuseNeg(ts, neg, "requests")
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: requests NAME [N]")
	}
	out := ts.Stdout() // even when nothing is printed, stdout is this command's
	r := receiverNamed(ts, "requests", args[0])
	reqs := r.Requests()
	if len(args) == 2 {
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 0 {
			ts.Fatalf("requests: N %q is not a count", args[1])
		}
		var werr error
		reqs, werr = r.wait(fmt.Sprintf("%d requests", n), func(reqs []Request) bool { return len(reqs) >= n })
		ts.Check(werr)
		reqs = reqs[:n]
	}
	for _, req := range reqs {
		body := json.RawMessage(req.Body)
		if !json.Valid(body) {
			body, _ = json.Marshal(string(req.Body))
		}
		line, err := json.Marshal(requestLine{req.Method, req.Path, req.WebhookID(), req.Verified(), body})
		ts.Check(err)
		fmt.Fprintf(out, "%s\n", line)
	}
}

// deliveryLine is how the deliveries command prints a delivery.
type deliveryLine struct {
	EventType   monitehooks.EventType      `json:"event_type"`
	Status      monitehooks.DeliveryStatus `json:"status"`
	Attempts    int                        `json:"attempts"`
	StatusCodes []int                      `json:"status_codes"`
}

func cmdDeliveries(ts *testscript.TestScript, neg bool, args []string) {
	refuseNeg(ts, neg, "deliveries")
	st := state(ts, "deliveries")
	partner := st.server.PartnerID
	switch {
	case len(args) == 2 && args[0] == "-partner":
		partner = args[1]
	case len(args) != 0:
		ts.Fatalf("usage: deliveries [-partner P]")
	}
	out := ts.Stdout() // even when nothing is printed, stdout is this command's
	ds, err := st.server.deliveries(partner)
	ts.Check(err)
	slices.SortStableFunc(ds, func(a, b monitehooks.Delivery) int { return a.CreatedAt.Compare(b.CreatedAt) })
	for _, d := range ds {
		line := deliveryLine{EventType: d.EventType, Status: d.Status, Attempts: len(d.Attempts), StatusCodes: []int{}}
		for _, a := range d.Attempts {
			line.StatusCodes = append(line.StatusCodes, a.StatusCode)
		}
		b, err := json.Marshal(line)
		ts.Check(err)
		fmt.Fprintf(out, "%s\n", b)
	}
}
