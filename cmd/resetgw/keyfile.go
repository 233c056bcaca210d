package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/resetgw/resetgw/gateway/postgres"
	"github.com/resetgw/resetgw/gateway/secret"
)

// maxKeyFileBytes bounds what is read from a key file.
const maxKeyFileBytes = 8192

// keyFilePath is where the master key lives when the operator gives none
// (RESETGW_SECRET_KEY or its file): a file named after the database in
// the user's config folder ($XDG_CONFIG_HOME/resetgw, else
// ~/.config/resetgw). Not beside the database: whoever copies the
// database folder (a backup, a snapshot, a stolen volume) should not get
// the key that opens it with it.
func keyFilePath(cfg *config) (string, error) {
	if cfg.ConfigDir == "" {
		return "", errors.New("no place for the key file: set RESETGW_SECRET_KEY or RESETGW_SECRET_KEY_FILE (or HOME)")
	}
	base := filepath.Base(cfg.DB)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	return filepath.Join(cfg.ConfigDir, "resetgw", base+".key"), nil
}

// userConfigDir is $XDG_CONFIG_HOME, else ~/.config, from getenv (not the
// process environment, so that tests and the CLI see the same); "" when
// neither is known.
func userConfigDir(getenv func(string) string) string {
	if dir := getenv("XDG_CONFIG_HOME"); filepath.IsAbs(dir) {
		return dir
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".config")
	}
	return ""
}

// loadSecret takes RESETGW_SECRET_KEY, else the key file (keyFilePath),
// created (mode 0600, folder 0700) on first start. A key file left beside
// the database by an older version is still used, with a warning, so an
// upgrade does not lose the key; a database that exists without any key
// file is refused rather than given a new key that cannot open it.
func loadSecret(cfg *config, warn io.Writer) ([]byte, error) {
	if cfg.SecretKey != "" {
		return secret.ParseSecret(cfg.SecretKey)
	}
	if postgres.IsURL(cfg.DB) {
		return nil, errSharedKey
	}
	path, err := keyFilePath(cfg)
	if err != nil {
		return nil, err
	}
	b, err := readKeyFile(path)
	if errors.Is(err, os.ErrNotExist) {
		legacy := cfg.DB + ".key"
		if lb, lerr := readKeyFile(legacy); lerr == nil {
			fmt.Fprintf(warn, "warning: the key file %s sits beside the database; move it to %s (or name it in RESETGW_SECRET_KEY_FILE) and back it up apart from the database\n", legacy, path)
			return secret.ParseSecret(string(lb))
		}
		if fi, serr := os.Stat(cfg.DB); serr == nil && fi.Size() > 0 {
			return nil, fmt.Errorf("the database %s exists but its key file %s does not: restore the key (or set RESETGW_SECRET_KEY / RESETGW_SECRET_KEY_FILE); a new key could not open what the database holds", cfg.DB, path)
		}
		return createKeyFile(path)
	} else if err != nil {
		return nil, err
	}
	return secret.ParseSecret(string(b))
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes))
	if err != nil {
		return nil, fmt.Errorf("reading key file: %w", err)
	}
	return b, nil
}

func createKeyFile(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating key folder: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("creating key file: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(key) + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return key, nil
}
