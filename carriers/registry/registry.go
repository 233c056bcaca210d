// Package registry knows the mobile carriers and their email-to-SMS
// gateways: it reads the carrier list (carriers.csv, embedded here so that a
// fresh install knows every carrier without any file next to the binary) and
// turns a phone number into the mail address of its carrier's gateway.
//
// The list records retired gateways too, with their dates, so that old
// personnel records still say what they were and the route-health page can
// show who is about to become unreachable. Whether a gateway may still be
// used is gateway.Carrier.UsableOn's call, not this package's.
package registry

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/resetgw/resetgw/gateway"
)

//go:embed carriers.csv
var carriersCSV []byte

// NumberNational10 is the only number format the gateways use today: the
// ten-digit North American national number, without the leading 1.
const NumberNational10 = "national10"

// columns is the header Parse insists on, in this order: a reordered or
// renamed column is far more likely a broken edit than a new format, and
// silently reading the wrong column would send passwords to wrong domains.
var columns = []string{"slug", "name", "country", "sms_domain", "mms_domain", "number_format", "status", "retired_on", "note"}

var (
	slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	// countryRE is an ISO 3166 alpha-2 code as upper-cased: two bytes
	// were enough before, which let "1!" or "é" through.
	countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
	domainRE  = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
)

// Default returns the carriers of the list built into the binary.
func Default() ([]*gateway.Carrier, error) {
	return Parse(bytes.NewReader(carriersCSV))
}

// Parse reads a carrier list in the format of carriers.csv. It fails on the
// first bad row, naming its line, rather than skipping it: a half-read list
// would make people silently unreachable.
func Parse(r io.Reader) ([]*gateway.Carrier, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(columns)
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("carriers: empty list (no header)")
	}
	if err != nil {
		return nil, fmt.Errorf("carriers: header: %w", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // spreadsheet exports add a BOM
	}
	for i, want := range columns {
		if strings.TrimSpace(header[i]) != want {
			return nil, fmt.Errorf("carriers: header column %d is %q, want %q (header must be %s)",
				i+1, header[i], want, strings.Join(columns, ","))
		}
	}

	var out []*gateway.Carrier
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("carriers: %w", err)
		}
		line, _ := cr.FieldPos(0)
		c, err := parseRow(rec)
		if err != nil {
			return nil, fmt.Errorf("carriers: line %d: %w", line, err)
		}
		if prev, dup := seen[c.Slug]; dup {
			return nil, fmt.Errorf("carriers: line %d: slug %q already on line %d", line, c.Slug, prev)
		}
		seen[c.Slug] = line
		out = append(out, c)
	}
	return out, nil
}

func parseRow(rec []string) (*gateway.Carrier, error) {
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	c := &gateway.Carrier{
		Slug:         rec[0],
		Name:         rec[1],
		Country:      strings.ToUpper(rec[2]),
		SMSDomain:    strings.ToLower(rec[3]),
		MMSDomain:    strings.ToLower(rec[4]),
		NumberFormat: rec[5],
		Status:       gateway.CarrierStatus(rec[6]),
		Note:         rec[8],
	}
	if !slugRE.MatchString(c.Slug) {
		return nil, fmt.Errorf("slug %q: want lower-case letters, digits, - or _", c.Slug)
	}
	if c.Name == "" {
		return nil, fmt.Errorf("%s: empty name", c.Slug)
	}
	if !countryRE.MatchString(c.Country) {
		return nil, fmt.Errorf("%s: country %q is not a two-letter code", c.Slug, rec[2])
	}
	for _, d := range []string{c.SMSDomain, c.MMSDomain} {
		if d != "" && !domainRE.MatchString(d) {
			return nil, fmt.Errorf("%s: %q is not a domain name", c.Slug, d)
		}
	}
	if c.NumberFormat != NumberNational10 {
		return nil, fmt.Errorf("%s: number_format %q unknown (want %s)", c.Slug, c.NumberFormat, NumberNational10)
	}
	switch c.Status {
	case gateway.CarrierActive, gateway.CarrierRetiring, gateway.CarrierRetired, gateway.CarrierUnverified:
	default:
		return nil, fmt.Errorf("%s: status %q unknown (want active, retiring, retired or unverified)", c.Slug, rec[6])
	}
	if rec[7] != "" {
		t, err := time.ParseInLocation(time.DateOnly, rec[7], time.UTC)
		if err != nil {
			return nil, fmt.Errorf("%s: retired_on %q is not a date as 2006-01-02", c.Slug, rec[7])
		}
		c.RetiredOn = t
	}
	// A retiring gateway without its end date could never be reported as
	// ending; a retired one without a date is fine (nobody knows when some
	// of them stopped), it is unusable either way.
	if c.Status == gateway.CarrierRetiring && c.RetiredOn.IsZero() {
		return nil, fmt.Errorf("%s: status retiring needs retired_on", c.Slug)
	}
	return c, nil
}
