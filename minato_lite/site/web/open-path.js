// minato-lite: the notebook a link names is the notebook that opens.
//
// The report links into JupyterLab as lab/index.html?path=<notebook>. JupyterLite's
// opener opens that path once the app has *started*; JupyterLab then restores the
// workspace an earlier visit of this site saved in the browser, and restoring replaces
// the main area's layout: the linked notebook is closed again and the last visit's
// notebook shows instead (seen in Chromium: report -> code.ipynb, back, -> the analysis
// link opened code.ipynb). Once the app is *restored*, this opens the linked path again,
// or reveals it where it survived, so it is open and current. Nothing else changes:
// notebooks restored from the last visit stay open.
(function () {
  "use strict";
  var paths = new URLSearchParams(window.location.search).getAll("path");
  if (!paths.length) return;
  var waited = 0;
  function whenApp() {
    var app = window.jupyterapp;  // exposeAppInBrowser is on in every site
    if (!app) {
      waited += 100;
      if (waited < 120000) window.setTimeout(whenApp, 100);
      return;
    }
    app.restored.then(function () {
      var opened = Promise.resolve();
      paths.forEach(function (path) {
        opened = opened.then(function () {
          return app.commands.execute("docmanager:open", { path: path });
        });
      });
      return opened;
    }).catch(function (error) {
      console.warn("minato-lite: could not open the linked notebook", error);
    });
  }
  whenApp();
})();
