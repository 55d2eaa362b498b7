"use strict";
// The live view's script: keeps a copy of the board from /live/events (a snapshot,
// then updates) and draws it. Everything from the server is written with
// textContent, never parsed as HTML.
(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const RECENT = 12;
  const $ = (id) => document.getElementById(id);

  const view = {
    containers: new Map(), // proxy key -> the board's container view
    stats: { cold: 0, warm: 0, outcomes: {}, latency_ms: {} },
    skew: 0, // the browser's clock minus the server's
    selected: null, // the selected proxy key
    activations: [],
    changed: new Set(), // proxies whose row flashes at the next draw
  };

  // One count badge per state, at its box's top right corner.
  const states = new Map();
  for (const group of document.querySelectorAll("#diagram g.state")) {
    const box = group.querySelector("rect");
    const x = Number(box.getAttribute("x")) + Number(box.getAttribute("width")) - 2;
    const y = Number(box.getAttribute("y")) + 2;
    const badge = document.createElementNS(SVG, "g");
    badge.setAttribute("class", "badge");
    const circle = document.createElementNS(SVG, "circle");
    circle.setAttribute("cx", x);
    circle.setAttribute("cy", y);
    circle.setAttribute("r", 10);
    const count = document.createElementNS(SVG, "text");
    count.setAttribute("x", x);
    count.setAttribute("y", y);
    count.setAttribute("text-anchor", "middle");
    count.setAttribute("dominant-baseline", "central");
    badge.append(circle, count);
    group.append(badge);
    const name = group.dataset.state;
    states.set(name, { group, count });
    group.addEventListener("click", () => {
      // Selects the first container in the state, or clears the selection.
      const first = [...view.containers.values()].find((c) => c.state === name);
      select(first ? first.proxy : null);
    });
  }

  function replay(element, cls) {
    if (!element) return;
    element.classList.remove(cls);
    void element.getBoundingClientRect(); // restart the animation
    element.classList.add(cls);
    setTimeout(() => element.classList.remove(cls), 1200);
  }

  function select(proxy) {
    view.selected = view.selected === proxy ? null : proxy;
    draw();
  }

  function apply(message) {
    switch (message.type) {
      case "snapshot":
        view.containers = new Map(message.containers.map((c) => [c.proxy, c]));
        view.stats = message.stats;
        view.skew = Date.now() - message.now_ms;
        setConnection("open", "live");
        break;
      case "container": {
        const before = view.containers.get(message.proxy);
        view.containers.set(message.proxy, message);
        if (!before || before.state !== message.state) {
          replay(states.get(message.state)?.group, "entered");
          if (before) replay($(`edge-${before.state}-${message.state}`), "fired");
        }
        view.changed.add(message.proxy);
        break;
      }
      case "gone":
        view.containers.delete(message.proxy);
        if (view.selected === message.proxy) view.selected = null;
        break;
      case "activation":
        for (const key of ["cold", "warm"]) {
          if (message.stats[key] !== view.stats[key]) replay($(`stat-${key}`), "bump");
        }
        view.stats = message.stats;
        view.activations.unshift({ ...message, at: new Date() });
        view.activations.length = Math.min(view.activations.length, RECENT);
        break;
    }
  }

  function setConnection(state, text) {
    const conn = $("conn");
    conn.dataset.state = state;
    conn.textContent = text;
  }

  function duration(ms) {
    const s = Math.max(0, ms) / 1000;
    if (s < 10) return `${s.toFixed(1)} s`;
    if (s < 60) return `${Math.floor(s)} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, "0")} s`;
    return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
  }

  function cell(row, text, cls) {
    const td = row.insertCell();
    if (cls) td.className = cls;
    td.textContent = text;
    return td;
  }

  function tagged(row, text, cls) {
    const span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    row.insertCell().append(span);
  }

  function ms(value) {
    return value == null ? "–" : `${value} ms`;
  }

  function draw() {
    const now = Date.now() - view.skew;
    const containers = [...view.containers.values()].sort((a, b) => a.proxy - b.proxy);
    const selected = view.containers.get(view.selected);

    // The diagram: counts, occupied states, the selected container's state.
    const counts = new Map();
    for (const c of containers) counts.set(c.state, (counts.get(c.state) || 0) + 1);
    for (const [name, { group, count }] of states) {
      const n = counts.get(name) || 0;
      group.classList.toggle("occupied", n > 0);
      group.classList.toggle("selected", !!selected && selected.state === name);
      count.textContent = n;
    }

    // The figures.
    const stats = view.stats;
    $("stat-containers").textContent = containers.length;
    $("stat-cold").textContent = stats.cold;
    $("stat-warm").textContent = stats.warm;
    for (const p of ["p50", "p90", "p99"]) $(`stat-${p}`).textContent = ms(stats.latency_ms[p]);
    for (const outcome of ["success", "application_error", "developer_error", "whisk_error"]) {
      $(`outcome-${outcome}`).textContent = stats.outcomes[outcome] || 0;
    }

    // The containers.
    const body = $("containers").tBodies[0];
    body.replaceChildren();
    for (const c of containers) {
      const row = body.insertRow();
      row.dataset.proxy = c.proxy;
      row.dataset.state = c.state;
      if (c.proxy === view.selected) row.classList.add("selected");
      if (view.changed.has(c.proxy)) row.classList.add("changed");
      cell(row, `#${c.proxy}`, "mono");
      tagged(row, c.state, "chip");
      const action = cell(row, c.action || "–", "mono");
      if (c.activation_id) action.title = `last activation ${c.activation_id}`;
      cell(row, c.how || "–");
      cell(row, c.runs, "num");
      cell(row, duration(now - c.since_ms), "num");
      cell(row, c.event || "start");
      row.addEventListener("click", () => select(c.proxy));
    }
    view.changed.clear();
    $("no-containers").hidden = containers.length > 0;

    // The recent activations.
    const recent = $("activations").tBodies[0];
    recent.replaceChildren();
    for (const a of view.activations) {
      const row = recent.insertRow();
      cell(row, a.at.toLocaleTimeString(), "mono");
      cell(row, a.name, "mono");
      tagged(row, a.cold ? "cold" : "warm", `tag ${a.cold ? "cold" : "warm"}`);
      tagged(row, a.outcome.replace("_", " "), `tag ${a.outcome}`);
      cell(row, `${a.duration_ms} ms`, "num");
      cell(row, a.activation_id.slice(0, 12), "mono").title = a.activation_id;
    }
    $("no-activations").hidden = view.activations.length > 0;
  }

  const events = new EventSource("/live/events");
  events.onmessage = (event) => {
    apply(JSON.parse(event.data));
    draw();
  };
  events.onerror = () => {
    // EventSource reconnects by itself (after the server's retry) unless closed.
    if (events.readyState === EventSource.CLOSED) setConnection("closed", "disconnected");
    else setConnection("reconnecting", "reconnecting…");
  };
  // Times in state move on without events.
  setInterval(() => view.containers.size && draw(), 1000);
  draw();
})();
