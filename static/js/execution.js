// Supervisor overview: every parent, updated in place from /ws/execution/.
(function () {
  "use strict";
  const body = document.querySelector("#parents tbody");
  function progressCell(p) {
    const td = el("td");
    const bar = el("div", { class: "progress", title: p.filled_quantity + " of " + p.quantity });
    const pct = p.quantity ? (100 * p.filled_quantity / p.quantity) : 0;
    const fill = el("div", { class: "progress-fill", style: "width:" + pct.toFixed(1) + "%" });
    bar.appendChild(fill);
    bar.appendChild(el("span", { class: "progress-label" }, pct.toFixed(0) + "%"));
    td.appendChild(bar);
    return td;
  }
  function row(p) {
    const tr = el("tr", { "data-id": p.id });
    const link = el("td");
    link.appendChild(el("a", { href: "/execution/" + p.id + "/" }, "P" + p.id));
    tr.appendChild(link);
    tr.appendChild(el("td", {}, p.instrument));
    tr.appendChild(el("td", { class: "side-" + p.side.toLowerCase() }, p.side));
    tr.appendChild(el("td", {}, p.strategy));
    const st = el("td");
    st.appendChild(el("span", { class: "status status-" + p.status.toLowerCase() }, p.status));
    tr.appendChild(st);
    tr.appendChild(el("td", { class: "num" }, fmt.qty(p.quantity)));
    tr.appendChild(el("td", { class: "num" }, fmt.qty(p.filled_quantity)));
    tr.appendChild(progressCell(p));
    tr.appendChild(el("td", { class: "num" }, fmt.price(p.average_price)));
    tr.appendChild(el("td", { class: "num" }, fmt.price(p.arrival_price, 3)));
    tr.appendChild(el("td", {}, fmt.time(p.end)));
    const actions = el("td", { class: "actions" });
    const live = ["NEW", "WORKING", "PAUSED"].indexOf(p.status) >= 0 && !p.cancel_requested;
    if (live && p.status !== "PAUSED") actions.appendChild(el("button", { class: "small", "data-action": "pause", "data-id": p.id }, "Pause"));
    if (live && p.status === "PAUSED") actions.appendChild(el("button", { class: "small", "data-action": "resume", "data-id": p.id }, "Resume"));
    if (live) actions.appendChild(el("button", { class: "small danger", "data-action": "cancel", "data-id": p.id }, "Cancel"));
    if (p.cancel_requested && live) actions.appendChild(el("span", { class: "muted small" }, "cancelling…"));
    tr.appendChild(actions);
    return tr;
  }
  function upsert(p) {
    const existing = body.querySelector('tr[data-id="' + p.id + '"]');
    if (existing) { existing.replaceWith(row(p)); return; }
    const empty = body.querySelector("tr.empty");
    if (empty) empty.remove();
    body.insertBefore(row(p), body.firstChild);
  }
  openStream("/ws/execution/", {
    onSnapshot: function (m) {
      body.innerHTML = "";
      if (!m.parents.length) {
        const tr = el("tr", { class: "empty" });
        tr.appendChild(el("td", { colspan: 12 }, "No parent orders yet. Orders that traders enter are aggregated every few seconds, or now with the button above."));
        body.appendChild(tr);
      }
      m.parents.slice().reverse().forEach(upsert);
    },
    onMessage: function (m) {
      if (m.type === "parent") m.parents.forEach(upsert);
      else if (m.type === "kill_switch") showKillSwitch(m.engaged, m.by, m.reason);
    },
  });
  body.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const action = button.dataset.action, id = button.dataset.id;
    if (action === "cancel" && !window.confirm("Cancel parent P" + id + "? Its working child orders are cancelled at every venue.")) return;
    fetch("/api/v1/parents/" + id + "/" + action + "/", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
    }).then(function (r) { return r.json().then(function (b) { if (r.ok) upsert(b); else window.alert(b.detail || "Refused"); }); });
  });
  const killButton = document.getElementById("kill-switch");
  function showKillSwitch(engaged, by, reason) {
    killButton.dataset.engaged = engaged ? "1" : "0";
    killButton.textContent = engaged ? "Release kill switch" : "Engage kill switch";
    document.getElementById("kill-banner").hidden = !engaged;
    if (engaged) document.getElementById("kill-by").textContent = "By " + by + (reason ? ": " + reason : "");
  }
  killButton.addEventListener("click", function () {
    const engage = killButton.dataset.engaged !== "1";
    let reason = "";
    if (engage) {
      reason = window.prompt("Engage the kill switch? Every child order is cancelled and no order is accepted. Reason:", "");
      if (reason === null) return;
    } else if (!window.confirm("Release the kill switch? Orders are accepted again; paused parents stay paused.")) return;
    fetch("/api/v1/kill-switch/", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
      body: JSON.stringify({ engaged: engage, reason: reason }),
    }).then(function (r) { return r.json(); }).then(function (s) { showKillSwitch(s.engaged, s.changed_by, s.reason); });
  });
  document.getElementById("aggregate").addEventListener("click", function () {
    fetch("/api/v1/aggregate/", { method: "POST", headers: { "X-CSRFToken": csrfToken() }, credentials: "same-origin" });
  });
})();
