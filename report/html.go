package report

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/perfgate/perfgate/bench"
	"github.com/perfgate/perfgate/history"
)

// HTML writes the history as a dashboard: one self-contained page (inline CSS, SVG and a small
// script; no fonts, libraries or data fetched from anywhere, so it opens from disk and from
// GitHub Pages behind a firewall). Per config it draws the chosen metric over the batches with
// its change points and its baseline band, and marks failed nights; a filter per config key
// hides configs; the sweep view lists the best config per scale and a tp × pp grid coloured by
// the newest value.
//
// Charts are drawn as they scroll into view, so a history of thousands of configs opens as
// fast as one of ten. Every string from the data reaches the page as escaped template text or
// through textContent, never as markup.
func HTML(w io.Writer, h *history.History, o HistoryOptions) error {
	data, err := json.Marshal(htmlDataOf(h, o))
	if err != nil {
		return err
	}
	page := htmlPage{
		Source: strings.TrimSpace(HistorySource(h, o) + " " + HistoryFormulaDrift(h)),
		Method: fmt.Sprintf("Change points: E-divisive means on log values, permutation test, steps of at least %g%%. The band is the gate's baseline: the level of the newest runs it keeps, ± the minimum effect.", h.MinEffectPct),
		Data:   template.JS(data),
	}
	if alerts := h.Alerts(o.Recent); len(alerts) > 0 {
		page.Alerts = AlertLines(h, alerts)
	}
	page.Sweep = sweepView(h.Sweep)
	return htmlTemplate.Execute(w, page)
}

type htmlPage struct {
	Source, Method string
	Alerts         []string
	Sweep          *sweepPage
	Data           template.JS
}

// htmlData is the page's data, compact: points are indexes into the shared batch list.
type htmlData struct {
	Batches [][3]string `json:"batches"` // batch, short commit, date
	Keys    []string    `json:"keys"`    // every config key, in display order
	Metrics []string    `json:"metrics"`
	Configs []htmlCfg   `json:"configs"`
}

type htmlCfg struct {
	Label  string            `json:"label"`
	Config map[string]string `json:"config"`
	Series []htmlSeries      `json:"series"`
}

type htmlSeries struct {
	Metric int    `json:"m"`
	Better string `json:"better"`
	X      []int  `json:"x"` // batch indexes
	// Y holds values; a failed night is the string "oom" or "error".
	Y  []any        `json:"y"`
	CP []htmlChange `json:"cp"`
	// Band is [lo, hi, first batch index, centre].
	Band []float64 `json:"band,omitempty"`
}

type htmlChange struct {
	X     int    `json:"x"` // batch index of the first run after
	Worse bool   `json:"worse"`
	Level bool   `json:"level"`
	Text  string `json:"text"`
}

func htmlDataOf(h *history.History, o HistoryOptions) *htmlData {
	d := &htmlData{Batches: [][3]string{}, Keys: []string{}, Metrics: []string{}, Configs: []htmlCfg{}}
	for _, b := range h.Batches {
		date := b.Date
		if len(date) > 16 {
			date = date[:16]
		}
		d.Batches = append(d.Batches, [3]string{b.Batch, bench.ShortCommit(b.Commit), date})
	}
	metricIndex := map[string]int{}
	all := bench.Config{}
	byKey := map[string]int{}
	for i := range h.Series {
		s := &h.Series[i]
		for k, v := range s.Config {
			all[k] = v
		}
		mi, ok := metricIndex[s.Metric]
		if !ok {
			mi = len(d.Metrics)
			metricIndex[s.Metric] = mi
			d.Metrics = append(d.Metrics, s.Metric)
		}
		ci, ok := byKey[s.Key]
		if !ok {
			ci = len(d.Configs)
			byKey[s.Key] = ci
			d.Configs = append(d.Configs, htmlCfg{Label: s.Config.String(), Config: s.Config})
		}
		hs := htmlSeries{Metric: mi, Better: s.Better.String(), X: make([]int, 0, len(s.Points)), Y: make([]any, 0, len(s.Points)), CP: []htmlChange{}}
		for _, p := range s.Points {
			hs.X = append(hs.X, p.BatchIndex)
			if p.OK() {
				hs.Y = append(hs.Y, round4(*p.Value))
			} else {
				hs.Y = append(hs.Y, string(p.Outcome))
			}
		}
		for j := range s.ChangePoints {
			cp := &s.ChangePoints[j]
			hs.CP = append(hs.CP, htmlChange{X: s.Points[cp.Index].BatchIndex, Worse: cp.Worse, Level: cp.Kind == history.Level,
				Text: ChangeText(cp) + " at " + where(cp.Batch, cp.Commit, cp.Date)})
		}
		if b := s.Band; b != nil {
			hs.Band = []float64{round4(b.Lo), round4(b.Hi), float64(s.Points[b.From].BatchIndex), round4(b.Center)}
		}
		d.Configs[ci].Series = append(d.Configs[ci].Series, hs)
	}
	d.Keys = append(d.Keys, all.Keys()...)
	return d
}

// round4 keeps 5 significant digits: plenty for a chart, and a third of the bytes.
func round4(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 5, 64), 64)
	return f
}

type sweepPage struct {
	Metric string
	Scales []scalePage
}

type scalePage struct {
	Scale, Best, BestValue string
	Configs                int
	PP                     []string
	Rows                   []gridRow
}

type gridRow struct {
	TP    string
	Cells []gridCell
}

type gridCell struct {
	Text  string
	Style template.CSS
	Best  bool
}

func sweepView(sw *history.Sweep) *sweepPage {
	if sw == nil || len(sw.Scales) == 0 {
		return nil
	}
	p := &sweepPage{Metric: sw.Metric}
	for _, sc := range sw.Scales {
		sp := scalePage{Scale: orAll(sc.Scale.String()), Best: sc.BestCfg.String(), BestValue: num(sc.BestValue), Configs: sc.Configs, PP: sc.PP}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, row := range sc.Grid {
			for _, c := range row {
				if c != nil {
					lo, hi = math.Min(lo, *c), math.Max(hi, *c)
				}
			}
		}
		for i, row := range sc.Grid {
			gr := gridRow{TP: sc.TP[i]}
			for _, c := range row {
				cell := gridCell{Text: "—", Style: "background:#f3f3f3"}
				if c != nil {
					t := 1.0
					if hi > lo {
						t = (*c - lo) / (hi - lo)
					}
					if sw.Better == bench.Lower.String() {
						t = 1 - t
					}
					// From pale red (worst) to green (best).
					hue := 10 + 110*t
					cell = gridCell{Text: num(*c), Style: template.CSS(fmt.Sprintf("background:hsl(%.0f,65%%,%.0f%%)", hue, 80-15*t)), Best: *c == sc.BestValue}
				}
				gr.Cells = append(gr.Cells, cell)
			}
			sp.Rows = append(sp.Rows, gr)
		}
		p.Scales = append(p.Scales, sp)
	}
	return p
}

func orAll(s string) string {
	if s == "" {
		return "all configs"
	}
	return s
}

var htmlTemplate = template.Must(template.New("history").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>perfgate history</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f2328;background:#fff}
header{padding:12px 20px;border-bottom:1px solid #d0d7de;background:#f6f8fa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:18px 0 8px}
main{padding:0 20px 40px}
.note{color:#57606a;margin:2px 0}
.alerts{border:1px solid #cf222e;background:#ffebe9;padding:8px 12px;margin:12px 0;border-radius:6px}
.alerts li{margin:2px 0}
#filters{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;padding:10px 0;position:sticky;top:0;background:#fff;border-bottom:1px solid #d0d7de;z-index:1}
#filters label{white-space:nowrap;margin-right:10px}
#count{color:#57606a}
#cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(460px,1fr));gap:12px;margin-top:12px}
.card{border:1px solid #d0d7de;border-radius:6px;padding:6px 8px;min-height:170px}
.card[hidden]{display:none}
.card h3{font-size:13px;font-weight:600;margin:0 0 2px;font-family:ui-monospace,monospace;word-break:break-all}
.card .sub{font-size:12px;color:#57606a;min-height:16px}
svg.chart{display:block;width:100%;height:140px}
.grid{border-collapse:collapse;margin:4px 0 12px}
.grid td,.grid th{border:1px solid #d0d7de;padding:3px 8px;text-align:right;font-variant-numeric:tabular-nums}
.grid td.best{outline:2px solid #1f2328;outline-offset:-2px;font-weight:600}
.legend span{display:inline-block;margin-right:14px}
.sw{display:inline-block;width:12px;height:10px;vertical-align:middle;margin-right:4px}
</style>
</head>
<body>
<header>
<h1>perfgate history</h1>
<p class="note">{{.Source}}</p>
<p class="note">{{.Method}}</p>
</header>
<main>
{{if .Alerts}}<div class="alerts" id="alerts"><strong>Changes for the worse in the newest nights</strong><ul>{{range .Alerts}}<li>{{.}}</li>{{end}}</ul></div>{{end}}
{{with .Sweep}}<section id="sweep"><h2>Sweep: best config per job by the newest {{.Metric}}</h2>
{{range .Scales}}<h3 style="font-size:14px;margin:10px 0 2px">{{.Scale}} — best of {{.Configs}}: {{.Best}} ({{.BestValue}})</h3>
{{if .Rows}}<table class="grid"><tr><th>tp \ pp</th>{{range .PP}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><th>{{.TP}}</th>{{range .Cells}}<td style="{{.Style}}"{{if .Best}} class="best"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</table>{{end}}
{{end}}</section>{{end}}
<h2>Configs over time</h2>
<p class="legend note"><span><i class="sw" style="background:#0969da"></i>metric</span><span><i class="sw" style="background:#ddf4ff;border:1px solid #54aeff"></i>baseline band</span><span><i class="sw" style="background:#cf222e"></i>change for the worse</span><span><i class="sw" style="background:#1a7f37"></i>change for the better</span><span>✕ failed night (OOM, error)</span></p>
<div id="filters"><label>metric <select id="metric"></select></label><span id="keyfilters"></span><span id="count"></span></div>
<div id="cards"></div>
</main>
<script id="data" type="application/json">{{.Data}}</script>
<script>
"use strict";
(function(){
const D=JSON.parse(document.getElementById("data").textContent);
const NS="http://www.w3.org/2000/svg";
const W=600,H=140,L=48,R=8,T=8,B=18;
let metric=0;
const msel=document.getElementById("metric");
D.metrics.forEach((m,i)=>{const o=document.createElement("option");o.value=i;o.textContent=m;msel.appendChild(o);});
// Filters by config key: a Map, and a config's own keys only, so a key named "__proto__"
// or "constructor" (JSONL accepts any key) filters like any other.
const filters=new Map();
const own=(o,k)=>Object.prototype.hasOwnProperty.call(o,k)?o[k]:undefined;
const kf=document.getElementById("keyfilters");
D.keys.forEach(k=>{
  const vals=[...new Set(D.configs.map(c=>own(c.config,k)).filter(v=>v!==undefined))].sort((a,b)=>(+a-+b)||a.localeCompare(b));
  if(vals.length<2)return;
  const lab=document.createElement("label");lab.textContent=k+" ";
  const s=document.createElement("select");s.dataset.key=k;
  const all=document.createElement("option");all.value="";all.textContent="all";s.appendChild(all);
  vals.forEach(v=>{const o=document.createElement("option");o.value=v;o.textContent=v;s.appendChild(o);});
  s.addEventListener("change",()=>{filters.set(k,s.value);applyFilter();});
  lab.appendChild(s);kf.appendChild(lab);
});
const cards=document.getElementById("cards");
const els=D.configs.map((c,i)=>{
  const d=document.createElement("div");d.className="card";d.dataset.i=i;
  const h=document.createElement("h3");h.textContent=c.label;d.appendChild(h);
  const sub=document.createElement("div");sub.className="sub";d.appendChild(sub);
  cards.appendChild(d);return d;
});
function el(n,a){const e=document.createElementNS(NS,n);for(const k in a)e.setAttribute(k,a[k]);return e;}
function fmt(v){const a=Math.abs(v);return a>=1000?v.toFixed(0):a>=100?v.toFixed(1):a>=10?v.toFixed(2):v.toPrecision(3);}
function draw(d){
  const c=D.configs[+d.dataset.i];
  const old=d.querySelector("svg");if(old)old.remove();
  const sub=d.querySelector(".sub");
  const s=c.series.find(s=>s.m===metric);
  d.dataset.drawn=metric;
  if(!s){sub.textContent="no "+D.metrics[metric]+" for this config";return;}
  const n=Math.max(D.batches.length-1,1);
  let lo=Infinity,hi=-Infinity;
  s.y.forEach(v=>{if(typeof v==="number"){lo=Math.min(lo,v);hi=Math.max(hi,v);}});
  if(s.band){lo=Math.min(lo,s.band[0]);hi=Math.max(hi,s.band[1]);}
  if(!isFinite(lo)){lo=0;hi=1;}
  if(hi-lo<1e-9*Math.abs(hi)+1e-12){lo-=1;hi+=1;}
  const pad=(hi-lo)*0.08;lo-=pad;hi+=pad;
  const X=i=>L+(W-L-R)*i/n, Y=v=>T+(H-T-B)*(hi-v)/(hi-lo);
  const svg=el("svg",{class:"chart",viewBox:"0 0 "+W+" "+H,preserveAspectRatio:"none",role:"img"});
  svg.appendChild(el("rect",{x:L,y:T,width:W-L-R,height:H-T-B,fill:"#fff",stroke:"#d0d7de"}));
  if(s.band){const x0=X(s.band[2]);svg.appendChild(el("rect",{class:"band",x:x0,y:Y(s.band[1]),width:Math.max(X(n)-x0,2),height:Math.max(Y(s.band[0])-Y(s.band[1]),1),fill:"#ddf4ff",stroke:"#54aeff","stroke-width":0.5}));}
  [hi-pad,lo+pad].forEach(v=>{const t=el("text",{x:L-4,y:Y(v)+4,"text-anchor":"end","font-size":10,fill:"#57606a"});t.textContent=fmt(v);svg.appendChild(t);});
  const first=el("text",{x:L,y:H-4,"font-size":10,fill:"#57606a"});first.textContent=D.batches[0]?D.batches[0][2].slice(0,10):"";svg.appendChild(first);
  const last=el("text",{x:W-R,y:H-4,"font-size":10,fill:"#57606a","text-anchor":"end"});last.textContent=D.batches.length?D.batches[D.batches.length-1][2].slice(0,10):"";svg.appendChild(last);
  s.cp.forEach(cp=>{const x=X(cp.x-0.5);const ln=el("line",{class:"cp",x1:x,x2:x,y1:T,y2:H-B,stroke:cp.worse?"#cf222e":"#1a7f37","stroke-width":2,"stroke-dasharray":cp.level?"":"4 3"});const t=el("title",{});t.textContent=cp.text;ln.appendChild(t);svg.appendChild(ln);});
  let pts=[];const segs=[];
  s.x.forEach((x,i)=>{const v=s.y[i];if(typeof v==="number")pts.push(X(x).toFixed(1)+","+Y(v).toFixed(1));else{if(pts.length)segs.push(pts);pts=[];}});
  if(pts.length)segs.push(pts);
  segs.forEach(p=>{if(p.length===1){const [x,y]=p[0].split(",");svg.appendChild(el("circle",{cx:x,cy:y,r:2,fill:"#0969da"}));}else svg.appendChild(el("polyline",{points:p.join(" "),fill:"none",stroke:"#0969da","stroke-width":1.5}));});
  s.x.forEach((x,i)=>{const v=s.y[i];if(typeof v!=="number"){const m=el("text",{class:"fail",x:X(x),y:H-B-3,"text-anchor":"middle","font-size":12,fill:"#cf222e"});m.textContent="✕";const t=el("title",{});t.textContent=D.batches[x][0]+": "+v.toUpperCase();m.appendChild(t);svg.appendChild(m);}});
  const lastV=s.y[s.y.length-1];
  sub.textContent=D.metrics[metric]+" ("+s.better+" is better): "+(typeof lastV==="number"?fmt(lastV):String(lastV).toUpperCase())+" on "+(D.batches[s.x[s.x.length-1]]||["?"])[0]+(s.cp.length?"; "+s.cp.length+" change point(s)":"");
  d.appendChild(svg);
}
const io=("IntersectionObserver" in window)?new IntersectionObserver(es=>{es.forEach(e=>{if(e.isIntersecting&&e.target.dataset.drawn!==String(metric))draw(e.target);});},{rootMargin:"400px"}):null;
function visible(c){for(const [k,v] of filters){if(v&&own(c.config,k)!==v)return false;}return true;}
function applyFilter(){let n=0;els.forEach((d,i)=>{const v=visible(D.configs[i]);d.hidden=!v;if(v)n++;});document.getElementById("count").textContent=n+" of "+els.length+" configs";if(!io)els.forEach(d=>{if(!d.hidden)draw(d);});}
msel.addEventListener("change",()=>{metric=+msel.value;els.forEach(d=>{if(!io||d.dataset.drawn!==undefined){if(io){io.unobserve(d);delete d.dataset.drawn;io.observe(d);}else draw(d);}});});
applyFilter();
if(io)els.forEach(d=>io.observe(d));
})();
</script>
</body>
</html>
`))
