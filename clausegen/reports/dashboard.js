(function(){
'use strict';
var DATA = JSON.parse(document.getElementById('data').textContent);
var tbody = document.querySelector('#grid tbody');
var rows = Array.prototype.slice.call(tbody.querySelectorAll('tr.doc'));
var $ = function(id){ return document.getElementById(id); };
var ctl = {q: $('q'), type: $('type'), sg: $('sg'), st: $('st'), mr: $('mr'), rows: $('rows')};
var SG = DATA.sg.map(function(s){ return s.id; });
var STATUS = ['missing', 'partial', 'present', 'error'];
var sortState = {key: 'gaps', dir: 'desc'};
var openDoc = null, lastHits = rows;
rows.forEach(function(tr){ tr._st = tr.dataset.st.split(' '); tr._i = +tr.dataset.i; });

function esc(s){ return String(s == null ? '' : s).replace(/[&<>"']/g, function(c){
  return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]; }); }

// Search covers the name and every evidence quote; the text is built once, on the first search.
var HAY = null;
function haystack(i){
  if (!HAY) HAY = DATA.rows.map(function(a){
    var parts = [a[0]];
    a[10].forEach(function(s){ s[3].forEach(function(e){ parts.push(e[0]); }); });
    return parts.join('\n').toLowerCase();
  });
  return HAY[i];
}

function matches(tr, q){
  if (q && tr.dataset.name.indexOf(q) < 0 && haystack(tr._i).indexOf(q) < 0) return false;
  if (ctl.type.value && tr.dataset.type !== ctl.type.value) return false;
  if (ctl.mr.checked && tr.dataset.mr === '0') return false;
  if (ctl.rows.value === 'ok' && tr.dataset.err === '1') return false;
  if (ctl.rows.value === 'err' && tr.dataset.err === '0') return false;
  var st = ctl.st.value;
  if (st) {
    if (tr.dataset.err === '1') return false;
    var idx = ctl.sg.value ? [SG.indexOf(ctl.sg.value)] : SG.map(function(_, i){ return i; });
    var want = {missing: '0', partial: '1', present: '2'}[st];
    var hit = idx.some(function(i){ var r = tr._st[i][0]; return st === 'notpresent' ? r !== '2' : r === want; });
    if (!hit) return false;
  }
  return true;
}

function gapKey(tr){ return [tr.dataset.err === '1' ? 0 : 1, +tr.dataset.mr, +tr.dataset.miss, +tr.dataset.part]; }
function cmp(a, b){
  var k = sortState.key, d = sortState.dir === 'asc' ? 1 : -1, x, y;
  if (k === 'name') { x = a.dataset.name; y = b.dataset.name; return d * (x < y ? -1 : x > y ? 1 : 0) || a._i - b._i; }
  if (k === 'type') { x = a.dataset.type; y = b.dataset.type; return d * (x < y ? -1 : x > y ? 1 : 0) || a._i - b._i; }
  if (k === 'gaps') {
    x = gapKey(a); y = gapKey(b);
    for (var i = 0; i < x.length; i++) if (x[i] !== y[i]) return d * (x[i] - y[i]);
    return a._i - b._i;
  }
  var n = +k.slice(1);
  var ra = a.dataset.err === '1' ? 9 : +a._st[n][0] * 2 + (a._st[n][1] === 'r' ? 0 : 1);
  var rb = b.dataset.err === '1' ? 9 : +b._st[n][0] * 2 + (b._st[n][1] === 'r' ? 0 : 1);
  if (ra === 9 || rb === 9) return (ra === 9) - (rb === 9) || a._i - b._i;  // errors last either way
  return d * (rb - ra) || a._i - b._i;
}

// The totals row counts the reviewed documents that match the filters (all pages); error rows are counted apart.
function totals(hits){
  var c = SG.map(function(){ return [0, 0, 0]; }), reviewed = 0, errors = 0;
  hits.forEach(function(tr){
    if (tr.dataset.err === '1') { errors++; return; }
    reviewed++;
    for (var i = 0; i < SG.length; i++) c[i][+tr._st[i][0]]++;
  });
  var n = Math.max(1, reviewed), filtered = hits.length !== rows.length;
  $('totlabel').textContent = 'Totals over ' + reviewed + (filtered ? ' matching' : '') + ' reviewed documents' +
    (errors ? ' (' + errors + ' error' + (errors > 1 ? 's' : '') + ' not counted)' : '');
  document.querySelectorAll('#grid td.sgtot').forEach(function(td, i){
    var k = c[i], bars = td.querySelectorAll('.bar i'), nums = td.querySelectorAll('.nums b');
    [2, 1, 0].forEach(function(s, j){ bars[j].style.width = (100 * k[s] / n).toFixed(1) + '%'; nums[j].textContent = k[s]; });
  });
}

var PAGE = PAGE_SIZE_VALUE, page = 0, placed = 'gaps:desc';  // the server wrote the rows worst gaps first
function apply(keepPage){
  if (!keepPage) page = 0;
  var order = sortState.key + ':' + sortState.dir;
  if (order !== placed) {
    var sorted = rows.slice().sort(cmp), frag = document.createDocumentFragment();
    sorted.forEach(function(tr){ frag.appendChild(tr); });
    tbody.appendChild(frag);
    rows = sorted; placed = order;
  }
  var q = ctl.q.value.trim().toLowerCase();
  var hits = rows.filter(function(tr){ return matches(tr, q); }), shown = hits.length;
  lastHits = hits;
  var pages = Math.max(1, Math.ceil(shown / PAGE));
  if (page >= pages) page = pages - 1;
  var first = page * PAGE, last = Math.min(shown, first + PAGE);
  var visible = new Set(hits.slice(first, last));
  rows.forEach(function(tr){ var hide = !visible.has(tr); if (tr.hidden !== hide) tr.hidden = hide; });
  $('count').textContent = pages > 1
    ? 'showing ' + (first + 1) + '–' + last + ' of ' + shown + ' matching (' + rows.length + ' documents)'
    : 'showing ' + shown + ' of ' + rows.length + ' documents';
  $('pager').hidden = pages < 2;
  $('pageinfo').textContent = 'page ' + (page + 1) + ' of ' + pages;
  $('prev').disabled = page === 0; $('next').disabled = page >= pages - 1;
  $('empty').hidden = shown !== 0;
  document.querySelectorAll('#grid th.sortable').forEach(function(th){
    var on = th.dataset.sort === sortState.key;
    th.classList.toggle('sorted', on);
    th.classList.toggle('asc', on && sortState.dir === 'asc');
    th.classList.toggle('desc', on && sortState.dir === 'desc');
    if (on) th.setAttribute('aria-sort', sortState.dir === 'asc' ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  });
  totals(hits);
  saveHash();
}

function saveHash(){
  var p = new URLSearchParams();
  if (ctl.q.value) p.set('q', ctl.q.value);
  if (ctl.type.value) p.set('type', ctl.type.value);
  if (ctl.sg.value) p.set('sg', ctl.sg.value);
  if (ctl.st.value) p.set('st', ctl.st.value);
  if (ctl.mr.checked) p.set('mr', '1');
  if (ctl.rows.value) p.set('rows', ctl.rows.value);
  if (sortState.key !== 'gaps' || sortState.dir !== 'desc') p.set('sort', sortState.key + ':' + sortState.dir);
  if (page) p.set('page', page + 1);
  if (openDoc !== null) p.set('doc', openDoc);
  var h = p.toString();
  try { history.replaceState(null, '', h ? '#' + h : location.pathname + location.search); } catch (e) {}
}

function loadHash(){
  var p = new URLSearchParams(location.hash.slice(1));
  ctl.q.value = p.get('q') || '';
  ctl.type.value = p.get('type') || '';
  ctl.sg.value = p.get('sg') || '';
  ctl.st.value = p.get('st') || '';
  ctl.mr.checked = p.get('mr') === '1';
  ctl.rows.value = p.get('rows') || '';
  var s = (p.get('sort') || '').split(':');
  if (s[0]) sortState = {key: s[0], dir: s[1] === 'asc' ? 'asc' : 'desc'};
  page = Math.max(0, (parseInt(p.get('page'), 10) || 1) - 1);
  return p.get('doc');
}

// ---- the drill-down panel ----
function expand(i){
  var a = DATA.rows[i];
  if (!a) return null;
  return {d: a[0], t: a[1], p: a[2], uri: a[3], h: a[4], dup: a[5], err: a[6], warn: a[7], ocr: a[8], cut: a[9],
    s: a[10].map(function(x){
      return {st: STATUS[x[0]], rq: !!x[1], ex: DATA.str[x[2]],
              ev: x[3].map(function(e){ return {q: e[0], sec: e[1], pg: e[2]}; }),
              me: x[4].map(function(k){ return DATA.str[k]; })};
    })};
}
function breakable(s){ return esc(s).replace(/([\/_-])/g, '$1<wbr>'); }
function nameHtml(name, cut){
  return cut ? '<span class="pfx">' + breakable(name.slice(0, cut)) + '</span><span class="dist">' + breakable(name.slice(cut)) + '</span>'
    : '<span class="dist">' + breakable(name) + '</span>';
}
function mark(text, q){  // the quote, escaped, with the searched words marked
  if (!q) return esc(text);
  var low = text.toLowerCase(), out = '', at = 0, k;
  while ((k = low.indexOf(q, at)) >= 0) { out += esc(text.slice(at, k)) + '<mark>' + esc(text.slice(k, k + q.length)) + '</mark>'; at = k + q.length; }
  return out + esc(text.slice(at));
}
function where(e){
  var loc = [];
  // a clause number ("4.2(a)(ii)", "(b)") or else a heading ("Recitals", "Section 11.09")
  if (e.sec) loc.push(/^[(\w][\w.()]{0,24}$/.test(e.sec) && /[\d(]/.test(e.sec) ? 'clause ' + e.sec : 'under \u201c' + e.sec + '\u201d');
  if (e.pg != null) loc.push('page ' + e.pg);
  return loc.join(' \u00b7 ');
}
function pages(list){ return list.join(', '); }

function panelHtml(r){
  var h = [], q = ctl.q.value.trim().toLowerCase();
  h.push('<h2 id="dtitle" tabindex="-1">' + nameHtml(r.d, r.cut) + '</h2>');
  h.push('<div class="sub">type ' + esc(r.t || 'unknown') + (r.h ? ' \u00b7 sha256 ' + esc(r.h.slice(0, 16)) + '\u2026' : '') + '</div>');
  h.push('<div class="sub">' + (r.uri ? '<a href="' + esc(r.uri) + '">' + esc(r.p) + '</a>' : esc(r.p)) + '</div>');
  if (r.dup.length) h.push('<div class="sub">same file also at: ' + r.dup.map(esc).join(', ') + '</div>');
  if (r.err.length) h.push('<div class="errbox"><b>Error: not reviewed.</b> ' + r.err.map(esc).join('<br>') +
    '<br>Its safeguards cannot be shown; it is counted as an error, not as missing.</div>');
  if (r.ocr) h.push('<div class="warnbox"><b>Read by OCR</b>: page' + (r.ocr.pages.length > 1 ? 's ' : ' ') + pages(r.ocr.pages) +
    (r.ocr.mean_confidence != null ? ', mean confidence ' + Math.round(100 * r.ocr.mean_confidence) + '%' : '') +
    (r.ocr.unreliable_pages && r.ocr.unreliable_pages.length ? '; unreliable: page' + (r.ocr.unreliable_pages.length > 1 ? 's ' : ' ') + pages(r.ocr.unreliable_pages) : '') + '</div>');
  if (r.warn.length) h.push('<div class="warnbox"><b>Warnings</b><ul>' + r.warn.map(function(w){ return '<li>' + esc(w) + '</li>'; }).join('') + '</ul></div>');
  if (r.err.length) return h.join('');  // ten cards saying "error" would add nothing to the box above
  var c = {present: 0, partial: 0, missing: 0}, req = 0;
  r.s.forEach(function(s){ c[s.st]++; if (s.rq && s.st === 'missing') req++; });
  h.push('<p class="dsum">' + (req ? '<span class="badge req">' + req + ' required missing</span>' : '') +
    '<span class="badge miss">' + c.missing + ' missing</span><span class="badge part">' + c.partial +
    ' partial</span><span class="badge ok">' + c.present + ' present</span></p>');
  var order = r.s.map(function(s, k){ return k; });
  order.sort(function(a, b){
    var ra = STATUS.indexOf(r.s[a].st) * 2 + (r.s[a].rq ? 0 : 1), rb = STATUS.indexOf(r.s[b].st) * 2 + (r.s[b].rq ? 0 : 1);
    return ra - rb || a - b;
  });
  order.forEach(function(k){
    var s = r.s[k], g = DATA.sg[k];
    h.push('<section class="sgcard ' + s.st + (s.rq ? ' req' : '') + '" data-sg="' + g.id + '" aria-label="' + esc(g.title) + '">');
    h.push('<div class="hd"><h3 class="t">' + esc(g.title) + '</h3><span class="chip ' + s.st + (s.rq && s.st === 'missing' ? ' req' : '') + '">' +
      esc(s.st) + (s.rq ? ' \u00b7 required' : '') + '</span></div>');
    if (s.ex) h.push('<div class="ex">' + esc(s.ex) + '</div>');
    if (s.ev.length > 1) h.push('<div class="lab">' + s.ev.length + ' quotes</div>');
    s.ev.forEach(function(e){
      var loc = where(e);
      h.push('<blockquote class="quote">\u201c' + mark(e.q, q) + '\u201d' + (loc ? '<span class="loc">' + esc(loc) + '</span>' : '') + '</blockquote>');
    });
    if (s.me.length) {
      h.push('<div class="lab">Missing</div><ul class="missing-elements">');
      s.me.forEach(function(m){ h.push('<li>' + esc(g.el[m] || m) + '</li>'); });
      h.push('</ul>');
    } else if (s.st === 'missing') {
      h.push('<div class="lab">Missing</div><ul class="missing-elements"><li>' + esc(g.desc) + '</li></ul>');
    }
    h.push('</section>');
  });
  return h.join('');
}

var BACKGROUND = ['header.top', 'section.cards', 'section.toolbar', 'main.gridwrap', 'section.lists'];
function setInert(on){
  BACKGROUND.forEach(function(sel){ var el = document.querySelector(sel); if (el) el.inert = on; });
}
function rowOf(i){ return rows.filter(function(tr){ return tr._i === i; })[0]; }
function showDoc(i){
  var r = expand(i);
  if (!r) return;
  openDoc = i;
  $('dbody').innerHTML = panelHtml(r);
  var k = lastHits.indexOf(rowOf(i));
  $('dprev').disabled = k <= 0; $('dnext').disabled = k < 0 || k >= lastHits.length - 1;
  $('dpos').textContent = k >= 0 ? 'document ' + (k + 1) + ' of ' + lastHits.length : '';
  $('drawer').hidden = false; $('shade').hidden = false;
  setInert(true);
  $('drawer').scrollTop = 0;
  $('dtitle').focus();  // the title, not a button: the key that opened the panel cannot also close it
  saveHash();
}
function step(delta){  // the previous or next document among those the filters show
  var k = lastHits.indexOf(rowOf(openDoc)) + delta;
  if (openDoc === null || k < 0 || k >= lastHits.length) return;
  var target = lastHits[k];
  if (target.hidden) { page = Math.floor(k / PAGE); apply(true); }
  showDoc(target._i);
}
function closeDoc(){
  if (openDoc === null) return;
  var tr = rowOf(openDoc);
  openDoc = null;
  $('drawer').hidden = true; $('shade').hidden = true;
  setInert(false);
  saveHash();
  if (tr && !tr.hidden) { tr.querySelector('button.open').focus(); tr.scrollIntoView({block: 'nearest'}); }
  else ctl.q.focus();
}
function focusables(){
  return Array.prototype.filter.call($('drawer').querySelectorAll('button, a[href], [tabindex="-1"]#dtitle'),
    function(el){ return !el.disabled && el.offsetParent !== null; });
}

tbody.addEventListener('click', function(ev){
  if (ev.target.closest('a')) return;
  var tr = ev.target.closest('tr.doc'); if (tr) showDoc(tr._i);
});
tbody.addEventListener('keydown', function(ev){  // up and down move between documents, Home and End to the ends
  var tr = ev.target.closest('tr.doc'), moves = {ArrowDown: 1, ArrowUp: -1, Home: -1e9, End: 1e9};
  if (!tr || !(ev.key in moves) || ev.altKey || ev.ctrlKey || ev.metaKey) return;
  ev.preventDefault();
  var k = lastHits.indexOf(tr) + moves[ev.key];
  if (Math.abs(moves[ev.key]) === 1 && (k < page * PAGE || k >= (page + 1) * PAGE) && k >= 0 && k < lastHits.length) {
    page += moves[ev.key]; apply(true);  // the arrows go on into the next or previous page
  }
  var target = lastHits[Math.max(page * PAGE, Math.min(Math.min(lastHits.length, (page + 1) * PAGE) - 1, k))];
  if (target) { target.querySelector('button.open').focus(); target.scrollIntoView({block: 'nearest'}); }
});
$('close').addEventListener('click', closeDoc);
$('shade').addEventListener('click', closeDoc);
$('dprev').addEventListener('click', function(){ step(-1); });
$('dnext').addEventListener('click', function(){ step(1); });
document.addEventListener('keydown', function(ev){
  if (openDoc === null) return;
  if (ev.key === 'Escape') { ev.preventDefault(); closeDoc(); return; }
  if ((ev.key === 'ArrowLeft' || ev.key === 'ArrowRight') && !ev.altKey && !ev.ctrlKey && !ev.metaKey) {
    ev.preventDefault(); step(ev.key === 'ArrowLeft' ? -1 : 1); return;
  }
  if (ev.key !== 'Tab') return;
  var f = focusables(), first = f[0], last = f[f.length - 1];  // keep focus inside the panel
  if (ev.shiftKey && (document.activeElement === first || !$('drawer').contains(document.activeElement))) { ev.preventDefault(); last.focus(); }
  else if (!ev.shiftKey && (document.activeElement === last || !$('drawer').contains(document.activeElement))) { ev.preventDefault(); first.focus(); }
});
document.querySelectorAll('#grid th.sortable button').forEach(function(btn){
  btn.addEventListener('click', function(){
    var k = btn.parentNode.dataset.sort;
    if (sortState.key === k) sortState.dir = sortState.dir === 'asc' ? 'desc' : 'asc';
    else sortState = {key: k, dir: k === 'name' || k === 'type' ? 'asc' : 'desc'};
    apply();
    btn.focus();
  });
});
document.querySelectorAll('#grid td.sgtot button').forEach(function(btn){
  btn.addEventListener('click', function(){ ctl.sg.value = btn.parentNode.dataset.sg; ctl.st.value = 'missing'; apply(); });
});
[ctl.type, ctl.sg, ctl.st, ctl.mr, ctl.rows].forEach(function(el){ el.addEventListener('change', function(){ apply(); }); });
ctl.q.addEventListener('input', function(){ apply(); });
$('reset').addEventListener('click', function(){
  ctl.q.value = ''; ctl.type.value = ''; ctl.sg.value = ''; ctl.st.value = ''; ctl.mr.checked = false;
  ctl.rows.value = ''; sortState = {key: 'gaps', dir: 'desc'}; apply();
});
$('prev').addEventListener('click', function(){ page--; apply(true); $('grid').scrollIntoView(); });
$('next').addEventListener('click', function(){ page++; apply(true); $('grid').scrollIntoView(); });
function fromHash(){
  var doc = loadHash();
  apply(true);
  if (doc !== null && doc !== '') showDoc(+doc); else closeDoc();
  document.body.dataset.ready = '1';
}
window.addEventListener('hashchange', fromHash);  // a view pasted or edited in the address bar
fromHash();
})();
