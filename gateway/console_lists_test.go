package gateway_test

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// Every event type the gateway names has words for the console.
func TestEventLabelsCoverTypes(t *testing.T) {
	types := append([]string{"reset_requested", "reset_delivered", "reset_rolled_back", "reset_password_used",
		"login_failed", "failed_resolved", gateway.EventLaneOpen, gateway.EventStatusPolled, gateway.EventDeliveryFailover},
		gateway.SecurityEvents...)
	for _, typ := range types {
		if !gateway.KnownEventType(typ) {
			t.Errorf("%s has no label", typ)
		}
	}
	seen := map[string]bool{}
	for _, l := range gateway.EventLabels {
		if seen[l.Type] || l.Label == "" {
			t.Errorf("label table: %q twice or without words", l.Type)
		}
		seen[l.Type] = true
	}
	for typ, want := range map[string]string{"login_failed": "Login failed", "reset_password_used": "Password used",
		"some_future_type": "Some future type"} {
		if got := gateway.EventWords(typ); got != want {
			t.Errorf("EventWords(%s) = %q, want %q", typ, got, want)
		}
	}
}

// The log's CSV names the person each event is about; the page's total
// counts the whole filter.
func TestExportNamesThePersonAndPagesCount(t *testing.T) {
	e := newEnv(t, true)
	p := e.person("ana@acme.example", phoneA, "verizon")
	e.reset("ana@acme.example", phoneA)
	e.drain()
	exp, err := e.svc.ExportEvents(e.ctx, operator, gateway.EventQuery{PersonID: p.ID})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := exp.WriteCSV(e.ctx, &buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("csv: %v %v", err, recs)
	}
	head := recs[0]
	if head[len(head)-2] != "person_name" || head[len(head)-1] != "person_email" || head[6] != "type" {
		t.Fatalf("header: %v", head)
	}
	for _, r := range recs[1:] {
		if r[len(r)-2] != p.Name || r[len(r)-1] != p.Email {
			t.Fatalf("row without the person: %v", r)
		}
	}
	evs, total, err := e.svc.EventsPage(e.ctx, operator, gateway.EventQuery{PersonID: p.ID, Limit: 1, Offset: 1})
	if err != nil || len(evs) != 1 || total != len(recs)-1 {
		t.Fatalf("page: %d events of %d (%v), want 1 of %d", len(evs), total, err, len(recs)-1)
	}
	ps, n, err := e.svc.PersonnelPage(e.ctx, operator, "", "ANA", 10, 0)
	if err != nil || len(ps) != 1 || n != 1 {
		t.Fatalf("personnel page: %d of %d (%v)", len(ps), n, err)
	}
	names, err := e.svc.PeopleByID(e.ctx, operator, []int64{p.ID, p.ID, 0, 99999})
	if err != nil || len(names) != 1 || names[p.ID].Name != p.Name {
		t.Fatalf("names: %v %v", names, err)
	}
}
