package aws

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/aws/smithy-go"

	"github.com/resetgw/resetgw/gateway"
	"github.com/resetgw/resetgw/gateway/netguard"
)

// CodeAnswerLost is the code of a send whose answer never came back (a
// timeout after the request was written, a dropped connection, a
// gateway's 502/504): AWS may have sent the text.
const CodeAnswerLost = "answer_lost"

func configError(code, detail, fix string) *gateway.SendError {
	return &gateway.SendError{Class: gateway.FailConfig, Code: code, Detail: detail, Fix: fix}
}

// Credential errors AWS answers before the service sees the request.
var authCodes = map[string]bool{
	"UnrecognizedClientException": true, "InvalidSignatureException": true, "IncompleteSignature": true,
	"MissingAuthenticationToken": true, "InvalidClientTokenId": true, "ExpiredTokenException": true,
	"AccessDeniedException": true, "SignatureDoesNotMatch": true, "NotAuthorized": true,
}

// classify turns an SDK error into the engine's failure classes. Whose
// fault it is decides: the route's setup (config), its pace (rate), the
// recipient (recipient, opted out), or the network (transient). A failure
// after the request may have reached AWS is transient and MayHaveSent, so
// it is neither retried nor moved.
func classify(err error) *gateway.SendError {
	var (
		throttle *types.ThrottlingException
		quota    *types.ServiceQuotaExceededException
		denied   *types.AccessDeniedException
		notFound *types.ResourceNotFoundException
		conflict *types.ConflictException
		invalid  *types.ValidationException
		internal *types.InternalServerException
		api      smithy.APIError
	)
	switch {
	case errors.As(err, &throttle):
		return &gateway.SendError{Class: gateway.FailRate, Code: "ThrottlingException", Detail: "AWS asked to slow down"}
	case errors.As(err, &quota):
		return &gateway.SendError{Class: gateway.FailRate, Code: "ServiceQuotaExceededException:" + string(quota.Reason),
			Detail: "an AWS quota or spend limit is reached (" + string(quota.Reason) + ")"}
	case errors.As(err, &denied):
		return configError("AccessDeniedException:"+string(denied.Reason), "AWS refused the account ("+clip(denied.ErrorMessage())+")",
			"check the AWS account's status and the access key's permission for sms-voice:SendTextMessage")
	case errors.As(err, &notFound):
		return configError("ResourceNotFoundException", "AWS does not know the "+string(notFound.ResourceType)+" in this region",
			"check the aws route's origination identity, configuration set and region")
	case errors.As(err, &conflict):
		return conflictError(conflict)
	case errors.As(err, &invalid):
		return validationError(invalid)
	case errors.As(err, &internal):
		// AWS says it could not complete the request: nothing was sent.
		return &gateway.SendError{Class: gateway.FailTransient, Code: "InternalServerException", Detail: "AWS had an internal error"}
	case errors.As(err, &api) && authCodes[api.ErrorCode()]:
		return configError(api.ErrorCode(), "AWS refused the route's credentials",
			"check the aws route's access key id and secret access key, and that the key may send SMS in this region")
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() != 0 {
		switch status := resp.HTTPStatusCode(); {
		case status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests:
			return &gateway.SendError{Class: gateway.FailRate, Code: http.StatusText(status), Detail: "AWS is busy"}
		case status >= 500:
			// A proxy's or gateway's error: the request may have reached
			// AWS behind it.
			return lost("AWS answered " + http.StatusText(status))
		case status == http.StatusForbidden || status == http.StatusUnauthorized:
			return configError("aws_"+http.StatusText(status), "AWS refused the route's credentials",
				"check the aws route's access key id and secret access key")
		default:
			return configError("aws_unexpected_answer", "AWS answered "+http.StatusText(status),
				"check the aws route's endpoint and region")
		}
	}
	return networkError(err)
}

// networkError classifies a send that got no answer: one that never
// connected may go again; one that may have been written may not.
func networkError(err error) *gateway.SendError {
	var cert *x509.UnknownAuthorityError
	var host x509.HostnameError
	var op *net.OpError
	switch {
	case errors.Is(err, netguard.ErrInternalHost):
		return configError("aws_endpoint_not_allowed", "the aws endpoint resolves to an address that is not public",
			"use a public https endpoint, or ask the operator to set an internal one")
	case errors.As(err, &cert), errors.As(err, &host):
		return configError("tls", "the aws endpoint's certificate is not trusted", "check the aws route's endpoint")
	case errors.As(err, &op) && op.Op == "dial":
		return &gateway.SendError{Class: gateway.FailTransient, Code: "connect", Detail: "AWS could not be reached"}
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return lost("AWS did not answer in time")
	}
	return lost("the connection to AWS ended before its answer")
}

func lost(detail string) *gateway.SendError {
	return &gateway.SendError{Class: gateway.FailTransient, Code: CodeAnswerLost, MayHaveSent: true,
		Detail: detail + "; AWS may have sent the text and cannot look it up, so it is not sent again"}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// conflictError: an opted-out number is the recipient's choice; a number
// that must be verified first (the account's SMS sandbox) and the other
// states are the route's.
func conflictError(e *types.ConflictException) *gateway.SendError {
	code := "ConflictException:" + string(e.Reason)
	switch e.Reason {
	case types.ConflictExceptionReasonDestinationPhoneNumberOptedOut:
		return &gateway.SendError{Class: gateway.FailOptedOut, Code: code, Detail: "the number opted out of texts from this AWS account"}
	case types.ConflictExceptionReasonDestinationPhoneNumberBlockedByProtectNumberOverride:
		return &gateway.SendError{Class: gateway.FailRecipient, Code: code, Detail: "the AWS account blocks this number"}
	case types.ConflictExceptionReasonDestinationPhoneNumberNotVerified:
		return configError(code, "the AWS account is in the SMS sandbox and the number is not verified",
			"request production access for the AWS account, or verify the number in the sandbox")
	}
	return configError(code, "AWS refused the send ("+clip(e.ErrorMessage())+")",
		"check the aws route's origination identity and configuration set in the AWS console")
}

// validationError: a refused destination number is the recipient's; a
// refused identity, country or region setup is the route's (another route
// may reach the number).
func validationError(e *types.ValidationException) *gateway.SendError {
	code := "ValidationException:" + string(e.Reason)
	destination := strings.Contains(strings.ToLower(e.ErrorMessage()), "destinationphonenumber")
	for _, f := range e.Fields {
		if f.Name != nil && strings.EqualFold(*f.Name, "DestinationPhoneNumber") {
			destination = true
		}
	}
	switch e.Reason {
	case types.ValidationExceptionReasonInvalidIdentityForDestinationCountry, types.ValidationExceptionReasonCountryNotEnabled,
		types.ValidationExceptionReasonChannelNotEnabled, types.ValidationExceptionReasonDestinationCountryBlocked,
		types.ValidationExceptionReasonSenderIdNotRegistered, types.ValidationExceptionReasonSenderIdNotSupported,
		types.ValidationExceptionReasonSenderIdRequiresRegistration, types.ValidationExceptionReasonInternationalSendingNotSupported,
		types.ValidationExceptionReasonPriceOverThreshold, types.ValidationExceptionReasonResourceNotAccessible,
		types.ValidationExceptionReasonInvalidArn:
		return configError(code, "AWS cannot send from this identity to this destination ("+clip(e.ErrorMessage())+")",
			"enable the destination country for the origination identity (registration, country settings), or check the region")
	}
	if destination {
		return &gateway.SendError{Class: gateway.FailRecipient, Code: code, Detail: "AWS refused the destination number"}
	}
	return configError(code, "AWS refused the request ("+clip(e.ErrorMessage())+")",
		"check the aws route's origination identity, configuration set and region")
}

func clip(s string) string { return gateway.Clip(s, 160) }
