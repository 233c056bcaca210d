package gateway

import (
	"context"
	"strconv"
	"time"
)

// Notice limits: a person gets at most noticeMax "your password was
// changed" notices per noticeWindow, so that nobody can turn password
// changes into a flood of mail and texts to one person.
const (
	noticeMax    = 5
	noticeWindow = time.Hour
)

// Event types of notices.
const (
	EventNoticeQueued  = "password_notice_queued"
	EventNoticeLimited = "password_notice_limited"
)

// passwordChangedNotice queues the "your password was changed; if this
// was not you, call the office" notice: by email always, and by text to
// the person's SMS phone unless that phone carried the new password
// (carrier, when the change came from a reset sent there). It never holds
// a password. email false leaves the mail out, for a caller that mails
// its own notice. Over the limit, only an event says it was skipped.
func (s *Service) passwordChangedNotice(ctx context.Context, st Store, t *Tenant, p *Person, carrier *ResetRequest, email bool) error {
	lim := []Limit{{Scope: "notice", Key: strconv.FormatInt(p.ID, 10), Max: noticeMax, Window: noticeWindow}}
	if over, err := st.Hit(ctx, s.clock(), lim); err != nil {
		return err
	} else if over != nil {
		return s.event(ctx, st, Event{TenantID: t.ID, Type: EventNoticeLimited, PersonID: p.ID})
	}
	data := MessageData{Name: p.Name, Company: t.Name, OfficePhone: t.Lifecycle.OfficePhone}
	carried := map[Channel]bool{}
	if carrier != nil && len(carrier.LinkHash) == 0 {
		// A temporary password reached these channels: telling them again
		// says nothing new. A link carried no password, so every channel
		// hears of the change.
		for _, d := range carrier.Deliveries {
			if d.Status.Accepted() {
				carried[d.Channel] = true
			}
		}
	}
	var out []*Delivery
	if email && p.Email != "" && !mailable(t, p) {
		if err := s.event(ctx, st, emailSkipped(t, p, "")); err != nil {
			return err
		}
	} else if email && p.Email != "" {
		d, err := s.emailDelivery(p, "password_changed", data)
		if err != nil {
			return err
		}
		out = append(out, d)
	}
	if !carried[ChannelSMS] {
		for i := range p.Phones {
			if p.Phones[i].Type != PhoneSMS {
				continue
			}
			d, why, err := s.smsDelivery(ctx, st, t, p, &p.Phones[i], "password_changed", data)
			if err != nil {
				return err
			}
			if d != nil {
				out = append(out, d)
			} else if err := s.event(ctx, st, Event{TenantID: t.ID, Type: "sms_skipped", PersonID: p.ID,
				Channel: string(ChannelSMS), Code: why, Detail: "password notice"}); err != nil {
				return err
			}
			break
		}
	}
	for _, d := range out {
		d.Priority = PriorityNotice
		if err := s.enqueue(ctx, st, t.ID, p.ID, d); err != nil {
			return err
		}
	}
	return s.event(ctx, st, Event{TenantID: t.ID, Type: EventNoticeQueued, PersonID: p.ID,
		Detail: strconv.Itoa(len(out)) + " messages"})
}
