// One task, live: events arrive over SSE (EventSource, resumes by Last-Event-ID), each step
// becomes a card with its screenshots, tap markers and every role's output.
"use strict";

const taskId = decodeURIComponent(location.pathname.split("/").filter(Boolean).pop());
const steps = new Map();
const logLines = [];
let task = null;
let source = null;

function $(id) { return document.getElementById(id); }

function artifactUrl(name) {
  return `/v1/tasks/${encodeURIComponent(taskId)}/${name}`;
}

function shotUrl(step, phase) {
  return `/v1/tasks/${encodeURIComponent(taskId)}/steps/${step}/screenshot?phase=${phase}`;
}

function stepCard(n) {
  if (steps.has(n)) return steps.get(n);
  const timeline = $("timeline");
  timeline.querySelector(".empty")?.remove();
  const before = el("div", { class: "shot before" }, el("div", { class: "cap", text: "before" }));
  const after = el("div", { class: "shot after" }, el("div", { class: "cap", text: "after" }));
  const roles = el("div", { class: "roles" }, el("div", { class: "num", text: `Step ${n}` }));
  const card = el("div", { class: "card step", "data-step": n }, before, after, roles);
  // keep cards ordered by step number
  const later = [...timeline.children].find((c) => Number(c.dataset.step) > n);
  timeline.insertBefore(card, later || null);
  const entry = { card, before, after, roles, size: null, points: [] };
  steps.set(n, entry);
  return entry;
}

function addImage(entry, phase, data) {
  const box = phase === "after" ? entry.after : entry.before;
  if (box.querySelector("img")) return;
  if (data.width && data.height) entry.size = [data.width, data.height];
  const img = el("img", { src: shotUrl(entry.card.dataset.step, phase), alt: `step ${entry.card.dataset.step} ${phase}`, loading: "lazy" });
  img.addEventListener("load", () => {
    if (!entry.size) entry.size = [img.naturalWidth, img.naturalHeight];
    drawMarkers(entry);
  });
  box.append(img);
}

function drawMarkers(entry) {
  const box = entry.before;
  box.querySelectorAll(".marker").forEach((m) => m.remove());
  const img = box.querySelector("img");
  if (!img || !entry.size || !entry.points.length) return;
  const [w, h] = entry.size;
  const top = img.offsetTop;
  for (const [x, y] of entry.points) {
    const m = el("div", { class: "marker", title: `tap ${x},${y}` });
    m.style.left = `${(x / w) * img.clientWidth}px`;
    m.style.top = `${top + (y / h) * img.clientHeight}px`;
    box.append(m);
  }
}

function roleBlock(entry, who, text, cls) {
  entry.roles.append(el("div", { class: "role " + who }, el("div", { class: "who", text: who }), el("pre", { class: cls || "", text })));
}

function describeAction(a) {
  if (!a) return "";
  return typeof a === "string" ? a : JSON.stringify(a);
}

function renderPlan(d) {
  const box = $("plan");
  box.hidden = false;
  box.replaceChildren(el("b", { text: "Plan" }));
  const list = el("ol");
  for (const p of d.plan || []) list.append(el("li", { text: p }));
  box.append(list);
  if (d.subgoal) box.append(el("div", { class: "muted", text: "current subgoal: " + d.subgoal }));
}

function onEvent(ev) {
  logLines.push(JSON.stringify(ev));
  $("log").textContent = logLines.join("\n");
  $("event-count").textContent = String(logLines.length);
  const d = ev.data || {};
  const n = ev.step;
  switch (ev.type) {
    case "screen.captured":
      if (n !== null && n !== undefined) addImage(stepCard(n), d.phase || "before", d);
      break;
    case "plan.updated":
      renderPlan(d);
      if (n) roleBlock(stepCard(n), "manager", [d.thought, d.subgoal && "→ " + d.subgoal].filter(Boolean).join("\n"));
      break;
    case "action.proposed":
      if (n) roleBlock(stepCard(n), "worker", [d.thought, describeAction(d.action), d.description].filter(Boolean).join("\n"));
      break;
    case "action.executed": {
      if (!n) break;
      const entry = stepCard(n);
      entry.points = (d.device_points || []).filter((p) => Array.isArray(p) && p.length >= 2);
      drawMarkers(entry);
      break;
    }
    case "action.failed":
      if (n) roleBlock(stepCard(n), "worker", "action failed: " + (d.error || ""), "outcome-C");
      break;
    case "reflection":
      if (n) roleBlock(stepCard(n), "reflector", `${d.outcome || ""} ${d.thought || ""}${d.error ? "\n" + d.error : ""}`.trim(), "outcome-" + (d.outcome || ""));
      break;
    case "notes.updated":
      if (n) roleBlock(stepCard(n), "notetaker", d.notes || "");
      break;
    case "human.requested":
      if (n) roleBlock(stepCard(n), "human", `${d.kind}: ${d.prompt}`);
      refreshTask();
      break;
    case "human.replied":
      if (n) roleBlock(stepCard(n), "human", `reply: ${d.text || ""} (${d.approved ? "approved" : "refused"})`);
      refreshTask();
      break;
    case "escalation":
      if (n) roleBlock(stepCard(n), "manager", "escalation: " + (d.reason || ""));
      break;
    case "role.parse_error":
      if (n) roleBlock(stepCard(n), d.role || "model", "could not parse: " + (d.reason || ""), "outcome-C");
      break;
    case "answer":
      $("result").textContent = "Answer: " + (d.text || "");
      break;
    case "task.started":
    case "step.started":
      if (ev.type === "step.started" && n) stepCard(n);
      refreshTask();
      break;
    case "task.finished":
      settle();
      if (source) { source.close(); source = null; }
      $("live").textContent = "";
      break;
  }
}

function renderTask(t) {
  task = t;
  document.title = `mobile-agent · ${t.status} · ${t.instruction.slice(0, 40)}`;
  $("instruction").textContent = t.instruction;
  $("status").replaceChildren(badge(t.status));
  $("device").textContent = t.device || "any";
  $("steps").textContent = `${t.steps} / ${t.max_steps}`;
  $("mode").textContent = `${t.mode || "default"} / ${t.model || "default"}`;
  $("created").textContent = when(t.created_at);
  $("started").textContent = when(t.started_at);
  $("finished").textContent = when(t.finished_at);
  $("task-id").textContent = t.id;
  const result = [t.answer && "Answer: " + t.answer, t.reason && "Reason: " + t.reason].filter(Boolean).join(" · ");
  if (result) $("result").textContent = result;
  $("cancel").hidden = TERMINAL.has(t.status);
  renderOutput(t);
  // a task cancelled while queued never ran: it has no report
  $("artifacts").hidden = !(TERMINAL.has(t.status) && t.started_at);
  const p = t.pending_request;
  $("pending").hidden = !(p && t.status === "waiting_for_human");
  if (p) {
    $("pending-kind").textContent = p.kind === "confirm" ? "The agent asks for confirmation" : "The agent has a question";
    $("pending-prompt").textContent = p.prompt;
    $("pending-action").textContent = p.action ? JSON.stringify(p.action) : "";
  }
}

// The structured output (a task with an output_schema), as text: never parsed as markup.
function renderOutput(t) {
  const box = $("output-box");
  box.hidden = t.output_schema === null || t.output_schema === undefined;
  if (box.hidden) return;
  const has = (t.output !== null && t.output !== undefined) || t.status === "succeeded";
  $("output").hidden = !has;
  $("output").textContent = has ? JSON.stringify(t.output ?? null, null, 2) : "";
  $("output-note").textContent = has ? "" : TERMINAL.has(t.status) ? "none: the task ended without a valid answer" : "waiting for the answer…";
}

async function refreshTask() {
  try { renderTask(await api(`/v1/tasks/${encodeURIComponent(taskId)}`)); }
  catch (e) { $("instruction").textContent = String(e.message || e); }
}

// task.finished is streamed before the server records the end (output, report): refresh until
// the task reads as ended, then the output and the links show without a reload.
async function settle() {
  for (let i = 0; i < 40; i++) {
    await refreshTask();
    if (task && TERMINAL.has(task.status)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function sendReply(approve) {
  $("reply-error").textContent = "";
  try {
    await api(`/v1/tasks/${encodeURIComponent(taskId)}/reply`, { method: "POST", body: JSON.stringify({ text: $("reply-text").value, approve }) });
    $("reply-text").value = "";
    refreshTask();
  } catch (e) { $("reply-error").textContent = String(e.message || e); }
}

$("approve").addEventListener("click", () => sendReply(true));
$("refuse").addEventListener("click", () => sendReply(false));
$("cancel").addEventListener("click", async () => {
  try { await api(`/v1/tasks/${encodeURIComponent(taskId)}/cancel`, { method: "POST" }); } catch (e) { alert(e.message || e); }
  refreshTask();
});
window.addEventListener("resize", () => steps.forEach(drawMarkers));

function connect() {
  source = new EventSource(`/v1/tasks/${encodeURIComponent(taskId)}/events`);
  $("live").textContent = "● live";
  source.onmessage = (m) => onEvent(JSON.parse(m.data));
  source.onerror = () => {
    if (task && TERMINAL.has(task.status) && source && source.readyState === EventSource.CLOSED) $("live").textContent = "";
  };
}

$("report-link").href = artifactUrl("report");
$("result-link").href = artifactUrl("result");
refreshTask().then(connect);
setInterval(() => { if (!task || !TERMINAL.has(task.status)) refreshTask(); }, 3000);
