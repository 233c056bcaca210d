package main

import (
	"errors"
	"strings"
	"testing"
)

func TestDBSelection(t *testing.T) {
	for _, tc := range []struct {
		db, label string
		argOK     bool
	}{
		{"resetgw.db", "resetgw.db", true},
		{"/var/lib/resetgw/postgres.db", "/var/lib/resetgw/postgres.db", true},
		{"postgres://gw@db:5432/resetgw", "postgres://gw@db:5432/resetgw", true},
		{"postgresql://gw:s3cret@db/resetgw", "postgresql://gw:xxxxx@db/resetgw", false},
		{"postgres://gw@db/resetgw?password=s3cret", "postgres://gw@db/resetgw?password=s3cret", false},
	} {
		err := checkDBArg(tc.db)
		if (err == nil) != tc.argOK {
			t.Errorf("%s as --db: %v", tc.db, err)
		}
		if err != nil && strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the refusal repeats the password: %v", err)
		}
		if got := dbLabel(tc.db); got != tc.label && tc.argOK {
			t.Errorf("label of %s: %s", tc.db, got)
		}
	}
	if got := dbLabel("postgresql://gw:s3cret@db/resetgw"); strings.Contains(got, "s3cret") {
		t.Errorf("label shows the password: %s", got)
	}
	// Instances sharing a database must share the key: none makes its own.
	_, err := loadSecret(&config{DB: "postgres://gw@db/resetgw", ConfigDir: t.TempDir()}, nil)
	if !errors.Is(err, errSharedKey) {
		t.Fatalf("key for PostgreSQL without RESETGW_SECRET_KEY: %v", err)
	}
}
