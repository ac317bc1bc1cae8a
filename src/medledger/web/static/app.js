// medledger web UI behaviour that htmx does not do by itself: the one <dialog>, the three-dot
// Actions menus, the custom-reason field, the "/" shortcut, and showing failed requests.
(function () {
  "use strict";

  const dialog = () => document.getElementById("dialog");

  // Focus the field a person most likely wants: one with an error, else autofocus, else the first.
  function focusFirst(root) {
    const target =
      root.querySelector("[aria-invalid='true']") ||
      root.querySelector("[autofocus]") ||
      root.querySelector("input:not([type='hidden']), select, textarea, button:not([data-close-dialog])");
    if (target) {
      target.focus();
      if (target.select && target.tagName === "INPUT") target.select();
    }
  }

  // A dialog's content arrives by htmx into #dialog-body; show it modally (Escape closes it).
  document.addEventListener("htmx:afterSwap", (event) => {
    const d = dialog();
    if (event.detail.target.id === "dialog-body" && event.detail.target.childElementCount) {
      if (!d.open) d.showModal();
      focusFirst(d);
    }
  });
  document.addEventListener("closeDialog", () => dialog().close());
  document.addEventListener("DOMContentLoaded", () => {
    dialog().addEventListener("close", () => { document.getElementById("dialog-body").innerHTML = ""; });
    const flash = document.getElementById("flash");
    if (flash && flash.textContent.trim()) flash.hidden = false;
  });

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-close-dialog]")) dialog().close();
    // aria-disabled buttons stay focusable for their tooltip but must not act.
    const denied = event.target.closest("[aria-disabled='true']");
    if (denied) { event.preventDefault(); event.stopPropagation(); return; }
    const opener = event.target.closest("[aria-haspopup='menu']");
    closeMenus(opener);
    if (opener) toggleMenu(opener);
    else if (event.target.closest("[role='menuitem']")) closeMenus(null);
  }, true);

  // A value cell opened for editing starts with its amount selected: typing replaces it.
  document.addEventListener("focusin", (event) => {
    if (event.target.matches(".cell-edit input")) event.target.select();
  });

  // -- preview cells being edited -----------------------------------------------------------------
  // Leaving a cell's field (Tab, a click elsewhere) saves it as Enter does; Escape (a request of
  // its own) cancels it. Once a request has left, the cell is done: its swap saves nothing twice.
  const cellEdit = (node) => (node instanceof Element ? node.closest(".cell-edit") : null);
  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = cellEdit(event.detail.elt);
    if (form) form.dataset.done = "true";
  });
  document.addEventListener("focusout", (event) => {
    const form = cellEdit(event.target);
    if (form && !form.dataset.done && !form.contains(event.relatedTarget)) form.requestSubmit();
  });
  // Post posts nothing while a cell is open or saving, and says so: pressing it leaves the cell
  // (which saves it), and the person checks the saved preview before posting.
  const editOpen = () => document.querySelector(".cell-edit") !== null;
  let openAtPress = false;
  function refusePost() {
    showProblem("Not posted: a preview cell was still being edited. Leaving it saves it; check the preview, then Post again.");
  }
  document.addEventListener("pointerdown", (event) => {
    openAtPress = Boolean(event.target.closest("[data-post-previews]")) && editOpen();
    if (openAtPress) refusePost();
  }, true);
  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-post-previews]")) return;
    if (openAtPress || editOpen()) {
      event.preventDefault();
      event.stopPropagation();
      refusePost();
    }
    openAtPress = false;
  }, true);

  // "Custom…" in a reason dropdown shows the field for the person's own words.
  document.addEventListener("change", (event) => {
    const select = event.target.closest("select[data-custom-toggle]");
    if (!select) return;
    const field = document.getElementById(select.dataset.customToggle);
    if (!field) return;
    field.hidden = select.value !== "custom";
    if (!field.hidden) field.querySelector("input").focus();
  });

  // -- Actions menus ----------------------------------------------------------------------------
  function menuOf(opener) { return document.getElementById(opener.getAttribute("aria-controls")); }
  function items(menu) { return Array.from(menu.querySelectorAll("[role='menuitem']")); }
  function toggleMenu(opener, focusItem) {
    const menu = menuOf(opener);
    const open = opener.getAttribute("aria-expanded") !== "true";
    opener.setAttribute("aria-expanded", String(open));
    menu.hidden = !open;
    if (open && focusItem) items(menu)[0].focus();
  }
  function closeMenus(except) {
    document.querySelectorAll("[aria-haspopup='menu'][aria-expanded='true']").forEach((opener) => {
      if (opener !== except) { opener.setAttribute("aria-expanded", "false"); menuOf(opener).hidden = true; }
    });
  }
  document.addEventListener("keydown", (event) => {
    const opener = event.target.closest("[aria-haspopup='menu']");
    if (opener && event.key === "ArrowDown") {
      event.preventDefault();
      if (opener.getAttribute("aria-expanded") !== "true") toggleMenu(opener, true);
      else items(menuOf(opener))[0].focus();
      return;
    }
    const item = event.target.closest("[role='menuitem']");
    if (item) {
      const menu = item.closest("[role='menu']");
      const all = items(menu);
      const at = all.indexOf(item);
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        all[(at + (event.key === "ArrowDown" ? 1 : all.length - 1)) % all.length].focus();
      } else if (event.key === "Escape") {
        event.preventDefault();
        const owner = document.querySelector(`[aria-controls='${menu.id}']`);
        closeMenus(null);
        owner.focus();
      }
      return;
    }
    if (event.key === "Escape" && document.querySelector("[aria-haspopup='menu'][aria-expanded='true']")) {
      closeMenus(null);
      return;
    }
    // "/" jumps to the patient search, as in most tools people use all day.
    if (event.key === "/" && !event.target.closest("input, select, textarea, [contenteditable]")) {
      const search = document.getElementById("search");
      if (search) { event.preventDefault(); search.focus(); }
    }
  });

  // An upload's progress: htmx reports the bytes sent; the bar shows them.
  document.addEventListener("htmx:xhr:progress", (event) => {
    const form = event.target.closest("[data-upload-progress]");
    if (!form || !event.detail.lengthComputable) return;
    const bar = document.querySelector(form.dataset.uploadProgress);
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    if (bar.value >= 100) bar.removeAttribute("value");  // now the server is at work: indeterminate
  });

  // -- failed requests: show what the server said instead of failing silently -------------------
  function showProblem(text) {
    const flash = document.getElementById("flash");
    flash.className = "flash";
    flash.setAttribute("role", "alert");
    flash.textContent = text;
    flash.hidden = false;
  }
  document.addEventListener("htmx:responseError", (event) => {
    // Parsed inertly (no scripts, no images): only its words are shown.
    const page = new DOMParser().parseFromString(event.detail.xhr.responseText, "text/html");
    showProblem(page.body.textContent.trim() || `The server answered ${event.detail.xhr.status}.`);
  });
  document.addEventListener("htmx:sendError", () => showProblem("The server could not be reached; nothing was changed."));
})();
