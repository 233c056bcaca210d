//go:build !linux

package httpapi

import (
	"context"

	"github.com/gofiber/fiber/v2"
)

// watchPeer is the Linux socket peek only; elsewhere a request ends at
// its bound.
func watchPeer(c *fiber.Ctx, cancel context.CancelFunc) (stop func()) { return func() {} }
