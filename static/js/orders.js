// Trader blotter: the own-orders stream updates rows in place.
(function () {
  "use strict";
  const body = document.querySelector("#orders tbody");
  function row(o) {
    const tr = el("tr", { "data-id": o.id });
    const cells = [
      [o.id], [o.client_order_id], [o.account], [o.instrument], [o.side, "side-" + o.side.toLowerCase()],
      [fmt.qty(o.quantity), "num"], [o.limit_price === null ? "MKT" : fmt.price(o.limit_price, 2), "num"], [o.strategy],
      null, [fmt.qty(o.filled_quantity), "num"], [o.average_price === null ? "" : fmt.price(o.average_price), "num"],
      [o.parent === null ? "" : o.parent],
    ];
    cells.forEach(function (c) {
      if (c === null) {
        const td = el("td");
        td.appendChild(el("span", { class: "status status-" + o.status.toLowerCase() }, o.status));
        tr.appendChild(td);
      } else {
        tr.appendChild(el("td", c[1] ? { class: c[1] } : {}, c[0]));
      }
    });
    return tr;
  }
  function upsert(o) {
    const existing = body.querySelector('tr[data-id="' + o.id + '"]');
    const fresh = row(o);
    if (existing) { existing.replaceWith(fresh); return; }
    const empty = body.querySelector("tr.empty");
    if (empty) empty.remove();
    body.insertBefore(fresh, body.firstChild);
  }
  openStream("/ws/orders/", {
    onSnapshot: function (m) {
      body.innerHTML = "";
      if (!m.orders.length) {
        const tr = el("tr", { class: "empty" });
        tr.appendChild(el("td", { colspan: 12 }, "No orders yet. Enter one with the form, or POST to /api/v1/orders/."));
        body.appendChild(tr);
      }
      m.orders.slice().reverse().forEach(upsert);
    },
    onMessage: function (m) { if (m.type === "order") m.orders.forEach(upsert); },
  });
})();
