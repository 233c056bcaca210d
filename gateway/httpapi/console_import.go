package httpapi

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/resetgw/resetgw/gateway"
)

// The personnel import: upload, a preview kept on the server by id (the
// confirmation step), and Import, which takes that id once.

func (u *consoleUI) routesImport() {
	a := u.s.app
	a.Get("/admin/import", u.auth, u.importPage)
	a.Get("/admin/import/template.csv", u.auth, u.importTemplate)
	a.Post("/admin/import", u.auth, u.importCSV)
}

type importData struct {
	Upload string // the stored upload the preview is of
	Result *gateway.ImportResult
	// Rows is one page of the preview's rows, the rows in error first;
	// Pager says where it is among all of them (Result keeps only totals).
	Rows     []gateway.ImportRow
	RowCount int
	Pager    pager
	Done     *gateway.ImportResult // the counts of an import just made
	MaxRows  int
	MaxBytes string
	// Columns and Carriers are the help: what each column takes, with a
	// sample, and the carrier slugs there are.
	Columns  []gateway.ImportColumn
	Carriers []*gateway.Carrier
}

func (u *consoleUI) importData() importData {
	return importData{MaxRows: gateway.MaxImportRows, MaxBytes: "2 MiB", Columns: gateway.ImportColumns}
}

// importTemplate is the CSV to start from: the header and sample rows.
func (u *consoleUI) importTemplate(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="personnel-template.csv"`)
	return c.Send(gateway.ImportTemplate())
}

// importPage is the upload form; with ?upload=ID, the preview of that
// stored upload (run again: it shows the records as they are now).
func (u *consoleUI) importPage(c *fiber.Ctx) error {
	d := u.importData()
	f := u.flash(c)
	d.Done = f.Import
	// The carrier list is help only: a failure leaves it out.
	d.Carriers, _ = u.svc.Carriers(c.UserContext(), session(c).Actor)
	p := u.page(c, "personnel", "Import personnel", nil)
	if id := c.Query("upload"); id != "" {
		up, ok := u.uploads.get(adminOwner(c), id, false)
		if !ok {
			p.Error = "This preview has expired or was already imported: upload the file again."
		} else {
			res, err := u.svc.ImportPersonnel(c.UserContext(), session(c).Actor, up.Tenant, strings.NewReader(up.CSV), false)
			if err != nil {
				return u.fail(c, err)
			}
			if tooMany(res) {
				return u.tooLarge(c)
			}
			offset, _ := strconv.Atoi(c.Query("offset"))
			d.Upload, d.Result = id, res
			d.previewPage(id, max(offset, 0))
			if len(res.Errors) > 0 {
				p.Error = "Nothing was imported: fix the rows below and upload the file again."
			}
		}
	}
	p.D = d
	return u.render(c, "import.html", p)
}

// previewRows is how many rows of a preview one page shows: a file of
// thousands is read a page at a time, not drawn at once.
const previewRows = 100

// previewPage keeps the page of rows at offset, the rows in error first
// (in file order, then the others in file order), so the rows to fix are
// on the first page whatever their place in the file.
func (d *importData) previewPage(upload string, offset int) {
	rows := d.Result.Rows
	d.Result.Rows = nil
	d.RowCount = len(rows)
	ordered := make([]gateway.ImportRow, 0, len(rows))
	for _, bad := range []bool{true, false} {
		for _, r := range rows {
			if (r.Action == "error") == bad {
				ordered = append(ordered, r)
			}
		}
	}
	if offset >= len(ordered) {
		offset = 0
	}
	end := min(offset+previewRows, len(ordered))
	d.Rows = ordered[offset:end]
	d.Pager = newPagerSize("/admin/import?upload="+url.QueryEscape(upload), offset, len(d.Rows), len(ordered), previewRows)
}

func tooMany(res *gateway.ImportResult) bool {
	for _, e := range res.Errors {
		if e.TooMany {
			return true
		}
	}
	return false
}

// tooLarge is the page for an upload over the console's limits.
func (u *consoleUI) tooLarge(c *fiber.Ctx) error {
	p := u.page(c, "personnel", "This file is too large for the console", nil)
	p.Status = fiber.StatusRequestEntityTooLarge
	p.D = u.importData()
	return u.render(c, "toolarge.html", p)
}

// importCSV takes an upload (file or pasted text), keeps it on the
// server for its preview and redirects there; from the preview's
// commit-form (an upload id, never the CSV) it imports exactly what was
// previewed, once.
func (u *consoleUI) importCSV(c *fiber.Ctx) error {
	cs := session(c)
	if id := c.FormValue("upload"); id != "" {
		// Without the preview's confirm=yes nothing is imported: the
		// post only leads back to the preview, which keeps the upload.
		// (The id itself comes only from the preview step.)
		if !confirmed(c) && c.FormValue("commit") == "" {
			return u.redirect(c, "/admin/import?upload="+url.QueryEscape(id), nil)
		}
		up, ok := u.uploads.get(adminOwner(c), id, true)
		if !ok {
			return u.redirect(c, "/admin/import", &flash{Error: "This preview has expired or was already imported: upload the file again."})
		}
		res, err := u.svc.ImportPersonnel(c.UserContext(), cs.Actor, up.Tenant, strings.NewReader(up.CSV), true)
		if err != nil {
			return u.fail(c, err)
		}
		if !res.Committed {
			// Someone changed the records since the preview: show it again.
			id := u.uploads.put(adminOwner(c), up)
			return u.redirect(c, "/admin/import?upload="+id, &flash{Error: "Nothing was imported: the records changed since the preview."})
		}
		res.Rows = nil
		return u.redirect(c, "/admin/import", &flash{Import: res,
			Notice: "Imported: " + strconv.Itoa(res.Created) + " created, " + strconv.Itoa(res.Updated) + " updated."})
	}
	text := c.FormValue("csv")
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		if fh.Size > MaxImportBytes {
			return u.tooLarge(c)
		}
		f, err := fh.Open()
		if err != nil {
			return u.fail(c, gateway.Internal(err))
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(f)
		f.Close()
		if err != nil {
			return u.fail(c, gateway.Internal(err))
		}
		text = buf.String()
	}
	if len(text) > MaxImportBytes {
		return u.tooLarge(c)
	}
	if strings.TrimSpace(text) == "" {
		return u.redirect(c, "/admin/import", &flash{Error: "Choose a CSV file or paste its text first."})
	}
	// The tenant is fixed now: an operator's later switch does not move it.
	tenant := tenantParam(c)
	id := u.uploads.put(adminOwner(c), upload{Tenant: tenant, CSV: text})
	return u.redirect(c, "/admin/import?upload="+id, nil)
}
