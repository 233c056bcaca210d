// Package awstest is a loopback server that speaks the AWS JSON 1.0
// protocol of End User Messaging SMS (PinpointSMSVoiceV2.SendTextMessage)
// for tests: it checks that each request carries a SigV4 signature
// (Authorization AWS4-HMAC-SHA256 with a Credential, X-Amz-Date), refuses
// access key ids it was not given, records the texts, and can be scripted
// to answer an error, time out after reading the request, or drop the
// answer.
package awstest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Target is the X-Amz-Target of SendTextMessage.
const Target = "PinpointSMSVoiceV2.SendTextMessage"

// Text is one SendTextMessage the server took.
type Text struct {
	ID, To, Body, Origination, ConfigurationSet, MessageType, KeyID, Region string
	TTL                                                                     int
	Context                                                                 map[string]string
}

// Answer scripts the answer to one request. A zero Answer accepts the
// text. Status and Type give an error: Type is the shape's name
// ("ThrottlingException"), sent in X-Amzn-ErrorType and __type, with
// Reason and Fields as AWS gives them. Hang reads the request, takes the
// text, and answers nothing until the client gives up; Drop takes it and
// closes the connection; Raw, with Status, answers a body that is not
// JSON (a proxy's page).
type Answer struct {
	Status  int
	Type    string
	Reason  string
	Message string
	Fields  []string
	Hang    bool
	Drop    bool
	Raw     string
}

// Server is the fake endpoint; its URL goes into the route's endpoint.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	keys     map[string]bool
	script   []Answer
	texts    []Text
	requests int
	unsigned int
	next     int
}

// New starts a server on 127.0.0.1 that accepts the given access key ids.
func New(t testing.TB, keyIDs ...string) *Server {
	s := &Server{keys: map[string]bool{}}
	for _, k := range keyIDs {
		s.keys[k] = true
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

// Script queues answers, one per request, after which texts are accepted.
func (s *Server) Script(a ...Answer) { s.mu.Lock(); s.script = append(s.script, a...); s.mu.Unlock() }

// Texts are the texts the server took (including those whose answer it
// then withheld).
func (s *Server) Texts() []Text {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Text(nil), s.texts...)
}

// Requests counts the requests that reached the server.
func (s *Server) Requests() int { s.mu.Lock(); defer s.mu.Unlock(); return s.requests }

// Unsigned counts the requests refused for a missing or malformed
// signature.
func (s *Server) Unsigned() int { s.mu.Lock(); defer s.mu.Unlock(); return s.unsigned }

type request struct {
	DestinationPhoneNumber string
	MessageBody            string
	OriginationIdentity    string
	ConfigurationSetName   string
	MessageType            string
	TimeToLive             int
	Context                map[string]string
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	keyID, region, ok := signature(r)
	if !ok {
		s.mu.Lock()
		s.unsigned++
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "", "Missing Authentication Token")
		return
	}
	if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != Target ||
		r.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		writeError(w, http.StatusBadRequest, "UnknownOperationException", "", "unknown operation")
		return
	}
	if !s.keys[keyID] {
		writeError(w, http.StatusBadRequest, "UnrecognizedClientException", "", "The security token included in the request is invalid.")
		return
	}
	var in request
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, http.StatusBadRequest, "SerializationException", "", "bad JSON")
		return
	}
	s.mu.Lock()
	var a Answer
	if len(s.script) > 0 {
		a, s.script = s.script[0], s.script[1:]
	}
	var id string
	if a.Status == 0 {
		s.next++
		id = "msg-" + strconv.Itoa(s.next)
		s.texts = append(s.texts, Text{ID: id, To: in.DestinationPhoneNumber, Body: in.MessageBody,
			Origination: in.OriginationIdentity, ConfigurationSet: in.ConfigurationSetName, MessageType: in.MessageType,
			KeyID: keyID, Region: region, TTL: in.TimeToLive, Context: in.Context})
	}
	s.mu.Unlock()
	switch {
	case a.Hang:
		<-r.Context().Done()
		return
	case a.Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
			}
		}
		return
	case a.Raw != "":
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(a.Status)
		io.WriteString(w, a.Raw)
		return
	case a.Status != 0:
		writeErrorFields(w, a)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	json.NewEncoder(w).Encode(map[string]string{"MessageId": id})
}

// signature checks the SigV4 headers are there and well formed, and
// gives the access key id and region of the Credential scope.
func signature(r *http.Request) (keyID, region string, ok bool) {
	auth := r.Header.Get("Authorization")
	rest, found := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !found || r.Header.Get("X-Amz-Date") == "" {
		return "", "", false
	}
	var cred, signed, sig string
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		}
	}
	scope := strings.Split(cred, "/")
	if len(scope) != 5 || scope[3] != "sms-voice" || scope[4] != "aws4_request" || sig == "" ||
		!strings.Contains(signed, "x-amz-date") || !strings.Contains(signed, "host") {
		return "", "", false
	}
	return scope[0], scope[2], true
}

func writeError(w http.ResponseWriter, status int, typ, reason, msg string) {
	writeErrorFields(w, Answer{Status: status, Type: typ, Reason: reason, Message: msg})
}

func writeErrorFields(w http.ResponseWriter, a Answer) {
	body := map[string]any{"__type": "com.amazonaws.pinpointsmsvoicev2#" + a.Type, "Message": a.Message}
	if a.Reason != "" {
		body["Reason"] = a.Reason
	}
	if len(a.Fields) > 0 {
		var fs []map[string]string
		for _, f := range a.Fields {
			fs = append(fs, map[string]string{"Name": f, "Message": "invalid"})
		}
		body["Fields"] = fs
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-ErrorType", a.Type)
	w.WriteHeader(a.Status)
	json.NewEncoder(w).Encode(body)
}
