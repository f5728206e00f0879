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

// A refused move (400 form error, 403, 409 wrong stage) answers with the panel and its message: show it
// instead of htmx's default of ignoring error responses, for targets that opt in with data-swap-errors.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if ([400, 403, 409].includes(status) && event.detail.target.closest("[data-swap-errors]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
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

// The curator's queue: "select all on this page" ticks every row's box; it needs scripts, so only they show it.
document.querySelectorAll("[data-select-all]").forEach((box) => { box.closest("label").hidden = false; });
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-select-all]");
  if (!all) return;
  document.getElementById(all.dataset.selectAll).querySelectorAll("input[name=match_id]")
    .forEach((box) => { box.checked = all.checked; });
});
// New rows (a filter, a bulk action) start unticked, so the "all" box does too.
document.addEventListener("htmx:afterSwap", () => {
  document.querySelectorAll("[data-select-all]").forEach((box) => { box.checked = false; });
});

// Search forms leave empty facets out of the URL they push (?q=teak, not ?q=teak&sector=&country=…).
document.addEventListener("htmx:configRequest", (event) => {
  if (event.detail.verb !== "get" || !event.detail.elt.closest("[data-drop-empty]")) return;
  const parameters = event.detail.parameters;
  for (const name of Object.keys(parameters)) {
    if (parameters[name] === "") delete parameters[name];
  }
});
