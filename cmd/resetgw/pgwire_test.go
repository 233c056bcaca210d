package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
)

// pgWire stands between the gateway and PostgreSQL on loopback and counts
// the round trips the gateway makes: each Sync (the end of an extended-
// protocol exchange, one batch or pipeline segment included) and each
// simple Query is one wait for the server. It also counts, by statement
// text, what each round trip carried, so a benchmark can say where they
// go. It parses only the frontend's framing; bytes pass unchanged.
type pgWire struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	trips int64
	execs map[string]int64 // statement text → executions
}

// startPGWire listens on loopback in front of the server dbURL names and
// returns the counter and dbURL pointed at it.
func startPGWire(t testing.TB, dbURL string) (*pgWire, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &pgWire{ln: ln, target: u.Host, execs: map[string]int64{}}
	t.Cleanup(func() { ln.Close() })
	go w.serve()
	u.Host = ln.Addr().String()
	return w, u.String()
}

func (w *pgWire) serve() {
	for {
		c, err := w.ln.Accept()
		if err != nil {
			return
		}
		go w.relay(c)
	}
}

func (w *pgWire) relay(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", w.target)
	if err != nil {
		return
	}
	defer s.Close()
	go func() { io.Copy(c, s); c.Close() }()
	w.frontend(c, s)
}

// frontend copies the client's messages to the server, counting them.
func (w *pgWire) frontend(c, s net.Conn) {
	var head [5]byte
	// Untyped first messages: SSL/GSS requests (answered with one byte)
	// until the startup message.
	for {
		if _, err := io.ReadFull(c, head[:4]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(head[:4]))
		body := make([]byte, n-4)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		if _, err := s.Write(append(head[:4:4], body...)); err != nil {
			return
		}
		code := binary.BigEndian.Uint32(body[:4])
		if code != 80877103 && code != 80877104 {
			break
		}
	}
	stmts := map[string]string{} // prepared statement name → text
	for {
		if _, err := io.ReadFull(c, head[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(head[1:]))
		body := make([]byte, n-4)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		switch head[0] {
		case 'P': // Parse: name, text
			name, rest := cstring(body)
			text, _ := cstring(rest)
			stmts[name] = text
			if name == "" {
				w.exec(text)
			}
		case 'B': // Bind: portal, statement
			_, rest := cstring(body)
			name, _ := cstring(rest)
			if name != "" {
				w.exec(stmts[name])
			}
		case 'Q':
			text, _ := cstring(body)
			w.exec(text)
			w.trip()
		case 'S':
			w.trip()
		}
		if _, err := s.Write(append(head[:5:5], body...)); err != nil {
			return
		}
	}
}

func cstring(b []byte) (string, []byte) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), b[i+1:]
		}
	}
	return string(b), nil
}

func (w *pgWire) trip() {
	w.mu.Lock()
	w.trips++
	w.mu.Unlock()
}

func (w *pgWire) exec(text string) {
	text = strings.Join(strings.Fields(text), " ")
	w.mu.Lock()
	w.execs[text]++
	w.mu.Unlock()
}

// snapshot returns the round trips so far and a copy of the counts.
func (w *pgWire) snapshot() (int64, map[string]int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := make(map[string]int64, len(w.execs))
	for k, v := range w.execs {
		m[k] = v
	}
	return w.trips, m
}

// report gives the round trips per reset since the snapshot (trips0,
// execs0) and logs the statements executed most often per reset.
func (w *pgWire) report(b *testing.B, n int, trips0 int64, execs0 map[string]int64) {
	trips, execs := w.snapshot()
	b.ReportMetric(float64(trips-trips0)/float64(n), "pg_roundtrips/reset")
	type row struct {
		text string
		n    int64
	}
	var rows []row
	var total int64
	for k, v := range execs {
		if d := v - execs0[k]; d > 0 {
			rows = append(rows, row{k, d})
			total += d
		}
	}
	b.ReportMetric(float64(total)/float64(n), "pg_statements/reset")
	sort.Slice(rows, func(i, j int) bool { return rows[i].n > rows[j].n })
	var sb strings.Builder
	for i, r := range rows {
		if i == 40 {
			break
		}
		fmt.Fprintf(&sb, "%6.2f  %.150s\n", float64(r.n)/float64(n), r.text)
	}
	b.Logf("statements per reset (%d resets):\n%s", n, sb.String())
}
