"""The HTML page of `repolint report`: one self-contained file (inline CSS, SVG and script; no
network: a Content-Security-Policy forbids every fetch and admits only this page's own style
and script, by hash).

Charts are SVG drawn here (each bar a ``<g class="bar">``); the repo x release grid and the
findings table are drawn by the page's script from a JSON block, filtered by one search box
and shown a page at a time, so a scan of tens of thousands of repos stays usable.

Everything from the scan file is untrusted: markup gets ``html.escape``; the JSON block has
every ``<``, ``>`` and ``&`` escaped, so it cannot close its ``<script>``; the page's script
writes it with ``textContent`` and ``setAttribute`` only.
"""

from __future__ import annotations

import base64
import hashlib
import json
from html import escape

from repolint import __version__
from repolint.scan.records import SEVERITIES, ScanFile
from repolint.scan.report import Summary, data_notes, hub_url

WIDTH, LABEL_W, COUNT_W, ROW_H = 820, 250, 90, 22
MAX_BARS = 40  # per chart; the rest is counted below it

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:0 16px 48px;color:#1f2328}
h1{font-size:24px;margin:24px 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta,.note,.more{color:#59636e}.notes li{color:#9a6700}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.tile{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:110px}
.tile b{display:block;font-size:22px}
svg.chart{display:block;max-width:100%;height:auto}
svg text{font:12px system-ui,sans-serif;fill:#1f2328}
.loads{fill:#2da44e}.breaks{fill:#cf222e}.unknown{fill:#8c959f}.fine{fill:#b6e3c1}
.sev-error{fill:#cf222e}.sev-warning{fill:#d4a72c}.sev-info{fill:#54aeff}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
.legend i.loads{background:#2da44e}.legend i.breaks{background:#cf222e}.legend i.unknown{background:#8c959f}
.legend i.fine{background:#b6e3c1}.legend i.sev-error{background:#cf222e}.legend i.sev-warning{background:#d4a72c}
.legend i.sev-info{background:#54aeff}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border-bottom:1px solid #eaeef2;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f6f8fa;position:sticky;top:0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.v-loads{background:#dafbe1;color:#116329}td.v-breaks{background:#ffebe9;color:#a40e26;font-weight:600}
td.v-unknown{background:#eaeef2;color:#59636e}td.v-none{color:#8c959f}td.v-error{background:#fff8c5;color:#7d4e00}
td.msg{word-break:break-word}span.s-error{color:#cf222e}span.s-warning{color:#9a6700}span.s-info{color:#0969da}
#search{font:inherit;padding:6px 10px;width:100%;box-sizing:border-box;border:1px solid #d0d7de;border-radius:6px;margin:8px 0}
button{font:inherit;margin:6px 0;padding:4px 12px}
"""

SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var repos = data.repos, findings = data.findings, targets = data.targets, PAGE = 200;
  var VERDICT = {L: ["loads", "loads"], B: ["breaks", "breaks"], U: ["unknown", "?"], "-": ["none", "\u2013"]};
  var search = document.getElementById("search");
  var shown = {grid: PAGE, findings: PAGE};
  function lower(parts) { return parts.join("\u0001").toLowerCase(); }
  var repoText = repos.map(function (r) { return lower([r[0], r[1], r[3] || "", r[5] || ""]); });
  var findingText = findings.map(function (f) {
    var r = repos[f[0]];
    return lower([r[0], r[1], r[3] || "", f[1], f[2], f[3], f[4] || "", f[6]]);
  });
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function link(url, text) {
    var a = el("a", text);
    a.setAttribute("href", url);
    a.setAttribute("rel", "noopener noreferrer");
    return a;
  }
  function cell(child, cls) {
    var td = el("td", null, cls);
    td.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    return td;
  }
  function matches(text, terms) {
    for (var i = 0; i < terms.length; i++) if (text.indexOf(terms[i]) < 0) return false;
    return true;
  }
  function gridRow(r) {
    var tr = el("tr");
    tr.appendChild(cell(link(r[6], r[0])));
    tr.appendChild(cell(r[3] || "", null));
    if (r[4] === "error") {
      var td = cell("scan error: " + (r[5] || ""), "v-error");
      td.setAttribute("colspan", String(Math.max(targets.length, 1)));
      tr.appendChild(td);
    } else {
      for (var i = 0; i < targets.length; i++) {
        var v = VERDICT[r[2].charAt(i)] || VERDICT["-"];
        tr.appendChild(cell(v[1], "v-" + v[0]));
      }
    }
    return tr;
  }
  function findingRow(f) {
    var r = repos[f[0]], tr = el("tr");
    tr.appendChild(cell(link(r[6], r[0])));
    tr.appendChild(cell(el("span", f[3], "s-" + f[3])));
    var code = el("td", f[1]);
    code.setAttribute("title", f[2]);
    tr.appendChild(code);
    var where = f[4] ? f[4] + (f[5] ? ":" + f[5] : "") : "";
    tr.appendChild(cell(f[4] ? link(f[7], where) : ""));
    tr.appendChild(cell(f[6], "msg"));
    tr.appendChild(cell(f[8]));
    return tr;
  }
  function fill(id, rows, make, count, what) {
    var body = document.getElementById(id).tBodies[0];
    body.textContent = "";
    var n = Math.min(rows.length, shown[what]);
    var frag = document.createDocumentFragment();
    for (var i = 0; i < n; i++) frag.appendChild(make(rows[i]));
    body.appendChild(frag);
    document.getElementById(what + "-count").textContent = "showing " + n + " of " + rows.length + " matching (" + count + " in all)";
    document.getElementById(what + "-more").hidden = n >= rows.length;
  }
  function render() {
    var terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var hitRepo = new Uint8Array(repos.length), fm = [], rm = [];
    for (var i = 0; i < findings.length; i++) {
      if (matches(findingText[i], terms)) { fm.push(findings[i]); hitRepo[findings[i][0]] = 1; }
    }
    for (var j = 0; j < repos.length; j++) if (hitRepo[j] || matches(repoText[j], terms)) rm.push(repos[j]);
    fill("grid", rm, gridRow, repos.length, "grid");
    fill("findings", fm, findingRow, findings.length, "findings");
  }
  search.addEventListener("input", function () { shown.grid = shown.findings = PAGE; render(); });
  ["grid", "findings"].forEach(function (what) {
    document.getElementById(what + "-more").addEventListener("click", function () { shown[what] += PAGE; render(); });
  });
  render();
})();
"""


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


CSP = (f"default-src 'none'; style-src {_csp_hash(CSS)}; script-src {_csp_hash(SCRIPT)}; img-src data:; "
       "base-uri 'none'; form-action 'none'")


def _e(value) -> str:
    return escape(str(value), quote=True)


def hbar_chart(chart_id: str, rows: list[tuple[str, list[tuple[int, str]], str, str]], empty: str) -> str:
    """Horizontal bars, one ``<g class="bar">`` per row: (label, [(value, css class)], the text
    at the bar's end, a tooltip). Stacked when a row has several segments."""
    if not rows:
        return f'<p class="note" id="{chart_id}-empty">{_e(empty)}</p>'
    shown = rows[:MAX_BARS]
    top = max(sum(v for v, _ in segs) for _, segs, _, _ in shown) or 1
    span = WIDTH - LABEL_W - COUNT_W
    height = ROW_H * len(shown) + 4
    out = [f'<svg class="chart" id="{chart_id}" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
           f'height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, segs, end_text, tip) in enumerate(shown):
        y = i * ROW_H + 2
        short = label if len(label) <= 38 else label[:37] + "…"
        out.append(f'<g class="bar" data-label="{_e(label)}"><title>{_e(tip)}</title>'
                   f'<text x="{LABEL_W - 8}" y="{y + 15}" text-anchor="end">{_e(short)}</text>')
        x = float(LABEL_W)
        for value, cls in segs:
            w = span * value / top
            if value:
                out.append(f'<rect class="{_e(cls)}" x="{x:.1f}" y="{y + 3}" width="{max(w, 1.5):.1f}" height="{ROW_H - 6}"/>')
            x += w
        out.append(f'<text x="{x + 6:.1f}" y="{y + 15}">{_e(end_text)}</text></g>')
    out.append("</svg>")
    if len(rows) > MAX_BARS:
        out.append(f'<p class="more">… and {len(rows) - MAX_BARS} more (in the table below).</p>')
    return "".join(out)


def _legend(*items: tuple[str, str]) -> str:
    return '<p class="legend">' + "".join(f'<span><i class="{c}"></i>{_e(t)}</span>' for c, t in items) + "</p>"


def _charts(s: Summary) -> list[str]:
    release_rows = [(t, [(c["loads"], "loads"), (c["breaks"], "breaks"), (c["unknown"], "unknown")],
                     f"{c['breaks']} of {sum(c.values())} break", f"transformers {t}: {c['loads']} load, {c['breaks']} break, "
                     f"{c['unknown']} unknown") for t, c in s.per_release.items()]
    rule_rows = [(f"{r.code} {r.name}".strip(), [(r.repos, f"sev-{r.severity}")], str(r.repos),
                  f"{r.code} {r.name} ({r.severity}): {r.repos} repos, {r.findings} findings") for r in s.rules]
    mt_rows = [(mt, [(breaking, "breaks"), (n - breaking, "fine")], f"{breaking} / {n}",
                f"{mt}: {breaking} of {n} repos break") for mt, n, breaking in s.model_types]
    return [
        '<h2 id="per-release">Per target release</h2>',
        _legend(("loads", "loads"), ("breaks", "breaks"), ("unknown", "unknown")),
        hbar_chart("chart-releases", release_rows, "No repo was checked against a release."),
        '<h2 id="per-rule">Repos per rule</h2>',
        _legend(("sev-error", "error"), ("sev-warning", "warning"), ("sev-info", "info")),
        hbar_chart("chart-rules", rule_rows, "No findings."),
        '<h2 id="per-model-type">Repos per model_type</h2>',
        _legend(("breaks", "break on a release"), ("fine", "do not")),
        hbar_chart("chart-model-types", mt_rows, "No repo was scanned."),
    ]


def _reasons(s: Summary) -> list[str]:
    if not s.reasons:
        return []
    top = s.reasons[0][2]
    rows = "".join(
        f'<tr><td class="num">{n}</td><td><svg width="120" height="10" xmlns="http://www.w3.org/2000/svg">'
        f'<rect class="breaks" width="{max(120 * n / top, 1.5):.1f}" height="10"/></svg></td>'
        f"<td>{_e(code)}</td><td class=\"msg\">{_e(reason)}<br><span class=\"note\">e.g. {_e(example)}</span></td></tr>"
        for code, reason, n, example in s.reasons[:25])
    return ['<h2 id="reasons">Top reasons a repo breaks</h2>',
            f'<table id="reasons-table"><thead><tr><th>repos</th><th></th><th>rule</th><th>reason</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"]


def _scan_errors(s: Summary) -> list[str]:
    if not s.scan_errors:
        return []
    rows = "".join(f'<tr><td>{_e(kind)}</td><td class="num">{n}</td></tr>' for kind, n in s.scan_errors.most_common())
    return ['<h2 id="scan-errors">Scan errors</h2><p class="note">Repos whose scan stopped (they are in the grid '
            'below; <code>repolint scan --resume</code> retries them).</p>',
            f'<table id="scan-errors-table"><thead><tr><th>error</th><th>repos</th></tr></thead><tbody>{rows}</tbody></table>']


def page_data(s: Summary, hub: str) -> dict:
    """The JSON block the page's script reads: repos (most broken first) and findings."""
    codes = {"loads": "L", "breaks": "B", "unknown": "U"}
    order = sorted(range(len(s.records)), key=lambda i: (
        s.records[i].status != "error", -list(s.records[i].verdicts.values()).count("breaks"),
        -len(s.records[i].findings), s.records[i].spec))
    repos, findings, index = [], [], {}
    for i in order:
        rec = s.records[i]
        index[i] = len(repos)
        verdicts = "".join(codes.get(rec.verdicts.get(t, ""), "-") for t in s.targets)
        error = f"{rec.error_type or 'error'}: {rec.error_message or ''}" if rec.status == "error" else None
        repos.append([rec.spec, rec.repo, verdicts, rec.model_type, rec.status, error, hub_url(hub, rec)])
    rank = {sev: n for n, sev in enumerate(SEVERITIES)}
    for i in order:
        rec = s.records[i]
        for f in sorted(rec.findings, key=lambda f: (rank[f.severity], f.path or "", f.line or 0, f.code)):
            findings.append([index[i], f.code, f.name, f.severity, f.path, f.line, f.message,
                             hub_url(hub, rec, f), ", ".join(f.targets)])
    return {"targets": s.targets, "repos": repos, "findings": findings}


def _json_block(payload: dict) -> str:
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(scan: ScanFile, s: Summary, *, hub: str, generated: str) -> str:
    n = len(s.records)
    tiles = [("repos", n), ("scanned", s.scanned), ("scan errors", sum(s.scan_errors.values())),
             ("break on a release", s.breaking)] + [(f"{sev} findings", s.severities[sev]) for sev in SEVERITIES]
    notes = data_notes(scan)
    target_heads = "".join(f"<th>{_e(t)}</th>" for t in s.targets) or "<th>verdict</th>"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>repolint scan report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>repolint scan report</h1>",
        f'<p class="meta">{_e(scan.path)} · generated {_e(generated)} by repolint {_e(__version__)}</p>',
        '<div class="tiles">' + "".join(f'<div class="tile"><b>{v}</b>{_e(k)}</div>' for k, v in tiles) + "</div>",
        ('<ul class="notes" id="notes">' + "".join(f"<li>{_e(x)}</li>" for x in notes) + "</ul>") if notes else "",
        *_charts(s),
        *_reasons(s),
        *_scan_errors(s),
        '<h2 id="search-head">Repos and findings</h2>',
        '<input id="search" type="search" placeholder="Filter: repo, model_type, rule code or name, file, message '
        '(space-separated words must all match)" aria-label="Filter repos and findings" autocomplete="off">',
        '<h3>Repo × release grid</h3><p class="note" id="grid-count"></p>',
        f'<table id="grid"><thead><tr><th>repo</th><th>model_type</th>{target_heads}</tr></thead><tbody></tbody></table>',
        '<button type="button" id="grid-more" hidden>Show more repos</button>',
        '<h3>Findings</h3><p class="note" id="findings-count"></p>',
        '<table id="findings"><thead><tr><th>repo</th><th>severity</th><th>rule</th><th>file</th><th>message</th>'
        "<th>targets</th></tr></thead><tbody></tbody></table>",
        '<button type="button" id="findings-more" hidden>Show more findings</button>',
        f'<script type="application/json" id="report-data">{_json_block(page_data(s, hub))}</script>',
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"
