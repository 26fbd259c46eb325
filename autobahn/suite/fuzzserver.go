package suite

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hybi/ws/handshake"
)

// Server is a fuzzing server, as "wstest -m fuzzingserver" runs it: an
// http.Handler that testee clients drive through these endpoints:
//
//	/getCaseCount                  a text message with the number of cases, then a close
//	/runCase?case=N&agent=A        runs the N-th case (1-based) for agent A
//	/runCase?casetuple=I&agent=A   runs the case with id I (for example 6.4.3)
//	/getCaseInfo?case=N            {"id": ..., "description": ...}, then a close
//	/getCaseStatus?case=N&agent=A  {"behavior": ...} of that case's result, then a close
//	/updateReports?agent=A         writes the report files to OutDir, then a close
type Server struct {
	// Cases and Exclude select cases by pattern (see CaseIDs); none means all.
	Cases, Exclude []string
	// Report receives the results; it must be set before serving.
	Report *Report
	// OutDir is where /updateReports writes the report; empty writes nothing.
	OutDir string
	// Progress, when set, gets a line per case run.
	Progress io.Writer
	// TimeoutScale stretches fallback timeouts, as Client.TimeoutScale.
	TimeoutScale float64

	once    sync.Once
	ids     []string
	err     error
	running sync.WaitGroup // cases in progress
	progMu  sync.Mutex     // serializes Progress writes
}

// waitRunning waits, at most d, for the cases in progress to end.
func (s *Server) waitRunning(d time.Duration) {
	done := make(chan struct{})
	go func() { s.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

func (s *Server) caseIDs() ([]string, error) {
	s.once.Do(func() { s.ids, s.err = CaseIDs(s.Cases, s.Exclude) })
	return s.ids, s.err
}

// CaseCount is the number of cases the server runs.
func (s *Server) CaseCount() (int, error) {
	ids, err := s.caseIDs()
	return len(ids), err
}

// serverNegotiation is what the fuzzing server agreed with the client.
type serverNegotiation struct {
	ok   bool
	acc  deflateAccept
	desc string
}

// upgraderFor returns the upgrader of one connection: it parses every
// permessage-deflate offer as Autobahn's fuzzing server does (a malformed
// one fails the handshake) and lets accept, if any, choose among them.
func upgraderFor(accept acceptFunc) (*handshake.Upgrader, *serverNegotiation) {
	neg := &serverNegotiation{}
	u := &handshake.Upgrader{
		InsecureSkipOriginCheck: true,
		Header:                  http.Header{"Server": {userAgent}},
		Negotiate: func(exts []handshake.Extension) ([]handshake.Extension, error) {
			var offers []deflateOffer
			for _, e := range exts {
				if !isDeflate(e) {
					continue
				}
				o, err := parseOffer(e.Params)
				if err != nil {
					return nil, err
				}
				offers = append(offers, o)
			}
			if len(offers) == 0 || accept == nil {
				return nil, nil
			}
			a, ok := accept(offers)
			if !ok {
				return nil, nil
			}
			resp := a.extension()
			neg.ok, neg.acc, neg.desc = true, a, handshake.FormatExtensions([]handshake.Extension{resp})
			return []handshake.Extension{resp}, nil
		},
	}
	return u, neg
}

// ServeHTTP serves the fuzzing endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	ids, err := s.caseIDs()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	q := req.URL.Query()
	agent := q.Get("agent")
	caseIndex := 0
	var cd *caseDef
	if cs := q.Get("case"); cs != "" {
		n, err := strconv.Atoi(cs)
		if err != nil || n < 1 || n > len(ids) {
			http.Error(w, "case not found", http.StatusBadRequest)
			return
		}
		caseIndex, cd = n, lookup(ids[n-1])
	}
	if ct := q.Get("casetuple"); ct != "" {
		i := slices.Index(ids, ct)
		if i < 0 {
			http.Error(w, "case not found", http.StatusBadRequest)
			return
		}
		caseIndex, cd = i+1, lookup(ct)
	}
	var open func(r *run)
	switch req.URL.Path {
	case "/runCase":
		if cd == nil || agent == "" {
			http.Error(w, "need case and agent", http.StatusBadRequest)
			return
		}
	case "/getCaseCount":
		open = sendAndClose(strconv.Itoa(len(ids)))
	case "/getCaseInfo":
		if cd == nil {
			http.Error(w, "need case", http.StatusBadRequest)
			return
		}
		b, _ := json.Marshal(map[string]string{"id": cd.id, "description": cd.desc})
		open = sendAndClose(string(b))
	case "/getCaseStatus":
		if cd == nil || agent == "" {
			http.Error(w, "need case and agent", http.StatusBadRequest)
			return
		}
		status := "NOT RUN"
		if res := s.Report.Get(agent, cd.id); res != nil {
			status = string(res.Behavior)
		}
		b, _ := json.Marshal(map[string]string{"behavior": status})
		open = sendAndClose(string(b))
	case "/updateReports":
		if agent == "" {
			http.Error(w, "need agent", http.StatusBadRequest)
			return
		}
		// A testee may ask for reports while its last case still ends.
		s.waitRunning(5 * time.Second)
		if s.OutDir != "" {
			if err := s.Report.WriteFiles(s.OutDir); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		open = func(r *run) { r.sendClose(noCode, "") }
	default:
		http.NotFound(w, req)
		return
	}
	if open == nil {
		s.running.Add(1)
		defer s.running.Done()
	}
	var accept acceptFunc
	if open == nil {
		accept = cd.accept
	}
	u, neg := upgraderFor(accept)
	hs, err := u.Upgrade(w, req)
	if err != nil {
		return
	}
	if open != nil {
		r := newRun(&caseDef{id: "0", open: open}, hs.Conn, true)
		r.scale = s.TimeoutScale
		r.execute(hs.Buffered)
		return
	}
	r := newRun(cd, hs.Conn, true)
	r.scale = s.TimeoutScale
	if neg.ok {
		r.pmce = newPMCE(neg.acc.params(), true, neg.desc)
	}
	r.execute(hs.Buffered)
	res := r.resultFor(caseIndex, agent)
	s.Report.Add(res)
	s.progMu.Lock()
	progress(s.Progress, caseIndex, len(ids), res)
	s.progMu.Unlock()
}

// sendAndClose answers a control endpoint: one text message, then an empty
// close frame.
func sendAndClose(msg string) func(r *run) {
	return func(r *run) {
		r.suppressClose = true
		r.sendMessage([]byte(msg), false, 0, false)
		r.sendClose(noCode, "")
	}
}
