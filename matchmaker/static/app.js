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

// htmx requests carry the CSRF token, so POSTs made by htmx pass Flask-WTF's check.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});

// Keyboard use of the HS picker: ↓ from the field into the list, ↑/↓ between codes, Esc closes it.
document.addEventListener("keydown", (event) => {
  const picker = event.target.closest(".hs-picker");
  if (!picker) return;
  const options = [...picker.querySelectorAll("[data-hs-code]")];
  const at = options.indexOf(event.target);
  if (event.key === "ArrowDown" && options.length) {
    event.preventDefault();
    options[Math.min(at + 1, options.length - 1)].focus();
  } else if (event.key === "ArrowUp" && at >= 0) {
    event.preventDefault();
    (at === 0 ? picker.querySelector("input") : options[at - 1]).focus();
  } else if (event.key === "Escape") {
    picker.querySelector(".hs-options").replaceChildren();
    picker.querySelector("input").focus();
  }
});

// Search forms leave empty facets out of the URL they push (?q=teak, not ?q=teak&sector=&country=…).
document.addEventListener("htmx:configRequest", (event) => {
  if (event.detail.verb !== "get" || !event.detail.elt.closest("[data-drop-empty]")) return;
  const parameters = event.detail.parameters;
  for (const name of Object.keys(parameters)) {
    if (parameters[name] === "") delete parameters[name];
  }
});
