package httpapi

import (
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

func FuzzDecodeReset(f *testing.F) {
	for _, s := range []string{`{"email":"a@b.example","phone":"+12015550123"}`, `{"email":1}`, `[]`, `{}`, ``,
		`{"email":"a@b.example","tenant":"x"} trailing`, `{"email":"\u0000"}`, `{"email":"a@b.example","phone":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := decodeReset(body)
		if err != nil {
			if gateway.ErrorKind(err) != gateway.KindInvalid {
				t.Fatalf("error of kind %v: %v", gateway.ErrorKind(err), err)
			}
			return
		}
		if b.Email == "" {
			t.Fatal("accepted without email")
		}
	})
}

func FuzzDecodeLogin(f *testing.F) {
	f.Add([]byte(`{"email":"a@b.example","password":"x"}`))
	f.Add([]byte(`{"password":["x"]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := decodeLogin(body); err != nil && gateway.ErrorKind(err) != gateway.KindInvalid {
			t.Fatalf("error of kind %v", gateway.ErrorKind(err))
		}
	})
}
