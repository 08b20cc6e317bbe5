// A websocket stream with sequence numbers: snapshot on connect, resync on a gap,
// reconnect with backoff. The server delivers at most once; the client never misses.
(function () {
  "use strict";
  function setLive(state) {
    const dot = document.getElementById("live");
    if (dot) { dot.className = "live " + state; dot.title = "live connection: " + state; }
  }
  window.openStream = function (path, handlers) {
    let socket = null, lastSeq = null, delay = 500, closed = false;
    function connect() {
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + location.host + path);
      socket.onopen = function () { delay = 500; setLive("up"); };
      socket.onmessage = function (event) {
        const message = JSON.parse(event.data);
        if (message.type === "snapshot") {
          lastSeq = message.seq;
          handlers.onSnapshot(message);
          return;
        }
        if (lastSeq === null || message.seq <= lastSeq) return;  // already in the snapshot
        if (message.seq !== lastSeq + 1) {
          lastSeq = null;  // a gap: ask for a fresh snapshot, ignore until it comes
          socket.send(JSON.stringify({ type: "resync" }));
          return;
        }
        lastSeq = message.seq;
        handlers.onMessage(message);
      };
      socket.onclose = function () {
        setLive("down");
        if (closed) return;
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 10000);
      };
    }
    connect();
    return {
      close: function () { closed = true; socket.close(); },
      socket: function () { return socket; },
      // The server says more changed than it sends one by one: take a fresh snapshot.
      resync: function () { if (socket && socket.readyState === 1) socket.send(JSON.stringify({ type: "resync" })); },
    };
  };
  window.fmt = {
    qty: function (n) { return Number(n).toLocaleString("en-US"); },
    time: function (iso) { return iso ? iso.substring(11, 19) : ""; },
    // Prices at the instrument's precision: ticks for limits, one more place for mids and
    // midpoint fills (half a tick), two more for averages.
    price: function (s, places) { return s === null || s === undefined ? "–" : Number(s).toFixed(places); },
    tick: function (s, item) { return fmt.price(s, item.price_places); },
    mid: function (s, item) { return fmt.price(s, item.price_places + 1); },
    avg: function (s, item) { return fmt.price(s, item.price_places + 2); },
    // Money to the cent with separators, from its decimal string (display only).
    money: function (s) { return Number(s).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 }); },
  };
  // One colour per venue on every page: lit exchanges blue, violet, amber; dark pools green, teal.
  window.VENUE_COLOURS = { NYSE: "#58a6ff", NASDAQ: "#a371f7", BATS: "#d29922", DARKX: "#3fb950", DARKY: "#39c5cf" };
  window.el = function (tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function ([k, v]) { node.setAttribute(k, v); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  };
  window.csrfToken = function () {
    const m = document.cookie.match(/csrftoken=([^;]+)/);
    return m ? m[1] : "";
  };
})();
