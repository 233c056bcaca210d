package webhook

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/resetgw/resetgw/gateway"
)

// statusError classifies a non-2xx answer. 5xx and 408 are the provider's
// passing trouble; 429 its pace; 401, 403, 404, 405, 410 and 3xx say the
// route is set up wrong (a wrong secret, a moved URL), which no other
// message would fare better with; any other 4xx refuses this recipient. A
// receiver may name the reason: {"error":"opted_out"} or "invalid_number".
func statusError(status int, answer []byte) *gateway.SendError {
	code := strconv.Itoa(status)
	var a struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(answer, &a)
	switch {
	case status == http.StatusGatewayTimeout:
		// A proxy gave up waiting: the receiver behind it may have taken
		// the text.
		return &gateway.SendError{Class: gateway.FailTransient, Code: code, Detail: "the webhook answered " + code, Unsure: true}
	case status >= 500 || status == http.StatusRequestTimeout:
		return &gateway.SendError{Class: gateway.FailTransient, Code: code, Detail: "the webhook answered " + code}
	case status == http.StatusTooManyRequests:
		return &gateway.SendError{Class: gateway.FailRate, Code: code, Detail: "the webhook asked to slow down"}
	case status < 400, status == http.StatusUnauthorized, status == http.StatusForbidden, status == http.StatusNotFound,
		status == http.StatusMethodNotAllowed, status == http.StatusGone:
		return configError(code, "the webhook refused the gateway ("+code+")",
			"check the webhook route's URL and that the receiver has the same secret")
	case a.Error == "opted_out":
		return &gateway.SendError{Class: gateway.FailOptedOut, Code: code, Detail: "the provider says the number opted out"}
	}
	return &gateway.SendError{Class: gateway.FailRecipient, Code: code, Detail: "the webhook refused the recipient (" + code + ")"}
}
