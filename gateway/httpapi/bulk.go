package httpapi

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/resetgw/resetgw/gateway"
)

// routesBulk adds the bulk actions: POST /admin/api/bulk starts a job (or
// previews one with dry_run), GET /admin/api/bulk/{job_id} reads its
// progress, DELETE cancels it.
func (s *Server) routesBulk(a fiber.Router) {
	a.Post("/bulk", s.postBulk)
	a.Get("/bulk", s.listBulk)
	a.Get("/bulk/:job_id", s.getBulk)
	a.Delete("/bulk/:job_id", s.deleteBulk)
}

func tagsJSON(tags []string) []string {
	if tags == nil {
		return []string{}
	}
	return tags
}

type bulkFilterBody struct {
	Status          string   `json:"status"`
	Tag             string   `json:"tag"`
	LastLoginBefore string   `json:"last_login_before"`
	Emails          []string `json:"emails"`
}

type bulkBody struct {
	Tenant string         `json:"tenant"`
	Action string         `json:"action"`
	Filter bulkFilterBody `json:"filter"`
	DryRun bool           `json:"dry_run"`
}

func bulkTargetJSON(t gateway.BulkTarget) fiber.Map {
	m := fiber.Map{"id": t.ID, "name": t.Name, "email": t.Email, "status": t.Status, "mobile_access": t.MobileAccess}
	if !t.LastLoginAt.IsZero() {
		m["last_login_at"] = t.LastLoginAt
	}
	return m
}

func (s *Server) postBulk(c *fiber.Ctx) error {
	var b bulkBody
	if err := decodeStrict(c.Body(), &b); err != nil {
		return err
	}
	in := gateway.BulkInput{Tenant: b.Tenant, Action: gateway.BulkAction(b.Action), Filter: gateway.BulkFilter{
		Status: b.Filter.Status, Tag: b.Filter.Tag, LastLoginBefore: b.Filter.LastLoginBefore, Emails: b.Filter.Emails}}
	if b.DryRun {
		p, err := s.svc.PreviewBulk(c.UserContext(), actor(c), in)
		if err != nil {
			return err
		}
		sample := make([]fiber.Map, 0, len(p.Sample))
		for _, t := range p.Sample {
			sample = append(sample, bulkTargetJSON(t))
		}
		return c.JSON(fiber.Map{"count": p.Count, "sample": sample})
	}
	j, err := s.svc.StartBulk(c.UserContext(), actor(c), in)
	if err != nil {
		return err
	}
	c.Location("/admin/api/bulk/" + j.ID)
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"job_id": j.ID})
}

// bulkJSON is a job as the contract has it: state, total, sent,
// delivered, failed, eta_seconds while it can be told; the rest adds
// detail.
func bulkJSON(st *gateway.BulkStatus) fiber.Map {
	j, n := st.Job, st.Counts
	m := fiber.Map{"job_id": j.ID, "tenant_id": j.TenantID, "action": j.Action, "state": j.State,
		"total": j.Total, "sent": n.Sent, "delivered": n.Delivered, "failed": n.Failed,
		"cancelled": n.Cancelled, "skipped": n.Skipped, "remaining": n.Remaining(),
		"created_at": j.CreatedAt, "updated_at": j.UpdatedAt}
	if st.ETA != nil {
		m["eta_seconds"] = int(st.ETA.Seconds())
	}
	return m
}

func (s *Server) getBulk(c *fiber.Ctx) error {
	st, err := s.svc.BulkJob(c.UserContext(), actor(c), utils.CopyString(c.Params("job_id")))
	if err != nil {
		return err
	}
	return c.JSON(bulkJSON(st))
}

func (s *Server) deleteBulk(c *fiber.Ctx) error {
	st, err := s.svc.CancelBulk(c.UserContext(), actor(c), utils.CopyString(c.Params("job_id")))
	if err != nil {
		return err
	}
	return c.JSON(bulkJSON(st))
}

func (s *Server) listBulk(c *fiber.Ctx) error {
	limit, _ := paging(c)
	jobs, err := s.svc.ListBulkJobs(c.UserContext(), actor(c), c.Query("tenant"), limit)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, fiber.Map{"job_id": j.ID, "tenant_id": j.TenantID, "action": j.Action,
			"state": j.State, "total": j.Total, "created_at": j.CreatedAt})
	}
	return c.JSON(fiber.Map{"jobs": out})
}
