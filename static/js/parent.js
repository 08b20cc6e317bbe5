// Parent panel: executed vs schedule, price vs VWAP, and the fill tape, live.
(function () {
  "use strict";
  const root = document.getElementById("parent");
  const parentId = root.dataset.parentId;
  const tape = document.querySelector("#fills tbody");
  const layout = {
    margin: { l: 60, r: 20, t: 10, b: 40 }, height: 300, paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { color: "#c9d1d9", size: 11 }, xaxis: { gridcolor: "#30363d", type: "date" }, yaxis: { gridcolor: "#30363d" },
    legend: { orientation: "h", y: -0.2 },
  };
  const config = { displayModeBar: false, responsive: true };
  let parent = null, executed = [], market = [], schedule = [], crosses = [], fillCount = 0;
  const SHOWN_FILLS = 300;  // the tape keeps the latest; the count says how many there are in all
  const CROSS_NAMES = { OPEN: "Official open", REOPEN: "Reopening cross", CLOSE: "Official close" };
  const TACTICS = { PASSIVE: "Passive", DARK: "Dark", AGGRESSIVE: "Aggressive" };

  function localTime(iso) { return iso ? iso.substring(0, 19) : null; }  // sim time, exchange-local

  function drawProgress() {
    const traces = [];
    if (schedule.length) {
      traces.push({ x: schedule.map(function (p) { return localTime(p.time); }), y: schedule.map(function (p) { return p.due; }),
        name: "Schedule (" + parent.strategy + ")", mode: "lines", line: { dash: "dash", color: "#8b949e" } });
    }
    const xs = [parent && parent.start ? localTime(parent.start) : null].concat(executed.map(function (p) { return localTime(p.time); }));
    const ys = [0].concat(executed.map(function (p) { return p.filled; }));
    traces.push({ x: xs, y: ys, name: "Executed", mode: "lines", line: { shape: "hv", color: "#3fb950", width: 2 } });
    Plotly.react("chart-progress", traces, Object.assign({}, layout, { yaxis: { gridcolor: "#30363d", title: "shares" } }), config);
  }
  function drawPrice() {
    const xs = market.map(function (b) { return localTime(b.time); });
    const traces = [
      { x: xs, y: market.map(function (b) { return b.mid; }), name: "NBBO mid", mode: "lines", line: { color: "#58a6ff" } },
      { x: xs, y: market.map(function (b) { return b.vwap; }), name: "Market VWAP since start", mode: "lines", line: { color: "#d29922" } },
    ];
    if (parent && parent.average_price) {
      traces.push({ x: [xs[0], xs[xs.length - 1]], y: [parent.average_price, parent.average_price], name: "Our average",
        mode: "lines", line: { color: "#3fb950", dash: "dot" } });
    }
    // Our fills on the price, one marker each, sized by shares, coloured by venue
    Object.keys(fillsByVenue).sort().forEach(function (venue) {
      const points = fillsByVenue[venue];
      traces.push({
        x: points.map(function (f) { return localTime(f.time); }), y: points.map(function (f) { return f.price; }),
        name: "Fills on " + venue, mode: "markers", type: "scatter",
        marker: { color: FILL_COLOURS[venue] || "#c9d1d9", size: points.map(function (f) { return Math.min(16, 6 + Math.sqrt(f.quantity) / 4); }),
          line: { color: "#0d1117", width: 1 } },
        text: points.map(function (f) { return fmt.qty(f.quantity) + " @ " + fmt.mid(f.price, parent) + " on " + venue + (f.liquidity === "M" ? " (maker)" : " (taker)"); }),
        hoverinfo: "text+x",
      });
    });
    // The listing venue's crosses and pauses in the parent's window: the official open, a
    // volatility pause and its reopening, the official close
    if (crosses.length) {
      traces.push({
        x: crosses.map(function (c) { return localTime(c.time); }), y: crosses.map(function (c) { return c.price; }),
        name: "Auctions and pauses", mode: "markers", type: "scatter",
        marker: { symbol: crosses.map(function (c) { return c.phase === "HALT" ? "x" : "diamond"; }), size: 13,
          color: crosses.map(function (c) { return c.phase === "HALT" ? "#f85149" : "#f0f6fc"; }), line: { color: "#0d1117", width: 1 } },
        text: crosses.map(function (c) {
          if (c.phase === "HALT") return "Trading paused: limit up-limit down band " + fmt.mid(c.price, parent);
          return CROSS_NAMES[c.phase] + " " + fmt.mid(c.price, parent) + " · " + fmt.qty(c.paired) + " shares in the cross";
        }),
        hoverinfo: "text+x",
      });
    }
    Plotly.react("chart-price", traces, Object.assign({}, layout, { yaxis: { gridcolor: "#30363d", title: "price", tickformat: ".2f" } }), config);
  }
  // Charts redraw at most once a frame: a busy stream must not starve clicks and the tape.
  let progressDue = false, priceDue = false, chartsFrame = null;
  function chartsChanged(progress, price) {
    progressDue = progressDue || progress; priceDue = priceDue || price;
    if (chartsFrame === null) chartsFrame = requestAnimationFrame(drawCharts);
  }
  function drawCharts() {
    chartsFrame = null;
    if (progressDue) drawProgress();
    if (priceDue) drawPrice();
    progressDue = priceDue = false;
  }
  function renderStats() {
    document.getElementById("p-status").textContent = parent.status;
    document.getElementById("p-status").className = "status status-" + parent.status.toLowerCase();
    renderControls();
    document.getElementById("p-filled").textContent = fmt.qty(parent.filled_quantity);
    document.getElementById("p-avg").textContent = fmt.avg(parent.average_price, parent);
    document.getElementById("p-arrival").textContent = fmt.mid(parent.arrival_price, parent);
    document.getElementById("p-fees").textContent = parent.fees;
    document.getElementById("p-window").textContent = fmt.time(parent.start) + " – " + fmt.time(parent.end);
    document.getElementById("p-crossed").textContent = fmt.qty(parent.crossed_quantity);
    document.getElementById("p-crossed-pct").textContent = parent.quantity
      ? (100 * parent.crossed_quantity / parent.quantity).toFixed(1) + "% market volume saved" : "";
    // The server's figures, as the overview shows them: market VWAP from the parent's start
    // to its last step, and our market fills' average against it (+ = better).
    document.getElementById("p-vwap").textContent = fmt.avg(parent.interval_vwap, parent);
    const perf = document.getElementById("p-perf"), bps = parent.performance_vs_vwap_bps;
    perf.textContent = bps === null ? "–" : (Number(bps) > 0 ? "+" : "") + bps;
    perf.className = bps === null ? "" : Number(bps) >= 0 ? "good" : "bad";
  }
  function renderVenues(rows) {
    const body = document.querySelector("#venues tbody");
    if (!rows.length) return;
    body.innerHTML = "";
    rows.forEach(function (r) {
      const tr = el("tr", {});
      tr.appendChild(el("td", {}, r.venue));
      tr.appendChild(el("td", { class: "num" }, fmt.qty(r.children)));
      tr.appendChild(el("td", { class: "num" }, fmt.qty(r.quantity || 0)));
      tr.appendChild(el("td", { class: "num" }, r.average_price ? fmt.avg(r.average_price, parent) : "–"));
      tr.appendChild(el("td", { class: "num" }, r.maker_share == null ? "–" : (100 * r.maker_share).toFixed(0) + "%"));
      tr.appendChild(el("td", { class: "num" }, r.fees || "–"));
      body.appendChild(tr);
    });
  }
  function renderScorecard(rows) {
    const body = document.querySelector("#scorecard tbody");
    if (!rows.length) return;
    body.innerHTML = "";
    rows.forEach(function (r) {
      const tr = el("tr", {});
      const probabilities = Object.keys(r.fill_probability).map(function (t) {
        return t + " " + (100 * r.fill_probability[t]).toFixed(0) + "%";
      }).join(" · ");
      tr.appendChild(el("td", {}, r.venue));
      const status = r.status || "UP";
      tr.appendChild(el("td", { class: "venue-status-" + status.toLowerCase() }, status === "UP" ? "up" : status.toLowerCase()));
      tr.appendChild(el("td", { class: "num" }, fmt.qty(r.sent)));
      tr.appendChild(el("td", { class: "num" }, (100 * r.fill_rate).toFixed(1) + "%"));
      tr.appendChild(el("td", {}, probabilities || "–"));
      tr.appendChild(el("td", { class: "num" }, r.fee_per_share || "–"));
      tr.appendChild(el("td", { class: "num" }, r.latency_us == null ? "–" : r.latency_us.toFixed(0)));
      const markout = el("td", { class: "num" + (r.markout_bps == null ? "" : r.markout_bps < 0 ? " bad" : " good") },
        r.markout_bps == null ? "–" : (r.markout_bps > 0 ? "+" : "") + r.markout_bps.toFixed(2));
      tr.appendChild(markout);
      body.appendChild(tr);
    });
  }
  function renderReconciliation(r) {
    const p = document.getElementById("reconciliation");
    if (!r) return;
    p.className = r.balanced ? "recon-ok" : "recon-bad";
    p.textContent = (r.balanced ? "✓ Balanced: " : "✗ Out of balance: ") + "parent filled " + fmt.qty(r.parent_filled) +
      " = child fills " + fmt.qty(r.child_fills) + " + crossed " + fmt.qty(r.crossed) + " = allocated " + fmt.qty(r.allocated) +
      " = filled on orders " + fmt.qty(r.orders_filled);
  }
  function renderControls() {
    const live = ["NEW", "WORKING", "PAUSED"].indexOf(parent.status) >= 0 && !parent.cancel_requested;
    document.getElementById("btn-pause").disabled = !(live && parent.status !== "PAUSED");
    document.getElementById("btn-resume").disabled = !(live && parent.status === "PAUSED");
    document.getElementById("btn-cancel").disabled = !live;
    if (parent.cancel_requested && live) document.getElementById("p-status").textContent = "CANCELLING";
  }
  document.querySelectorAll("button.control").forEach(function (button) {
    button.addEventListener("click", function () {
      const action = button.dataset.action;
      if (action === "cancel" && !window.confirm("Cancel parent " + parentId + "? Its working child orders are cancelled at every venue.")) return;
      const error = document.getElementById("control-error");
      fetch("/api/v1/parents/" + parentId + "/" + action + "/", {
        method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
      }).then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
        .then(function (res) {
          if (res.ok) error.hidden = true;  // the stream brings the parent as the panel shows it
          else { error.hidden = false; error.textContent = res.body.detail || "Refused"; }
        });
    });
  });
  const FILL_COLOURS = window.VENUE_COLOURS;
  const FILL_MARKERS_MAX = 2000;  // the chart keeps the latest; the count above says how many in all
  let fillsByVenue = {}, fillMarkers = 0;
  function markFill(f) {
    (fillsByVenue[f.venue] = fillsByVenue[f.venue] || []).push(f);
    if (++fillMarkers > FILL_MARKERS_MAX) {  // drop the oldest
      let oldest = null;
      Object.keys(fillsByVenue).forEach(function (v) {
        const first = fillsByVenue[v][0];
        if (first && (!oldest || first.time < fillsByVenue[oldest][0].time)) oldest = v;
      });
      fillsByVenue[oldest].shift();
      fillMarkers--;
    }
  }
  // A snapshot may already hold a fill whose message follows it (the server reads the stream's
  // sequence before the database, so it never misses one): a fill is taken once, by its id.
  let seenFills = new Set();
  function addFill(f) {
    if (seenFills.has(f.id)) return false;
    seenFills.add(f.id);
    markFill(f);
    const empty = tape.querySelector("tr.empty");
    if (empty) empty.remove();
    const tr = el("tr", { "data-fill": f.id, class: "flash" });
    tr.appendChild(el("td", {}, fmt.time(f.time)));
    tr.appendChild(el("td", {}, f.venue));
    tr.appendChild(el("td", { class: "tactic tactic-" + (f.tactic || "").toLowerCase() }, TACTICS[f.tactic] || f.tactic));
    tr.appendChild(el("td", { class: "num" }, fmt.qty(f.quantity)));
    tr.appendChild(el("td", { class: "num" }, fmt.mid(f.price, parent)));
    tr.appendChild(el("td", {}, f.liquidity === "M" ? "Maker" : "Taker"));
    tr.appendChild(el("td", { class: "num" }, f.fee));
    tape.insertBefore(tr, tape.firstChild);
    while (tape.children.length > SHOWN_FILLS) tape.removeChild(tape.lastChild);
    return true;
  }
  function showFillCount() {
    const shown = tape.querySelectorAll("tr[data-fill]").length;
    document.getElementById("fill-count").textContent = fmt.qty(fillCount) + " fill" + (fillCount === 1 ? "" : "s") +
      (fillCount > shown ? " · the latest " + fmt.qty(shown) + " shown" : "");
  }
  // Publishes from a step and from a supervisor's control can cross on the way: keep the newest.
  function isNewer(incoming) { return !parent || incoming.revision >= parent.revision; }
  openStream("/ws/execution/" + parentId + "/", {
    onSnapshot: function (m) {
      parent = m.parent; executed = m.executed; market = m.market; schedule = m.schedule || []; crosses = m.crosses || [];
      fillCount = m.fill_count === undefined ? m.fills.length : m.fill_count;
      renderVenues(m.venues || []); renderReconciliation(m.reconciliation); renderScorecard(m.scorecard || []);
      tape.innerHTML = "";
      fillsByVenue = {}; fillMarkers = 0; seenFills = new Set();
      if (!m.fills.length) {
        const tr = el("tr", { class: "empty" });
        tr.appendChild(el("td", { colspan: 7 }, "No fills yet: the first child goes out at the next step."));
        tape.appendChild(tr);
      }
      m.fills.forEach(addFill);
      showFillCount();
      renderStats(); chartsChanged(true, true);
      storyChanged();
    },
    onMessage: function (m) {
      if (m.type === "fill") {
        if (isNewer(m.parent)) parent = m.parent;
        const fresh = m.fills.filter(addFill);
        fillCount += fresh.length;
        showFillCount();
        const last = m.fills[m.fills.length - 1];
        if (fresh.length) executed.push({ time: last.time, filled: m.parent.filled_quantity });
        renderVenues(m.venues || []); renderReconciliation(m.reconciliation);
        renderStats(); chartsChanged(true, true);
        membersChanged(); storyChanged();
      } else if (m.type === "parent") {
        if (!isNewer(m.parents[0])) return;
        parent = m.parents[0];
        renderStats();
        membersChanged(); storyChanged();
      } else if (m.type === "cross") {
        crosses.push(m);
        chartsChanged(false, true);
      } else if (m.type === "market") {  // the step's bars, a simulated second each, as the snapshot's
        const latest = market[market.length - 1];
        const fresh = m.bars.filter(function (b) { return !latest || b.time > latest.time; });  // not one the snapshot drew
        if (!fresh.length) return;
        fresh.forEach(function (b) { market.push(b); });
        renderStats(); chartsChanged(false, true);
      }
    },
  });

  // A member order's story on click: its audit events and the FIX messages that made and changed it.
  const members = document.querySelector("#members tbody");
  function showAudit(tr) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains("detail")) { next.remove(); return; }
    fetch("/api/v1/orders/" + tr.dataset.order + "/audit/", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (entries) {
        const detail = el("tr", { class: "detail" });
        const td = el("td", { colspan: 9 });
        const table = el("table", { class: "data audit" });
        const head = el("tr");
        ["Time (ET)", "What", "By", "Detail"].forEach(function (h) { head.appendChild(el("th", {}, h)); });
        table.appendChild(el("thead")).appendChild(head);
        const body = table.appendChild(el("tbody"));
        entries.forEach(function (e) {
          const row = el("tr", { class: e.kind.startsWith("fix.") ? "fix" : "" });
          row.appendChild(el("td", {}, window.exchangeTime(e.at)));
          row.appendChild(el("td", {}, e.kind));
          row.appendChild(el("td", {}, e.actor));
          const text = eventDetail(e);
          row.appendChild(el("td", { class: "raw", title: text }, text));
          body.appendChild(row);
        });
        if (!entries.length) body.appendChild(el("tr", { class: "empty" })).appendChild(el("td", { colspan: 4 }, "No events yet."));
        td.appendChild(table);
        detail.appendChild(td);
        tr.after(detail);
      });
  }
  // Member orders follow the parent: re-read at most every MEMBERS_EVERY_MS while it moves,
  // each row updated in place (an open audit stays open), newer rows never overwritten.
  const MEMBERS_EVERY_MS = 2000;
  let membersDue = null, membersReadAt = 0;
  const memberRevision = {};
  function membersChanged() {
    if (!members || membersDue) return;
    membersDue = setTimeout(readMembers, Math.max(0, membersReadAt + MEMBERS_EVERY_MS - Date.now()));
  }
  function readMembers() {
    membersReadAt = Date.now();
    fetch("/api/v1/parents/" + parentId + "/orders/", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (orders) { orders.forEach(updateMember); })
      .finally(function () { membersDue = null; });
  }
  function updateMember(o) {
    const tr = members.querySelector('tr[data-order="' + o.id + '"]');
    if (!tr || (memberRevision[o.id] || 0) > o.revision) return;
    memberRevision[o.id] = o.revision;
    const cells = tr.children;
    const badge = el("span", { class: "status status-" + o.status.toLowerCase() }, o.status);
    cells[4].replaceChildren(badge);
    cells[5].textContent = fmt.qty(o.crossed);
    cells[6].textContent = fmt.qty(o.filled_quantity);
    cells[7].textContent = o.average_price === null ? "" : Number(o.average_price).toFixed(4);
  }

  // The parent's children and its own audit trail, re-read like the member orders while it moves.
  const children = document.querySelector("#children tbody");
  const audit = document.querySelector("#parent-audit tbody");
  const withChildren = document.getElementById("audit-children");
  const SHOWN_CHILDREN = 100, SHOWN_EVENTS = 200;
  let storyDue = null, storyReadAt = 0;
  function storyChanged() {
    if (storyDue) return;
    storyDue = setTimeout(readStory, Math.max(0, storyReadAt + MEMBERS_EVERY_MS - Date.now()));
  }
  function eventTime(e) { return e.sim_time ? e.sim_time.substring(11, 19) : window.exchangeTime(e.at); }
  // An event's detail as a person reads it: a FIX message as sent; otherwise "key value" pairs with
  // prices in their places (189.82, not 189.820000) and simulated times as the clock shows them.
  function eventDetail(e) {
    if (e.detail.raw) return e.detail.raw;
    return Object.keys(e.detail).map(function (k) {
      const v = e.detail[k];
      let shown = v;
      if (v !== null && typeof v === "object") shown = JSON.stringify(v);
      else if (typeof v === "string" && /^-?\d+\.\d+$/.test(v)) shown = v.replace(/(\.\d\d\d*?)0+$/, "$1");
      else if (typeof v === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(v)) shown = v.substring(11, 19);
      return k.replace(/_/g, " ") + " " + shown;
    }).join(" · ");
  }
  function readStory() {
    storyReadAt = Date.now();
    const scope = withChildren.checked ? "all" : "parent";
    Promise.all([
      fetch("/api/v1/parents/" + parentId + "/children/?latest=" + SHOWN_CHILDREN, { credentials: "same-origin" }),
      fetch("/api/v1/parents/" + parentId + "/audit/?scope=" + scope + "&latest=" + SHOWN_EVENTS, { credentials: "same-origin" }),
      fetch("/api/v1/parents/" + parentId + "/scorecard/", { credentials: "same-origin" }),
    ]).then(function (answers) {
      if (!answers.every(function (a) { return a.ok; })) return;
      const total = Number(answers[0].headers.get("X-Total-Count") || 0);
      return Promise.all(answers.map(function (a) { return a.json(); })).then(function (read) {
        renderChildren(read[0].reverse(), total);
        renderAudit(read[1].reverse());
        renderScorecard(read[2]);
      });
    }).finally(function () { storyDue = null; });
  }
  function renderChildren(rows, total) {
    document.getElementById("children-count").textContent = fmt.qty(total) + " in all · live" + (total > rows.length ? " · the latest " + rows.length + ", newest first" : "");
    if (!rows.length) return;
    children.replaceChildren.apply(children, rows.map(function (c) {
      const tr = el("tr", { title: c.reason || "" });
      [[localTime(c.sim_time).substring(11)], [c.venue], [TACTICS[c.tactic] || c.tactic, "tactic tactic-" + c.tactic.toLowerCase()], [c.order_type],
        [fmt.qty(c.quantity), "num"], [c.limit_price === null ? "MKT" : fmt.tick(c.limit_price, parent), "num"],
        [fmt.qty(c.filled_quantity), "num"]].forEach(function (cell) { tr.appendChild(el("td", cell[1] ? { class: cell[1] } : {}, cell[0])); });
      tr.appendChild(el("td")).appendChild(el("span", { class: "status status-" + c.status.toLowerCase() }, c.status));
      return tr;
    }));
  }
  function renderAudit(events) {
    if (!events.length) {
      const empty = el("tr", { class: "empty" });
      empty.appendChild(el("td", { colspan: 4 }, "No events yet."));
      audit.replaceChildren(empty);
      return;
    }
    audit.replaceChildren.apply(audit, events.map(function (e) {
      const tr = el("tr");
      const text = eventDetail(e);
      [eventTime(e), e.kind, e.actor].forEach(function (v) { tr.appendChild(el("td", {}, v)); });
      tr.appendChild(el("td", { class: "raw", title: text }, text));
      return tr;
    }));
  }
  withChildren.addEventListener("change", readStory);

  if (members) {
    members.addEventListener("click", function (event) {
      const tr = event.target.closest("tr[data-order]");
      if (tr) showAudit(tr);
    });
  }
})();
