package gateway

import (
	"context"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SecurityEvents is the "security events" preset of the log: sign-ins,
// passwords set by hand, settings and admin changes, refused requests.
var SecurityEvents = []string{
	"admin_login", "admin_login_failed", "admin_logout", "admin_created", "admin_disabled", "admin_enabled",
	"login_failed", "password_set", "password_changed", "settings_changed", "reset_rejected",
	EventLoginCeilingReached, EventLoginUnlocked, EventResetFlood, EventResetTargeted, EventResetBudget,
	"carrier_created", "carrier_updated", "personnel_imported", "person_deleted", "events_exported",
	"opt_out_requested", "opt_in_requested", "opt_out_set", "opt_out_cleared",
}

// EventQuery filters the log. Zero fields do not filter. Since and Until
// bound the time (Until exclusive).
type EventQuery struct {
	Tenant    string
	Types     []string
	Security  bool // add SecurityEvents to Types
	PersonID  int64
	RequestID string
	Actor     string // actor kind or id: "admin", "crew", an admin's email
	Since     time.Time
	Until     time.Time
	// Page: newest first, before BeforeID or after skipping Offset;
	// Limit rows (100 by default).
	BeforeID int64
	Offset   int
	Limit    int
}

func (s *Service) eventFilter(ctx context.Context, a Actor, q EventQuery) (EventFilter, error) {
	tid, err := s.scopeID(ctx, a, q.Tenant)
	if err != nil {
		return EventFilter{}, err
	}
	f := EventFilter{TenantID: tid, PersonID: q.PersonID, RequestID: strings.TrimSpace(q.RequestID),
		Actor: strings.TrimSpace(q.Actor), Since: q.Since, Until: q.Until}
	for _, t := range q.Types {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(f.Types, t) {
			f.Types = append(f.Types, t)
		}
	}
	if q.Security {
		for _, t := range SecurityEvents {
			if !slices.Contains(f.Types, t) {
				f.Types = append(f.Types, t)
			}
		}
	}
	if len(f.Types) > 50 {
		return f, Errorf(KindInvalid, "types_invalid", "at most 50 event types")
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, Errorf(KindInvalid, "range_invalid", "since must be before until")
	}
	// A tenant admin never sees events of no tenant (unknown tenants,
	// operator sign-ins): scopeID already pins their tenant.
	return f, nil
}

// Events returns a page of the log, newest first.
func (s *Service) Events(ctx context.Context, a Actor, q EventQuery) ([]*Event, error) {
	f, err := s.eventFilter(ctx, a, q)
	if err != nil {
		return nil, err
	}
	f.Desc, f.BeforeID, f.Limit, f.Offset = true, q.BeforeID, q.Limit, max(q.Offset, 0)
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	return s.store.ListEvents(ctx, f)
}

// EventExport is a checked, logged export, ready to stream.
type EventExport struct {
	s      *Service
	f      EventFilter
	slugs  map[int64]string
	Header []string
}

// ExportEvents checks the query and logs the export (with its filter)
// before anything is written, so a refused export is a clean error and
// every export is in the log. Stream it with WriteCSV.
func (s *Service) ExportEvents(ctx context.Context, a Actor, q EventQuery) (*EventExport, error) {
	f, err := s.eventFilter(ctx, a, q)
	if err != nil {
		return nil, err
	}
	ts, err := s.store.ListTenants(ctx)
	if err != nil {
		return nil, err
	}
	slugs := map[int64]string{}
	for _, t := range ts {
		slugs[t.ID] = t.Slug
	}
	detail := describeFilter(f)
	if err := s.adminEvent(ctx, s.store, a, Event{TenantID: f.TenantID, Type: "events_exported", Detail: detail}); err != nil {
		return nil, err
	}
	return &EventExport{s: s, f: f, slugs: slugs, Header: []string{"id", "at", "tenant", "actor", "actor_id", "ip",
		"type", "request_id", "person_id", "channel", "provider_id", "code", "detail", "person_name", "person_email"}}, nil
}

func describeFilter(f EventFilter) string {
	var parts []string
	add := func(k, v string) {
		if v != "" && v != "0" {
			parts = append(parts, k+"="+v)
		}
	}
	add("types", strings.Join(f.Types, "|"))
	add("person", strconv.FormatInt(f.PersonID, 10))
	add("request", f.RequestID)
	add("actor", f.Actor)
	if !f.Since.IsZero() {
		add("since", f.Since.Format(time.RFC3339))
	}
	if !f.Until.IsZero() {
		add("until", f.Until.Format(time.RFC3339))
	}
	return truncate(strings.Join(parts, " "), 300)
}

// exportPage is how many events one store call reads while streaming.
const exportPage = 1000

// WriteCSV streams the matching events, oldest first, as CSV: paged by
// id, so any size goes out in constant memory. Every cell that a
// spreadsheet would run as a formula is neutralised (SafeCell).
func (x *EventExport) WriteCSV(ctx context.Context, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(x.Header); err != nil {
		return err
	}
	f := x.f
	f.Limit = exportPage
	// Who each event is about, looked up once per person; a deleted
	// record leaves the two cells empty.
	people := map[int64][2]string{}
	person := func(id int64) ([2]string, error) {
		if id == 0 {
			return [2]string{}, nil
		}
		if p, ok := people[id]; ok {
			return p, nil
		}
		p, err := x.s.store.Person(ctx, x.f.TenantID, id)
		if err != nil && !IsNotFound(err) {
			return [2]string{}, err
		}
		var cell [2]string
		if p != nil {
			cell = [2]string{p.Name, p.Email}
		}
		if len(people) >= 10000 {
			clear(people) // the export stays in bounded memory
		}
		people[id] = cell
		return cell, nil
	}
	for {
		evs, err := x.s.store.ListEvents(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range evs {
			who, err := person(e.PersonID)
			if err != nil {
				return err
			}
			rec := []string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), x.slugs[e.TenantID],
				e.Actor, e.ActorID, e.IP, e.Type, e.RequestID, personCell(e.PersonID), e.Channel, e.ProviderID,
				e.Code, e.Detail, who[0], who[1]}
			for i := range rec {
				rec[i] = SafeCell(rec[i])
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if len(evs) < exportPage {
			return nil
		}
		f.AfterID = evs[len(evs)-1].ID
	}
}

func personCell(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// SafeCell neutralises a CSV cell against spreadsheet formula injection
// (OWASP "CSV injection"): a cell starting with = + - @, a tab or a
// carriage return is prefixed with a single quote, so Excel, LibreOffice
// and Google Sheets show it as text instead of running it. Log cells carry
// what outsiders typed (emails, Twilio error texts, user agents), so
// every cell goes through here.
func SafeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// ParseTimeBound reads a date-range bound as an admin writes it: RFC 3339
// ("2026-11-23T09:00:00Z") or a day ("2026-11-23") in loc. A day as the
// end of a range means the end of that day, so a range of days includes
// its last one.
func ParseTimeBound(v string, end bool, loc *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return time.Time{}, Errorf(KindInvalid, "date_invalid", "dates are like 2026-11-23 or 2026-11-23T09:00:00Z")
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d.UTC(), nil
}
