// Upload progress: the task reports through the trader's orders stream; the page
// shows validation then creation, and reloads once to show the error report.
(function () {
  "use strict";
  const initial = JSON.parse(document.getElementById("upload-data").textContent);
  const bar = document.querySelector("#u-progress .progress-fill");
  const label = document.querySelector("#u-progress .progress-label");
  let finishedShown = initial.finished;

  function render(u) {
    const good = Math.max(u.total_rows - u.error_rows, 0);
    let done, text;
    if (u.status === "QUEUED") { done = 0; text = "queued"; }
    else if (u.status === "VALIDATING") { done = u.total_rows ? 0.5 * u.validated_rows / u.total_rows : 0; text = "validating " + fmt.qty(u.validated_rows) + " / " + fmt.qty(u.total_rows) + " rows"; }
    else if (u.status === "CREATING") { done = 0.5 + (good ? 0.5 * u.created_rows / good : 0.5); text = "creating orders " + fmt.qty(u.created_rows) + " / " + fmt.qty(good); }
    else { done = 1; text = u.status.toLowerCase(); }
    const stopped = u.status === "REFUSED" || u.status === "FAILED";
    bar.style.width = (100 * done).toFixed(1) + "%";
    bar.classList.toggle("refused", stopped);
    label.textContent = text;
    document.getElementById("u-status").innerHTML = "";
    document.getElementById("u-status").appendChild(el("span", { class: "status status-" + u.status.toLowerCase() }, u.status));
    document.getElementById("u-total").textContent = fmt.qty(u.total_rows);
    document.getElementById("u-accepted").textContent = fmt.qty(u.accepted);
    document.getElementById("u-duplicates").textContent = fmt.qty(u.duplicates);
    document.getElementById("u-rejected").textContent = fmt.qty(u.rejected);
    const errors = document.getElementById("u-errors");
    errors.textContent = fmt.qty(u.error_rows);
    errors.className = u.error_rows ? "bad" : "";
    const message = document.getElementById("u-message");
    message.textContent = u.message;
    message.className = stopped ? "bad" : "";
    if (u.finished && !finishedShown) { finishedShown = true; location.reload(); }
  }

  bar.style.transition = "none";  // the state at load is shown as it is, not animated from zero
  render(initial);
  bar.getBoundingClientRect();
  bar.style.transition = "";
  openStream("/ws/orders/", {
    onSnapshot: function () {
      // (re)connected: read where the upload is now, then follow the stream
      fetch("/api/v1/orders/uploads/" + initial.id + "/", { credentials: "same-origin" })
        .then(function (r) { return r.json(); }).then(render);
    },
    onMessage: function (m) { if (m.type === "upload" && m.upload.id === initial.id) render(m.upload); },
  });
})();
