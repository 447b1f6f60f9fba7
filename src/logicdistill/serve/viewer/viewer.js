// The logicdistill viewer: live (asks the server: /v1/tasks, /v1/episodes) or recorded (LD_CONFIG.frames).
(function () {
  "use strict";
  const config = window.LD_CONFIG || { mode: "live" };
  const $ = (id) => document.getElementById(id);
  const state = { episode: null, frame: 0, timer: null, last: null };
  window.ldLog = [];  // every step answer the page drew (the browser test compares it with the DOM)

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    }
    for (const c of children) if (c != null) node.append(c);
    return node;
  }

  function status(text, isError) {
    $("status").textContent = text;
    $("status").className = isError ? "error" : "";
  }

  async function api(method, path, body) {
    const headers = { "Content-Type": "application/json" };
    const key = $("apikey").value;
    if (key) headers.Authorization = "Bearer " + key;
    const res = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const data = await res.json().catch(() => ({ error: res.statusText }));
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  }

  function drawGrid(board) {
    const grid = el("div", { class: "grid" });
    grid.style.gridTemplateColumns = `repeat(${board.width}, 24px)`;
    const key = (c) => c[0] + "," + c[1];
    const obstacles = new Set((board.obstacles || []).map(key));
    const marked = new Set((board.marked || []).map(key));
    const units = {};
    for (const u of board.units || []) (units[key(u.cell)] = units[key(u.cell)] || []).push(u);
    const labels = {};
    for (const l of board.labels || []) labels[key(l.cell)] = l.label;
    const walls = {};
    for (const [a, b] of board.walls || []) { walls[key(a)] = "wall-e"; walls[key(b)] = "wall-w"; }
    for (let r = 0; r < board.height; r++) {
      for (let c = 0; c < board.width; c++) {
        const k = r + "," + c;
        const cls = ["cell", obstacles.has(k) ? "obstacle" : "", marked.has(k) ? "marked" : "", walls[k] || ""];
        const cell = el("div", { class: cls.join(" ").trim(), "data-cell": k });
        if (labels[k]) cell.append(el("span", { class: "stop", text: labels[k] }));
        for (const u of units[k] || []) cell.append(el("div", { class: "unit " + u.role, text: u.label }));
        grid.append(cell);
      }
    }
    return grid;
  }

  function cardText(v) { return v === 0 ? "" : v === 1 ? "A" : v === 10 ? "10" : String(v); }

  function drawCards(board) {
    const row = (label, cards) => el("div", { class: "cards" }, el("span", { class: "label", text: label }),
      ...cards.map((v) => el("div", { class: "card" + (v === 0 ? " down" : ""), text: cardText(v) })));
    return el("div", {}, row("dealer", board.dealer), row("you", board.player));
  }

  function drawBoard(board) {
    const box = el("div", { class: "board" });
    if (board.kind === "grid") box.append(drawGrid(board));
    else if (board.kind === "cards") box.append(drawCards(board));
    const text = el("pre", { class: "text", text: board.text || "" });
    box.append(board.kind === "text" ? text : el("details", {}, el("summary", { text: "state as text" }), text));
    return box;
  }

  function short(value) {
    const text = JSON.stringify(value);
    return text && text.length > 240 ? text.slice(0, 240) + "…" : text;
  }

  function drawStages(stages) {
    const list = el("ol", { class: "stages" });
    for (const s of stages) {
      const table = el("table", { class: "cands" });
      for (const c of s.candidates) {
        const bar = el("span", { class: "bar" }); bar.style.width = Math.round(c.p * 80) + "px";
        table.append(el("tr", { class: c.name === s.chosen ? "picked" : "" },
          el("td", { text: c.name }), el("td", { text: c.p.toFixed(3) }), el("td", {}, bar)));
      }
      const facts = Object.entries(s.facts || {}).map(([k, v]) => `${k}: ${v ? "yes" : "no"}`).join(", ");
      list.append(el("li", { class: "stage", "data-stage": s.stage, "data-chosen": s.chosen || "" },
        el("span", { class: "stage-name", text: s.stage + " → " }),
        el("span", { class: "chosen-name", text: s.chosen || "none" }),
        s.forced ? el("span", { class: "forced", text: "forced" }) : null,
        table,
        el("div", { class: "facts", text: "facts: " + (facts || "none") }),
        el("div", { class: "result", text: "result: " + (s.ok ? short(s.result) : "FAILED " + s.error) })));
    }
    return list;
  }

  function draw(snapshot) {
    state.last = snapshot;
    window.ldLog.push(snapshot);
    const main = $("players");
    main.replaceChildren();
    for (const p of snapshot.players) {
      const meta = `step ${snapshot.step}` + (p.action != null ? ` · action ${JSON.stringify(p.action)}` : "") +
        ` · reward ${p.reward} · total ${p.total}` + (p.done ? " · done" : "");
      main.append(el("section", { class: "player", "data-policy": p.policy },
        el("h2", { text: p.policy }),
        el("div", { class: "meta", text: meta }),
        p.rule ? el("div", { class: "rule", text: "NEW RULE: " + p.rule }) : null,
        p.new_functions && p.new_functions.length
          ? el("div", { class: "new-functions", text: "functions added: " + p.new_functions.join(", ") }) : null,
        el("div", { class: "body" }, drawBoard(p.board), drawStages(p.stages || []))));
    }
    const done = snapshot.done || (config.mode === "recorded" && state.frame >= config.frames.length - 1);
    $("step").disabled = done;
    $("play").disabled = done;
    if (done) stopPlaying();
  }

  async function step() {
    try {
      if (config.mode === "recorded") {
        state.frame = Math.min(state.frame + 1, config.frames.length - 1);
        draw(config.frames[state.frame]);
      } else {
        draw(await api("POST", `/v1/episodes/${state.episode}/step`));
      }
      status(`episode ${state.last.episode || "recorded"} · step ${state.last.step}`);
    } catch (err) { status(err.message, true); stopPlaying(); }
  }

  function stopPlaying() { if (state.timer) { clearInterval(state.timer); state.timer = null; $("play").textContent = "Play"; } }

  function togglePlay() {
    if (state.timer) return stopPlaying();
    $("play").textContent = "Pause";
    state.timer = setInterval(step, 500);
  }

  async function newEpisode() {
    stopPlaying();
    if (config.mode === "recorded") { state.frame = 0; draw(config.frames[0]); return; }
    const policies = $("policies").value.split(",").map((s) => s.trim()).filter(Boolean);
    const body = { task: $("task").value, seed: Number($("seed").value || 0), policies };
    if ($("scenario").value) body.scenario = $("scenario").value;
    const envArgs = {};
    for (const input of $("options").querySelectorAll("input")) {
      if (input.value.trim()) envArgs[input.dataset.option] = optionValue(input.value.trim());
    }
    if (Object.keys(envArgs).length) body.env_args = envArgs;
    try {
      status("starting…");
      const snapshot = await api("POST", "/v1/episodes", body);
      state.episode = snapshot.episode;
      draw(snapshot);
      status(`episode ${snapshot.episode} · step 0`);
    } catch (err) { status(err.message, true); }
  }

  // An option's text as the CLI's --env-arg reads it: an int, a decimal, true/false, else text.
  function optionValue(text) {
    if (/^-?\d+$/.test(text)) return Number.parseInt(text, 10);
    if (/^-?(\d+\.\d*|\.\d+)$/.test(text)) return Number.parseFloat(text);
    if (/^(true|false)$/i.test(text)) return text.toLowerCase() === "true";
    return text;
  }

  async function loadTask() {
    try {
      const info = await api("GET", `/v1/tasks/${$("task").value}`);
      $("scenario").replaceChildren(el("option", { value: "", text: "none" }),
        ...info.scenarios.map((s) => el("option", { value: s, text: s })));
      // The task's own environment options (a plugin's rule step, pursuit's map): a box each, empty = default.
      $("options").replaceChildren(...Object.entries(info.options || {}).filter(([name]) => name !== "scenario")
        .map(([name, help]) => el("label", { title: help }, name + " ",
          el("input", { size: 8, "data-option": name, title: help }))));
      $("policies").title = "comma-separated, side by side; this task's: " + info.policies.join(", ");
    } catch (err) { status(err.message, true); }
  }

  async function init() {
    $("new").addEventListener("click", newEpisode);
    $("step").addEventListener("click", step);
    $("play").addEventListener("click", togglePlay);
    if (config.mode === "recorded") {
      for (const id of ["task", "scenario", "seed", "policies", "apikey"]) $(id).disabled = true;
      $("task").append(el("option", { text: config.task }));
      $("policies").value = config.policies.join(",");
      $("seed").value = config.seed;
      $("new").textContent = "Restart";
      state.frame = 0;
      draw(config.frames[0]);
      status(`recorded episode · ${config.frames.length - 1} steps`);
      return;
    }
    $("policies").value = config.policy || "teacher-program";
    try {
      const tasks = await api("GET", "/v1/tasks");
      $("task").replaceChildren(...tasks.tasks.map((t) => el("option", { value: t, text: t })));
      $("task").value = config.task || tasks.served;
    } catch (err) { status(err.message, true); }
    $("task").addEventListener("change", loadTask);
    await loadTask();
    status("pick a seed and policies, then New episode");
  }

  init();
})();
