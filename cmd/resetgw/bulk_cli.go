package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// bulkUsage is the bulk commands' part of the admin usage.
const bulkUsage = `  resetgw bulk reset|activate|deactivate|mobile_on|mobile_off --filter tag=crew-a[,status=active]
                     [,last_login_before=2027-03-01][,emails=a@x;b@x] [--emails-file F] [--tenant SLUG]
                     [--dry-run] [--no-wait]      a progress bar on a terminal, plain lines otherwise
  resetgw bulk status JOB_ID | bulk cancel JOB_ID
`

// bulkCommand runs a bulk action's command.
func bulkCommand(a gateway.BulkAction) func(c *cli, args []string, g func(string) string) error {
	return func(c *cli, args []string, g func(string) string) error { return bulkStart(c, a, args, g) }
}

// parseBulkFilter reads --filter: key=value pairs separated by commas;
// emails are separated by semicolons.
func parseBulkFilter(v string) (gateway.BulkFilter, error) {
	var f gateway.BulkFilter
	for _, part := range strings.Split(v, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return f, fmt.Errorf("--filter: %q is not key=value (keys: status, tag, last_login_before, emails)", part)
		}
		switch strings.TrimSpace(k) {
		case "status":
			f.Status = val
		case "tag":
			f.Tag = val
		case "last_login_before":
			f.LastLoginBefore = val
		case "emails":
			for _, e := range strings.Split(val, ";") {
				if strings.TrimSpace(e) != "" {
					f.Emails = append(f.Emails, e)
				}
			}
		default:
			return f, fmt.Errorf("--filter: unknown key %q (keys: status, tag, last_login_before, emails)", k)
		}
	}
	return f, nil
}

func bulkStart(c *cli, action gateway.BulkAction, args []string, getenv func(string) string) error {
	filter := c.fs.String("filter", "", "who: status=, tag=, last_login_before=, emails=a;b (comma-separated)")
	emailsFile := c.fs.String("emails-file", "", "a file of email addresses, one a line (or a CSV whose first column is the email)")
	tenant := c.fs.String("tenant", "", "the tenant (an operator names it; default: the default tenant)")
	dry := c.fs.Bool("dry-run", false, "count and list who would change, change nothing")
	noWait := c.fs.Bool("no-wait", false, "print the job id and return; the server carries the job on")
	if _, err := c.parse(args, false); err != nil {
		return err
	}
	f, err := parseBulkFilter(*filter)
	if err != nil {
		return err
	}
	if *emailsFile != "" {
		b, err := os.ReadFile(*emailsFile)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(b), "\n") {
			first, _, _ := strings.Cut(line, ",")
			if first = strings.TrimSpace(first); first != "" && strings.Contains(first, "@") {
				f.Emails = append(f.Emails, first)
			}
		}
	}
	closeDB, err := c.open(getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	in := gateway.BulkInput{Tenant: *tenant, Action: action, Filter: f}
	if *dry {
		p, err := c.svc.PreviewBulk(c.ctx, c.actor, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s would change %d people (dry run)\n", action, p.Count)
		for _, t := range p.Sample {
			fmt.Fprintf(c.stdout, "  %d\t%s\t%s\t%s\n", t.ID, t.Email, t.Name, t.Status)
		}
		if p.Count > len(p.Sample) {
			fmt.Fprintf(c.stdout, "  … and %d more\n", p.Count-len(p.Sample))
		}
		return nil
	}
	j, err := c.svc.StartBulk(c.ctx, c.actor, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "job %s: %s for %d people\n", j.ID, j.Action, j.Total)
	if *noWait || j.Action != gateway.BulkReset {
		return nil
	}
	return c.follow(j.ID)
}

// follow shows a job's progress until it ends: one redrawn bar on a
// terminal, a line per change (at most every two seconds) otherwise.
// Ctrl-C stops the watching, not the job.
func (c *cli) follow(id string) error {
	tty := isTerminal(c.stdout)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt)
	defer signal.Stop(stop)
	last, lastAt := "", time.Time{}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := c.svc.BulkJob(c.ctx, c.actor, id)
		if err != nil {
			return err
		}
		line := progressLine(st, tty)
		switch {
		case tty:
			fmt.Fprint(c.stdout, "\r"+line+"\x1b[K")
		case line != last && time.Since(lastAt) >= 2*time.Second || st.Job.State != gateway.BulkRunning:
			fmt.Fprintln(c.stdout, line)
			last, lastAt = line, time.Now()
		}
		if st.Job.State != gateway.BulkRunning {
			if tty {
				fmt.Fprintln(c.stdout)
			}
			return nil
		}
		select {
		case <-tick.C:
		case <-stop:
			fmt.Fprintf(c.stdout, "\nstopped watching; job %s goes on (resetgw bulk status %s)\n", id, id)
			return nil
		case <-c.ctx.Done():
			return c.ctx.Err()
		}
	}
}

// progressLine is a job's progress in one line, with a bar when bar.
func progressLine(st *gateway.BulkStatus, bar bool) string {
	n := st.Counts
	done := n.Total - n.Remaining()
	s := fmt.Sprintf("%s %s: %d/%d sent, %d delivered, %d failed, %d remaining", st.Job.ID, st.Job.State,
		n.Sent, n.Total, n.Delivered, n.Failed, n.Remaining())
	if n.Cancelled > 0 {
		s += fmt.Sprintf(", %d cancelled", n.Cancelled)
	}
	if st.ETA != nil {
		s += ", ETA " + st.ETA.String()
	}
	if !bar || n.Total == 0 {
		return s
	}
	const width = 24
	filled := done * width / n.Total
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "] " + s
}

// isTerminal reports whether w is a character device (a terminal), not
// a pipe or a file.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func bulkJob(c *cli, args []string, getenv func(string) string, cancel bool) error {
	id, err := c.parse(args, true)
	if err != nil {
		return err
	}
	closeDB, err := c.open(getenv)
	if err != nil {
		return err
	}
	defer closeDB()
	var st *gateway.BulkStatus
	if cancel {
		st, err = c.svc.CancelBulk(c.ctx, c.actor, id)
	} else {
		st, err = c.svc.BulkJob(c.ctx, c.actor, id)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, progressLine(st, false))
	return nil
}
