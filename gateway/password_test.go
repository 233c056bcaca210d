package gateway

import (
	"bytes"
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
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
			if ErrorKind(err) != KindInternal {
				t.Fatalf("kind %v, want internal", ErrorKind(err))
			}
		})
	}
}

// A source stuck on one byte never gives a valid password: the loop must
// give up rather than spin forever.
func TestGeneratePasswordBrokenSource(t *testing.T) {
	zeros := bytes.NewReader(make([]byte, 1<<16))
	if _, err := GeneratePassword(zeros); err == nil {
		t.Fatal("want error from an all-zero source")
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

func TestPasswordBlocklist(t *testing.T) {
	set := commonPasswords()
	if len(set) < 900 {
		t.Fatalf("blocklist has %d entries, want about 1000", len(set))
	}
	for pw := range set {
		if pw != strings.ToLower(pw) {
			t.Errorf("blocklist entry %q is not lower case", pw)
		}
		if !utf8.ValidString(pw) {
			t.Errorf("blocklist entry %q is not UTF-8", pw)
		}
	}
	for _, pw := range []string{"123456", "password", "qwerty", "iloveyou", "password1234", "1qaz2wsx3edc"} {
		if _, ok := set[pw]; !ok {
			t.Errorf("blocklist lacks %q", pw)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name     string
		pw       string
		minLen   int
		personal []string
		code     string // "" for accepted
	}{
		{"good passphrase", "correct horse battery", 0, nil, ""},
		{"exactly 12", "Tq7vLm2Rx9Pw", 0, nil, ""},
		{"11 chars default min", "Tq7vLm2Rx9P", 0, nil, "password_too_short"},
		{"negative min means 12", "Tq7vLm2Rx9P", -3, nil, "password_too_short"},
		{"tenant min 8", "Tq7vLm2R", 8, nil, ""},
		{"tenant min 8 short", "Tq7vLm2", 8, nil, "password_too_short"},
		{"runes not bytes", strings.Repeat("é", 12), 0, nil, ""},
		{"runes short", strings.Repeat("é", 11), 0, nil, "password_too_short"},
		{"no composition rules", "alllowercaseletters", 0, nil, ""},
		{"128 bytes", strings.Repeat("a", 127) + "b", 0, nil, ""},
		{"129 bytes", strings.Repeat("a", 129), 0, nil, "password_too_long"},
		{"64 two-byte runes = 128 bytes", strings.Repeat("é", 64), 0, nil, ""},
		{"65 two-byte runes", strings.Repeat("é", 65), 0, nil, "password_too_long"},
		{"newline", "correct horse\nbattery", 0, nil, "password_invalid_chars"},
		{"tab", "correct\thorse battery", 0, nil, "password_invalid_chars"},
		{"nul", "correct horse\x00battery", 0, nil, "password_invalid_chars"},
		{"del", "correct horse\x7fbattery", 0, nil, "password_invalid_chars"},
		{"c1 control", "correct horse\u0085battery", 0, nil, "password_invalid_chars"},
		{"invalid utf-8", "correct horse\xffbattery", 0, nil, "password_invalid_chars"},
		{"inner spaces fine", "  spaces  around  ", 0, nil, ""},
		{"common", "password", 8, nil, "password_common"},
		{"common upper case", "PASSWORD", 8, nil, "password_common"},
		{"common long", "Password1234", 0, nil, "password_common"},
		{"common keyboard walk", "1qaz2wsx3edc", 0, nil, "password_common"},
		{"email", "Jane.Doe@Example.com", 0, []string{"jane.doe@example.com", "Jane Doe"}, "password_personal"},
		{"name", "JANE DOE ROBERTS", 0, []string{"jane@example.com", "Jane Doe Roberts"}, "password_personal"},
		{"name padded in list", "jane doe roberts", 0, []string{" Jane Doe Roberts "}, "password_personal"},
		{"local part given", "jane.doe.roberts", 0, []string{"jane.doe.roberts"}, "password_personal"},
		{"contains local part", "MyJaneDoe2024!!", 0, []string{"janedoe@example.com"}, "password_personal"},
		{"contains short local part", "my bob is a builder", 0, []string{"bob@example.com"}, ""},
		{"contains 4-char local part", "my jake is a builder", 0, []string{"jake@example.com"}, "password_personal"},
		{"name inside is fine", "jane doe rocks hard", 0, []string{"Jane Doe"}, ""},
		{"empty personal ignored", "correct horse battery", 0, []string{"", "  "}, ""},
		{"empty password", "", 0, nil, "password_too_short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.pw, tt.minLen, tt.personal...)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("want nil, got %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want %s, got nil", tt.code)
			}
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("error %T is not *Error", err)
			}
			if ge.Code != tt.code || ge.Kind != KindUnprocessable {
				t.Fatalf("got %s/%v, want %s/unprocessable", ge.Code, ge.Kind, tt.code)
			}
		})
	}
}

// Whatever rule fails, the error never quotes the password.
func TestCheckPasswordNoEcho(t *testing.T) {
	for _, pw := range []string{
		"Zq8", "Zq8Zq8Zq8Zq8\nZq8", strings.Repeat("Zq8", 50), "Password1234",
		"xJaneDoe99x longer", "jane.doe@example.com",
	} {
		err := CheckPassword(pw, 0, "jane.doe@example.com", "janedoe@example.com")
		if err == nil {
			t.Fatalf("want an error for a %d-byte password", len(pw))
		}
		if strings.Contains(strings.ToLower(err.Error()), strings.ToLower(pw)) {
			t.Fatalf("error %q quotes the password", ErrorCode(err))
		}
	}
}

func FuzzCheckPassword(f *testing.F) {
	for _, s := range []string{"", "password", "correct horse battery", "x\x00y", "\xff\xfe", strings.Repeat("é", 70)} {
		f.Add(s, 12, "jane.doe@example.com")
	}
	f.Fuzz(func(t *testing.T, pw string, minLen int, email string) {
		err := CheckPassword(pw, minLen, email, "Jane Doe")
		if err == nil {
			if len(pw) > maxPasswordBytes || !utf8.ValidString(pw) {
				t.Fatalf("accepted a password breaking the byte rules")
			}
			want := minLen
			if want <= 0 {
				want = defaultMinPasswordLen
			}
			if utf8.RuneCountInString(pw) < want {
				t.Fatalf("accepted a short password")
			}
			return
		}
		var ge *Error
		if !errors.As(err, &ge) || ge.Kind != KindUnprocessable || ge.Code == "" {
			t.Fatalf("unexpected error shape: %v", err)
		}
	})
}
