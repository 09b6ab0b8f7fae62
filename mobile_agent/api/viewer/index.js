// The task list: refreshes every two seconds, links to each task's live page.
"use strict";

async function loadDevices() {
  const box = document.getElementById("devices");
  const select = document.getElementById("device");
  try {
    const devices = await api("/v1/devices");
    box.replaceChildren();
    if (!devices.length) box.append(el("span", { class: "muted", text: "no devices: connect a phone or start `mobile-agent sim`" }));
    const table = el("div", { class: "grid" });
    for (const d of devices) {
      table.append(el("div", { class: "kv device", "data-serial": d.serial },
        el("b", { text: d.model || "device" }), el("span", { class: "mono", text: d.serial + " " }), badge(d.state),
        d.leased_by ? el("div", {}, el("a", { href: "/tasks/" + d.leased_by, class: "mono", text: "→ " + d.leased_by })) : null,
        d.error ? el("div", { class: "muted", text: d.error }) : null));
      if (![...select.options].some((o) => o.value === d.serial)) select.append(el("option", { value: d.serial, text: d.serial }));
    }
    box.append(table);
  } catch (e) { box.textContent = String(e.message || e); }
}

async function loadTasks() {
  const body = document.getElementById("tasks");
  try {
    const page = await api("/v1/tasks?limit=100");
    document.getElementById("total").textContent = `(${page.total})`;
    body.replaceChildren();
    if (!page.items.length) body.append(el("tr", {}, el("td", { colspan: 6, class: "empty", text: "no tasks yet" })));
    for (const t of page.items) {
      const row = el("tr", { class: "row", "data-id": t.id, onclick: () => { location.href = "/tasks/" + t.id; } },
        el("td", {}, badge(t.status)),
        el("td", { class: "instr" }, el("a", { href: "/tasks/" + t.id, text: t.instruction }), el("div", { class: "muted mono", text: t.id })),
        el("td", { class: "mono", text: t.device || "any" }),
        el("td", { text: `${t.steps}/${t.max_steps}` }),
        el("td", { class: "muted", text: when(t.created_at) }),
        el("td", { text: t.answer || t.reason || (t.queue_position !== null ? `#${t.queue_position + 1} in queue` : "") }));
      body.append(row);
    }
  } catch (e) { body.replaceChildren(el("tr", {}, el("td", { colspan: 6, class: "empty", text: String(e.message || e) }))); }
}

document.getElementById("submit").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const err = document.getElementById("submit-error");
  err.textContent = "";
  const payload = { instruction: document.getElementById("instruction").value };
  const device = document.getElementById("device").value;
  const steps = document.getElementById("max_steps").value;
  if (device) payload.device = device;
  if (steps) payload.max_steps = Number(steps);
  try {
    const created = await api("/v1/tasks", { method: "POST", body: JSON.stringify(payload) });
    location.href = "/tasks/" + created.id;
  } catch (e) { err.textContent = String(e.message || e); }
});

async function tick() {
  await Promise.all([loadTasks(), loadDevices()]);
  setTimeout(tick, 2000);
}
tick();
