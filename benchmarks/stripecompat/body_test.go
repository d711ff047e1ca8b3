package stripecompat

import (
	"bytes"
	"testing"
)

// body250 is a 250-byte JSON event, the body size the benchmarks and the
// compatibility tests use.
var body250 = func() []byte {
	const head = `{"id":"9b2c1c4e-2f4e-4a41-9d0e-6f1b8c3f2a10","object_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","object_type":"counterpart","action":"update","name":"`
	const tail = `"}`
	b := []byte(head)
	b = append(b, bytes.Repeat([]byte("x"), 250-len(head)-len(tail))...)
	return append(b, tail...)
}()

// Fixed secrets: secretA is the test vector's of docs/webhooks.md; secretB
// and secretC have the shape NewSecret makes, "whsec_" + base64 of 32 bytes.
const (
	secretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	secretB = "whsec_3xq0kZ9bYqN1uQ7Vf2Lw8mRt5sHcJ6dPaE4gKiUoWnA="
	secretC = "whsec_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGw="
)

func TestBody250(t *testing.T) {
	t.Parallel()
	if len(body250) != 250 {
		t.Fatalf("len(body250) = %d, want 250", len(body250))
	}
}
