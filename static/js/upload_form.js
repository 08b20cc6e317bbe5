// The upload form refuses a file over the size limit before sending it: the server would
// refuse it unread (413), and the trader would lose the page for nothing.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = form.querySelector('input[type="file"]');
  const error = document.getElementById("file-too-large");
  const limit = Number(form.dataset.maxBytes);

  function tooLarge() {
    const file = input.files && input.files[0];
    return Boolean(file) && file.size > limit;
  }

  function show() {
    const refused = tooLarge();
    error.hidden = !refused;
    error.textContent = refused ? form.dataset.tooLarge : "";
    input.closest("label").classList.toggle("invalid", refused);
    return refused;
  }

  input.addEventListener("change", show);
  form.addEventListener("submit", function (event) {
    if (show()) event.preventDefault();
  });
})();
