// TCA jobs (desk reports, algorithm comparisons): progress bars follow /ws/tca/; a page
// that shows a job's result reloads once when that job finishes.
(function () {
  "use strict";
  if (!document.querySelector("[data-job]")) return;
  function describe(job) {
    if (job.status === "RUNNING") return fmt.qty(job.done) + " / " + fmt.qty(job.total) + " (" + job.percent + "%)";
    if (job.status === "FAILED") return "failed: " + job.message;
    if (job.status === "DONE") return "done" + (job.message ? " · " + job.message : "");
    return "queued";
  }
  function downloads(node, job) {
    const cell = node.querySelector(".job-downloads");
    if (!cell || job.status !== "DONE" || job.kind !== "DESK") return;
    cell.textContent = "";
    ["csv", "xlsx", "html"].forEach(function (kind, i) {
      if (i) cell.appendChild(document.createTextNode(" · "));
      cell.appendChild(el("a", { href: "/tca/reports/" + job.id + "/report." + kind }, kind.toUpperCase()));
    });
  }
  function render(job) {
    document.querySelectorAll('[data-job="' + job.id + '"]').forEach(function (node) {
      const was = node.dataset.status;
      node.dataset.status = job.status;
      const fill = node.querySelector(".progress-fill");
      if (fill) {
        fill.style.width = job.percent + "%";
        fill.classList.toggle("refused", job.status === "FAILED");
      }
      const label = node.querySelector(".progress-label");
      if (label) label.textContent = describe(job);
      const finished = job.status === "DONE" || job.status === "FAILED";
      if (finished && was !== job.status && node.hasAttribute("data-reload")) location.reload();
      downloads(node, job);
    });
  }
  openStream("/ws/tca/", {
    onSnapshot: function (m) { m.jobs.forEach(render); },
    onMessage: function (m) { if (m.type === "job") render(m.job); },
  });
})();
