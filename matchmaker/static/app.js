// Small behaviours htmx does not cover; no inline scripts, so a strict Content-Security-Policy stays possible.
document.addEventListener("click", (event) => {
  const option = event.target.closest("[data-hs-code]");
  if (!option) return;
  const picker = option.closest(".hs-picker");
  const input = picker.querySelector("input");
  input.value = option.dataset.hsCode;
  picker.querySelector(".hs-options").replaceChildren();
  input.focus();
});

document.addEventListener("change", (event) => {
  if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
});

// htmx requests carry the CSRF token, so POSTs made by htmx pass Flask-WTF's check.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});
