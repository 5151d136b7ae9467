// The widget manager (embed-amd.js) looks for its icon fonts beside the module ids it defines
// ("@jupyter-widgets/html-manager/dist/..."): map them to this site's _static/, from any page's depth.
require.config({ paths: { "@jupyter-widgets":
  (document.documentElement.dataset.content_root || "./") + "_static/@jupyter-widgets" } });
