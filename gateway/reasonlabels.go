package gateway

import "strings"

// Why a message was not sent on a channel: the Code of an sms_skipped or
// email_skipped event, and why a link of a route chain is passed over.
const (
	SkipNoSMSPhone          = "no_sms_phone"
	SkipNoTwilio            = "no_twilio"
	SkipNoAWSRoute          = "no_aws_route"
	SkipNoCarrier           = "no_carrier"
	SkipUnknownCarrier      = "unknown_carrier"
	SkipCarrierRetired      = "carrier_gateway_retired"
	SkipCarrierNumberFormat = "carrier_number_format"
	SkipNoSMSRoute          = "no_sms_route"
	SkipOptedOut            = "opted_out"
	SkipCountryNotAllowed   = "country_not_allowed"
)

// ReasonLabel is a reason code in the words an office reads.
type ReasonLabel struct {
	Code  string
	Label string
}

// ReasonLabels names every reason the gateway records: why a request was
// refused or rolled back, why a message was cancelled, and why a channel
// was skipped. Every page that shows a reason takes its words from here;
// a reason constant without a label fails the package's tests.
var ReasonLabels = []ReasonLabel{
	{ReasonRateLimited, "Too many resets asked for in a short time"},
	{ReasonUnknownTenant, "No company by that name"},
	{ReasonResetDisabled, "Resets are switched off for this company"},
	{ReasonNoMatch, "No one on file with that email and phone"},
	{ReasonInactive, "The person is deactivated"},
	{ReasonNoMobileAccess, "The person has no mobile access"},
	{ReasonPersonDisabled, "Resets are switched off for this person"},
	{ReasonAllFailed, "No message got through"},
	{ReasonFailedLate, "Every message failed after it was sent"},
	{ReasonSuperseded, "Replaced by a newer reset"},
	{ReasonEmailUnverified, "The email address is not verified yet"},
	{ReasonPasswordChanged, "The person changed their password"},
	{ReasonContactChanged, "The person's email or phone was changed"},
	{ReasonPersonDeleted, "The person was deleted"},
	{ReasonPasswordSet, "An admin set the password"},
	{ReasonBulkCancelled, "The bulk job was cancelled"},
	{ReasonKeyGone, "The gateway instance that held its messages' key stopped before they went"},
	{CodeKeyGoneMaybeSent, "The gateway instance sending it stopped; it may have arrived, and cannot be sent again"},
	{SkipNoSMSPhone, "No mobile number on file"},
	{SkipNoTwilio, "Twilio is not set up for this company"},
	{SkipNoAWSRoute, "The AWS text route is not set up for this company"},
	{SkipNoCarrier, "The phone's carrier is not known"},
	{SkipUnknownCarrier, "The phone's carrier is not in the carrier list"},
	{SkipCarrierRetired, "The carrier has shut down its email-to-text gateway"},
	{SkipCarrierNumberFormat, "The number does not fit the carrier's email-to-text gateway"},
	{SkipNoSMSRoute, "No text route can reach this phone"},
	{SkipOptedOut, "The number texted STOP"},
	{SkipCountryNotAllowed, "Texts to this country are not allowed for this company"},
}

var reasonLabelOf = func() map[string]string {
	m := make(map[string]string, len(ReasonLabels))
	for _, l := range ReasonLabels {
		m[l.Code] = l.Label
	}
	return m
}()

// ReasonWords is a reason code in words: its label, or for a code the
// table does not know (a provider's, an older version's) the code with
// its underscores as spaces.
func ReasonWords(code string) string {
	if l, ok := reasonLabelOf[code]; ok {
		return l
	}
	s := strings.TrimSpace(strings.ReplaceAll(code, "_", " "))
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// KnownReason is whether code is in the table.
func KnownReason(code string) bool {
	_, ok := reasonLabelOf[code]
	return ok
}
