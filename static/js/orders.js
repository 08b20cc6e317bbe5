// The blotter: a trader's own orders (a supervisor's, every trader's) stream in and update rows in
// place, the totals line follows; a row opens its allocations.
(function () {
  "use strict";
  const table = document.getElementById("orders");
  const body = table.querySelector("tbody");
  const COLUMNS = table.querySelectorAll("thead th").length;
  // The first page of the whole blotter takes new orders as they come; a later page or a
  // search keeps its rows and only updates them.
  const following = table.dataset.follow === "live";
  const owner = table.dataset.owner === "yes";  // a trader amends and cancels their own; a supervisor watches the desk
  const CANCELLABLE = ["PENDING_AGGREGATION", "WORKING", "PARTIALLY_FILLED"];
  const AMENDABLE = CANCELLABLE;
  const shown = {};  // the latest payload of each order on screen, for the amend form
  const EMPTY = "No orders yet. Enter one with the form, upload a file, or POST to /api/v1/orders/.";

  // Exchange time (New York), as every time on the desk's pages reads.
  function cancelNote(o) {
    if (o.status === "PENDING_CANCEL") return "cancel pending: " + fmt.qty(o.leaves_quantity) + " out at venues";
    if (o.status === "PENDING_REPLACE") return "amend pending: waiting for the shares out at venues";
    if (o.status === "CANCELLED" && o.cancelled_quantity) {
      return "cancelled " + fmt.qty(o.cancelled_quantity) + " of " + fmt.qty(o.quantity) + "; " + fmt.qty(o.filled_quantity) + " filled";
    }
    return "";
  }

  function row(o) {
    const tr = el("tr", { "data-id": o.id, class: "clickable", tabindex: "0", title: "Enter or click: its fills and allocations" });
    const cells = [
      [o.id], [window.exchangeTime(o.received_at), "time"], [o.client_order_id], [o.account], [o.instrument], [o.side, "side-" + o.side.toLowerCase()],
      [fmt.qty(o.quantity), "num"], [o.limit_price === null ? "MKT" : fmt.tick(o.limit_price, o), "num"], [o.strategy],
      null, [fmt.qty(o.filled_quantity), "num"], [o.average_price === null ? "" : fmt.avg(o.average_price, o), "num"],
      [o.parent === null ? "" : o.parent],
    ];
    cells.forEach(function (c) {
      if (c === null) {
        const td = el("td");
        const badge = el("span", { class: "status status-" + o.status.toLowerCase() }, o.status);
        td.appendChild(badge);
        // The reason is on hover and in the row's detail: in the column it pushed the others off screen.
        const note = o.reject_reason || cancelNote(o);
        if (note) { badge.title = note; badge.classList.add("noted"); }
        // Its parent is paused (a supervisor, the kill switch, a faulted session): nothing works it now.
        if (o.held) td.appendChild(el("span", { class: "held", title: "not working now: " + o.held, "aria-label": "held", role: "img" }));
        tr.appendChild(td);
      } else {
        tr.appendChild(el("td", c[1] ? { class: c[1] } : {}, c[0]));
      }
    });
    const actions = el("td", { class: "actions" });
    if (owner && AMENDABLE.includes(o.status)) {
      actions.appendChild(el("button", { class: "small", type: "button", "data-amend": o.id }, "Amend"));
    }
    if (owner && CANCELLABLE.includes(o.status)) {
      actions.appendChild(el("button", { class: "small", type: "button", "data-cancel": o.id }, "Cancel"));
    }
    tr.appendChild(actions);
    return tr;
  }

  // A toast when an order of the live stream ends filled, rejected or cancelled, or first fills.
  const toasts = document.getElementById("toasts");
  const sound = document.getElementById("sound");
  if (sound) {
    sound.checked = localStorage.getItem("blotter-sound") === "on";
    sound.addEventListener("change", function () { localStorage.setItem("blotter-sound", sound.checked ? "on" : "off"); });
  }
  function tone(kind) {
    if (!sound || !sound.checked || !window.AudioContext) return;
    const audio = new AudioContext(), osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = kind === "bad" ? 330 : 880;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start(); osc.stop(audio.currentTime + 0.25);
  }
  function announce(before, o) {
    if (!toasts || (before ? before.status === o.status : o.status !== "REJECTED")) return;
    const what = o.side + " " + fmt.qty(o.quantity) + " " + o.instrument;
    let text = null, kind = "good";
    if (o.status === "FILLED") text = o.client_order_id + " filled: " + what + " at " + fmt.avg(o.average_price, o);
    else if (o.status === "REJECTED") { text = o.client_order_id + " rejected: " + o.reject_reason; kind = "bad"; }
    else if (o.status === "CANCELLED") { text = o.client_order_id + " " + cancelNote(o); kind = "bad"; }
    else if (o.status === "PARTIALLY_FILLED" && !before.filled_quantity) text = o.client_order_id + " first fill: " + fmt.qty(o.filled_quantity) + " of " + what;
    if (!text) return;
    const toast = el("div", { class: "toast toast-" + kind, role: "status" }, text);
    toasts.appendChild(toast);
    while (toasts.children.length > 4) toasts.removeChild(toasts.firstChild);
    setTimeout(function () { toast.remove(); }, 8000);
    tone(kind);
  }

  function upsert(o, fromStream) {
    const existing = body.querySelector('tr[data-id="' + o.id + '"]');
    if (!existing && !following) return;  // a later page or a search: only its own rows change
    // Older than what is shown: a cancel's own answer can arrive after the step that ended it.
    if (existing && shown[o.id] && o.revision < shown[o.id].revision) return;
    // The API's answers do not say whether its parent holds it; the stream does.
    if (!("held" in o) && shown[o.id]) o = Object.assign({}, o, { held: shown[o.id].held });
    if (fromStream) { announce(shown[o.id], o); totalsMoved(shown[o.id], o); }
    shown[o.id] = o;
    const fresh = row(o);
    if (existing) {
      // An open amend form stays open while fills update its row; allocations are re-read on click.
      const detail = existing.nextElementSibling;
      const isDetail = detail && detail.classList.contains("detail");
      const amending = isDetail && detail.classList.contains("amend");
      if (isDetail && (!amending || ![...AMENDABLE, "PENDING_REPLACE"].includes(o.status))) detail.remove();
      existing.replaceWith(fresh);
      return;
    }
    const empty = body.querySelector("tr.empty");
    if (empty) empty.remove();
    body.insertBefore(fresh, body.firstChild);
    fresh.classList.add("flash");
  }

  function showAllocations(tr) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains("detail")) { next.remove(); return; }
    fetch("/api/v1/orders/" + tr.dataset.id + "/", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (o) {
        const detail = el("tr", { class: "detail" });
        const td = el("td", { colspan: COLUMNS });
        const held = shown[o.id] && shown[o.id].held;
        const note = o.reject_reason ? "Rejected: " + o.reject_reason : cancelNote(o) || (held ? "Held, not working now: " + held : "");
        if (note) td.appendChild(el("p", { class: o.reject_reason ? "error" : "muted" }, note));
        if (!o.allocations.length) td.appendChild(el("p", { class: "muted" }, "No allocations yet."));
        else td.appendChild(allocationsByVenue(o));
        detail.appendChild(td);
        tr.after(detail);
      });
  }

  // Hundreds of fills read as one line per venue: shares, fills, average price, share of the order's fills.
  function allocationsByVenue(o) {
    const table = el("table", { class: "data compact allocations" });
    const head = el("tr");
    ["Venue", "Shares", "Fills", "Avg price", "Share"].forEach(function (h, i) { head.appendChild(el("th", i ? { class: "num" } : {}, h)); });
    table.appendChild(el("thead")).appendChild(head);
    const rows = table.appendChild(el("tbody"));
    function line(cells, attrs) {
      const tr = el("tr", attrs || {});
      cells.forEach(function (c, i) { tr.appendChild(el("td", i ? { class: "num" } : {}, c)); });
      rows.appendChild(tr);
    }
    o.venues.forEach(function (v) {
      line([v.venue, fmt.qty(v.quantity), fmt.qty(v.fills), fmt.avg(v.average_price, o), (100 * v.quantity / o.filled_quantity).toFixed(1) + "%"]);
    });
    line(["All venues", fmt.qty(o.filled_quantity), fmt.qty(o.allocations.length), fmt.avg(o.average_price, o), "100%"], { class: "total" });
    const caption = table.appendChild(el("caption", {}, "Notional " + fmt.money(o.filled_notional)));
    caption.style.captionSide = "bottom";
    return table;
  }

  function nextReference(id) {
    const m = /^(.*)\.(\d+)$/.exec(id);
    return m ? m[1] + "." + (Number(m[2]) + 1) : id + ".1";
  }

  // Amend in place: a small form under the row; the answer says whether it applied or waits.
  function showAmend(tr, o) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains("detail")) next.remove();
    const detail = el("tr", { class: "detail amend" });
    const td = el("td", { colspan: COLUMNS });
    const form = el("form", { class: "amend-form", "data-order": o.id });
    function field(label, input) { const l = el("label", {}, label + " "); l.appendChild(input); form.appendChild(l); return input; }
    const quantity = field("Quantity", el("input", { name: "quantity", type: "number", min: 1, value: o.quantity }));
    const limit = field("Limit (blank: market)", el("input", { name: "limit_price", inputmode: "decimal", value: o.limit_price === null ? "" : o.limit_price }));
    const urgency = field("Urgency", el("select", { name: "urgency" }));
    ["", "LOW", "MEDIUM", "HIGH"].forEach(function (u) { urgency.appendChild(el("option", { value: u }, u || "unchanged")); });
    const reference = field("New client ID", el("input", { name: "client_order_id", value: nextReference(o.client_order_id) }));
    form.appendChild(el("button", { type: "submit", class: "small primary" }, "Send amend"));
    const answer = el("span", { class: "amend-answer muted" });
    form.appendChild(answer);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      const payload = { client_order_id: reference.value.trim(), quantity: Number(quantity.value) };
      const limitText = limit.value.trim();
      const wasLimit = o.limit_price === null ? "" : o.limit_price;
      if (limitText !== wasLimit) payload.limit_price = limitText === "" ? null : limitText;
      if (urgency.value) payload.urgency = urgency.value;
      fetch("/api/v1/orders/" + o.id + "/replace/", {
        method: "POST", credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" }, body: JSON.stringify(payload),
      }).then(function (r) {
        return r.json().then(function (b) {
          if (!r.ok) { answer.className = "amend-answer error"; answer.textContent = Object.entries(b).map(function (kv) { return kv[0] + ": " + [].concat(kv[1]).join(" "); }).join("; "); return; }
          answer.className = "amend-answer good";
          answer.textContent = b.amendment.status === "PENDING"
            ? "amend pending: the parent gives back the shares out at venues first"
            : "amend " + b.amendment.status.toLowerCase() + " (" + b.amendment.orig_client_order_id + " → " + b.amendment.client_order_id + ")";
          upsert(b.order);
        });
      });
    });
    td.appendChild(form);
    detail.appendChild(td);
    tr.after(detail);
    quantity.focus();
  }

  body.addEventListener("click", function (event) {
    const amend = event.target.closest("button[data-amend]");
    if (amend) { showAmend(amend.closest("tr"), shown[amend.dataset.amend]); return; }
    const cancel = event.target.closest("button[data-cancel]");
    if (cancel) {
      const order = shown[cancel.dataset.cancel];
      const what = order ? order.client_order_id + ": " + order.side + " " + fmt.qty(order.quantity) + " " + order.instrument : "this order";
      if (!window.confirm("Cancel " + what + "? What has filled stays filled.")) return;
      cancel.disabled = true;
      fetch("/api/v1/orders/" + cancel.dataset.cancel + "/cancel/", {
        method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
      }).then(function (r) { return r.json().then(function (o) { if (r.ok) upsert(o); else { cancel.disabled = false; alert(Object.values(o).join(" ")); } }); });
      return;
    }
    const tr = event.target.closest("tr[data-id]");
    if (tr) showAllocations(tr);
  });
  body.addEventListener("keydown", function (event) {  // a row opens from the keyboard as on a click
    const tr = event.target.closest("tr[data-id]");
    if (tr && event.target === tr && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); showAllocations(tr); }
  });

  // The totals line: every page of the search, re-read at most every TOTALS_EVERY_MS while orders change.
  const TOTALS_EVERY_MS = 1000;
  const totalsRow = document.getElementById("blotter-totals");
  let totalsDue = null, totalsReadAt = 0;
  function totalsChanged() {
    if (!totalsRow || totalsDue) return;
    totalsDue = setTimeout(readTotals, Math.max(0, totalsReadAt + TOTALS_EVERY_MS - Date.now()));
  }
  // Moved at once by what the stream says changed, then re-read (rounding, and orders off this page).
  const totals = {};
  if (totalsRow) totalsRow.querySelectorAll("[data-value]").forEach(function (n) { totals[n.dataset.total] = Number(n.dataset.value); });
  function notional(o) { return o && o.average_price !== null ? o.filled_quantity * Number(o.average_price) : 0; }
  function totalsMoved(before, o) {
    if (!totalsRow || (!before && !following)) return;
    if (!before) totals.orders += 1;
    totals.quantity += o.quantity - (before ? before.quantity : 0);
    totals.filled += o.filled_quantity - (before ? before.filled_quantity : 0);
    totals.notional += notional(o) - notional(before);
    showTotals();
  }
  function showTotals() {
    const put = function (name, text) { totalsRow.querySelector('[data-total="' + name + '"]').textContent = text; };
    put("orders", fmt.qty(totals.orders)); put("plural", totals.orders === 1 ? "" : "s");
    document.getElementById("orders-count").textContent = fmt.qty(totals.orders) + " order" + (totals.orders === 1 ? "" : "s");
    put("quantity", fmt.qty(totals.quantity)); put("filled", fmt.qty(totals.filled)); put("notional", fmt.money(totals.notional));
    totalsRow.hidden = !totals.orders;
  }
  function readTotals() {
    totalsReadAt = Date.now();
    fetch(table.dataset.totals, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (t) {
        if (!t) return;
        Object.assign(totals, { orders: t.orders, quantity: t.quantity, filled: t.filled, notional: Number(t.notional) });
        showTotals();
      })
      .finally(function () { totalsDue = null; });
  }

  if (!table.dataset.stream) return;
  const stream = openStream(table.dataset.stream, {
    onSnapshot: function (m) {
      totalsChanged();
      if (!following) { m.orders.forEach(function (o) { upsert(o); }); return; }
      body.innerHTML = "";
      if (!m.orders.length) {
        const tr = el("tr", { class: "empty" });
        tr.appendChild(el("td", { colspan: COLUMNS }, EMPTY));
        body.appendChild(tr);
      }
      m.orders.slice().reverse().forEach(function (o) { upsert(o); });
      body.querySelectorAll("tr.flash").forEach(function (tr) { tr.classList.remove("flash"); });
    },
    onMessage: function (m) {
      if (m.type === "order") m.orders.forEach(function (o) { upsert(o, true); });
      else if (m.type === "orders_changed") stream.resync();
      totalsChanged();
    },
  });
})();
