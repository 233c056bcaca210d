package secret

import (
	"bytes"
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"strings"
	"testing"
)

// pwSeededReader is a deterministic stand-in for crypto/rand in tests.
func pwSeededReader(seed byte) *mrand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return mrand.NewChaCha8(s)
}

func TestPasswordAlphabet(t *testing.T) {
	seen := map[rune]bool{}
	for _, r := range PasswordAlphabet {
		if seen[r] {
			t.Errorf("alphabet repeats %q", r)
		}
		seen[r] = true
		if r > 0x7e || r <= ' ' {
			t.Errorf("alphabet has %q outside printable ASCII", r)
		}
	}
	for _, r := range "0Oo1lI" {
		if seen[r] {
			t.Errorf("alphabet has look-alike %q", r)
		}
	}
	// GSM-7 extension table and space: two septets, or trouble on a phone.
	for _, r := range "{}[]~\\^|€ " {
		if seen[r] {
			t.Errorf("alphabet has %q, not in the GSM-7 basic set", r)
		}
	}
	// Every other symbol must be in the GSM-7 basic set.
	const gsm7BasicSymbols = "!\"#$%&'()*+,-./:;<=>?@_"
	for r := range seen {
		isAlnum := ('A' <= r && r <= 'Z') || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9')
		if !isAlnum && !strings.ContainsRune(gsm7BasicSymbols, r) {
			t.Errorf("symbol %q is not in the GSM-7 basic set", r)
		}
	}
}

func TestGeneratePassword(t *testing.T) {
	tests := []struct {
		name   string
		reader func() *mrand.ChaCha8
	}{
		{"seed 1", func() *mrand.ChaCha8 { return pwSeededReader(1) }},
		{"seed 2", func() *mrand.ChaCha8 { return pwSeededReader(2) }},
		{"seed 3", func() *mrand.ChaCha8 { return pwSeededReader(3) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.reader()
			for i := 0; i < 500; i++ {
				pw, err := GeneratePassword(r)
				if err != nil {
					t.Fatal(err)
				}
				pwCheckGenerated(t, pw)
			}
		})
	}
}

func TestGeneratePasswordCryptoRand(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		pw, err := GeneratePassword(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pwCheckGenerated(t, pw)
		if seen[pw] {
			t.Fatalf("repeated password after %d draws", i)
		}
		seen[pw] = true
	}
}

func pwCheckGenerated(t *testing.T, pw string) {
	t.Helper()
	if len(pw) != PasswordLength {
		t.Fatalf("length %d, want %d", len(pw), PasswordLength)
	}
	for _, r := range pw {
		if !strings.ContainsRune(PasswordAlphabet, r) {
			t.Fatalf("character %q not in the alphabet", r)
		}
	}
	if !hasRequiredClasses([]byte(pw)) {
		t.Fatalf("password lacks a required class")
	}
}

func TestGeneratePasswordDeterministic(t *testing.T) {
	a, err := GeneratePassword(pwSeededReader(42))
	if err != nil {
		t.Fatal(err)
	}
	b, err := GeneratePassword(pwSeededReader(42))
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("same seed, different passwords: %q %q", a, b)
	}
	c, err := GeneratePassword(pwSeededReader(43))
	if err != nil {
		t.Fatal(err)
	}
	if a == c {
		t.Fatalf("different seeds, same password %q", a)
	}
}

type pwFailingReader struct{ after int }

func (f *pwFailingReader) Read(p []byte) (int, error) {
	if f.after <= 0 {
		return 0, errors.New("entropy pool on fire")
	}
	n := min(len(p), f.after)
	for i := range p[:n] {
		p[i] = byte(i*7 + 3)
	}
	f.after -= n
	return n, nil
}

func TestGeneratePasswordReaderErrors(t *testing.T) {
	tests := []struct {
		name string
		r    *pwFailingReader
	}{
		{"fails at once", &pwFailingReader{after: 0}},
		{"fails mid-buffer", &pwFailingReader{after: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pw, err := GeneratePassword(tt.r)
			if err == nil {
				t.Fatalf("want error, got password of %d chars", len(pw))
			}
			if pw != "" {
				t.Fatalf("password returned along with error")
			}
			if !errors.Is(err, ErrRandom) {
				t.Fatalf("error %v, want ErrRandom", err)
			}
		})
	}
}

// A source stuck on one byte never gives a valid password: the loop must
// give up rather than spin forever.
func TestGeneratePasswordBrokenSource(t *testing.T) {
	zeros := bytes.NewReader(make([]byte, 1<<16))
	if _, err := GeneratePassword(zeros); !errors.Is(err, ErrRandom) {
		t.Fatalf("all-zero source: got %v, want ErrRandom", err)
	}
}

// pwClassOf groups alphabet symbols. Requiring one of each class makes the
// classes' shares non-uniform, but inside a class every symbol stays
// equally likely; modulo bias would break that (the first 256%60 = 16
// symbols, A..R, would show up 5/4 as often).
func pwClassOf(c byte) int {
	switch {
	case 'A' <= c && c <= 'Z':
		return 0
	case 'a' <= c && c <= 'z':
		return 1
	case '0' <= c && c <= '9':
		return 2
	}
	return 3
}

// pwChiSquareByClass returns, per class, the chi-square statistic of the
// symbol counts against a uniform distribution, and the degrees of freedom.
func pwChiSquareByClass(counts map[byte]int) (stat [4]float64, df [4]int) {
	var total [4]int
	var size [4]int
	for i := 0; i < len(PasswordAlphabet); i++ {
		c := PasswordAlphabet[i]
		total[pwClassOf(c)] += counts[c]
		size[pwClassOf(c)]++
	}
	for i := 0; i < len(PasswordAlphabet); i++ {
		c := PasswordAlphabet[i]
		k := pwClassOf(c)
		want := float64(total[k]) / float64(size[k])
		d := float64(counts[c]) - want
		stat[k] += d * d / want
	}
	for k := range df {
		df[k] = size[k] - 1
	}
	return stat, df
}

// pwChiSquareCritical999 holds the 0.999 quantile of chi-square for the
// degrees of freedom of the classes (23, 23, 7, 3).
var pwChiSquareCritical999 = map[int]float64{3: 16.27, 7: 24.32, 23: 49.73}

func TestGeneratePasswordUniform(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 5000
	}
	r := pwSeededReader(7)
	counts := map[byte]int{}
	for i := 0; i < n; i++ {
		pw, err := GeneratePassword(r)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < len(pw); j++ {
			counts[pw[j]]++
		}
	}
	stat, df := pwChiSquareByClass(counts)
	for k := range stat {
		if limit := pwChiSquareCritical999[df[k]]; stat[k] > limit {
			t.Errorf("class %d: chi-square %.1f > %.1f (df %d): not uniform", k, stat[k], limit, df[k])
		}
	}

	// The same test must catch modulo bias, or it proves nothing.
	biased := map[byte]int{}
	buf := make([]byte, n*PasswordLength)
	if _, err := pwSeededReader(8).Read(buf); err != nil {
		t.Fatal(err)
	}
	for _, b := range buf {
		biased[PasswordAlphabet[int(b)%len(PasswordAlphabet)]]++
	}
	stat, df = pwChiSquareByClass(biased)
	if limit := pwChiSquareCritical999[df[0]]; stat[0] < 10*limit {
		t.Errorf("modulo-biased sample passes: chi-square %.1f, limit %.1f", stat[0], limit)
	}
}
