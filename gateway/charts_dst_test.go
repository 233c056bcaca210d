package gateway_test

import (
	"testing"
	"time"
)

// A person's timeline counts calendar days of the tenant's zone: on the
// day a clock changes the day is 23 or 25 hours (or 23½ on Lord Howe),
// and a reset late in the evening after it still lands on its own day.
func TestTimelineDaysAcrossClockChanges(t *testing.T) {
	const layout = "2006-01-02 15:04"
	cases := []struct {
		name, zone string
		resets     []string // local wall times
		now        string   // local wall time
	}{
		{"chicago after fall back, late evening", "America/Chicago", []string{"2026-11-02 23:30"}, "2026-11-10 12:00"},
		{"chicago after fall back, just past midnight", "America/Chicago", []string{"2026-11-03 00:15"}, "2026-11-10 12:00"},
		{"chicago on the fall-back day itself", "America/Chicago", []string{"2026-11-01 00:30", "2026-11-01 23:30"}, "2026-11-01 23:45"},
		{"chicago after spring forward, just past midnight", "America/Chicago", []string{"2027-03-15 00:30"}, "2027-03-20 09:00"},
		{"chicago after spring forward, late evening", "America/Chicago", []string{"2027-03-14 23:30"}, "2027-03-20 09:00"},
		{"chicago on the spring-forward day", "America/Chicago", []string{"2027-03-14 03:30", "2027-03-14 23:50"}, "2027-03-14 23:55"},
		{"berlin across both changes", "Europe/Berlin", []string{"2026-10-26 00:20", "2026-10-26 23:40"}, "2026-11-05 08:00"},
		{"berlin spring", "Europe/Berlin", []string{"2027-03-29 00:10", "2027-03-28 23:50"}, "2027-04-02 08:00"},
		{"sydney spring forward", "Australia/Sydney", []string{"2026-10-05 00:30"}, "2026-10-12 12:00"},
		{"sydney fall back", "Australia/Sydney", []string{"2027-04-05 23:30"}, "2027-04-12 12:00"},
		{"lord howe half-hour change", "Australia/Lord_Howe", []string{"2027-04-05 23:45"}, "2027-04-12 12:00"},
		{"kathmandu has no change", "Asia/Kathmandu", []string{"2026-11-02 23:50", "2026-11-03 00:05"}, "2026-11-10 12:00"},
		{"utc", "UTC", []string{"2026-11-02 23:59"}, "2026-11-10 12:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			loc, err := time.LoadLocation(tc.zone)
			if err != nil {
				t.Fatal(err)
			}
			at := func(s string) time.Time {
				v, err := time.ParseInLocation(layout, s, loc)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			e := newEnv(t, true)
			e.mu.Lock()
			e.now = at(tc.resets[0]).Add(-40 * 24 * time.Hour).UTC() // the person exists before any reset
			e.mu.Unlock()
			dana := e.person("dana@acme.example", "+12015550123", "")
			now := at(tc.now)
			want := map[int]int{} // day index → resets
			for _, r := range tc.resets {
				when := at(r)
				e.mu.Lock()
				e.now = when.UTC()
				e.mu.Unlock()
				e.reset("dana@acme.example", "+12015550123")
				e.drain() // the worker ties the request to the person
				back := calendarDays(when, now)
				want[29-back]++
			}
			e.mu.Lock()
			e.now = now.UTC()
			e.mu.Unlock()
			tl, err := e.svc.PersonTimeline(e.ctx, operator, dana.ID, loc)
			if err != nil {
				t.Fatal(err)
			}
			if len(tl.Points) != 30 || tl.Total.Requests != len(tc.resets) {
				t.Fatalf("%d points, total %d, want 30 and %d", len(tl.Points), tl.Total.Requests, len(tc.resets))
			}
			for i, pt := range tl.Points {
				day := now.AddDate(0, 0, i-29)
				midnight := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
				if !pt.Start.Equal(midnight) {
					t.Errorf("day %d starts %v, want %v", i, pt.Start, midnight)
				}
				if pt.Requests != want[i] {
					t.Errorf("day %d (%s): %d resets, want %d", i, midnight.Format("Mon 2 Jan"), pt.Requests, want[i])
				}
			}
		})
	}
}

// calendarDays is how many calendar days lie between a's date and b's.
func calendarDays(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 12, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 12, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}
