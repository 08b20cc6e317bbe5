// Order entry's quote: the chosen instrument's NBBO, spread and consolidated depth, refreshed
// while the page is in view, and the reference price its limits are collared around.
(function () {
  "use strict";
  const select = document.querySelector("form.entry select[name=instrument]");
  const panel = document.getElementById("quote");
  if (!select || !panel) return;
  const REFRESH_MS = 2000;
  const LEVELS = 5;
  const references = JSON.parse(document.getElementById("references").textContent);
  let timer = null, asked = 0;

  function set(id, text) { document.getElementById(id).textContent = text; }

  // Every lit venue's levels summed by price: the book a trader would sweep.
  function consolidated(venues, side) {
    const sizes = {};
    venues.forEach(function (v) { v[side].forEach(function (l) { sizes[l.price] = (sizes[l.price] || 0) + l.quantity; }); });
    const prices = Object.keys(sizes).sort(function (a, b) { return side === "bids" ? b - a : a - b; });
    return prices.slice(0, LEVELS).map(function (p) { return { price: p, quantity: sizes[p] }; });
  }

  function render(symbol, q) {
    set("q-symbol", symbol);
    const body = document.querySelector("#q-ladder tbody");
    body.innerHTML = "";
    if (!q) {
      ["q-bid", "q-ask", "q-spread"].forEach(function (id) { set(id, "–"); });
      ["q-bid-size", "q-ask-size", "q-time"].forEach(function (id) { set(id, ""); });
      body.appendChild(el("tr", { class: "empty" })).appendChild(el("td", { colspan: 3 }, "No session has opened for " + symbol + " yet."));
      return;
    }
    const n = q.nbbo;
    set("q-bid", n.bid === null ? "–" : n.bid); set("q-ask", n.ask === null ? "–" : n.ask);
    set("q-bid-size", n.bid === null ? "" : "× " + fmt.qty(n.bid_size));
    set("q-ask-size", n.ask === null ? "" : "× " + fmt.qty(n.ask_size));
    set("q-spread", n.spread_bps === null ? "–" : n.spread_bps + " bps");
    set("q-time", (q.time ? q.time.substring(11, 19) + " ET" : "") + (q.session_status === "RUNNING" ? "" : " · " + q.session_status.toLowerCase()));
    const asks = consolidated(q.venues, "asks").reverse(), bids = consolidated(q.venues, "bids");
    asks.forEach(function (l) { line(body, "", l.price, fmt.qty(l.quantity), "ask"); });
    bids.forEach(function (l) { line(body, fmt.qty(l.quantity), l.price, "", "bid"); });
    if (!asks.length && !bids.length) body.appendChild(el("tr", { class: "empty" })).appendChild(el("td", { colspan: 3 }, "The book is empty."));
  }
  function line(body, bid, price, ask, side) {
    const tr = el("tr", { class: "level-" + side });
    [bid, price, ask].forEach(function (text) { tr.appendChild(el("td", { class: "num" }, text)); });
    body.appendChild(tr);
  }

  function refresh() {
    clearTimeout(timer);
    const symbol = select.value;
    if (!symbol) return;
    set("q-reference", references[symbol] ? "Reference " + references[symbol] + " · limits are collared around it" : "");
    const mine = ++asked;
    fetch("/api/v1/instruments/" + encodeURIComponent(symbol) + "/quote/?levels=" + LEVELS, { credentials: "same-origin" })
      .then(function (r) { return r.status === 404 ? null : r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (q) { if (mine === asked) render(symbol, q); })
      .catch(function () { set("q-time", "quote unavailable; retrying"); })
      .finally(function () { if (mine === asked && document.visibilityState === "visible") timer = setTimeout(refresh, REFRESH_MS); });
  }
  select.addEventListener("change", refresh);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") refresh(); });
  refresh();
})();
