// Supervisor overview: every parent, updated in place from /ws/execution/, sortable and
// filterable; renders at most once per animation frame however many updates arrive.
(function () {
  "use strict";
  const body = document.querySelector("#parents tbody");
  const parents = new Map();
  const LIVE = ["NEW", "WORKING", "PAUSED"];
  const VENUE_COLOURS = window.VENUE_COLOURS;
  const filters = { instrument: "", strategy: "", status: "live" };
  (function venueLegend() {  // what the Venues column's colours mean
    const legend = document.getElementById("venue-legend");
    Object.keys(VENUE_COLOURS).forEach(function (venue) {
      legend.appendChild(el("span", { class: "swatch", style: "background:" + VENUE_COLOURS[venue] }));
      legend.appendChild(document.createTextNode(" " + venue + " "));
    });
  })();
  let sort = { key: "id", dir: -1 }, connected = false, pending = false;

  function statusMatches(p) {
    if (filters.status === "live") return LIVE.indexOf(p.status) >= 0;
    if (filters.status === "done") return LIVE.indexOf(p.status) < 0;
    return !filters.status || p.status === filters.status;
  }
  function visible(p) {
    return statusMatches(p) && (!filters.instrument || p.instrument === filters.instrument) &&
      (!filters.strategy || p.strategy === filters.strategy);
  }
  function sortValue(p, key) {
    if (key === "progress") return p.quantity ? p.filled_quantity / p.quantity : 0;
    if (key === "vs_schedule") return p.quantity ? (p.filled_quantity - p.schedule_due) / p.quantity : 0;  // share of the parent
    if (key === "left") { const left = LIVE.indexOf(p.status) >= 0 && p.start ? secondsLeft(p.end) : null; return left === null ? Infinity : left; }
    const v = p[key];
    if (v === null || v === undefined) return -Infinity;
    return typeof v === "string" && !isNaN(Number(v)) ? Number(v) : v;
  }
  function behind(p) {
    // a round lot or more, and more than 2% of the parent, short of where the schedule wants it
    // (a small parent is behind by its first missing lot: 100 of 500 shares is 20%)
    const gap = p.schedule_due - p.filled_quantity;
    return p.status === "WORKING" && gap >= 100 && gap > 0.02 * p.quantity;
  }
  // Exchange seconds from now (the header's clock) to an ISO time of the same day; null without a clock.
  function secondsLeft(iso) {
    const reads = (document.getElementById("exchange-clock") || {}).dataset;
    if (!iso || !reads || !reads.reads) return null;
    const clockDate = reads.reads.slice(0, 10), endDate = iso.slice(0, 10);
    if (endDate < clockDate) return 0;
    if (endDate > clockDate) return null;
    const seconds = function (hms) { const t = hms.split(":").map(Number); return 3600 * t[0] + 60 * t[1] + t[2]; };
    return Math.max(0, seconds(iso.slice(11, 19)) - seconds(reads.reads.slice(11, 19)));
  }
  function timeLeftCell(p) {
    const left = LIVE.indexOf(p.status) >= 0 && p.start ? secondsLeft(p.end) : null;
    if (left === null) return el("td", { class: "num muted" }, "–");
    const h = Math.floor(left / 3600), m = Math.floor(left / 60) % 60, sec = left % 60;
    const text = (h ? h + ":" + String(m).padStart(2, "0") : String(m)) + ":" + String(sec).padStart(2, "0");
    return el("td", { class: "num" + (left < 60 ? " bad" : ""), title: "Exchange time left to the end, on the header's clock" }, text);
  }
  function progressCell(p) {
    const td = el("td");
    const pct = p.quantity ? (100 * p.filled_quantity / p.quantity) : 0;
    const due = p.quantity ? Math.min(100, 100 * p.schedule_due / p.quantity) : 0;
    const late = behind(p);
    const bar = el("div", { class: "progress" + (late ? " behind" : ""),
      title: fmt.qty(p.filled_quantity) + " filled of " + fmt.qty(p.quantity) + "; schedule: " + fmt.qty(p.schedule_due) });
    bar.appendChild(el("div", { class: "progress-fill", style: "width:" + pct.toFixed(1) + "%" }));
    if (p.start && LIVE.indexOf(p.status) >= 0) bar.appendChild(el("div", { class: "progress-due", style: "left:" + due.toFixed(1) + "%" }));
    const gap = p.filled_quantity - p.schedule_due;
    const label = pct.toFixed(0) + "%" + (p.status === "WORKING" && p.start ? " · " + (gap >= 0 ? "+" : "−") + fmt.qty(Math.abs(gap)) + " vs plan" : "");
    bar.appendChild(el("span", { class: "progress-label" }, label));
    td.appendChild(bar);
    return td;
  }
  function venueCell(p) {
    const td = el("td");
    const entries = Object.entries(p.venue_quantities || {}).sort(function (a, b) { return b[1] - a[1]; });
    const total = entries.reduce(function (s, e) { return s + e[1]; }, 0);
    if (!total) { td.textContent = "–"; return td; }
    const strip = el("div", { class: "venue-strip", title: entries.map(function (e) { return e[0] + " " + fmt.qty(e[1]); }).join(" · ") });
    entries.forEach(function (e) {
      strip.appendChild(el("span", { style: "width:" + (100 * e[1] / total).toFixed(1) + "%;background:" + (VENUE_COLOURS[e[0]] || "#8b949e") }));
    });
    td.appendChild(strip);
    return td;
  }
  const selected = new Set();  // parent ids ticked for a bulk action
  function row(p) {
    const tr = el("tr", { "data-id": p.id });
    const tick = el("td", { class: "select" });
    const box = el("input", { type: "checkbox", "data-select": p.id, "aria-label": "Select P" + p.id });
    box.checked = selected.has(p.id);
    tick.appendChild(box);
    tr.appendChild(tick);
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
    tr.appendChild(progressCell(p));
    tr.appendChild(el("td", { class: "num" }, p.participation == null ? "–" : (100 * Number(p.participation)).toFixed(1) + "%"));
    const perf = p.performance_vs_vwap_bps;
    tr.appendChild(el("td", { class: "num " + (perf === null ? "" : Number(perf) > 0 ? "good" : Number(perf) < 0 ? "bad" : "") }, perf === null ? "–" : perf));
    tr.appendChild(venueCell(p));
    tr.appendChild(el("td", { class: "num" }, fmt.avg(p.average_price, p)));
    tr.appendChild(el("td", { class: "num" }, fmt.mid(p.arrival_price, p)));
    tr.appendChild(el("td", {}, fmt.time(p.end)));
    tr.appendChild(timeLeftCell(p));
    const actions = el("td", { class: "actions" });
    const live = LIVE.indexOf(p.status) >= 0 && !p.cancel_requested;
    if (live && p.status !== "PAUSED") actions.appendChild(el("button", { class: "small", "data-action": "pause", "data-id": p.id }, "Pause"));
    if (live && p.status === "PAUSED") actions.appendChild(el("button", { class: "small", "data-action": "resume", "data-id": p.id }, "Resume"));
    if (live) actions.appendChild(el("button", { class: "small danger", "data-action": "cancel", "data-id": p.id }, "Cancel"));
    if (p.cancel_requested && LIVE.indexOf(p.status) >= 0) actions.appendChild(el("span", { class: "muted small" }, "cancelling…"));
    tr.appendChild(actions);
    return tr;
  }
  function emptyRow(text) {
    const tr = el("tr", { class: "empty" });
    tr.appendChild(el("td", { colspan: 16 }, text));
    return tr;
  }
  function fillOptions(select, values, all) {
    const current = select.value;
    select.textContent = "";
    select.appendChild(el("option", { value: "" }, all));
    values.forEach(function (v) { select.appendChild(el("option", { value: v }, v)); });
    select.value = values.indexOf(current) >= 0 ? current : "";
  }
  function render() {
    pending = false;
    const all = Array.from(parents.values());
    fillOptions(document.getElementById("f-instrument"), Array.from(new Set(all.map(function (p) { return p.instrument; }))).sort(), "all instruments");
    const shown = all.filter(visible).sort(function (a, b) {
      const x = sortValue(a, sort.key), y = sortValue(b, sort.key);
      return (x < y ? -1 : x > y ? 1 : b.id - a.id) * sort.dir;
    });
    body.textContent = "";
    if (!connected) body.appendChild(emptyRow("Connecting…"));
    else if (!all.length) body.appendChild(emptyRow("No parent orders yet. Orders that traders enter are aggregated every few seconds, or now with the button above."));
    else if (!shown.length) body.appendChild(emptyRow("No parent matches these filters (" + all.length + " in all)."));
    shown.forEach(function (p) { body.appendChild(row(p)); });
    const working = all.filter(function (p) { return p.status === "WORKING"; });
    document.getElementById("parents-count").textContent = shown.length + " shown of " + all.length +
      " · " + working.length + " working · " + working.filter(behind).length + " behind schedule";
    shownIds = shown.map(function (p) { return p.id; });
    showBulk(all);
    document.querySelectorAll("#parents th[data-sort]").forEach(function (th) {
      th.classList.toggle("sorted", th.dataset.sort === sort.key);
      th.setAttribute("aria-sort", th.dataset.sort === sort.key ? (sort.dir > 0 ? "ascending" : "descending") : "none");
      th.dataset.dir = th.dataset.sort === sort.key ? (sort.dir > 0 ? "asc" : "desc") : "";
    });
  }
  let shownIds = [];
  function showBulk(all) {
    selected.forEach(function (id) { if (!parents.has(id)) selected.delete(id); });
    document.getElementById("bulk-count").textContent = selected.size ? selected.size + " selected" : "none selected";
    document.querySelectorAll("#bulk-actions button[data-bulk]:not([data-all])").forEach(function (b) { b.disabled = !selected.size; });
    const paused = all.filter(function (p) { return p.status === "PAUSED" && !p.cancel_requested; }).length;
    const resumeAll = document.getElementById("resume-all");
    resumeAll.hidden = !paused || killButton.dataset.engaged === "1";
    resumeAll.textContent = "Resume all " + paused + " paused";
    const header = document.getElementById("select-shown");
    header.checked = shownIds.length > 0 && shownIds.every(function (id) { return selected.has(id); });
  }
  function schedule() { if (!pending) { pending = true; requestAnimationFrame(render); } }
  function upsert(p) {
    const shown = parents.get(p.id);
    if (shown && p.revision < shown.revision) return;  // a late publish of an older state
    parents.set(p.id, p); schedule();
  }

  const faulted = new Map();  // session id -> session, while it is FAULTED
  function showFaults() {
    const list = document.getElementById("fault-list");
    list.textContent = "";
    faulted.forEach(function (s) {
      const item = document.createElement("li");
      item.textContent = s.instrument + " " + s.trading_date + " · step " + s.step_no + " (simulated " +
        s.sim_time.slice(11, 19) + ") failed " + (s.failures === 1 ? "once" : s.failures + " times") + ": ";
      const error = document.createElement("code");
      error.textContent = s.error;
      const resume = document.createElement("button");
      resume.className = "small";
      resume.dataset.resume = s.id;
      resume.textContent = "Resume session";
      item.append(error, " ", resume);
      list.appendChild(item);
    });
    document.getElementById("fault-banner").hidden = faulted.size === 0;
  }
  function upsertSession(s) {
    if (s.status === "FAULTED") faulted.set(s.id, s); else faulted.delete(s.id);
    showFaults();
  }
  document.getElementById("fault-list").addEventListener("click", function (event) {
    const button = event.target.closest("button[data-resume]");
    if (!button || !window.confirm("Resume this session? Do it once the cause of its failures is fixed.")) return;
    fetch("/api/v1/sessions/" + button.dataset.resume + "/resume/", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
    }).then(function (r) { return r.json().then(function (b) { if (r.ok) upsertSession(b); else window.alert(b.detail || "Refused"); }); });
  });

  // The venue status feed: a chip per venue, its state and since when (exchange time).
  function showVenueStatus(change) {
    const board = document.getElementById("venue-board");
    let chip = board.querySelector('[data-venue="' + change.venue + '"]');
    if (!chip) {
      chip = el("span", { class: "venue-chip", "data-venue": change.venue });
      chip.appendChild(el("b", {}, change.venue));
      chip.appendChild(document.createTextNode(" "));
      chip.appendChild(el("span", { class: "venue-state" }, ""));
      board.appendChild(chip);
    }
    chip.className = "venue-chip status-" + change.status.toLowerCase();
    const since = change.time ? " since " + change.time.slice(11, 19) : "";
    chip.querySelector(".venue-state").textContent = change.status === "UP" ? "up" :
      change.status.toLowerCase() + (change.detail ? ": " + change.detail : "") + since;
  }

  // The listing venue's auction feed: a chip per instrument, its official open, a volatility
  // pause and its reopening, then the closing auction's indication, then its official close.
  function showAuction(a) {
    const board = document.getElementById("auction-board");
    board.hidden = false;
    let chip = board.querySelector('[data-instrument="' + a.instrument + '"]');
    if (!chip) {
      chip = el("span", { class: "venue-chip auction-chip", "data-instrument": a.instrument });
      board.appendChild(chip);
    }
    const side = a.imbalance > 0 ? "+" + fmt.qty(a.imbalance) + " to buy" :
      a.imbalance < 0 ? "−" + fmt.qty(-a.imbalance) + " to sell" : "balanced";
    const at = " (" + a.time.slice(11, 19) + ")";
    const crossed = { OPEN: "opened", REOPEN: "reopened", CLOSE: "closed" }[a.phase];
    let text;
    if (a.phase === "HALT") text = " paused: limit up-limit down band " + a.price + at;
    else if (crossed) {
      text = a.price === null ? " no " + crossed.replace("ed", "ing") + " cross" :
        " " + crossed + " " + a.price + " · " + fmt.qty(a.paired) + " in the cross" + (a.phase === "REOPEN" ? at : "");
    } else text = " " + (a.price === null ? "no indication" : a.price) + " · " + fmt.qty(a.paired) + " paired · " + side + at;
    chip.className = "venue-chip auction-chip" + ({ CLOSE: " closed", OPEN: " opened", HALT: " halted" }[a.phase] || "");
    chip.replaceChildren(el("b", {}, a.instrument), document.createTextNode(text));
  }
  JSON.parse(document.getElementById("auction-data").textContent).forEach(showAuction);

  window.executionStream = openStream("/ws/execution/", {
    onSnapshot: function (m) {
      connected = true;
      parents.clear();
      m.parents.forEach(function (p) { parents.set(p.id, p); });
      faulted.clear();
      (m.faulted_sessions || []).forEach(upsertSession);
      showFaults();
      if (m.kill_switch) showKillSwitch(m.kill_switch.engaged, m.kill_switch.by, m.kill_switch.reason);
      (m.venues || []).forEach(function (v) { showVenueStatus({ venue: v.venue, status: v.status, detail: v.detail, time: v.since }); });
      schedule();
    },
    onMessage: function (m) {
      if (m.type === "parent") m.parents.forEach(upsert);
      else if (m.type === "kill_switch") showKillSwitch(m.engaged, m.by, m.reason);
      else if (m.type === "session") upsertSession(m.session);
      else if (m.type === "venue_status") m.changes.forEach(showVenueStatus);
      else if (m.type === "auction") showAuction(m);
    },
  });
  document.querySelectorAll("#parents th[data-sort]").forEach(function (th) {
    th.tabIndex = 0;  // sortable from the keyboard: Enter or Space sorts as a click does
    th.setAttribute("aria-sort", "none");
    th.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); th.click(); }
    });
    th.addEventListener("click", function () {
      sort = { key: th.dataset.sort, dir: sort.key === th.dataset.sort ? -sort.dir : (th.classList.contains("num") ? -1 : 1) };
      schedule();
    });
  });
  [["f-instrument", "instrument"], ["f-strategy", "strategy"], ["f-status", "status"]].forEach(function (pair) {
    document.getElementById(pair[0]).addEventListener("change", function (event) { filters[pair[1]] = event.target.value; schedule(); });
  });
  body.addEventListener("change", function (event) {
    const box = event.target.closest("input[data-select]");
    if (!box) return;
    const id = Number(box.dataset.select);
    if (box.checked) selected.add(id); else selected.delete(id);
    schedule();
  });
  document.getElementById("select-shown").addEventListener("change", function (event) {
    shownIds.forEach(function (id) { if (event.target.checked) selected.add(id); else selected.delete(id); });
    schedule();
  });
  document.getElementById("bulk-actions").addEventListener("click", function (event) {
    const button = event.target.closest("button[data-bulk]");
    if (!button) return;
    const action = button.dataset.bulk, all = button.dataset.all === "1";
    const ids = Array.from(selected).sort(function (a, b) { return a - b; });
    const what = all ? "every paused parent" : ids.length + " parent" + (ids.length === 1 ? "" : "s") + " (P" + ids.join(", P") + ")";
    if (!window.confirm(action.charAt(0).toUpperCase() + action.slice(1) + " " + what + "?" +
      (action === "cancel" ? " Their working child orders are cancelled at every venue." : ""))) return;
    fetch("/api/v1/parents/bulk/", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
      body: JSON.stringify(all ? { action: action, all: true } : { action: action, parents: ids }),
    }).then(function (r) { return r.json(); }).then(function (outcome) {
      // the stream brings each changed parent as the overview shows it; the answer says what was refused
      selected.clear();
      schedule();
      if (outcome.refused && outcome.refused.length) {
        window.alert(outcome.applied.length + " done; refused: " + outcome.refused.map(function (r) { return "P" + r.parent + " (" + r.detail + ")"; }).join(", "));
      }
    });
  });
  body.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const action = button.dataset.action, id = button.dataset.id;
    if (action === "cancel" && !window.confirm("Cancel parent P" + id + "? Its working child orders are cancelled at every venue.")) return;
    fetch("/api/v1/parents/" + id + "/" + action + "/", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
    }).then(function (r) { if (!r.ok) return r.json().then(function (b) { window.alert(b.detail || "Refused"); }); });  // the stream brings the change
  });
  const killButton = document.getElementById("kill-switch");
  function showKillSwitch(engaged, by, reason) {
    killButton.dataset.engaged = engaged ? "1" : "0";
    killButton.textContent = engaged ? "Release kill switch" : "Engage kill switch";
    document.getElementById("kill-banner").hidden = !engaged;
    if (engaged) document.getElementById("kill-by").textContent = "By " + by + (reason ? ": " + reason : "");
    schedule();  // "resume all paused" shows once the switch is released
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
