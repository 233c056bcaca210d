package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func keyConfig(t *testing.T, kv ...string) *config {
	t.Helper()
	cfg, err := parseServe(nil, envFunc(kv), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The key file made on first start is not beside the database; an old one
// beside it is still used (with a warning); a database without its key is
// refused rather than given a new key.
func TestHardening05_KeyFileNotBesideDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "gw.db")
	conf := filepath.Join(dir, "conf")
	if err := os.MkdirAll(filepath.Dir(db), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := keyConfig(t, "RESETGW_DB="+db, "XDG_CONFIG_HOME="+conf)
	first, err := loadSecret(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(conf, "resetgw", "gw.key")
	fi, err := os.Stat(want)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %s: %v %v", want, fi, err)
	}
	if _, err := os.Stat(db + ".key"); !os.IsNotExist(err) {
		t.Fatalf("a key file beside the database: %v", err)
	}
	again, err := loadSecret(cfg, io.Discard)
	if err != nil || !bytes.Equal(first, again) {
		t.Fatalf("second start got another key: %v", err)
	}

	t.Run("operator's file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "master.key")
		if err := os.WriteFile(path, []byte(strings.Repeat("cd", 32)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := keyConfig(t, "RESETGW_DB="+db, "XDG_CONFIG_HOME="+conf, "RESETGW_SECRET_KEY_FILE="+path)
		got, err := loadSecret(cfg, io.Discard)
		if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{0xcd}, 32)) {
			t.Fatalf("operator's key file not used: %v", err)
		}
	})
	t.Run("legacy file beside the database", func(t *testing.T) {
		d := t.TempDir()
		old := filepath.Join(d, "gw.db")
		legacy := strings.Repeat("ab", 32)
		if err := os.WriteFile(old+".key", []byte(legacy+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		var warn bytes.Buffer
		cfg := keyConfig(t, "RESETGW_DB="+old, "XDG_CONFIG_HOME="+filepath.Join(d, "conf"))
		got, err := loadSecret(cfg, &warn)
		if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{0xab}, 32)) {
			t.Fatalf("legacy key not used: %v", err)
		}
		if !strings.Contains(warn.String(), "beside the database") || strings.Contains(warn.String(), legacy) {
			t.Fatalf("warning %q", warn.String())
		}
	})
	t.Run("database without its key", func(t *testing.T) {
		d := t.TempDir()
		orphan := filepath.Join(d, "gw.db")
		if err := os.WriteFile(orphan, []byte("SQLite format 3\x00"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg := keyConfig(t, "RESETGW_DB="+orphan, "XDG_CONFIG_HOME="+filepath.Join(d, "conf"))
		if _, err := loadSecret(cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "key file") {
			t.Fatalf("want a refusal, got %v", err)
		}
	})
	t.Run("nowhere to put it", func(t *testing.T) {
		cfg := keyConfig(t, "RESETGW_DB="+filepath.Join(t.TempDir(), "gw.db"), "XDG_CONFIG_HOME=relative")
		cfg.ConfigDir = ""
		if _, err := loadSecret(cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "RESETGW_SECRET_KEY_FILE") {
			t.Fatalf("want an error naming RESETGW_SECRET_KEY_FILE, got %v", err)
		}
	})
}
