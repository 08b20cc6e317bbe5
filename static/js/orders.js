// Trader blotter: the own-orders stream updates rows in place; a row opens its allocations.
(function () {
  "use strict";
  const body = document.querySelector("#orders tbody");
  const CANCELLABLE = ["PENDING_AGGREGATION", "WORKING", "PARTIALLY_FILLED"];
  const AMENDABLE = CANCELLABLE;
  const shown = {};  // the latest payload of each order on screen, for the amend form
  const EMPTY = "No orders yet. Enter one with the form, upload a file, or POST to /api/v1/orders/.";

  function cancelNote(o) {
    if (o.status === "PENDING_CANCEL") return "cancel pending: " + fmt.qty(o.leaves_quantity) + " out at venues";
    if (o.status === "PENDING_REPLACE") return "amend pending: waiting for the shares out at venues";
    if (o.status === "CANCELLED" && o.cancelled_quantity) {
      return "cancelled " + fmt.qty(o.cancelled_quantity) + " of " + fmt.qty(o.quantity) + "; " + fmt.qty(o.filled_quantity) + " filled";
    }
    return "";
  }

  function row(o) {
    const tr = el("tr", { "data-id": o.id, class: "clickable" });
    const cells = [
      [o.id], [o.client_order_id], [o.account], [o.instrument], [o.side, "side-" + o.side.toLowerCase()],
      [fmt.qty(o.quantity), "num"], [o.limit_price === null ? "MKT" : fmt.tick(o.limit_price, o), "num"], [o.strategy],
      null, [fmt.qty(o.filled_quantity), "num"], [o.average_price === null ? "" : fmt.avg(o.average_price, o), "num"],
      [o.parent === null ? "" : o.parent],
    ];
    cells.forEach(function (c) {
      if (c === null) {
        const td = el("td");
        const badge = el("span", { class: "status status-" + o.status.toLowerCase() }, o.status);
        if (o.reject_reason) badge.title = o.reject_reason;
        td.appendChild(badge);
        if (o.reject_reason) td.appendChild(el("div", { class: "error" }, o.reject_reason));
        const note = cancelNote(o);
        if (note) { badge.title = note; td.appendChild(el("div", { class: "muted small" }, note)); }
        tr.appendChild(td);
      } else {
        tr.appendChild(el("td", c[1] ? { class: c[1] } : {}, c[0]));
      }
    });
    const actions = el("td", { class: "actions" });
    if (AMENDABLE.includes(o.status)) {
      actions.appendChild(el("button", { class: "small", type: "button", "data-amend": o.id }, "Amend"));
    }
    if (CANCELLABLE.includes(o.status)) {
      actions.appendChild(el("button", { class: "small", type: "button", "data-cancel": o.id }, "Cancel"));
    }
    tr.appendChild(actions);
    return tr;
  }

  function upsert(o) {
    shown[o.id] = o;
    const existing = body.querySelector('tr[data-id="' + o.id + '"]');
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
        const td = el("td", { colspan: 13 });
        if (!o.allocations.length) td.textContent = "No allocations yet.";
        else td.textContent = "Allocations: " + o.allocations.map(function (a) {
          return fmt.qty(a.quantity) + " @ " + fmt.mid(a.price, o) + " " + a.venue + " (parent " + a.parent + ")";
        }).join(" · ") + " — notional " + fmt.price(o.filled_notional, 2);
        detail.appendChild(td);
        tr.after(detail);
      });
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
    const td = el("td", { colspan: 13 });
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
      cancel.disabled = true;
      fetch("/api/v1/orders/" + cancel.dataset.cancel + "/cancel/", {
        method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
      }).then(function (r) { return r.json().then(function (o) { if (r.ok) upsert(o); else { cancel.disabled = false; alert(Object.values(o).join(" ")); } }); });
      return;
    }
    const tr = event.target.closest("tr[data-id]");
    if (tr) showAllocations(tr);
  });

  const stream = openStream("/ws/orders/", {
    onSnapshot: function (m) {
      body.innerHTML = "";
      if (!m.orders.length) {
        const tr = el("tr", { class: "empty" });
        tr.appendChild(el("td", { colspan: 13 }, EMPTY));
        body.appendChild(tr);
      }
      m.orders.slice().reverse().forEach(upsert);
      body.querySelectorAll("tr.flash").forEach(function (tr) { tr.classList.remove("flash"); });
    },
    onMessage: function (m) {
      if (m.type === "order") m.orders.forEach(upsert);
      else if (m.type === "orders_changed") stream.resync();
    },
  });
})();
