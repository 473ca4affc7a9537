package backfill

import (
	"github.com/honeyscope/honeyscope/internal/rules"
	"github.com/honeyscope/honeyscope/internal/session"
)

// sessionFlows bounds the flow state a session classifier keeps (one
// session's flowbits at a time).
const sessionFlows = 16

// SessionClassifier returns a classifier of honeypot sessions under e, as
// the rule engine matches honeypot messages (docs/rules.md "Rules in the
// pipeline"): each command line on the shell-command buffer
// (rules.Matcher.Command, honeyscope.cmdline), each HTTP request
// assembled into one message with its sticky buffers (rules.Matcher.HTTP);
// a request the honeypot could not parse (no method) is inspected as a
// payload, its bytes as received. The pattern of a message is its first
// alert's "gid:sid:rev", "" for none.
//
// Messages are inspected to the server and established, with addresses
// and ports left unknown (header conditions skipped), as the packet
// pipeline inspects payloads, so a stored payload and a session message of
// the same bytes decide alike whatever HOME_NET is. Flowbits hold within
// one session (its messages in order); thresholds and detection filters
// are not applied (every match counts), as for payloads. The classifier
// is not safe for concurrent use.
func SessionClassifier(e *rules.Engine) func(s *session.Session) (commands, requests []string) {
	m := rules.NewMatcher(e)
	st := rules.NewFlowbitState(sessionFlows)
	ids := make([]string, len(e.Rules()))
	for i, r := range e.Rules() {
		ids[i] = r.ID()
	}
	var flow uint64
	var alerts []rules.Alert
	var raw []byte
	first := func() string {
		if len(alerts) == 0 {
			return ""
		}
		return ids[alerts[0].Rule]
	}
	return func(s *session.Session) (commands, requests []string) {
		flow++
		ctx := &rules.Context{State: st, Flow: flow}
		commands = make([]string, len(s.Commands))
		for i := range s.Commands {
			c := &s.Commands[i]
			ctx.Time = c.Time.UnixNano()
			alerts = m.Command(c.Input, ctx, alerts[:0])
			commands[i] = first()
		}
		requests = make([]string, len(s.Requests))
		for i := range s.Requests {
			q := &s.Requests[i]
			ctx.Time = q.Time.UnixNano()
			if q.Method == "" {
				raw = append(append(raw[:0], q.Headers...), q.Body...)
				alerts = m.Payload(raw, ctx, alerts[:0])
			} else {
				req := rules.HTTPRequest{Method: q.Method, URI: q.Path, Protocol: q.Version, Headers: q.Headers, Body: q.Body}
				alerts = m.HTTP(&req, ctx, alerts[:0])
			}
			requests[i] = first()
		}
		st.Forget(flow)
		return commands, requests
	}
}
