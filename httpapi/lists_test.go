package httpapi_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// createN creates n subscriptions as partner A, alternating object types
// entity and role, and returns their IDs in creation order.
func (b *testBundle) createN(t *testing.T, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		ot := []string{"entity", "role"}[i%2]
		ids = append(ids, str(b.createSub(t, "/webhook_subscriptions", `{"object_type":"`+ot+`","url":"https://example.com/h"}`)["id"]))
	}
	return ids
}

// page is one list answer's items and tokens.
type page struct {
	ids        []string
	next, prev string // "" for null
}

func (b *testBundle) page(t testing.TB, target string) page {
	t.Helper()
	res := b.must(t, 200, "GET", target, "")
	o := res.object(t)
	for _, k := range []string{"next_pagination_token", "prev_pagination_token"} {
		if v, ok := o[k]; !ok {
			t.Fatalf("GET %s: body has no %s: %s", target, k, res.raw)
		} else if s, isStr := v.(string); v != nil && (!isStr || s == "") {
			t.Fatalf("GET %s: %s = %v; want a token or null", target, k, v)
		}
	}
	return page{ids: res.ids(t), next: str(o["next_pagination_token"]), prev: str(o["prev_pagination_token"])}
}

func TestPagination(t *testing.T) {
	b := setup(t)
	ids := b.createN(t, 7)
	for _, prefix := range generations {
		t.Run(prefix[1:], func(t *testing.T) {
			first := b.page(t, prefix+"?limit=3")
			if diff := cmp.Diff(ids[:3], first.ids); diff != "" {
				t.Errorf("first page mismatch (-want +got):\n%s", diff)
			}
			if first.prev != "" {
				t.Errorf("first page prev_pagination_token = %q; want null", first.prev)
			}

			// Walking next tokens visits every item once, in order.
			var seen []string
			p := first
			pages := []page{p}
			seen = append(seen, p.ids...)
			for p.next != "" {
				p = b.page(t, prefix+"?pagination_token="+url.QueryEscape(p.next))
				pages = append(pages, p)
				seen = append(seen, p.ids...)
			}
			if diff := cmp.Diff(ids, seen); diff != "" {
				t.Errorf("walking next tokens mismatch (-want +got):\n%s", diff)
			}
			if len(pages) != 3 {
				t.Errorf("walked %d pages of 3; want 3", len(pages))
			}

			// A page's prev token leads back to the page before.
			back := b.page(t, prefix+"?pagination_token="+url.QueryEscape(pages[1].prev))
			if diff := cmp.Diff(first.ids, back.ids); diff != "" {
				t.Errorf("prev of page 2 mismatch (-want +got):\n%s", diff)
			}
			if back.prev != "" {
				t.Errorf("prev of page 2 has prev_pagination_token %q; want null", back.prev)
			}
			back = b.page(t, prefix+"?pagination_token="+url.QueryEscape(pages[2].prev))
			if diff := cmp.Diff(pages[1].ids, back.ids); diff != "" {
				t.Errorf("prev of page 3 mismatch (-want +got):\n%s", diff)
			}

			// With a token, the other parameters are ignored.
			ignored := b.page(t, prefix+"?limit=1&order=desc&object_type=role&created_at__gt=2100-01-01T00:00:00Z&sort=bogus&pagination_token="+url.QueryEscape(first.next))
			if diff := cmp.Diff(pages[1].ids, ignored.ids); diff != "" {
				t.Errorf("token with other parameters mismatch (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("desc", func(t *testing.T) {
		p := b.page(t, "/webhook_subscriptions?order=desc&limit=4")
		want := slices.Clone(ids)
		slices.Reverse(want)
		next := b.page(t, "/webhook_subscriptions?pagination_token="+url.QueryEscape(p.next))
		if diff := cmp.Diff(want, append(p.ids, next.ids...)); diff != "" {
			t.Errorf("desc pages mismatch (-want +got):\n%s", diff)
		}
		if next.next != "" {
			t.Errorf("last page next_pagination_token = %q; want null", next.next)
		}
	})
}

func TestListFilters(t *testing.T) {
	b := setup(t)
	ids := b.createN(t, 6) // entity, role, entity, …
	times := map[string]string{}
	for _, it := range b.must(t, 200, "GET", "/webhook_settings", "").list(t) {
		m := it.(map[string]any)
		times[str(m["id"])] = str(m["created_at"])
	}
	// Touch the first so it is the most recently updated.
	b.must(t, 200, "PATCH", "/webhook_settings/"+ids[0], `{"name":"touched"}`)

	tests := []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"none", nil, ids},
		{"object_type", url.Values{"object_type": {"role"}}, []string{ids[1], ids[3], ids[5]}},
		{"unknown object_type", url.Values{"object_type": {"nope"}}, []string{}},
		{"created_at__gt", url.Values{"created_at__gt": {times[ids[3]]}}, ids[4:]},
		{"created_at__gte", url.Values{"created_at__gte": {times[ids[3]]}}, ids[3:]},
		{"created_at__lt", url.Values{"created_at__lt": {times[ids[2]]}}, ids[:2]},
		{"created_at__lte", url.Values{"created_at__lte": {times[ids[2]]}}, ids[:3]},
		{"bounds together", url.Values{"created_at__gt": {times[ids[0]]}, "created_at__lt": {times[ids[5]]}, "object_type": {"entity"}}, []string{ids[2], ids[4]}},
		{"offset time", url.Values{"created_at__lt": {"2026-03-11T07:49:55+01:00"}}, []string{}},
		{"sort updated_at", url.Values{"sort": {"updated_at"}}, append(slices.Clone(ids[1:]), ids[0])},
		{"sort updated_at desc", url.Values{"sort": {"updated_at"}, "order": {"desc"}, "limit": {"2"}}, []string{ids[0], ids[5]}},
		{"empty values are absent", url.Values{"sort": {""}, "order": {""}, "limit": {""}, "pagination_token": {""}, "object_type": {""}}, ids},
		{"unknown parameters are ignored", url.Values{"colour": {"blue"}}, ids},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := b.page(t, "/webhook_subscriptions?"+tt.query.Encode())
			if diff := cmp.Diff(tt.want, got.ids); diff != "" {
				t.Errorf("GET ?%s mismatch (-want +got):\n%s", tt.query.Encode(), diff)
			}
		})
	}
	// A "+" of an offset decoded as a space still reads.
	got := b.page(t, "/webhook_subscriptions?created_at__gte=2026-03-11T06:49:55+00:00")
	if len(got.ids) != 6 {
		t.Errorf("created_at__gte with an unescaped +: %d items; want 6", len(got.ids))
	}
}
