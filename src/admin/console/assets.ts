/**
 * The console's only assets, served by the proxy itself (devices' LANs are often offline: nothing is
 * loaded from the internet). Kept as text in a module so `tsc` carries them into dist/ with no build step;
 * each URL names its content hash, so browsers may keep it forever.
 */
import { createHash } from 'node:crypto';

const STYLES = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #ffffff; --text: #1b1f24; --muted: #5b6470; --line: #d9dde3; --accent: #1f5fbf;
  --ok-bg: #e3f4e6; --ok: #1d6b2e; --warn-bg: #fff3d6; --warn: #7a5200; --bad-bg: #fde4e2; --bad: #a3231a;
  --info-bg: #e4edfb; --info: #1f4f99; --idle-bg: #eceef1; --idle: #4b5360;
  --bar: #3b7ddd; --bar2: #8fb5ee; --bar3: #2e9e4f; --bar4: #c0392b;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", "PingFang SC",
    "Microsoft YaHei", sans-serif;
  font-size: 15px; line-height: 1.45;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #15181c; --panel: #1e2227; --text: #e6e8eb; --muted: #9aa3ae; --line: #343a42; --accent: #7fb0ff;
    --ok-bg: #173a22; --ok: #8fe0a2; --warn-bg: #3d300f; --warn: #f3cf73; --bad-bg: #4a1d1a; --bad: #ff9d94;
    --info-bg: #1a2d4a; --info: #9cc2ff; --idle-bg: #2b3037; --idle: #b9c0c9;
    --bar: #5c97ef; --bar2: #35527d; --bar3: #48b96a; --bar4: #e2645a;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
a { color: var(--accent); }
header.top { background: var(--panel); border-bottom: 1px solid var(--line); }
header.top .bar { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.25rem; max-width: 80rem;
  margin: 0 auto; padding: .6rem 1rem; }
header.top .brand { font-weight: 700; text-decoration: none; color: var(--text); }
nav.main { display: flex; flex-wrap: wrap; gap: .25rem; }
nav.main a { padding: .3rem .6rem; border-radius: .4rem; text-decoration: none; color: var(--text); }
nav.main a[aria-current="page"] { background: var(--info-bg); color: var(--info); font-weight: 600; }
header.top .side { margin-left: auto; display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; }
main { max-width: 80rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: .25rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
h1.mono { font-size: 1.3rem; }
h3 { font-size: 1rem; margin: .75rem 0 .4rem; }
td.mono { white-space: nowrap; }
.diff td.mono { white-space: normal; }
@media (max-width: 40rem) { td.mono { white-space: normal; } }
.grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(17rem, 1fr)); }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: .5rem; padding: .9rem 1rem; }
.panel h2 { margin-top: 0; }
.figure { font-size: 1.8rem; font-weight: 700; }
.muted { color: var(--muted); }
.mono, code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono CJK SC", monospace;
  font-size: .9em; overflow-wrap: anywhere; }
.table-wrap { overflow-x: auto; background: var(--panel); border: 1px solid var(--line); border-radius: .5rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .85rem; color: var(--muted); font-weight: 600; white-space: nowrap; }
tbody tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-size: .82rem; font-weight: 600;
  white-space: nowrap; border: 1px solid transparent; }
.badge::before { content: "● "; }
.badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.warn { background: var(--warn-bg); color: var(--warn); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.badge.info { background: var(--info-bg); color: var(--info); }
.badge.idle { background: var(--idle-bg); color: var(--idle); }
.notice { padding: .6rem .9rem; border-radius: .5rem; margin: 0 0 1rem; border: 1px solid var(--line); }
.notice.ok { background: var(--ok-bg); color: var(--ok); }
.notice.bad { background: var(--bad-bg); color: var(--bad); }
.notice.warn { background: var(--warn-bg); color: var(--warn); }
form.inline { display: inline; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin-bottom: 1rem; }
label { display: flex; flex-direction: column; gap: .2rem; font-size: .85rem; color: var(--muted); }
input, select, button, textarea { font: inherit; color: var(--text); background: var(--panel);
  border: 1px solid var(--line); border-radius: .4rem; padding: .35rem .55rem; }
input[type="checkbox"] { width: auto; }
button, .button { cursor: pointer; background: var(--accent); color: #fff; border-color: var(--accent);
  font-weight: 600; text-decoration: none; display: inline-block; padding: .35rem .8rem; border-radius: .4rem; }
@media (prefers-color-scheme: dark) { button, .button { color: #0d1117; } }
button.secondary { background: var(--panel); color: var(--text); border-color: var(--line); }
button.danger { background: var(--bad); border-color: var(--bad); }
@media (prefers-color-scheme: dark) { button.danger { color: #0d1117; } }
.linkish { background: none; border: 0; color: var(--accent); padding: 0; font-weight: normal; text-decoration: underline; }
.pager { display: flex; gap: 1rem; align-items: center; margin-top: .75rem; }
.legend { display: flex; flex-wrap: wrap; gap: .2rem .9rem; font-size: .82rem; color: var(--muted); margin-top: .3rem; }
.legend i { display: inline-block; width: .7rem; height: .7rem; border-radius: .15rem; margin-right: .3rem;
  vertical-align: -1px; }
.legend .installed { background: var(--bar3); } .legend .inflight { background: var(--bar); }
.legend .offered { background: var(--bar2); } .legend .failed { background: var(--bar4); }
.hbars { display: grid; grid-template-columns: minmax(6rem, max-content) 1fr max-content; gap: .3rem .6rem;
  align-items: center; }
.hbars progress { width: 100%; height: .8rem; accent-color: var(--bar); appearance: none; border: 0;
  border-radius: .3rem; background: var(--idle-bg); overflow: hidden; }
.hbars progress::-webkit-progress-bar { background: var(--idle-bg); }
.hbars progress::-webkit-progress-value { background: var(--bar); }
.hbars progress::-moz-progress-bar { background: var(--bar); }
.hbars .num { font-variant-numeric: tabular-nums; text-align: right; }
svg.stack { display: block; border-radius: .45rem; min-width: 8rem; }
svg.stack .track { fill: var(--idle-bg); }
svg.stack .installed { fill: var(--bar3); }
svg.stack .inflight { fill: var(--bar); }
svg.stack .failed { fill: var(--bar4); }
svg.spark { width: 100%; height: 7rem; display: block; }
svg.spark .area { fill: var(--bar2); }
svg.spark .line { fill: none; stroke: var(--bar); stroke-width: 1.5; }
svg.spark .axis { stroke: var(--line); }
svg.spark text { fill: var(--muted); font-size: 10px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre { background: var(--bg); border: 1px solid var(--line); border-radius: .4rem; padding: .6rem; overflow: auto;
  max-height: 24rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.diff .added td:first-child::before { content: "+ "; }
.diff .removed td:first-child::before { content: "− "; }
.diff .changed td:first-child::before { content: "~ "; }
.diff .added { background: var(--ok-bg); } .diff .removed { background: var(--bad-bg); }
.diff .changed { background: var(--warn-bg); }
.drop { border: 2px dashed var(--line); border-radius: .5rem; padding: 1rem; text-align: center; }
.drop.over { border-color: var(--accent); background: var(--info-bg); }
.login { max-width: 24rem; margin: 3rem auto; }
.login form { display: flex; flex-direction: column; gap: .75rem; }
.actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
@media (max-width: 40rem) {
  main { padding: .6rem; }
  th, td { padding: .35rem .4rem; }
  .hide-narrow { display: none; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dt { margin-top: .4rem; }
}
`;

/**
 * Progressive enhancement only: every page reads, and every form posts, with JavaScript off. This adds a
 * confirmation to dangerous buttons (`data-confirm`) and drag-and-drop onto the firmware file field.
 */
const SCRIPT = String.raw`'use strict';
document.addEventListener('submit', function (event) {
  var button = event.submitter || event.target.querySelector('[data-confirm]');
  var text = button && button.getAttribute('data-confirm');
  if (text && !window.confirm(text)) event.preventDefault();
});
document.querySelectorAll('.drop').forEach(function (zone) {
  var input = zone.querySelector('input[type=file]');
  var name = zone.querySelector('.file-name');
  if (!input) return;
  function show() { if (name) name.textContent = input.files && input.files[0] ? input.files[0].name : ''; }
  input.addEventListener('change', show);
  ['dragenter', 'dragover'].forEach(function (type) {
    zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add('over'); });
  });
  ['dragleave', 'drop'].forEach(function (type) {
    zone.addEventListener(type, function () { zone.classList.remove('over'); });
  });
  zone.addEventListener('drop', function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length > 0) { input.files = event.dataTransfer.files; show(); }
  });
});
`;

export interface Asset {
  readonly path: string;
  readonly type: string;
  readonly body: string;
}

function asset(name: string, ext: string, type: string, body: string): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { path: `/assets/${name}.${hash}.${ext}`, type, body };
}

export const STYLESHEET = asset('console', 'css', 'text/css; charset=utf-8', STYLES);
export const SCRIPTFILE = asset('console', 'js', 'text/javascript; charset=utf-8', SCRIPT);
export const ASSETS: readonly Asset[] = [STYLESHEET, SCRIPTFILE];
