// Start reveal.js once Voila has executed the notebook and shown its cells (#rendered_cells stops being hidden),
// so that the slides are laid out with their real content and the widgets are live. The frame's size comes from the
// template (window.normlab_frame, from tools/present.py's reveal width and height).
(function () {
  "use strict";
  function start() {
    Reveal.initialize({
      width: window.normlab_frame.width, height: window.normlab_frame.height, margin: 0.04, center: false, hash: true, controls: true, progress: true,
      slideNumber: "c/t", transition: "none",
      // Arrow keys on a focused widget control move the control, not the slides.
      keyboardCondition: function (event) { return !event.target.closest(".jupyter-widgets"); },
    });
  }
  var cells = document.getElementById("rendered_cells");
  var timer = setInterval(function () {
    if (cells && cells.style.display !== "none" && window.Reveal) {
      clearInterval(timer);
      start();
    }
  }, 100);
})();
