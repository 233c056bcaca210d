//go:build !linux

package main

import "os"

// noEcho is only implemented on Linux (the supported platform); elsewhere
// a password is read as a plain line, so pipe it in.
func noEcho(f *os.File) (restore func(), ok bool) { return nil, false }
