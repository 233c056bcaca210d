package httpapi

import (
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// Charts are drawn here as numbers for an SVG the page template writes:
// no script, a viewBox that scales to the screen, and the same counts in
// words for a screen reader (and for anyone who prefers them).

// chartView is one chart as the template draws it. Every value is a
// number or a date the server formatted: nothing a tenant typed.
type chartView struct {
	ID, Title, Summary string
	W, H               int
	Bars               []svgRect
	Grid               []svgText // a line across at Y, labelled with Text
	Seps               []string  // x of day separators
	Labels             []svgText
	X0, X1, Base       string
}

type svgRect struct{ Class, X, Y, W, H string }

type svgText struct{ X, Y, Text, Anchor string }

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// chartGeom is a chart's frame in viewBox units.
type chartGeom struct {
	w, h                  int
	left, right, top, bot float64
	// labelEvery labels (and separates) every n-th bucket; label formats
	// a bucket's start.
	labelEvery int
	label      func(time.Time) string
}

// drawChart stacks each bucket's outcomes into one bar: delivered at the
// bottom, then rolled back, rejected, and what is still in flight; the
// bar's height is the bucket's requests.
func drawChart(id, title, summary string, c *gateway.Chart, g chartGeom) chartView {
	v := chartView{ID: id, Title: title, Summary: summary, W: g.w, H: g.h,
		X0: num(g.left), X1: num(float64(g.w) - g.right), Base: num(g.bot)}
	n := len(c.Points)
	if n == 0 {
		return v
	}
	plotW, plotH := float64(g.w)-g.left-g.right, g.bot-g.top
	slot := plotW / float64(n)
	barW := slot * 0.8
	if slot < 3 {
		barW = slot // hours of a week: no gaps, or the bars vanish on a phone
	}
	top := max(c.Max, 1)
	unit := plotH / float64(top)
	for _, frac := range []int{1, 2} {
		val := top * frac / 2
		if frac == 1 && top < 2 {
			continue
		}
		v.Grid = append(v.Grid, svgText{Y: num(g.bot - float64(val)*unit), Text: strconv.Itoa(val), X: num(g.left - 4), Anchor: "end"})
	}
	for i, pt := range c.Points {
		x := g.left + float64(i)*slot
		if g.labelEvery > 0 && i%g.labelEvery == 0 {
			if i > 0 {
				v.Seps = append(v.Seps, num(x))
			}
			v.Labels = append(v.Labels, svgText{X: num(x + 1), Y: num(g.bot + 16), Text: g.label(pt.Start), Anchor: "start"})
		}
		y := g.bot
		for _, part := range []struct {
			class string
			n     int
		}{{"delivered", pt.Delivered}, {"rolled", pt.RolledBack}, {"rejected", pt.Rejected},
			{"inflight", pt.Requests - pt.Delivered - pt.RolledBack - pt.Rejected}} {
			if part.n <= 0 {
				continue
			}
			h := float64(part.n) * unit
			y -= h
			v.Bars = append(v.Bars, svgRect{Class: part.class, X: num(x), Y: num(y), W: num(barW), H: num(h)})
		}
	}
	return v
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// weekView is the overview's chart of the last 7 days by hour.
func weekView(w *gateway.WeekChart, zone string) chartView {
	t := w.Total
	summary := fmt.Sprintf("Last 7 days, by hour (%s): %s: %d delivered, %d rolled back, %d rejected.",
		zone, plural(t.Requests, "request", "requests"), t.Delivered, t.RolledBack, t.Rejected)
	if w.Max > 0 {
		summary += fmt.Sprintf(" Busiest hour: %s, %s.", w.Peak.Start.Format("Mon 2 Jan 15:04"), plural(w.Max, "request", "requests"))
	}
	return drawChart("week-chart", "Reset requests per hour, last 7 days", summary, &w.Chart, chartGeom{
		w: 480, h: 220, left: 30, right: 6, top: 10, bot: 190, labelEvery: 24,
		label: func(t time.Time) string { return t.Format("Mon 2") }})
}

// timelineView is a person's resets of the last 30 days by day.
func timelineView(c *gateway.Chart, zone string) chartView {
	t := c.Total
	summary := "No resets in the last 30 days."
	if t.Requests > 0 {
		summary = fmt.Sprintf("Last 30 days (%s): %s: %d delivered, %d rolled back, %d rejected.",
			zone, plural(t.Requests, "reset", "resets"), t.Delivered, t.RolledBack, t.Rejected)
	}
	return drawChart("person-timeline", "Resets per day, last 30 days", summary, c, chartGeom{
		w: 480, h: 120, left: 24, right: 6, top: 8, bot: 92, labelEvery: 7,
		label: func(t time.Time) string { return t.Format("2 Jan") }})
}

// routeRate is a route's success over the chart's days, with its bar.
type routeRate struct {
	Route   string
	Sent    int
	Ended   int
	Percent int // -1: nothing ended yet
	Bar     string
	Low     bool
}

func routeRates(rs []gateway.RouteRate) []routeRate {
	var out []routeRate
	for _, r := range rs {
		v := routeRate{Route: gateway.RouteWords(r.Route), Sent: r.Sent, Ended: r.Sent + r.Failed, Percent: r.Percent}
		if r.Percent >= 0 {
			v.Bar, v.Low = strconv.Itoa(r.Percent), r.Percent < 90
		}
		out = append(out, v)
	}
	return out
}

// overviewData is the overview with its week's chart.
type overviewData struct {
	*gateway.Overview
	Week  chartView
	Rates []routeRate
}

func (u *consoleUI) weekChart(c *fiber.Ctx, zone string) (chartView, []routeRate, error) {
	w, err := u.svc.Week(c.UserContext(), session(c).Actor, tenantParam(c), u.zone(c))
	if err != nil {
		return chartView{}, nil, err
	}
	return weekView(w, zone), routeRates(w.Routes), nil
}
