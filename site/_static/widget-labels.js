// ipywidgets draws a slider's handle as <div role="slider"> with no accessible name (ipywidgets issue #2650: no way
// to set ARIA labels), so a screen reader announces "slider" only. Name each handle after its widget's visible
// description, in every widget view drawn now or later (the widget manager renders them asynchronously).
(function () {
  "use strict";
  function label(root) {
    root.querySelectorAll(".jupyter-widgets [role=slider]:not([aria-label])").forEach(function (handle) {
      var widget = handle.closest(".widget-slider, .widget-hslider, .widget-vslider, .jupyter-widgets");
      var text = widget && widget.querySelector(".widget-label");
      var name = text && text.textContent.trim();
      handle.setAttribute("aria-label", name || "value");
    });
  }
  new MutationObserver(function () { label(document); })
    .observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", function () { label(document); });
})();
