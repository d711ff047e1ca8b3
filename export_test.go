package monitehooks

// EmitterGoroutines returns how many goroutines of e are running.
func EmitterGoroutines(e *Emitter) int64 { return e.goroutines.Load() }

// Unexported helpers under test.
var (
	ParseRetryAfter  = parseRetryAfter
	AppendJSONString = appendJSONString
	AppendObject     = appendObject
	Excerpt          = excerpt
)
