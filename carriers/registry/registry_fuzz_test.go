package registry

import (
	"bytes"
	"encoding/csv"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

// FuzzParse reads a carrier list as an operator edits it (in a
// spreadsheet, by hand). An accepted list holds carriers that pass the
// rules (a slug, a two-letter country, domains, a known status, a date
// for a retiring gateway) and that, written out again as CSV, read back
// as the same carriers; a refused one is an error naming the list.
func FuzzParse(f *testing.F) {
	f.Add(carriersCSV)
	head := strings.Join(columns, ",") + "\n"
	for _, s := range []string{"", "\ufeff" + head, head + "x,X,us,vtext.com,,national10,active,,\n",
		head + "x,X,US,vtext.com,,national10,retiring,,\n", head + "x,X,US,-bad-.com,,national10,active,,\n",
		head + "x,X,US,a.b,,national10,active,2027-02-30,\n", head + "x,X,US,a.b,,national10,active,,\nx,Y,US,c.d,,national10,active,,\n",
		head + "x,X,1!,a.b,,national10,active,,\n", head + "x,X,ıı,a.b,,national10,active,,\n", head + "X,X,US,a.b,,national10,active,,\n",
		head + "x,\"X, Inc.\",US,A.B,,national10,unverified,,\"a \"\"note\"\"\"\n", head + "x,X,US,a.b,,national11,active,,\n",
		"slug,name\n", head + "x,X,US,a.b\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := Parse(bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "carriers: ") {
				t.Fatalf("error %q does not name the list", err)
			}
			return
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(columns)
		for _, c := range list {
			if !slugRE.MatchString(c.Slug) || c.Name == "" || !countryRE.MatchString(c.Country) ||
				c.NumberFormat != NumberNational10 || (c.Status == gateway.CarrierRetiring && c.RetiredOn.IsZero()) {
				t.Fatalf("accepted a carrier that breaks the rules: %+v", c)
			}
			retired := ""
			if !c.RetiredOn.IsZero() {
				retired = c.RetiredOn.Format(time.DateOnly)
			}
			_ = w.Write([]string{c.Slug, c.Name, c.Country, c.SMSDomain, c.MMSDomain, c.NumberFormat, string(c.Status), retired, c.Note})
		}
		w.Flush()
		again, err := Parse(&buf)
		if err != nil {
			t.Fatalf("carriers written out do not read back: %v\n%q", err, buf.String())
		}
		if !reflect.DeepEqual(again, list) && !(len(again) == 0 && len(list) == 0) {
			t.Fatalf("carriers read back differ:\n%+v\n%+v", list, again)
		}
	})
}
