// Command resetgw runs the password reset gateway. main only wires the
// process (signals, exit code) to run, which tests call directly.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	// The zone database goes inside the binary: tenants name IANA zones,
	// and a slim image or a bare host may have none on disk.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "resetgw:", err)
		os.Exit(1)
	}
}
