package gateway

import (
	"bytes"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadImport plays the tenant admin's upload: any bytes at all (a BOM,
// broken quotes, huge cells, columns unknown, repeated or missing, rows
// longer than the header). A refused file is an *ImportError naming a
// spreadsheet row, with a message short enough for the page; an accepted
// one gives rows in file order whose cells, written out again as CSV,
// read back to the same rows.
func FuzzReadImport(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "import", "*.csv"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(ImportTemplate())
	for _, s := range []string{"", "\ufeff", "name,email\n", "name,name,email\na,b,c\n", "email\nx@y.example\n",
		"name,email,colour\n", "name,email\n\"unterminated,x@y.example\n", "name,email\na\"b,x@y.example\n",
		"name,email,tags\nA,a@y.example,\"crew-a;crew-b\"\n", "NAME , Email\n A , a@y.example \n",
		"name,email\n,,,\n , \n", "name,email\n" + strings.Repeat("A,a@y.example\n", 3),
		strings.Repeat("x", 70000) + ",email\n", "name,email\n" + strings.Repeat("x", 70000) + ",a@y.example\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := readImport(bytes.NewReader(data))
		if err != nil {
			var ie *ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("not an ImportError: %v", err)
			}
			if ie.Row < 1 || ie.Message == "" || len(ie.Message) > 300 {
				t.Fatalf("error row %d, message of %d bytes: %.200q", ie.Row, len(ie.Message), ie.Message)
			}
			return
		}
		if len(rows) == 0 || len(rows) > MaxImportRows {
			t.Fatalf("%d rows accepted", len(rows))
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(importColumns)
		prev := 1
		var kept []ImportRow
		for _, r := range rows {
			if r.Row <= prev {
				t.Fatalf("row %d after row %d", r.Row, prev)
			}
			prev = r.Row
			if r.Action == "error" {
				if r.Error == "" || len(r.Error) > 300 {
					t.Fatalf("row %d: error %.200q", r.Row, r.Error)
				}
				continue
			}
			if r.Name+r.Email+r.Phone+r.Carrier+r.Status+r.Locale+r.Tags+string(r.person.Phones[0].Type) == "" {
				t.Fatalf("row %d: a blank row kept", r.Row)
			}
			kept = append(kept, r)
			_ = w.Write([]string{r.Name, r.Email, r.Phone, r.Carrier, r.Status, r.Locale, string(r.person.Phones[0].Type), r.Tags})
		}
		w.Flush()
		if len(kept) == 0 {
			return
		}
		again, err := readImport(&buf)
		if err != nil {
			t.Fatalf("rows written out do not read back: %v\n%q", err, buf.String())
		}
		if len(again) != len(kept) {
			t.Fatalf("%d rows read back as %d", len(kept), len(again))
		}
		for i, a := range again {
			k := kept[i]
			if a.Name != k.Name || a.Email != k.Email || a.Phone != k.Phone || a.Carrier != k.Carrier ||
				a.Status != k.Status || a.Locale != k.Locale || a.Tags != k.Tags || !a.tagsGiven ||
				a.person.Phones[0].Type != k.person.Phones[0].Type || a.Action != "" {
				t.Fatalf("row %d read back differs:\n%+v\n%+v", k.Row, k, a)
			}
		}
	})
}
