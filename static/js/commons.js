/* Commons: the little the pages need from JavaScript. No inline handlers (CSP-friendly);
   every page works without it: the menu then stays open and copy buttons stay hidden. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function menu() {
    var toggle = document.querySelector("[data-menu-toggle]");
    if (!toggle) { return; }
    var nav = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!nav) { return; }
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("menu-open", open);
    });
  }

  function say(button, text) {
    var status = button.parentNode.querySelector(".copy-status");
    if (status) { status.textContent = text; }
  }

  function selectText(element) {
    if (element.select) { element.focus(); element.select(); return; }
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyButtons() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) { return; }
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = (source.value || source.textContent).trim();
        var fallback = function () {
          selectText(source);
          var copied = false;
          try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
          say(button, copied ? "Copied." : "Selected: press Ctrl+C (or ⌘C) to copy.");
        };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(function () { say(button, "Copied."); }, fallback);
        } else {
          fallback();
        }
      });
    });
  }

  function centreWideMaps() {
    // A map wider than the screen opens on its middle, where the circle of members is.
    document.querySelectorAll(".map-scroll").forEach(function (box) {
      box.scrollLeft = (box.scrollWidth - box.clientWidth) / 2;
    });
  }

  function bulkPicks() {
    // A list page's bulk form sends the ticked records' ids as one field (crm/_bulk_tag.html).
    var form = document.getElementById("bulk");
    var ids = document.getElementById("bulk-ids");
    if (!form || !ids) { return; }
    form.addEventListener("submit", function () {
      var picked = form.querySelectorAll('input[name="pick"]:checked');
      ids.value = Array.prototype.map.call(picked, function (box) { return box.value; }).join(",");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    menu();
    copyButtons();
    centreWideMaps();
    bulkPicks();
  });
})();
