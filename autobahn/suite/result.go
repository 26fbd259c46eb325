package suite

import (
	"maps"
	"time"
)

// Result is the outcome of one case for one agent, with the fields of an
// Autobahn per-case report.
type Result struct {
	ID            string             `json:"id"`
	Case          int                `json:"case"` // 1-based position in the run's case list
	Agent         string             `json:"agent"`
	Description   string             `json:"description"`
	Expectation   string             `json:"expectation"`
	Started       string             `json:"started"`
	Duration      int64              `json:"duration"` // milliseconds
	ReportTime    bool               `json:"reportTime"`
	Behavior      Behavior           `json:"behavior"`
	BehaviorClose Behavior           `json:"behaviorClose"`
	Expected      map[string][]Event `json:"expected"`
	ExpectedClose map[string]any     `json:"expectedClose"`
	Received      []Event            `json:"received"`
	Result        string             `json:"result"`
	ResultClose   string             `json:"resultClose"`
	Wirelog       []string           `json:"wirelog"`
	IsServer      bool               `json:"isServer"`
	ClosedByMe    bool               `json:"closedByMe"`
	FailedByMe    bool               `json:"failedByMe"`
	DroppedByMe   bool               `json:"droppedByMe"`
	WasClean      bool               `json:"wasClean"`
	NotClean      string             `json:"wasNotCleanReason"`
	CloseTimeout  bool               `json:"wasCloseHandshakeTimeout"`
	DropTimeout   bool               `json:"wasServerConnectionDropTimeout"`
	LocalCode     *int               `json:"localCloseCode"`
	LocalReason   string             `json:"localCloseReason"`
	RemoteCode    *int               `json:"remoteCloseCode"`
	RemoteReason  string             `json:"remoteCloseReason"`
	TxFrameStats  map[int]int        `json:"txFrameStats"`
	RxFrameStats  map[int]int        `json:"rxFrameStats"`
	HTTPRequest   string             `json:"httpRequest,omitempty"`
	HTTPResponse  string             `json:"httpResponse,omitempty"`
}

// Verdict is the result's single verdict (see the Verdict function).
func (r *Result) Verdict() Behavior { return Verdict(r.Behavior, r.BehaviorClose) }

func optCode(c int) *int {
	if c == noCode {
		return nil
	}
	return &c
}

// result builds the report of a judged run.
func (r *run) resultFor(index int, agent string) *Result {
	exp := map[string][]Event{}
	for _, e := range r.expected {
		exp[string(e.Behavior)] = e.Events
	}
	ec := map[string]any{
		"closedByMe":   r.expClose.ClosedByMe,
		"closeCode":    r.expClose.CloseCode,
		"requireClean": r.expClose.RequireClean,
	}
	if r.expClose.WrongEndpointFatal {
		ec["closedByWrongEndpointIsFatal"] = true
	}
	wl := r.wirelog
	if r.wirelogDropped > 0 {
		wl = append(wl, itoa(r.wirelogDropped)+" more wire log entries not kept")
	}
	if r.droppedByMe {
		wl = append(wl, "TCP DROPPED BY ME")
	} else {
		wl = append(wl, "TCP DROPPED BY PEER")
	}
	recv := r.received
	if recv == nil {
		recv = []Event{}
	}
	return &Result{
		ID:            r.c.id,
		Case:          index,
		Agent:         agent,
		Description:   r.c.desc,
		Expectation:   r.c.expect,
		Started:       r.started.UTC().Format("2006-01-02T15:04:05.000Z"),
		Duration:      r.ended.Sub(r.started).Round(time.Millisecond).Milliseconds(),
		ReportTime:    r.c.reportTime,
		Behavior:      r.behavior,
		BehaviorClose: r.behaviorClose,
		Expected:      exp,
		ExpectedClose: ec,
		Received:      recv,
		Result:        r.result,
		ResultClose:   r.resultClose,
		Wirelog:       wl,
		IsServer:      r.isServer,
		ClosedByMe:    r.closedByMe,
		FailedByMe:    r.failedByMe,
		DroppedByMe:   r.droppedByMe,
		WasClean:      r.wasClean,
		NotClean:      r.wasNotCleanReason,
		CloseTimeout:  r.wasCloseHandshakeTimeout,
		DropTimeout:   r.wasServerConnectionDropTimeout,
		LocalCode:     optCode(r.localCloseCode),
		LocalReason:   logData(r.localCloseReason, 128),
		RemoteCode:    optCode(r.remoteCloseCode),
		RemoteReason:  r.remoteCloseReason,
		TxFrameStats:  maps.Clone(r.txFrames),
		RxFrameStats:  maps.Clone(r.rxFrames),
	}
}

// failedResult reports a case whose connection never opened.
func failedResult(c *caseDef, index int, agent string, err error) *Result {
	return &Result{
		ID: c.id, Case: index, Agent: agent, Description: c.desc, Expectation: c.expect,
		Started:       time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		ReportTime:    c.reportTime,
		Behavior:      Failed,
		BehaviorClose: Failed,
		Expected:      map[string][]Event{},
		ExpectedClose: map[string]any{},
		Received:      []Event{},
		Result:        "The WebSocket connection could not be opened: " + err.Error(),
		ResultClose:   "The opening handshake did not complete.",
		Wirelog:       []string{},
	}
}
