package monitehooks_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/monitehooks/monitehooks"
)

func ExampleSign() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	body := []byte(`{"id":"9b2c1c4e-2f4e-4a41-9d0e-6f1b8c3f2a10","object_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","object_type":"entity","action":"update","name":"My webhook"}`)
	sentAt := time.Unix(1710139795, 0)

	fmt.Println(monitehooks.SignatureHeader + ": " + monitehooks.Sign(body, sentAt, secret))
	// Output:
	// Monite-Signature: t=1710139795,v1=4a6204f0843ab6af879bcf72ebeb276f3c0b2a21f5c5bd25df87dc2ad9dc6cd8
}

func ExampleVerify() {
	header := "t=1710139795,v1=4a6204f0843ab6af879bcf72ebeb276f3c0b2a21f5c5bd25df87dc2ad9dc6cd8"
	body := []byte(`{"id":"9b2c1c4e-2f4e-4a41-9d0e-6f1b8c3f2a10","object_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","object_type":"entity","action":"update","name":"My webhook"}`)
	p := monitehooks.VerifyParams{
		// During a rotation, list every live secret.
		Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		// A fixed clock for the example; leave Now nil to use time.Now.
		Now: func() time.Time { return time.Unix(1710139795, 0).Add(2 * time.Minute) },
	}

	fmt.Println(monitehooks.Verify(header, body, p))
	fmt.Println(monitehooks.Verify(header, []byte(`{"tampered":true}`), p))
	p.Now = func() time.Time { return time.Unix(1710139795, 0).Add(time.Hour) }
	fmt.Println(monitehooks.Verify(header, body, p))
	// Output:
	// <nil>
	// monitehooks: no valid signature
	// monitehooks: signature timestamp too old
}

func ExampleVerifyMiddleware() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	handleEvent := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only verified deliveries get here, with the body as sent.
		body, _ := io.ReadAll(r.Body)
		fmt.Printf("handler got %s\n", body)
		w.WriteHeader(http.StatusNoContent)
	})

	// The receiver, protected in one line.
	receiver := monitehooks.VerifyMiddleware(monitehooks.VerifyParams{Secrets: []string{secret}}, handleEvent)

	body := `{"id":"9b2c1c4e-2f4e-4a41-9d0e-6f1b8c3f2a10","object_type":"entity","action":"update"}`
	for _, signature := range []string{
		monitehooks.Sign([]byte(body), time.Now(), secret),
		monitehooks.Sign([]byte(body), time.Now(), monitehooks.NewSecret()),
	} {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/monite", strings.NewReader(body))
		req.Header.Set(monitehooks.SignatureHeader, signature)
		rec := httptest.NewRecorder()
		receiver.ServeHTTP(rec, req)

		status := fmt.Sprintf("%d %s", rec.Code, http.StatusText(rec.Code))
		if msg := strings.TrimSpace(rec.Body.String()); msg != "" {
			status += ": " + msg
		}
		fmt.Println(status)
	}
	// Output:
	// handler got {"id":"9b2c1c4e-2f4e-4a41-9d0e-6f1b8c3f2a10","object_type":"entity","action":"update"}
	// 204 No Content
	// 400 Bad Request: monitehooks: no valid signature
}
