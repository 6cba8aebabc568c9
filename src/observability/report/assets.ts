/**
 * The stylesheet and the scripts inlined into every report (no CDN, no fonts, no network: the pages carry
 * a Content-Security-Policy that forbids loading anything).
 *
 * The scripts are plain ES5-style JavaScript kept as strings so the bytes are identical in every build;
 * they only filter and sort tables that are already in the page.
 */

export const REPORT_CSS = `
:root{--bg:#f5f6f8;--panel:#fff;--ink:#1c2330;--muted:#5f6b7a;--faint:#8a94a3;--line:#e2e6eb;--band:#f8f9fb;
--accent:#2f5bea;--ok:#17853e;--ok-bg:#e5f5ea;--bad:#c8322b;--bad-bg:#fdecea;--skip:#8a94a3;--skip-bg:#eef0f3;
--run:#2f5bea;--run-bg:#e7edfd;--warn:#a15c00;--warn-bg:#fff4e0;--bar-in:#9db4f5;--bar-out:#2f5bea;--bar-dur:#6d59d8;
--shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.08);
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
--sans:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans","Liberation Sans",sans-serif}
@media (prefers-color-scheme:dark){:root{--bg:#0f141b;--panel:#161d27;--ink:#e4e9f0;--muted:#9aa6b5;--faint:#738093;
--line:#273141;--band:#1a2230;--accent:#7c9cff;--ok:#3ccf6e;--ok-bg:#123222;--bad:#ff6b61;--bad-bg:#3a1716;--skip:#8793a3;
--skip-bg:#222b38;--run:#7c9cff;--run-bg:#1b2645;--warn:#f0b050;--warn-bg:#3a2a10;--bar-in:#3d5596;--bar-out:#7c9cff;
--bar-dur:#9d8cff;--shadow:none}}
*{box-sizing:border-box}
html{scroll-behavior:smooth}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 var(--sans);-webkit-font-smoothing:antialiased}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
code,.mono{font-family:var(--mono);font-size:12.5px}
.wrap{max-width:1200px;margin:0 auto;padding:0 24px}
header.top{background:var(--panel);border-bottom:1px solid var(--line)}
header.top .wrap{padding-top:20px;padding-bottom:16px}
.brand{font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);font-weight:600}
.brand b{color:var(--accent)}
h1{font-size:24px;line-height:1.25;margin:4px 0 6px;display:flex;flex-wrap:wrap;align-items:center;gap:10px}
h2{font-size:16px;margin:0 0 12px;display:flex;align-items:center;gap:10px}
.subtitle{color:var(--muted);font-size:13px;display:flex;flex-wrap:wrap;gap:6px 18px}
.subtitle span b{color:var(--ink);font-weight:600}
.desc{color:var(--muted);margin:8px 0 0;max-width:900px}
nav.tabs{position:sticky;top:0;z-index:5;background:var(--panel);border-bottom:1px solid var(--line)}
nav.tabs .wrap{display:flex;gap:4px;overflow-x:auto}
nav.tabs a{display:block;padding:10px 12px;color:var(--muted);font-weight:500;border-bottom:2px solid transparent;white-space:nowrap}
nav.tabs a:hover{color:var(--ink);text-decoration:none;border-bottom-color:var(--line)}
main.wrap{padding-top:20px;padding-bottom:8px}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;box-shadow:var(--shadow);padding:18px 20px;margin:0 0 18px;scroll-margin-top:56px}
.panel h2 .count{font-weight:400;color:var(--muted);font-size:13px}
.badge{display:inline-flex;align-items:center;gap:6px;font-size:12px;font-weight:600;line-height:1;padding:5px 9px;border-radius:999px;border:1px solid transparent;white-space:nowrap;vertical-align:middle}
.badge::before{content:"";width:7px;height:7px;border-radius:50%;background:currentColor}
.badge.st-succeeded{color:var(--ok);background:var(--ok-bg)}
.badge.st-failed,.badge.st-abandoned{color:var(--bad);background:var(--bad-bg)}
.badge.st-skipped,.badge.st-pending,.badge.st-cancelled{color:var(--skip);background:var(--skip-bg)}
.badge.st-running{color:var(--run);background:var(--run-bg)}
.badge.env{color:var(--muted);background:var(--band);border-color:var(--line)}
.badge.env-process,.badge.env-e2b{color:var(--warn);background:var(--warn-bg)}
.badge.plain::before{display:none}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 12px;background:var(--band);min-width:0}
.card .k{font-size:11.5px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);font-weight:600}
.card .v{font-size:18px;font-weight:600;margin-top:2px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.card .v.small{font-size:13.5px;font-weight:500;white-space:normal;overflow-wrap:anywhere}
.card .v.bad{color:var(--bad)}.card .v.ok{color:var(--ok)}
.card .note{font-size:11.5px;color:var(--warn);margin-top:2px}
.banner{border-radius:10px;padding:14px 18px;margin:0 0 18px;border:1px solid}
.banner.error{background:var(--bad-bg);border-color:var(--bad);color:var(--ink)}
.banner.error h2{color:var(--bad);margin-bottom:6px}
.banner.warn{background:var(--warn-bg);border-color:var(--warn)}
.banner p{margin:4px 0}
.banner .msg{font-family:var(--mono);font-size:13px;white-space:pre-wrap;word-break:break-word}
.banner .hint{color:var(--muted)}
table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600;padding:8px 10px;border-bottom:1px solid var(--line);white-space:nowrap;background:var(--panel);position:sticky;top:0}
th.sortable{cursor:pointer;user-select:none}th.sortable:hover{color:var(--ink)}
th[aria-sort=ascending]::after{content:" ▲";font-size:9px}th[aria-sort=descending]::after{content:" ▼";font-size:9px}
td{padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
tbody tr:hover td{background:var(--band)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.nowrap{white-space:nowrap}
td.err{min-width:180px;overflow-wrap:anywhere}
.table-fit{overflow-x:auto;max-width:100%}
#steps-table td.step{min-width:160px;overflow-wrap:anywhere}
#steps-table .what{overflow-wrap:normal}
#steps-table .what{font-size:11.5px;color:var(--muted);margin-top:2px}
.detail-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:0 24px}
@media (max-width:700px){.detail-grid{grid-template-columns:minmax(0,1fr)}}
#steps-table td.conn{overflow-wrap:anywhere}
tr.hl td{background:var(--bad-bg)}tr.hl td:first-child{box-shadow:inset 3px 0 0 var(--bad)}
tr.warnrow td:first-child{box-shadow:inset 3px 0 0 var(--warn)}
.table-scroll{overflow:auto;max-height:560px;border:1px solid var(--line);border-radius:8px}
.table-scroll table th{border-bottom:1px solid var(--line)}
.ev{font-family:var(--mono);font-size:12px;padding:2px 6px;border-radius:4px;background:var(--band);border:1px solid var(--line);white-space:nowrap}
.ev.bad{color:var(--bad);border-color:var(--bad);background:var(--bad-bg)}
.ev.ok{color:var(--ok)}.ev.warn{color:var(--warn);border-color:var(--warn);background:var(--warn-bg)}
.kv{display:inline-block;margin:0 12px 0 0;font-family:var(--mono);font-size:12px;word-break:break-word}
.kv .k{color:var(--muted)}
.muted{color:var(--faint)}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:0 0 12px}
.filters label{font-size:12px;color:var(--muted);display:flex;align-items:center;gap:6px}
select,input[type=search],button{font:inherit;font-size:13px;color:var(--ink);background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:5px 8px}
input[type=search]{min-width:220px}
button{cursor:pointer}button:hover{border-color:var(--accent)}
.empty{padding:16px;text-align:center;color:var(--muted)}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:18px}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
.chart-title{font-size:13px;font-weight:600;color:var(--muted);margin:14px 0 4px}
.scroll-x{overflow-x:auto;padding:4px 0}
svg.chart{display:block;font-family:var(--sans);font-size:12px}
svg .grid{stroke:var(--line);stroke-width:1}
svg .axis{fill:var(--faint);font-size:11px}
svg .band{fill:var(--band)}
svg .label{fill:var(--ink);font-size:12.5px}
svg .step-link,.step-link{cursor:pointer}
svg .step-link:hover{fill:var(--accent);text-decoration:underline}
svg .note{fill:var(--muted);font-size:11.5px}svg .note.bad{fill:var(--bad);font-weight:600}svg .note.muted{fill:var(--faint);font-style:italic}
svg .bar.st-succeeded{fill:var(--ok)}svg .bar.st-failed{fill:var(--bad)}svg .bar.st-running{fill:var(--run)}
svg .bar.st-skipped,svg .bar.st-pending{fill:var(--skip)}
svg .bar.phase{fill:var(--skip);opacity:.55}svg .muted-label{fill:var(--muted);font-size:12px;font-style:italic}
svg .bar.rows-in{fill:var(--bar-in)}svg .bar.rows-out{fill:var(--bar-out)}svg .bar.dur{fill:var(--bar-dur)}svg .bar.dur-bad{fill:var(--bad)}
svg .row.hl .label{fill:var(--bad);font-weight:700}
svg .row.hl .bar{stroke:var(--bad);stroke-width:2}
svg .edge{fill:none;stroke:var(--faint);stroke-width:1.6}
svg .edge.blocked{stroke-dasharray:5 4;opacity:.7}
svg .arrowhead{fill:var(--faint)}
svg .node{cursor:pointer}
svg .node .box{fill:var(--panel);stroke:var(--line);stroke-width:1.2}
svg .node:hover .box{stroke:var(--accent)}
svg .node .stripe.st-succeeded{fill:var(--ok)}svg .node .stripe.st-failed{fill:var(--bad)}
svg .node .stripe.st-skipped,svg .node .stripe.st-pending{fill:var(--skip)}svg .node .stripe.st-running{fill:var(--run)}
svg .node .id{fill:var(--ink);font-weight:600;font-size:13px}
svg .node .sub{fill:var(--muted);font-size:11.5px}
svg .node.st-skipped .box{stroke-dasharray:5 4;fill:var(--band)}
svg .node.st-skipped .id{fill:var(--muted)}
svg .node.hl .box{fill:var(--bad-bg);stroke:var(--bad);stroke-width:2.5}
svg .node.hl .meta{fill:var(--bad);font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:8px;margin-top:8px}
.durbar{display:inline-block;height:6px;border-radius:3px;background:var(--bar-dur);vertical-align:middle;margin-left:8px;opacity:.7}
details.step-detail{border:1px solid var(--line);border-radius:8px;margin:0 0 10px;background:var(--panel);min-width:0}
details.step-detail[open]{padding-bottom:6px}
details.step-detail>summary{cursor:pointer;padding:9px 12px;display:flex;flex-wrap:wrap;align-items:center;gap:6px 10px;background:var(--band);border-radius:8px}
details.step-detail>summary .sid{font-weight:600;font-size:13.5px}
details.step-detail:target{border-color:var(--accent)}
.detail-body{padding:4px 14px 6px;min-width:0}
.sub-h{font-size:11.5px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600;margin:12px 0 6px}
.sub-h .muted{text-transform:none;letter-spacing:0;font-weight:400}
pre.sql{margin:0;padding:10px 12px;background:var(--band);border:1px solid var(--line);border-radius:6px;font:12.5px/1.5 var(--mono);white-space:pre-wrap;overflow-wrap:anywhere;max-height:360px;overflow:auto}
table.kvtable{width:auto;max-width:100%}
table.kvtable th{position:static;text-transform:none;letter-spacing:0;font-size:12.5px;font-family:var(--mono);color:var(--muted);font-weight:500;padding:3px 14px 3px 0;border:0;vertical-align:top}
table.kvtable td{padding:3px 0;border:0;overflow-wrap:anywhere}
.schema{display:flex;flex-wrap:wrap;gap:4px 6px}
.schema .col{font-family:var(--mono);font-size:12px;padding:2px 7px;border:1px solid var(--line);border-radius:4px;background:var(--band);overflow-wrap:anywhere}
.schema .col.masked b{color:var(--warn)}
.links{display:flex;flex-wrap:wrap;gap:4px 16px}
.links a,.links span{overflow-wrap:anywhere}
.table-scroll.preview{max-height:none}
.preview-table td,.preview-table th{white-space:nowrap;max-width:24ch;overflow:hidden;text-overflow:ellipsis;font-family:var(--mono);font-size:12px;padding:5px 10px}
.preview-table th{text-transform:none;letter-spacing:0}
.preview-table td.null{color:var(--faint);font-style:italic}
.cmp-totals{max-width:560px;margin:0 0 14px}
table.cmp th[scope=row]{position:static;text-transform:none;letter-spacing:0;font-size:13px;color:var(--ink);font-weight:500;border-bottom:1px solid var(--line)}
td.delta.up,td.delta.down{color:var(--accent)}td.delta.slower{color:var(--warn)}td.delta.faster{color:var(--ok)}
footer{color:var(--faint);font-size:12px;padding:8px 0 28px}
@media print{nav.tabs,.filters{display:none}.panel{break-inside:avoid;box-shadow:none}.table-scroll{max-height:none;overflow:visible}}
`;

/** Table filtering (selects and search boxes bound with data-filter-for), sorting, step links. */
export const REPORT_JS = `(function () {
  'use strict';
  function rowsOf(table) { return table.tBodies.length ? table.tBodies[0].rows : []; }
  function applyFilters(table) {
    var controls = document.querySelectorAll('[data-filter-for="' + table.id + '"]');
    var rows = rowsOf(table);
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var ok = true;
      for (var j = 0; j < controls.length && ok; j++) {
        var key = controls[j].getAttribute('data-filter-key');
        var want = controls[j].value;
        if (!want) continue;
        if (key === 'text') {
          ok = row.textContent.toLowerCase().indexOf(want.toLowerCase()) !== -1;
        } else {
          var have = row.getAttribute('data-' + key) || '';
          ok = want === '@none' ? have === '' : have === want;
        }
      }
      row.hidden = !ok;
      if (ok) shown++;
    }
    var counter = document.querySelector('[data-count-for="' + table.id + '"]');
    if (counter) counter.textContent = shown === rows.length ? rows.length + ' shown' : shown + ' of ' + rows.length + ' shown';
    var empty = document.querySelector('[data-empty-for="' + table.id + '"]');
    if (empty) empty.hidden = shown !== 0;
  }
  function sortBy(table, th) {
    var col = th.cellIndex;
    var dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
    var heads = table.tHead.rows[0].cells;
    for (var h = 0; h < heads.length; h++) heads[h].removeAttribute('aria-sort');
    th.setAttribute('aria-sort', dir);
    var numeric = th.classList.contains('num');
    var rows = Array.prototype.slice.call(rowsOf(table));
    rows.forEach(function (row, i) { row.setAttribute('data-pos', String(i)); });
    rows.sort(function (a, b) {
      var ca = a.cells[col], cb = b.cells[col];
      var va = ca.getAttribute('data-sort'); if (va === null) va = ca.textContent;
      var vb = cb.getAttribute('data-sort'); if (vb === null) vb = cb.textContent;
      var c;
      if (numeric) {
        var na = va === '' ? -Infinity : Number(va), nb = vb === '' ? -Infinity : Number(vb);
        c = na < nb ? -1 : na > nb ? 1 : 0;
      } else {
        c = va < vb ? -1 : va > vb ? 1 : 0;
      }
      if (dir === 'descending') c = -c;
      return c || Number(a.getAttribute('data-pos')) - Number(b.getAttribute('data-pos'));
    });
    var body = table.tBodies[0];
    rows.forEach(function (row) { body.appendChild(row); });
  }
  var tables = document.querySelectorAll('table[data-filterable]');
  Array.prototype.forEach.call(tables, function (table) {
    var controls = document.querySelectorAll('[data-filter-for="' + table.id + '"]');
    Array.prototype.forEach.call(controls, function (c) {
      c.addEventListener(c.tagName === 'SELECT' ? 'change' : 'input', function () { applyFilters(table); });
    });
    var reset = document.querySelector('[data-reset-for="' + table.id + '"]');
    if (reset) reset.addEventListener('click', function () {
      Array.prototype.forEach.call(controls, function (c) { c.value = ''; });
      applyFilters(table);
    });
    applyFilters(table);
  });
  Array.prototype.forEach.call(document.querySelectorAll('th.sortable'), function (th) {
    th.addEventListener('click', function () {
      var table = th.closest('table');
      if (table) sortBy(table, th);
    });
  });
  document.addEventListener('click', function (e) {
    var target = e.target;
    if (!target || !target.closest) return;
    var link = target.closest('[data-step-link]');
    if (!link) return;
    var step = link.getAttribute('data-step-link');
    var select = document.getElementById('filter-events-step');
    var table = document.getElementById('events-table');
    if (!select || !table) return;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === step) { select.value = step; applyFilters(table); break; }
    }
    var section = document.getElementById('events');
    if (section) section.scrollIntoView();
    e.preventDefault();
  });
})();`;
