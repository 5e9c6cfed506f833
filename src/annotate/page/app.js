// The labelling page of `ner annotate`: one sentence at a time, edited from the keyboard (or by dragging
// over words), sent to the server on accept. The server writes it to disk before it answers, so what the
// page shows as labelled is on disk. Edits of the sentence in front of you are undone here; once the
// sentence is accepted or skipped, undo asks the server to take that back.
'use strict';

const el = (id) => document.getElementById(id);
let state = null; // the server's last answer
let spans = []; // the current sentence's entities: {start, end, type}, sorted, not overlapping
let preSpans = new Set(); // keys of spans the model proposed and nobody changed
let cursor = 0;
let anchor = null; // the other end of the selection, or null
let edits = []; // earlier versions of `spans`, for undo
let busy = false;

const key = (s) => `${s.start}:${s.end}:${s.type}`;
const typeColour = (t, i) => (['PER', 'LOC', 'ORG', 'MISC'].includes(t) ? `var(--${t})` : `var(--t${4 + (i % 5)})`);

async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(data.error + (data.fix ? ` (${data.fix})` : ''));
  return data;
}

function show(newState) {
  // every answer of a POST is a sentence to start on afresh (the next one, or the one undone)
  state = newState;
  {
    spans = state.item ? state.item.spans.map((s) => ({ ...s })) : [];
    preSpans = new Set(spans.map(key));
    cursor = 0;
    anchor = null;
    edits = [];
  }
  render();
}

function selection() {
  if (anchor === null) return [cursor, cursor + 1];
  return [Math.min(anchor, cursor), Math.max(anchor, cursor) + 1];
}

function edit(next) {
  edits.push(spans);
  spans = next.sort((a, b) => a.start - b.start);
  anchor = null;
  render();
}

function markType(type) {
  const [a, b] = selection();
  const inside = spans.find((s) => s.start <= a && b <= s.end);
  if (anchor === null && inside) {
    // on an entity without a selection: change its type
    edit(spans.map((s) => (s === inside ? { ...s, type } : s)));
    return;
  }
  edit([...spans.filter((s) => s.end <= a || s.start >= b), { start: a, end: b, type }]);
}

function removeSpan() {
  const [a, b] = selection();
  const kept = spans.filter((s) => s.end <= a || s.start >= b);
  if (kept.length !== spans.length) edit(kept);
}

async function act(what) {
  if (busy || !state) return;
  busy = true;
  try {
    if (what === 'undo' && edits.length > 0) {
      spans = edits.pop();
      render();
    } else if (what === 'undo') {
      if (state.canUndo) show(await call('POST', '/api/undo', {}));
    } else if (state.item) {
      show(await call('POST', `/api/${what}`, { id: state.item.id, spans }));
      say(what === 'accept' ? 'saved' : 'skipped');
    }
  } catch (err) {
    say(err.message, true);
  } finally {
    busy = false;
  }
}

function say(text, error = false) {
  const m = el('message');
  m.textContent = text;
  m.className = error ? 'error' : '';
}

document.addEventListener('keydown', (e) => {
  if (!state || e.altKey || e.metaKey) return;
  const n = state.item ? state.item.tokens.length : 0;
  const typeIndex = /^[1-9]$/.test(e.key) ? Number(e.key) - 1 : -1;
  if (e.ctrlKey && e.key.toLowerCase() !== 'z') return;
  let handled = true;
  if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
    if (e.shiftKey && anchor === null) anchor = cursor;
    if (!e.shiftKey) anchor = null;
    cursor = Math.max(0, Math.min(n - 1, cursor + (e.key === 'ArrowRight' ? 1 : -1)));
    render();
  } else if (e.key === 'Home' || e.key === 'End') {
    cursor = e.key === 'Home' ? 0 : n - 1;
    render();
  } else if (typeIndex >= 0 && typeIndex < state.types.length && n > 0) markType(state.types[typeIndex]);
  else if (e.key === 'x' || e.key === 'Delete' || e.key === 'Backspace') removeSpan();
  else if (e.key === 'Enter') act('accept');
  else if (e.key === 's') act('skip');
  else if (e.key.toLowerCase() === 'z') act('undo');
  else if (e.key === 'Escape') {
    anchor = null;
    render();
  } else handled = false;
  if (handled) e.preventDefault();
});

// Dragging over words selects them, as Shift+arrows do.
let dragging = false;
el('sentence').addEventListener('mousedown', (e) => {
  const t = e.target.closest('.tok');
  if (!t) return;
  dragging = true;
  cursor = Number(t.dataset.i);
  anchor = cursor;
  render();
});
el('sentence').addEventListener('mouseover', (e) => {
  const t = e.target.closest('.tok');
  if (!dragging || !t) return;
  cursor = Number(t.dataset.i);
  render();
});
document.addEventListener('mouseup', () => {
  dragging = false;
  if (anchor === cursor) anchor = null;
  render();
});

function render() {
  if (!state) return;
  const st = state;
  const secs = st.secondsPerSentence === null ? '–' : st.secondsPerSentence.toFixed(1) + ' s';
  el('stats').innerHTML = '';
  for (const [label, value] of [['labelled', `${st.labelled} / ${st.total}`], ['entities', st.entities], ['left', st.left], ['this session', st.accepted], ['per sentence', secs]]) {
    const d = document.createElement('span');
    d.innerHTML = `${label} <b></b>`;
    d.querySelector('b').textContent = String(value);
    el('stats').appendChild(d);
  }
  const types = el('types');
  types.innerHTML = '';
  st.types.forEach((t, i) => {
    const d = document.createElement('span');
    d.className = 'type';
    d.style.background = typeColour(t, i);
    d.innerHTML = `<kbd>${i + 1}</kbd> `;
    d.appendChild(document.createTextNode(t));
    types.appendChild(d);
  });
  renderSentence(st);
  const md = st.model;
  let modelText = md.version === 0 && md.sentences === null
    ? `No model yet: sentences come in a random order until the first training (after ${md.nextRetrainIn} more).`
    : `Model ${md.version}${md.sentences !== null ? `, trained on ${md.sentences} sentences` : ''}; asking the least certain first (${md.by}). Next training after ${md.nextRetrainIn} more.`;
  if (md.retraining) modelText += ' Training now…';
  if (md.error) modelText += ` (${md.error})`;
  el('model').textContent = modelText;
  el('curve').innerHTML = curveSvg(st.curve);
}

// The sentence's words are rebuilt only when the sentence or its entities change; moving the cursor or
// the selection only changes classes, so a word under the mouse stays the same element while dragging.
let drawn = '';
function renderSentence(st) {
  const box = el('sentence');
  const now = JSON.stringify([st.item && st.item.id, st.item && st.item.tokens.length, spans, [...preSpans]]);
  if (now !== drawn) {
    drawn = now;
    box.innerHTML = '';
    if (!st.item) {
      box.innerHTML = '<p class="done">Every sentence of the text is labelled. Stop the server with Ctrl-C and train: <kbd>ner train --train OUT</kbd></p>';
      return;
    }
    const tokens = st.item.tokens;
    let i = 0;
    const word = (j) => {
      const s = document.createElement('span');
      s.className = 'tok';
      s.dataset.i = String(j);
      s.textContent = tokens[j];
      return s;
    };
    for (const sp of spans) {
      for (; i < sp.start; i++) box.append(word(i), ' ');
      const m = document.createElement('mark');
      m.className = 'ent' + (preSpans.has(key(sp)) ? ' pre' : '');
      m.dataset.type = sp.type;
      m.style.background = typeColour(sp.type, st.types.indexOf(sp.type));
      for (; i < sp.end; i++) {
        m.append(word(i));
        if (i + 1 < sp.end) m.append(' ');
      }
      const l = document.createElement('span');
      l.className = 'label';
      l.textContent = sp.type;
      m.append(l);
      box.append(m, ' ');
    }
    for (; i < tokens.length; i++) box.append(word(i), ' ');
  }
  const [a, b] = selection();
  for (const t of box.querySelectorAll('.tok')) {
    const j = Number(t.dataset.i);
    t.classList.toggle('cursor', j === cursor);
    t.classList.toggle('sel', anchor !== null && j >= a && j < b);
  }
}

function curveSvg(curve) {
  if (curve.length === 0) return '';
  const W = 480, H = 150, L = 36, B = 22, T = 10, R = 12;
  const xs = curve.map((p) => p.sentences), ys = curve.map((p) => p.f1);
  const x0 = 0, x1 = Math.max(...xs, 1);
  const y0 = Math.max(0, Math.floor(Math.min(...ys) / 10) * 10), y1 = 100;
  const X = (v) => L + ((v - x0) / (x1 - x0)) * (W - L - R);
  const Y = (v) => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);
  const pts = curve.map((p) => `${X(p.sentences).toFixed(1)},${Y(p.f1).toFixed(1)}`).join(' ');
  const dots = curve.map((p) => `<circle cx="${X(p.sentences).toFixed(1)}" cy="${Y(p.f1).toFixed(1)}" r="3"><title>${p.sentences} sentences: dev F1 ${p.f1.toFixed(2)}</title></circle>`).join('');
  const last = curve[curve.length - 1];
  return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="dev F1 against labelled sentences">
<line class="axis" x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}"/><line class="axis" x1="${L}" y1="${T}" x2="${L}" y2="${H - B}"/>
<text x="${L - 4}" y="${Y(y1) + 4}" text-anchor="end">${y1}</text><text x="${L - 4}" y="${Y(y0) + 4}" text-anchor="end">${y0}</text>
<text x="${W - R}" y="${H - 6}" text-anchor="end">${x1} sentences</text><text x="${L}" y="${H - 6}">0</text>
<polyline class="line" points="${pts}"/>${dots}
<text x="${X(last.sentences) - 6}" y="${Y(last.f1) - 8}" text-anchor="end">dev F1 ${last.f1.toFixed(1)}</text></svg>`;
}

call('GET', '/api/state').then(show, (err) => say(err.message, true));
// The model may change in the background: look for a new one now and then.
setInterval(async () => {
  if (busy || !state) return;
  try {
    const s = await call('GET', '/api/state');
    const keep = state.item && s.item && s.item.id === state.item.id;
    if (keep) s.item = state.item;
    state = s;
    render();
  } catch { /* the server is gone: the last answer stays on screen */ }
}, 3000);
