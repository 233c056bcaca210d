package httpapi

import (
	"bufio"
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// eventQuery reads the log's filters from the query string, the same for
// the admin API and the console: type (comma-separated), preset=security,
// person (id), request (or request_id), actor, since and until (a day
// like 2026-11-23 in loc, or RFC 3339), before (paging). The API reads
// days in the server's zone; the console in the zone its pages show.
func eventQuery(c *fiber.Ctx, tenant string, loc *time.Location) (gateway.EventQuery, error) {
	q := gateway.EventQuery{Tenant: tenant, RequestID: c.Query("request", c.Query("request_id")),
		Actor: c.Query("actor"), Security: c.Query("preset") == "security"}
	for _, t := range strings.Split(c.Query("type"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			q.Types = append(q.Types, t)
		}
	}
	var err error
	if v := strings.TrimSpace(c.Query("person")); v != "" {
		if q.PersonID, err = strconv.ParseInt(v, 10, 64); err != nil || q.PersonID <= 0 {
			return q, gateway.Errorf(gateway.KindInvalid, "person_invalid", "person is a personnel id (a number)")
		}
	}
	if q.Since, err = gateway.ParseTimeBound(c.Query("since"), false, loc); err != nil {
		return q, err
	}
	if q.Until, err = gateway.ParseTimeBound(c.Query("until"), true, loc); err != nil {
		return q, err
	}
	if v := c.Query("before"); v != "" {
		q.BeforeID, _ = strconv.ParseInt(v, 10, 64)
	}
	q.Limit, _ = strconv.Atoi(c.Query("limit"))
	return q, nil
}

// exportTimeout bounds one streamed export; it runs after the handler
// has returned, so the request's context no longer applies.
const exportTimeout = 10 * time.Minute

// streamCSV sends an export as text/csv, written while it is read from
// the store, so a log of any size needs no memory for the whole of it.
// The export was checked and logged before: a failure midway can only
// cut the file short, and is logged.
func (s *Server) streamCSV(c *fiber.Ctx, exp *gateway.EventExport) error {
	name := "resetgw-events-" + time.Now().UTC().Format("20060102-150405") + ".csv"
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		if err := exp.WriteCSV(ctx, w); err != nil {
			s.log.Error("event export cut short", "err", err)
		}
		w.Flush()
	})
	return nil
}

// eventJSON is one log line in the admin API.
func eventJSON(e *gateway.Event) fiber.Map {
	m := fiber.Map{"id": e.ID, "at": e.At, "tenant_id": e.TenantID, "actor": e.Actor, "type": e.Type}
	for k, v := range map[string]string{"actor_id": e.ActorID, "ip": e.IP, "request_id": e.RequestID,
		"channel": e.Channel, "provider_id": e.ProviderID, "code": e.Code, "detail": e.Detail} {
		if v != "" {
			m[k] = v
		}
	}
	if e.PersonID != 0 {
		m["person_id"] = e.PersonID
	}
	return m
}
