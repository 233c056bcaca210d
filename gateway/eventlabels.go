package gateway

import "strings"

// EventLabel is how the console names an event type: in words an office
// reads ("Login failed"), the code kept for the hover and the filters.
type EventLabel struct {
	Type  string
	Label string
}

// EventLabels is every event type the gateway writes, in the order the
// log's type list offers them (the requests' life first, then sign-ins
// and passwords, then the office's changes, then the machinery). Every
// page that shows an event type takes its words from here.
var EventLabels = []EventLabel{
	{"reset_requested", "Reset requested"},
	{"reset_accepted", "Reset accepted"},
	{"reset_rejected", "Reset refused"},
	{"reset_delivered", "Reset delivered"},
	{"reset_rolled_back", "Reset not delivered"},
	{EventResetDeliveringAgain, "Reset being delivered again (its message failed after it was sent)"},
	{"reset_password_used", "Password used"},
	{EventResetLinkUsed, "Reset link used"},
	{"reset_superseded", "Reset replaced by a newer one"},
	{EventResetCancelled, "Reset cancelled"},
	{"reset_retried", "Reset retried"},
	{EventResetRegenerated, "Reset made again (its instance was gone)"},
	{"bulk_reset", "Bulk reset"},
	{EventBulkStarted, "Bulk job started"},
	{EventBulkPerson, "Bulk job changed a person"},
	{EventBulkCancelled, "Bulk job cancelled"},
	{EventResetFlood, "Many resets from one place"},
	{EventResetTargeted, "Many resets for one person"},
	{EventResetBudget, "Company's reset budget reached"},
	{"delivery_queued", "Message queued"},
	{"delivery_sent", "Message sent"},
	{"delivery_delivered", "Message delivered"},
	{"delivery_failed", "Message failed"},
	{"delivery_failed_late", "Message failed after it was sent"},
	{"delivery_retry", "Message to be tried again"},
	{"delivery_delayed", "Message delayed"},
	{EventDeliveryFailover, "Message moved to another route"},
	{EventDeliveryLateFailover, "Message sent again by another route (it failed after it was sent)"},
	{EventLateFailoverSkipped, "Message not sent again by another route"},
	{EventDeliveryResend, "Message sent again"},
	{EventDeliveryMaybeSent, "Message may have reached the relay: not sent again"},
	{EventDeliveryResumed, "Message sent after an interruption (it had not reached the relay)"},
	{"sms_skipped", "Text not sent"},
	{EventEmailSkipped, "Email not sent"},
	{"late_failure_after_use", "Message failed after the password was used"},
	{"failed_resolved", "Failed delivery resolved"},
	{"login_succeeded", "Login"},
	{"login_failed", "Login failed"},
	{EventLoginCeilingReached, "Too many failed logins"},
	{EventLoginUnlocked, "Login unlocked"},
	{"password_set", "Password set by an admin"},
	{"password_changed", "Password changed"},
	{EventNoticeQueued, "Password notice queued"},
	{EventNoticeLimited, "Password notice held back"},
	{EventPasswordReminder, "Password expiry reminder queued"},
	{EventVerificationSent, "Email verification link sent"},
	{EventEmailVerified, "Email verified"},
	{"admin_login", "Admin signed in"},
	{"admin_login_failed", "Admin sign-in failed"},
	{"admin_logout", "Admin signed out"},
	{"admin_created", "Admin created"},
	{"admin_disabled", "Admin disabled"},
	{"admin_enabled", "Admin enabled"},
	{"person_created", "Person added"},
	{"person_updated", "Person changed"},
	{"person_deleted", "Person deleted"},
	{"personnel_imported", "Personnel imported"},
	{"settings_changed", "Settings changed"},
	{"tenant_created", "Company created"},
	{"carrier_created", "Carrier added"},
	{"carrier_updated", "Carrier changed"},
	{"carrier_tested", "Carrier tested"},
	{"email_tested", "Email tested"},
	{"events_exported", "Log exported"},
	{EventOptOutRequested, "Texts stopped by the person (STOP)"},
	{EventOptInRequested, "Texts restarted by the person (START)"},
	{"opt_out_set", "Texts stopped by an admin"},
	{"opt_out_cleared", "Texts restarted by an admin"},
	{"inbound_text", "Text received"},
	{EventLaneOpen, "Route paused"},
	{EventLaneHalfOpen, "Route trying again"},
	{EventLaneClosed, "Route working again"},
	{EventLaneSlowed, "Route slowed down"},
	{EventLaneRecovered, "Route back to speed"},
	{EventLaneNeedsAttention, "Route needs attention"},
	{EventStatusPolled, "Provider asked for a status"},
	{EventRouteStatusRefused, "Status report from a provider refused"},
	{EventBodyRedacted, "Text erased at the provider"},
	{EventRedactionFailed, "Text could not be erased at the provider"},
}

var eventLabelOf = func() map[string]string {
	m := make(map[string]string, len(EventLabels))
	for _, l := range EventLabels {
		m[l.Type] = l.Label
	}
	return m
}()

// EventWords is an event type in words: its label, or for a type the
// table does not know (an older version's) the code with its
// underscores as spaces.
func EventWords(typ string) string {
	if l, ok := eventLabelOf[typ]; ok {
		return l
	}
	s := strings.ReplaceAll(typ, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// KnownEventType is whether typ is in the table (a filter offers only these).
func KnownEventType(typ string) bool {
	_, ok := eventLabelOf[typ]
	return ok
}
