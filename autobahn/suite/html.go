package suite

import (
	"encoding/json"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"
)

type htmlCell struct {
	Class, Text, Anchor, Detail string
	Close, CloseClass           string
	Missing                     bool
}

type htmlRow struct {
	Category, SubCategory string // set on the first row of a (sub)category
	ID, Anchor            string
	Cells                 []htmlCell
}

type htmlSummary struct {
	Agent string
	Rows  []htmlSummaryRow
}

type htmlSummaryRow struct {
	Cat, Name string
	T         tally
}

type htmlDetail struct {
	Anchor   string
	R        *Result
	Class    string
	Desc     template.HTML
	Expected string
	Received string
	Close    [][2]string
}

var reportTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>hybi Autobahn conformance report</title>
<style>
body{font-family:sans-serif;font-size:14px;margin:2em;color:#222}
table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
.ok{background:#0a0;color:#fff}.non-strict{background:#9c0}.info{background:#69f;color:#fff}
.failed{background:#e00;color:#fff}.missing{background:#999;color:#fff}.unimpl{background:#999;color:#fff}
.cat td{background:#333;color:#fff;font-weight:bold}.sub td{background:#ddd;font-style:italic}
td a{color:inherit}
pre{background:#f6f6f6;padding:6px;margin:0;white-space:pre-wrap;word-break:break-all;font-size:12px}
.case{border-top:2px solid #333;margin-top:2em;padding-top:.5em}
.small{font-size:11px}
</style></head><body>
<h1>hybi Autobahn conformance report</h1>
<p>Generated {{.Generated}} by hybi's Go implementation of the Autobahn|Testsuite case catalogue.</p>
<h2>Summary</h2>
{{range .Summaries}}<h3>{{.Agent}}</h3>
<table><tr><th>Category</th><th>Total</th><th>OK</th><th>Non-strict</th><th>Informational</th><th>Failed</th></tr>
{{range .Rows}}<tr><td>{{.Cat}} {{.Name}}</td><td>{{.T.Total}}</td><td>{{.T.OK}}</td><td>{{.T.NonStrict}}</td><td>{{.T.Informational}}</td><td{{if .T.Failed}} class="failed"{{end}}>{{.T.Failed}}</td></tr>
{{end}}</table>
{{end}}
<h2>Cases</h2>
<table>
{{range .Rows}}{{if .Category}}<tr class="cat"><td>{{.Category}}</td>{{range $.Agents}}<td colspan="2">{{.}}</td>{{end}}</tr>{{end}}
{{if .SubCategory}}<tr class="sub"><td colspan="{{$.Span}}">{{.SubCategory}}</td></tr>{{end}}
<tr><td>Case {{.ID}}</td>{{range .Cells}}{{if .Missing}}<td class="missing" colspan="2">Missing</td>{{else}}<td class="{{.Class}}"><a href="#{{.Anchor}}">{{.Text}}</a>{{if .Detail}}<br><span class="small">{{.Detail}}</span>{{end}}</td><td class="{{.CloseClass}}">{{.Close}}</td>{{end}}{{end}}</tr>
{{end}}</table>
<h2>Case details</h2>
{{range .Details}}<div class="case" id="{{.Anchor}}">
<h3 class="{{.Class}}">{{.R.Agent}} – Case {{.R.ID}}: {{.R.Behavior}} / close {{.R.BehaviorClose}} – {{.R.Duration}} ms</h3>
<p><b>Description</b><br>{{.Desc}}</p>
<p><b>Expectation</b><br>{{.R.Expectation}}</p>
<p><b>Outcome</b><br>{{.R.Result}}</p>
<p><i>Expected:</i></p><pre>{{.Expected}}</pre>
<p><i>Observed:</i></p><pre>{{.Received}}</pre>
<p><b>Closing behaviour</b><br>{{.R.ResultClose}} ({{.R.BehaviorClose}})</p>
<table>{{range .Close}}<tr><td>{{index . 0}}</td><td>{{index . 1}}</td></tr>{{end}}</table>
<p><b>Wire log</b></p><pre>{{range $i, $l := .R.Wirelog}}{{printf "%03d" $i}} {{$l}}
{{end}}</pre>
</div>
{{end}}
</body></html>
`))

func verdictClass(b Behavior) (class, text string) {
	switch b {
	case OK:
		return "ok", "Pass"
	case NonStrict, WrongCode, FailedByClient:
		return "non-strict", "Non-Strict"
	case Informational:
		return "info", "Info"
	case Unimplemented:
		return "unimpl", "Unimplemented"
	}
	return "failed", "Fail"
}

func anchorFor(agent, id string) string {
	return "case_" + strings.TrimSuffix(reportFile(agent, id, "x"), ".x")
}

// WriteHTML writes a self-contained HTML page: a summary per agent and
// category, the table of all cases and every case's details.
func (rp *Report) WriteHTML(w io.Writer) error {
	allCases()
	agents := rp.Agents()
	data := struct {
		Generated string
		Agents    []string
		Span      int
		Summaries []htmlSummary
		Rows      []htmlRow
		Details   []htmlDetail
	}{Generated: time.Now().UTC().Format(time.RFC3339), Agents: agents, Span: 1 + 2*len(agents)}

	ids := map[string]bool{}
	for _, a := range agents {
		rs := rp.Results(a)
		cats, tallies := categoryTallies(rs)
		s := htmlSummary{Agent: a}
		for _, c := range cats {
			s.Rows = append(s.Rows, htmlSummaryRow{c, Categories[c], *tallies[c]})
		}
		data.Summaries = append(data.Summaries, s)
		for _, r := range rs {
			ids[r.ID] = true
		}
	}
	var idList []string
	for id := range ids {
		idList = append(idList, id)
	}
	sortIDs(idList)
	lastCat, lastSub := "", ""
	for _, id := range idList {
		row := htmlRow{ID: id}
		cat := category(id)
		sub := strings.Join(strings.Split(id, ".")[:2], ".")
		if cat != lastCat {
			row.Category = cat + " " + Categories[cat]
			lastCat = cat
		}
		if sub != lastSub && subCategories[sub] != "" {
			row.SubCategory = sub + " " + subCategories[sub]
		}
		lastSub = sub
		for _, a := range agents {
			r := rp.Get(a, id)
			if r == nil {
				row.Cells = append(row.Cells, htmlCell{Missing: true})
				continue
			}
			c := htmlCell{Anchor: anchorFor(a, id)}
			c.Class, c.Text = verdictClass(r.Behavior)
			if r.ReportTime {
				c.Detail = itoa(int(r.Duration)) + " ms"
			}
			c.CloseClass, _ = verdictClass(r.BehaviorClose)
			switch {
			case r.BehaviorClose == Unclean:
				c.Close = "Unclean"
			case r.BehaviorClose == Failed:
				c.Close = "Fail"
			case r.RemoteCode != nil:
				c.Close = itoa(*r.RemoteCode)
			default:
				c.Close = "None"
			}
			row.Cells = append(row.Cells, c)
		}
		data.Rows = append(data.Rows, row)
	}
	for _, a := range agents {
		for _, r := range rp.Results(a) {
			d := htmlDetail{Anchor: anchorFor(a, r.ID), R: r, Desc: template.HTML(r.Description)}
			d.Class, _ = verdictClass(r.Verdict())
			d.Expected = limitJSON(r.Expected, 1000)
			d.Received = limitJSON(r.Received, 1000)
			d.Close = [][2]string{
				{"isServer", boolStr(r.IsServer)},
				{"closedByMe", boolStr(r.ClosedByMe)},
				{"failedByMe", boolStr(r.FailedByMe)},
				{"droppedByMe", boolStr(r.DroppedByMe)},
				{"wasClean", boolStr(r.WasClean)},
				{"wasNotCleanReason", r.NotClean},
				{"wasServerConnectionDropTimeout", boolStr(r.DropTimeout)},
				{"wasCloseHandshakeTimeout", boolStr(r.CloseTimeout)},
				{"localCloseCode", codeStr(r.LocalCode)},
				{"localCloseReason", r.LocalReason},
				{"remoteCloseCode", codeStr(r.RemoteCode)},
				{"remoteCloseReason", r.RemoteReason},
			}
			data.Details = append(data.Details, d)
		}
	}
	return reportTmpl.Execute(w, data)
}

func sortIDs(ids []string) { slices.SortFunc(ids, compareIDs) }

func limitJSON(v any, limit int) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	if len(b) > limit {
		return string(b[:limit-4]) + " ..."
	}
	return string(b)
}

func boolStr(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

func codeStr(c *int) string {
	if c == nil {
		return "None"
	}
	return itoa(*c)
}
