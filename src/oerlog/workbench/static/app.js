// oerlog workbench: small behaviours on top of htmx (no build step, no network).
(function () {
  "use strict";
  // a proof: summary first, the steps folded into one block, each step with its own sub-steps collapsible
  function foldProof(root) {
    root.querySelectorAll(".oerlog-explanation").forEach(function (ex) {
      if (ex.dataset.folded) return;
      ex.dataset.folded = "1";
      ex.querySelectorAll("ul.steps").forEach(function (steps) {
        var d = document.createElement("details");
        d.className = "steps";
        d.open = true;
        var s = document.createElement("summary");
        s.textContent = document.documentElement.lang === "nl" ? "Stappen van de redenering" : "Steps of the reasoning";
        d.appendChild(s);
        steps.parentNode.insertBefore(d, steps);
        d.appendChild(steps);
      });
      ex.querySelectorAll("li").forEach(function (li) {
        var nested = li.querySelector(":scope > ul, :scope > blockquote");
        var mark = li.querySelector(":scope > .mark");
        if (!nested || !mark) return;
        li.classList.add("collapsible");
        if (li.parentElement && !li.parentElement.classList.contains("steps")) li.classList.add("collapsed");
        mark.setAttribute("role", "button");
        mark.setAttribute("tabindex", "0");
        mark.addEventListener("click", function () { li.classList.toggle("collapsed"); });
      });
    });
  }
  // the case form: one more record per relation
  function addRow(btn) {
    var table = btn.previousElementSibling;
    while (table && table.tagName !== "TABLE") table = table.previousElementSibling;
    if (!table) return;
    var rows = table.tBodies[0].rows;
    var last = rows[rows.length - 1];
    var next = last.cloneNode(true);
    var index = rows.length;
    next.classList.remove("has-error");
    next.querySelectorAll(".msg").forEach(function (m) { m.remove(); });
    next.querySelectorAll("td.error").forEach(function (td) { td.classList.remove("error"); });
    next.querySelectorAll("input, select").forEach(function (el) {
      var parts = el.name.split(":");
      if (parts.length === 4) { parts[2] = String(index); el.name = parts.join(":"); }
      if (el.tagName === "SELECT") el.selectedIndex = 0; else el.value = "";
    });
    table.tBodies[0].appendChild(next);
  }
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t && t.classList && t.classList.contains("addrow")) addRow(t);
  });
  document.addEventListener("htmx:afterSwap", function (e) { foldProof(e.target); });
  // no inline handlers (the pages' Content-Security-Policy forbids them): the behaviours are here
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (!t || t.tagName !== "SELECT") return;
    if (t.hasAttribute("data-nav")) location.href = t.getAttribute("data-nav") + encodeURIComponent(t.value);
    if (t.hasAttribute("data-autosubmit") && t.form) t.form.submit();
    if (t.hasAttribute("data-doc-switch")) {
      // an empty form follows the regulation chosen (its relations); a filled one keeps what was typed
      var filled = Array.prototype.some.call(document.querySelectorAll("#caseform tr:not(.blank) input"),
        function (i) { return i.value !== ""; });
      if (!filled) location.href = "/case?doc=" + encodeURIComponent(t.value);
    }
  });
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.key === "Enter" && t && t.classList && t.classList.contains("node") && window.htmx) htmx.trigger(t, "click");
  });
  document.addEventListener("click", function (e) {
    var t = e.target;
    if (t && t.hasAttribute && t.hasAttribute("data-back") && history.length > 1) { e.preventDefault(); history.back(); }
  });
  document.addEventListener("DOMContentLoaded", function () {
    foldProof(document);
    // the graph: the concept asked about in view
    var focus = document.querySelector("svg#graph .node.focus");
    if (focus) focus.scrollIntoView({ block: "center", inline: "center" });
  });
})();
