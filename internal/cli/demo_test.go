package cli_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/internal/cli"
)

func TestDemo(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := run(t, "demo")
	if code != 0 {
		t.Fatalf("Run(demo) = %d; want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")

	c := monitehooks.DefaultCatalog
	var pairs int
	for _, ot := range c.ObjectTypes() {
		for _, et := range c.EventTypes(ot) {
			pairs++
			re := regexp.MustCompile(fmt.Sprintf(`(?m)^delivered %s\.%s → sub [0-9a-f]{8} \((settings|subscriptions) format\) signature verified$`,
				regexp.QuoteMeta(string(ot)), regexp.QuoteMeta(string(et))))
			if n := len(re.FindAllString(stdout, -1)); n != 1 {
				t.Errorf("stdout has %d verified lines for %s.%s; want 1", n, ot, et)
			}
		}
	}
	var verified int
	for _, l := range lines {
		if strings.HasSuffix(l, "signature verified") {
			verified++
		}
	}
	if verified != pairs {
		t.Errorf("stdout has %d verified lines; want %d, one per catalog pair:\n%s", verified, pairs, stdout)
	}
	for _, format := range []string{"settings", "subscriptions"} {
		if !strings.Contains(stdout, "("+format+" format)") {
			t.Errorf("stdout shows no delivery in the %s format:\n%s", format, stdout)
		}
	}
	// Each subscription shows as a sub of its own.
	subs := regexp.MustCompile(`(?m)^subscribed \S+ → sub (\S+) `).FindAllStringSubmatch(stdout, -1)
	seen := map[string]bool{}
	for _, m := range subs {
		seen[m[1]] = true
	}
	if len(subs) != len(c.ObjectTypes()) || len(seen) != len(subs) {
		t.Errorf("stdout names the %d subscriptions %d different ways; want %d subscriptions told apart:\n%s", len(subs), len(seen), len(c.ObjectTypes()), stdout)
	}
	wantLast := fmt.Sprintf("all %d deliveries verified and recorded as successful (%d subscriptions, %d events)",
		pairs, len(c.ObjectTypes()), pairs)
	if last := lines[len(lines)-1]; last != wantLast {
		t.Errorf("last line = %q; want %q", last, wantLast)
	}
}

func TestDemoCanceled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var stdout, stderr strings.Builder
	if code := cli.Run(ctx, []string{"demo"}, &stdout, &stderr); code != 1 {
		t.Fatalf("Run(demo) with a canceled context = %d; want 1\nstderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "monitehooks demo: ") {
		t.Errorf("stderr = %q; want a message from monitehooks demo", stderr.String())
	}
}
