// The live figure of a ModelWidget (ketacourse.widgets.live_view.LiveFigure), an anywidget ESM module.
//
// It shows the kernel's current PNG and keeps a cache {position -> PNG, alt text} that the kernel
// fills with the neighbouring positions of the controls (pushed as custom messages, decoded here
// ahead of time). It listens to the controls' models in the browser: when a learner moves a control
// to a cached position the figure swaps at once, without waiting for the kernel. The kernel still
// receives the move and stays the source of truth: its frame is shown whenever it differs from what
// the browser shows for the browser's current control values.

const MAX_ENTRIES = 64;   // per widget (about 20-80 KiB of PNG each)
const MAX_DECODED = 48;   // decoded images kept ready, over every widget of the page
const decoded = [];       // LRU of entries holding a decoded <img>
const states = new Map(); // uid -> shared state of one LiveFigure model (all its views)

function same(a, b) {
  if (typeof a === "number" && typeof b === "number") {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  return a === b;
}

function matches(key, values) {
  if (!key || key.length !== values.length) return false;
  for (let i = 0; i < key.length; i++) if (!same(key[i], values[i])) return false;
  return true;
}

function keepDecoded(entry) {
  const i = decoded.indexOf(entry);
  if (i >= 0) decoded.splice(i, 1);
  decoded.push(entry);
  while (decoded.length > MAX_DECODED) {
    const old = decoded.shift();
    old.ready = null; // the browser may drop its pixels; the PNG bytes stay (decoded again if shown)
  }
}

function addEntry(st, id, keys, alt, bytes) {
  let entry = st.entries.get(id);
  if (!entry) {
    const blob = new Blob([bytes], { type: "image/png" });
    entry = { id, keys, alt, url: URL.createObjectURL(blob), ready: null };
  } else {
    st.entries.delete(id);
    entry.alt = alt;
    for (const k of keys) if (!entry.keys.some((e) => matches(e, k))) entry.keys.push(k);
  }
  st.entries.set(id, entry); // most recent last
  while (st.entries.size > MAX_ENTRIES) {
    const [oldId, old] = st.entries.entries().next().value;
    if (oldId === st.shown) { st.entries.delete(oldId); st.entries.set(oldId, old); break; }
    st.entries.delete(oldId);
    URL.revokeObjectURL(old.url);
  }
  return entry;
}

function decode(entry) {
  if (!entry.ready) {
    const im = new Image();
    im.src = entry.url;
    entry.img = im; // keeps the decoded image alive
    entry.ready = im.decode().catch(() => {});
  }
  keepDecoded(entry);
  return entry.ready;
}

function show(st, entry) {
  st.shown = entry.id;
  st.entries.delete(entry.id);
  st.entries.set(entry.id, entry);
  for (const img of st.views) {
    if (img.getAttribute("src") !== entry.url) img.src = entry.url;
    if (img.getAttribute("alt") !== entry.alt) img.setAttribute("alt", entry.alt);
  }
}

function controlValues(st) {
  return st.controls.map((m) => {
    const v = m.get("value");
    return v === undefined ? m.get("index") : v; // selection widgets sync their index
  });
}

function lookup(st, values) {
  let found = null;
  for (const entry of st.entries.values()) {
    if (entry.keys.some((k) => matches(k, values))) found = entry; // the most recent wins
  }
  return found;
}

function fromKernel(st, model) {
  // the kernel's current frame: show it unless the learner has already moved on
  const id = model.get("frame");
  const key = model.get("frame_key");
  const bytes = model.get("value");
  if (!id || !bytes || !bytes.byteLength) return;
  const entry = addEntry(st, id, [key], model.get("alt"), bytes);
  decode(entry);
  if (st.shown === id) { show(st, entry); return; }
  const values = controlValues(st);
  const idle = performance.now() - st.lastMove > 400;
  if (!st.controls.length || matches(key, values) || idle) {
    show(st, entry);
  } else {
    clearTimeout(st.reconcile); // the learner moved on: the kernel's next frame follows
    st.reconcile = setTimeout(() => fromKernel(st, model), 450);
  }
}

function onMove(st) {
  st.lastMove = performance.now();
  const values = controlValues(st);
  const entry = lookup(st, values);
  if (entry && entry.id !== st.shown) show(st, entry);
  // where the last move was answered, for tests and benchmarks: "page" (this cache) or "kernel"
  for (const img of st.views) {
    img.dataset.kcAnswer = entry ? "page" : "kernel";
    img.dataset.kcCached = String(st.entries.size);
    img.dataset.kcPosition = JSON.stringify(values);
  }
}

async function stateFor(model) {
  const uid = model.get("uid");
  let st = states.get(uid);
  if (st) return st;
  st = { entries: new Map(), shown: null, views: new Set(), controls: [], lastMove: -1e9, hits: 0, reconcile: 0 };
  states.set(uid, st);
  st.ready = (async () => {
    const refs = model.get("controls") || [];
    const models = await Promise.all(refs.map((r) => model.widget_manager.get_model(String(r).replace(/^IPY_MODEL_/, ""))));
    st.controls = models;
    for (const m of models) {
      m.on("change:value", () => onMove(st));
      m.on("change:index", () => onMove(st));
    }
  })();
  model.on("msg:custom", (msg, buffers) => {
    if (msg.type === "frames") {
      msg.entries.forEach((e, i) => decode(addEntry(st, e.id, e.keys, e.alt, buffers[i])));
      const entry = lookup(st, controlValues(st)); // a move that came before its frame
      if (entry && entry.id !== st.shown && performance.now() - st.lastMove < 400) show(st, entry);
    } else if (msg.type === "keys") {
      const e = st.entries.get(msg.id);
      if (e) for (const k of msg.keys) if (!e.keys.some((x) => matches(x, k))) e.keys.push(k);
    } else if (msg.type === "forget") {
      for (const [id, e] of st.entries) if (id !== st.shown) { URL.revokeObjectURL(e.url); st.entries.delete(id); }
    }
  });
  model.on("change:frame", () => fromKernel(st, model));
  model.on("change:value", () => fromKernel(st, model));
  model.on("change:alt", () => {
    const e = st.entries.get(model.get("frame"));
    if (e && st.shown === e.id) { e.alt = model.get("alt"); show(st, e); }
  });
  return st;
}

export default {
  async render({ model, el }) {
    const st = await stateFor(model);
    const img = document.createElement("img");
    img.className = "widget-image";
    img.setAttribute("alt", model.get("alt") || "");
    el.classList.add("kc-live-figure");
    el.appendChild(img);
    st.views.add(img);
    const entry = st.shown && st.entries.get(st.shown);
    if (entry) show(st, entry);
    else fromKernel(st, model);
    await st.ready;
    model.send({ type: "ready" }); // a browser shows the widget: the kernel may prefetch
    return () => st.views.delete(img);
  },
};
