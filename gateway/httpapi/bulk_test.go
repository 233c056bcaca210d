package httpapi_test

import (
	"fmt"
	"testing"
)

// TestBulkAPI: tags through the personnel API, a dry run's count and
// sample, a job from 202 to done, cancel, and the strict body.
func TestBulkAPI(t *testing.T) {
	h := newHarness(t, token)
	for i := range 3 {
		body := fmt.Sprintf(`{"name":"Crew %d","email":"crew%d@acme.example","tags":["crew-a","Spring-2027"]}`, i, i)
		if code, m, _ := h.do("POST", "/admin/api/personnel", body, true); code != 201 {
			t.Fatalf("create: %d %v", code, m)
		} else if tags, _ := m["tags"].([]any); len(tags) != 2 || tags[1] != "spring-2027" {
			t.Fatalf("tags back: %v", m["tags"])
		}
	}
	if code, m, _ := h.do("POST", "/admin/api/personnel", `{"name":"X","email":"x@acme.example","tags":["Crew A"]}`, true); code != 400 || errCode(m) != "tag_invalid" {
		t.Fatalf("bad tag: %d %v", code, m)
	}
	code, m, _ := h.do("GET", "/admin/api/personnel?tag=crew-a", "", true)
	if list, _ := m["personnel"].([]any); code != 200 || len(list) != 3 {
		t.Fatalf("list by tag: %d %v", code, m)
	}
	code, m, _ = h.do("POST", "/admin/api/bulk", `{"action":"reset","filter":{"tag":"crew-a"},"dry_run":true}`, true)
	if sample, _ := m["sample"].([]any); code != 200 || m["count"] != 3.0 || len(sample) != 3 {
		t.Fatalf("dry run: %d %v", code, m)
	}
	for _, bad := range []struct{ body, code string }{
		{`{"action":"reset","filter":{"tag":"crew-a"},"dryrun":true}`, "unknown_field"},
		{`{"action":"reset","filter":{"tags":"crew-a"}}`, "unknown_field"},
		{`{"action":"reset","filter":{}}`, "filter_required"},
		{`{"action":"wipe","filter":{"tag":"crew-a"}}`, "bulk_action_invalid"},
		{`{"tenant":"nope","action":"reset","filter":{"tag":"crew-a"}}`, "tenant_not_found"},
	} {
		if code, m, _ := h.do("POST", "/admin/api/bulk", bad.body, true); errCode(m) != bad.code || code < 400 || code >= 500 {
			t.Errorf("%s: %d %v, want %s", bad.body, code, m, bad.code)
		}
	}
	code, m, hdr := h.do("POST", "/admin/api/bulk", `{"action":"reset","filter":{"tag":"crew-a"}}`, true)
	id, _ := m["job_id"].(string)
	if code != 202 || id == "" || hdr.Get("Location") != "/admin/api/bulk/"+id {
		t.Fatalf("start: %d %v %v", code, m, hdr)
	}
	h.drain()
	code, m, _ = h.do("GET", "/admin/api/bulk/"+id, "", true)
	if code != 200 || m["state"] != "done" || m["total"] != 3.0 || m["sent"] != 3.0 || m["failed"] != 0.0 {
		t.Fatalf("job: %d %v", code, m)
	}
	if len(h.email.Messages()) != 3 {
		t.Fatalf("%d mails", len(h.email.Messages()))
	}
	if code, m, _ = h.do("DELETE", "/admin/api/bulk/"+id, "", true); code != 200 || m["state"] != "done" {
		t.Fatalf("cancel a done job: %d %v", code, m)
	}
	code, m, _ = h.do("POST", "/admin/api/bulk", `{"action":"reset","filter":{"status":"active","emails":["crew0@acme.example"]}}`, true)
	id2, _ := m["job_id"].(string)
	if code != 202 {
		t.Fatalf("second job: %d %v", code, m)
	}
	if code, m, _ = h.do("DELETE", "/admin/api/bulk/"+id2, "", true); code != 200 || m["state"] != "cancelled" || m["total"] != 1.0 {
		t.Fatalf("cancel: %d %v", code, m)
	}
	h.drain()
	if len(h.email.Messages()) != 3 {
		t.Fatalf("a cancelled job sent: %d mails", len(h.email.Messages()))
	}
	for _, p := range []string{"/admin/api/bulk/bj_nope", "/admin/api/bulk/../resets"} {
		if code, _, _ := h.do("GET", p, "", true); code != 404 {
			t.Errorf("GET %s: %d", p, code)
		}
	}
	if code, _, _ := h.do("GET", "/admin/api/bulk/"+id, "", false); code != 401 {
		t.Fatalf("no token: %d", code)
	}
}
