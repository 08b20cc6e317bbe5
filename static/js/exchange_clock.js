// The desk's one exchange clock in the header: simulated New York time as a function of wall
// time, as the server's ExchangeClock computes it (each close followed at once by the next
// weekday's pre-open, 09:15 to the open), ticking every wall second. window.exchangeTime(iso) reads a wall-clock
// timestamp (an order's receipt, say) on the same clock, so every time on a page is one time;
// unpaced (no clock) it is the New York wall time.
(function () {
  const el = document.getElementById("exchange-clock");
  const pad = (n) => String(n).padStart(2, "0");
  const wallNewYork = (ms) => new Date(ms).toLocaleTimeString("en-GB", { timeZone: "America/New_York", hour12: false });
  if (!el || !el.dataset.openedAtMs) {
    window.exchangeTime = (iso) => (iso ? wallNewYork(Date.parse(iso)) : "");
    return;
  }
  const openedAtMs = Number(el.dataset.openedAtMs);
  const speed = Number(el.dataset.speed);
  const [y, m, d] = el.dataset.firstDate.split("-").map(Number);
  const PRE_OPEN_S = 9.25 * 3600, OPEN_S = 9.5 * 3600, CLOSE_S = 16 * 3600;
  const dayWallMs = (CLOSE_S - PRE_OPEN_S) * 1000 / speed;
  const preOpenWallMs = (OPEN_S - PRE_OPEN_S) * 1000 / speed;
  const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  function addWeekdays(date, count) {
    const day = new Date(date.getTime());
    while (count > 0) {
      day.setUTCDate(day.getUTCDate() + 1);
      if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6) count -= 1;
    }
    return day;
  }

  function at(wallMs) {
    const elapsed = Math.max(0, wallMs - openedAtMs + preOpenWallMs);
    const days = Math.floor(elapsed / dayWallMs);
    const date = addWeekdays(new Date(Date.UTC(y, m - 1, d)), days);
    const seconds = Math.max(PRE_OPEN_S, Math.min(CLOSE_S,
      Math.floor(OPEN_S + (elapsed - days * dayWallMs - preOpenWallMs) * speed / 1000)));
    return {
      date,
      preOpen: seconds < OPEN_S,
      time: pad(Math.floor(seconds / 3600)) + ":" + pad(Math.floor(seconds / 60) % 60) + ":" + pad(seconds % 60),
    };
  }

  window.exchangeTime = (iso) => (iso ? at(Date.parse(iso)).time : "");

  function render() {
    const { date, time, preOpen } = at(Date.now());
    const parts = [
      Object.assign(document.createElement("span"), { className: "day", textContent: DAYS[date.getUTCDay()] + " " }),
      document.createTextNode(date.getUTCDate() + " " + MONTHS[date.getUTCMonth()] + " "),
      Object.assign(document.createElement("b"), { textContent: time }),
      document.createTextNode(" ET"),
    ];
    if (preOpen) parts.unshift(Object.assign(document.createElement("span"), { className: "phase", textContent: "pre-open" }));
    el.replaceChildren.apply(el, parts);
    el.classList.toggle("pre-open", preOpen);
    el.dataset.reads = date.toISOString().slice(0, 10) + "T" + time;
  }

  render();
  setInterval(render, Math.max(50, Math.min(1000, 1000 / speed)));
})();
