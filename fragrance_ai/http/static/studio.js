// The formulation studio: plain browser JavaScript, no build step, no third-party code.
//
// The API key stays in this browser (localStorage) and goes with every request as
// `Authorization: Bearer`. Event streams are read with fetch() and a stream reader, not
// EventSource: EventSource cannot send headers, and a key in the query string would land
// in access logs, the browser's history and Referer headers.
"use strict";

const KEY_STORE = "fragrance-ai.api-key";
const STAGES = { interpreting: "Interpreting the brief", optimising: "Optimising the formula" };
const ROLES = ["top", "heart", "base"];
const ROLE_COLOURS = { top: "#f2c14e", heart: "#e07a8f", base: "#8d6a9f" };
const SVG = "http://www.w3.org/2000/svg";

let apiKey = localStorage.getItem(KEY_STORE) || "";
let shown = null; // { job, formula } on screen
let pinned = null; // the one kept for comparison
let trainingRun = null;

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = tag.startsWith("svg:")
    ? document.createElementNS(SVG, tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children.flat()) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const pct = (value, digits = 2) => `${Number(value).toFixed(digits)}%`;

function problemText(status, problem) {
  if (status === 401) return "The API refused this key (401): paste a valid key above.";
  const fields = (problem.errors || []).map((e) => `${e.field}: ${e.message}`).join("; ");
  const detail = problem.detail ? `: ${problem.detail}` : "";
  return `${problem.title || `Error ${status}`}${detail}${fields ? ` (${fields})` : ""}`;
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${apiKey}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const reply = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await reply.json().catch(() => ({}));
  if (!reply.ok) throw new Error(problemText(reply.status, data));
  return data;
}

// A job's Server-Sent Events, stored ones first, until the server ends the stream.
async function* events(jobId) {
  const reply = await fetch(`/v1/jobs/${jobId}/events`, {
    headers: { Authorization: `Bearer ${apiKey}`, Accept: "text/event-stream" },
  });
  if (!reply.ok) throw new Error(problemText(reply.status, await reply.json().catch(() => ({}))));
  const reader = reply.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const fields = {};
      for (const line of buffer.slice(0, end).split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const name = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        fields[name] = name === "data" && "data" in fields ? `${fields.data}\n${text}` : text;
      }
      buffer = buffer.slice(end + 2);
      if ("data" in fields) yield { type: fields.event || "message", data: JSON.parse(fields.data) };
    }
  }
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

// --- the key ---------------------------------------------------------------------------

async function checkKey() {
  $("key-state").textContent = apiKey ? "checking…" : "no key: `make dev` prints one";
  $("training").hidden = true;
  if (!apiKey) return;
  try {
    const key = await api("GET", "/v1/key");
    $("key-state").textContent = `tenant ${key.tenant} · ${key.scopes.join(", ")}`;
    $("training").hidden = !key.scopes.some((s) => s === "train" || s === "admin");
    listJobs();
  } catch (error) {
    $("key-state").textContent = error.message;
  }
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  apiKey = $("api-key").value.trim();
  localStorage.setItem(KEY_STORE, apiKey);
  checkKey();
});

// --- a brief and its progress ------------------------------------------------------------

for (const example of document.querySelectorAll(".example")) {
  example.addEventListener("click", () => { $("brief").value = example.textContent; });
}

function stageItem(stage) {
  let item = document.querySelector(`#progress li[data-stage="${stage}"]`);
  if (!item) {
    item = el("li", { "data-stage": stage }, `${STAGES[stage] || stage}…`);
    $("progress").append(item);
  }
  return item;
}

function finishStage(stage, startedAt, event, words) {
  const item = stageItem(stage);
  const seconds = startedAt ? (new Date(event.data.at) - startedAt) / 1000 : null;
  item.className = "done";
  item.textContent = `${words}${seconds === null ? "" : ` in ${seconds.toFixed(2)} s`}`;
}

async function follow(jobId) {
  $("progress").replaceChildren(el("li", { "data-stage": "queued" }, "Queued, waiting for a worker…"));
  showError("");
  const started = {};
  for await (const event of events(jobId)) {
    const stage = event.data.stage;
    if (event.type === "stage_started") {
      stageItem("queued").className = "done";
      stageItem("queued").textContent = "Queued";
      started[stage] = new Date(event.data.at);
      stageItem(stage);
    } else if (event.type === "brief_interpreted") {
      finishStage("interpreting", started.interpreting, event, "Brief interpreted");
    } else if (event.type === "formula_optimized") {
      finishStage("optimising", started.optimising, event, `Formula optimised (${event.data.optimizer})`);
    } else if (event.type === "job_failed" || event.type === "job_cancelled") {
      const item = stageItem(stage || "queued");
      item.className = "failed";
      item.textContent = event.type === "job_failed" ? `Failed while ${stage}` : "Cancelled";
    }
  }
  await showJob(jobId);
}

async function showJob(jobId) {
  const job = await api("GET", `/v1/jobs/${jobId}`);
  if (job.status === "failed" || job.status === "cancelled") {
    showError(`Job ${job.status}: ${job.error || "no reason given"}`);
  } else if (job.formula) {
    shown = { job, formula: job.formula };
    renderResult();
  }
  listJobs();
  return job;
}

$("brief-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("submit").disabled = true;
  try {
    const options = { optimizer: $("optimizer").value };
    const accepted = await api("POST", "/v1/formulations", { brief: $("brief").value, options });
    await follow(accepted.job_id);
  } catch (error) {
    showError(error.message);
  } finally {
    $("submit").disabled = false;
  }
});

// --- the formula -------------------------------------------------------------------------

// A triangle cut into three bands whose heights are the pyramid's shares, top at the apex.
function pyramidChart(pyramid) {
  const width = 240, height = 150;
  const svg = el("svg:svg", { viewBox: `0 0 ${width} ${height + 24}`, class: "pyramid", role: "img",
    "aria-label": ROLES.map((r) => `${r} ${pct(pyramid[r], 1)}`).join(", ") });
  const total = ROLES.reduce((sum, r) => sum + pyramid[r], 0) || 1;
  const halfWidth = (y) => (width / 2) * (y / height);
  let y0 = 0;
  for (const role of ROLES) {
    const y1 = y0 + (height * pyramid[role]) / total;
    const [a, b] = [halfWidth(y0), halfWidth(y1)];
    const c = width / 2;
    svg.append(el("svg:polygon", {
      points: `${c - a},${y0} ${c + a},${y0} ${c + b},${y1} ${c - b},${y1}`,
      fill: ROLE_COLOURS[role], stroke: "#fff", "data-role": role,
    }));
    if (y1 - y0 >= 14) {
      svg.append(el("svg:text", { x: c, y: (y0 + y1) / 2 + 5, "text-anchor": "middle", "font-size": 12 },
        `${role} ${pct(pyramid[role], 1)}`));
    }
    y0 = y1;
  }
  svg.append(el("svg:text", { x: width / 2, y: height + 18, "text-anchor": "middle", "font-size": 11 },
    ROLES.map((r) => `${r} ${pct(pyramid[r], 1)}`).join(" · ")));
  return svg;
}

function linesTable(formula) {
  const body = el("tbody");
  for (const role of ROLES) {
    const lines = formula.lines.filter((line) => line.role === role);
    if (!lines.length) continue;
    body.append(el("tr", { class: "group" }, el("th", { colspan: 2 }, role), el("th", { class: "num" }, pct(formula.pyramid[role], 1))));
    for (const line of lines) {
      body.append(el("tr", {}, el("td", {}, line.name), el("td", {}, line.family), el("td", { class: "num" }, pct(line.percent))));
    }
  }
  return el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "Material"), el("th", {}, "Family"), el("th", { class: "num" }, "%"))), body);
}

function panels(formula) {
  const over = formula.ifra.filter((check) => !check.compliant);
  const labelled = formula.allergens.filter((a) => a.label_required);
  const list = (items) => (items.length ? el("ul", {}, items.map((i) => el("li", {}, i))) : el("p", {}, "none"));
  const boxes = [
    el("div", { class: "panel", "data-panel": "cost" }, el("h4", {}, "Cost"),
      el("p", {}, `$${formula.cost_per_kg_concentrate.toFixed(2)}/kg concentrate`),
      el("p", {}, `$${formula.cost_per_kg_finished.toFixed(2)}/kg finished product`)),
    el("div", { class: "panel", "data-panel": "ifra" }, el("h4", {}, `IFRA, category ${formula.ifra_category}`),
      el("p", { class: formula.ifra_compliant ? "ok" : "bad" }, formula.ifra_compliant ? "Compliant" : "Not compliant"),
      list((over.length ? over : formula.ifra).map((c) =>
        `${c.name}: ${c.finished_percent.toFixed(4)}%${c.limit_percent === null ? "" : ` of ${c.limit_percent}% allowed`}`))),
    el("div", { class: "panel", "data-panel": "allergens" }, el("h4", {}, "Allergens to label"),
      list(labelled.map((a) => `${a.name} ${a.finished_percent.toFixed(4)}%`))),
  ];
  if (formula.certificate && formula.certificate.length) {
    boxes.push(el("div", { class: "panel", "data-panel": "certificate" }, el("h4", {}, "Certificate: max % by category"),
      list(formula.certificate.map((c) => `cat. ${c.category}: ${c.max_percent.toFixed(3)}%`))));
  }
  boxes.push(el("div", { class: "panel" }, el("h4", {}, "Score"), el("p", {}, formula.score.total.toFixed(4))));
  return el("div", { class: "panels" }, boxes);
}

function formulaView(entry, title) {
  const { job, formula } = entry;
  return el("article", { class: "formula", "data-job": job.id },
    el("h3", {}, title), el("p", {}, job.brief_text),
    pyramidChart(formula.pyramid), linesTable(formula), panels(formula));
}

function renderResult() {
  const views = pinned ? [formulaView(pinned, "Kept"), formulaView(shown, "Latest")] : [formulaView(shown, "Latest")];
  $("compare").className = pinned ? "compare two" : "compare";
  $("compare").replaceChildren(...views);
  $("result").hidden = false;
}

$("pin").addEventListener("click", () => { pinned = shown; renderResult(); });

function csvCell(value) {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

$("csv").addEventListener("click", () => {
  const grams = Number($("batch-grams").value) || 100;
  const rows = [["material_id", "name", "role", "family", "percent", "grams"]];
  for (const line of shown.formula.lines) {
    rows.push([line.material_id, line.name, line.role, line.family, line.percent.toFixed(4), (line.percent * grams / 100).toFixed(3)]);
  }
  const blob = new Blob([rows.map((row) => row.map(csvCell).join(",")).join("\n") + "\n"], { type: "text/csv" });
  const link = el("a", { href: URL.createObjectURL(blob), download: `formula-${shown.job.id.slice(0, 8)}-${grams}g.csv` });
  link.click();
  URL.revokeObjectURL(link.href);
});

// --- recent jobs ---------------------------------------------------------------------------

async function listJobs() {
  try {
    const { jobs } = await api("GET", "/v1/jobs?limit=10");
    $("jobs").replaceChildren(...jobs.map((job) => {
      const item = el("li", { "data-job": job.id, "data-kind": job.kind }, el("span", {}, job.status), el("span", { class: "brief" }, job.brief_text || job.kind));
      item.addEventListener("click", () => (job.kind === "formulation" ? follow(job.id) : null));
      return item;
    }));
  } catch (error) {
    $("jobs").replaceChildren(el("li", {}, error.message));
  }
}

// --- training ------------------------------------------------------------------------------

function drawCurves(points) {
  const [w, h, pad] = [320, 140, 6];
  const svg = $("curves");
  svg.replaceChildren();
  if (points.length < 1) return;
  const maxStep = Math.max(...points.map((p) => p.step)) || 1;
  // Each curve on its own scale: the figures differ by orders of magnitude.
  const series = [["mean_return", "#8d6a9f", "reward"], ["entropy", "#3a7ca5", "entropy"],
    ["best_objective", "#e07a8f", "best"]];
  series.forEach(([field, colour, label], index) => {
    const values = points.map((p) => p[field]);
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    const y = (v) => h - pad - ((v - lo) / (hi - lo || 1)) * (h - 2 * pad - 14);
    const x = (p) => pad + (p.step / maxStep) * (w - 2 * pad);
    const line = points.map((p) => `${x(p)},${y(p[field])}`).join(" ");
    const last = points[points.length - 1];
    svg.append(el("svg:polyline", { points: line, fill: "none", stroke: colour, "stroke-width": 2, "data-series": field }));
    // The latest point as a dot: a run's first iteration is a line of one point.
    svg.append(el("svg:circle", { cx: x(last), cy: y(last[field]), r: 3, fill: colour }));
    svg.append(el("svg:text", { x: pad + index * 105, y: 12, fill: colour, "font-size": 11 },
      `${label} ${values[values.length - 1].toFixed(3)}`));
  });
}

$("training-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const points = [];
  try {
    const accepted = await api("POST", "/v1/training-runs", { total_timesteps: Number($("timesteps").value) });
    trainingRun = accepted.job_id;
    $("cancel-training").disabled = false;
    $("training-state").textContent = "queued, waiting for a worker…";
    for await (const e of events(trainingRun)) {
      if (e.type === "training_progressed") {
        const p = e.data.progress;
        points.push({ step: p.global_step, mean_return: p.mean_return, entropy: p.entropy ?? 0, best_objective: p.best_objective });
        $("training-state").textContent = `iteration ${p.iteration}/${p.num_iterations}, ${p.global_step} steps`;
        drawCurves(points);
      } else if (e.type === "policy_trained") {
        $("training-state").textContent = `${e.data.outcome.status}: ${e.data.outcome.global_step} steps`;
      } else if (e.type === "job_failed" || e.type === "job_cancelled") {
        $("training-state").textContent = e.type === "job_failed" ? `failed: ${e.data.reason}` : "cancelled";
      }
    }
  } catch (error) {
    $("training-state").textContent = error.message;
  } finally {
    $("cancel-training").disabled = true;
    listJobs();
  }
});

$("cancel-training").addEventListener("click", async () => {
  try {
    await api("POST", `/v1/jobs/${trainingRun}/cancel`);
  } catch (error) {
    $("training-state").textContent = error.message;
  }
});

$("api-key").value = apiKey;
checkKey();
