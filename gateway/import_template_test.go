package gateway_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/resetgw/resetgw/gateway"
)

// The template the import page offers previews without an error: every
// sample value is one the import takes.
func TestImportTemplatePreviewsClean(t *testing.T) {
	e := newEnv(t, true)
	tpl := gateway.ImportTemplate()
	if !strings.HasPrefix(string(tpl), "name,email,phone,carrier,status,locale,phone_type\n") {
		t.Fatalf("header: %q", tpl)
	}
	res, err := e.svc.ImportPersonnel(e.ctx, operator, gateway.DefaultSlug, bytes.NewReader(tpl), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 0 || res.Created != 2 {
		t.Fatalf("template preview: %+v", res)
	}
}
