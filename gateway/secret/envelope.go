package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"io"
)

// DataKeyLen is the size of a per-message data key (AES-256).
const DataKeyLen = 32

// WrappedKeyLen is the size of a wrapped data key as SealEnvelope returns
// it: version, nonce, the key, the GCM tag.
const WrappedKeyLen = 1 + gcmNonceLen + DataKeyLen + 16

// SealEnvelope encrypts an outbox body under a fresh random data key and
// returns that key wrapped by the master key's outbox wrapping subkey,
// both bound to aad. The two are stored side by side; destroying the
// wrapped key (the row's column set to NULL) makes the body unreadable
// even to someone who holds the master key and an old copy of the body
// (a free page, a WAL frame, a backup), as long as no copy of the wrapped
// key survives with it.
func (k *Keys) SealEnvelope(plain, aad []byte) (wrappedKey, sealed []byte, err error) {
	return sealWithDataKey(k.dataKey, aad, plain, aad)
}

// sealWithDataKey encrypts plain (bound to aad) under a fresh random data
// key and returns that key wrapped by wrap, bound to wrapAAD. The master
// key's envelope and the instance key ring differ only in wrap and
// wrapAAD.
func sealWithDataKey(wrap cipher.AEAD, wrapAAD, plain, aad []byte) (wrappedKey, sealed []byte, err error) {
	dek := make([]byte, DataKeyLen)
	defer clear(dek)
	if _, err := io.ReadFull(rand.Reader, dek); err != nil {
		return nil, nil, fmt.Errorf("seal: read data key: %w: %w", ErrRandom, err)
	}
	a, err := dataKeyAEAD(dek)
	if err != nil {
		return nil, nil, err
	}
	if sealed, err = sealAEAD(a, plain, aad); err != nil {
		return nil, nil, err
	}
	if wrappedKey, err = sealAEAD(wrap, dek, wrapAAD); err != nil {
		return nil, nil, err
	}
	return wrappedKey, sealed, nil
}

// OpenEnvelope reverses SealEnvelope. A missing, damaged or foreign
// wrapped key, or a body that does not match it, is ErrSealedInvalid.
func (k *Keys) OpenEnvelope(wrappedKey, sealed, aad []byte) ([]byte, error) {
	if len(wrappedKey) != WrappedKeyLen {
		return nil, errSealed("data key has the wrong size")
	}
	return openWithDataKey(k.dataKey, aad, wrappedKey, sealed, aad)
}

// openWithDataKey reverses sealWithDataKey.
func openWithDataKey(wrap cipher.AEAD, wrapAAD, wrappedKey, sealed, aad []byte) ([]byte, error) {
	dek, err := openAEAD(wrap, wrappedKey, wrapAAD)
	if err != nil {
		return nil, err
	}
	defer clear(dek)
	a, err := dataKeyAEAD(dek)
	if err != nil {
		return nil, err
	}
	return openAEAD(a, sealed, aad)
}

// UnwrapsDataKey reports whether b is a data key wrapped under these keys
// with aad. It exists for tests and audits that scan raw storage for
// anything still openable.
func (k *Keys) UnwrapsDataKey(b, aad []byte) bool {
	if len(b) != WrappedKeyLen {
		return false
	}
	dek, err := openAEAD(k.dataKey, b, aad)
	clear(dek)
	return err == nil
}

func dataKeyAEAD(dek []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(dek)
	if err != nil {
		return nil, fmt.Errorf("aes for data key: %w", err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm for data key: %w", err)
	}
	return g, nil
}
