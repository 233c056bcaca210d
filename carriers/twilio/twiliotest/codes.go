package twiliotest

import "net/http"

// canned is how Twilio answers a create call that fails with a code: the
// HTTP status and a message like Twilio's own.
type canned struct {
	status  int
	message string
}

// cannedCodes are the error codes the gateway classifies, with the status
// and text Twilio answers them with. The 30xxx codes mostly arrive in a
// status callback; answering them to a create lets a test drive every
// code through the same path.
var cannedCodes = map[int]canned{
	20003: {http.StatusUnauthorized, "Authenticate"},
	20429: {http.StatusTooManyRequests, "Too Many Requests"},
	20500: {http.StatusInternalServerError, "Internal Server Error"},
	21211: {http.StatusBadRequest, "The 'To' number is not a valid phone number."},
	21408: {http.StatusBadRequest, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number"},
	21608: {http.StatusBadRequest, "The number is unverified. Trial accounts cannot send messages to unverified numbers"},
	21610: {http.StatusBadRequest, "Attempt to send to unsubscribed recipient"},
	21614: {http.StatusBadRequest, "'To' number is not a valid mobile number"},
	30001: {http.StatusBadRequest, "Queue overflow"},
	30003: {http.StatusBadRequest, "Unreachable destination handset"},
	30004: {http.StatusBadRequest, "Message blocked"},
	30005: {http.StatusBadRequest, "Unknown destination handset"},
	30006: {http.StatusBadRequest, "Landline or unreachable carrier"},
	30007: {http.StatusBadRequest, "Message filtered"},
	30032: {http.StatusBadRequest, "Toll-Free Number Has Not Been Verified"},
	30034: {http.StatusBadRequest, "Message from an Unregistered Number"},
	30036: {http.StatusBadRequest, "Validity Period Expired"},
	30450: {http.StatusBadRequest, "Message delivery blocked (SMS Pumping Protection)"},
}

// Canned returns the HTTP status and message the server answers code with
// (400 and a generic text for a code it does not know).
func Canned(code int) (status int, message string) {
	if c, ok := cannedCodes[code]; ok {
		return c.status, c.message
	}
	return http.StatusBadRequest, "Error"
}
