// minato-lite: warm the live notebook up while the visitor reads the report.
//
// The report (index.html) is complete without this script. Once it has painted
// and the browser is idle, this fetches at low priority, a few at a time, what
// opening a live notebook needs first, so that JupyterLab and the kernel's worker
// find it in the browser's HTTP cache (same origin, same cache partition):
//   1. the app's bundles, listed when the app was built (minato-warmup.json,
//      derived from the app's own lab page and bundles);
//   2. the Pyodide runtime and the packages the kernel loads at start: the entry
//      module and options from this site's jupyter-lite.json (pyodideUrl,
//      loadPyodideOptions), the runtime files beside it as the build named them for
//      this site's Pyodide (minato-warmup.json "runtime": the names change between
//      releases), the packages and their `depends` closure from the lockfile;
//   3. the kernel's package indexes (pipliteUrls), exactly as the settings spell them.
// It only downloads bytes: nothing is imported, compiled or run. It never asks for
// a file outside this site's origin and its deployment's shared-assets origin (a site
// on the CDN's Pyodide warms the app only), and it stays idle under Save-Data.
// Progress is on <html data-minato-warmup="running|done|skipped|failed">, with the
// milliseconds since navigation when it started and ended, and the files fetched.
// While the report's own live Python starts (minato-live.js says "starting"), it
// fetches nothing new: the reader chose to run code here, and on two cores the
// downloads for JupyterLab made that start 0.5 s slower.
(function () {
  "use strict";
  var root = document.documentElement;
  var KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel";
  var PARALLEL = 4;
  // this script sits at the site's root, beside jupyter-lite.json
  var script = document.currentScript;
  var here = new URL(".", script && script.src ? script.src : document.baseURI);

  function mark(state) {
    root.setAttribute("data-minato-warmup", state);
    var at = String(Math.round(performance.now()));
    root.setAttribute(state === "running" ? "data-minato-warmup-start" : "data-minato-warmup-end", at);
  }

  // this site's origin, and the deployment's shared-assets origin when sites have their own
  var allowed = [here.origin];

  // paused while the report's live Python starts; `resumed` settles when it may go on
  var resumed = null;
  var resume = null;
  document.addEventListener("minato:live", function (event) {
    if (event.detail === "starting" && resumed === null) {
      resumed = new Promise(function (settle) { resume = settle; });
      root.setAttribute("data-minato-warmup-paused", "true");
    } else if (event.detail !== "starting" && resume !== null) {
      resume();
      resumed = resume = null;
      root.removeAttribute("data-minato-warmup-paused");
    }
  });

  function sameSite(url) {
    return allowed.indexOf(url.origin) >= 0;
  }

  function getJSON(url) {
    return fetch(url, { priority: "low" }).then(function (response) {
      if (!response.ok) throw new Error(url + ": " + response.status);
      return response.json();
    });
  }

  // Read a response to its end so the cache keeps all of it, and keep none of it.
  function drain(response) {
    if (!response.body) return response.arrayBuffer();
    var reader = response.body.getReader();
    function next() {
      return reader.read().then(function (part) {
        return part.done ? undefined : next();
      });
    }
    return next();
  }

  // Two queues: the app's many small bundles, whose downloads are mostly waiting on
  // round trips, and Pyodide's few large files, which keep the line busy meanwhile.
  // Each lane prefers one queue and helps with the other once its own is empty.
  function warm(small, large) {
    var queues = [small.slice(), large.slice()];
    var count = { files: 0, failed: 0 };
    function worker(prefer) {
      if (resumed !== null) return resumed.then(function () { return worker(prefer); });
      var queue = queues[prefer].length ? queues[prefer] : queues[1 - prefer];
      var url = queue.shift();
      if (!url) return Promise.resolve();
      return fetch(url, { priority: "low", credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(url + ": " + response.status);  // a wrong list
          return drain(response);
        })
        .then(
          function () { count.files += 1; },
          function () { count.failed += 1; }
        )
        .then(function () { return worker(prefer); });
    }
    var workers = [];
    for (var i = 0; i < PARALLEL; i += 1) workers.push(worker(i === 0 ? 1 : 0));
    return Promise.all(workers).then(function () { return count; });
  }

  function canonical(name) {
    return String(name).toLowerCase().replace(/[-_.]+/g, "-");
  }

  // The lockfile entries of `names` and everything they depend on, in load order.
  function closure(lock, names) {
    var packages = {};
    Object.keys(lock.packages || {}).forEach(function (key) {
      packages[canonical(key)] = lock.packages[key];
    });
    var seen = {};
    var order = [];
    function visit(name) {
      var key = canonical(name);
      var entry = packages[key];
      if (!entry || seen[key]) return;
      seen[key] = true;
      order.push(entry);
      (entry.depends || []).forEach(visit);
    }
    names.forEach(visit);
    return order;
  }

  // `runtime`: the files Pyodide's loader fetches beside pyodideUrl, named by the build
  function pyodideFiles(kernel, runtime) {
    if (!kernel || !kernel.pyodideUrl) return Promise.resolve([]);
    var entry = new URL(kernel.pyodideUrl, here);
    if (!sameSite(entry)) return Promise.resolve([]);  // the CDN's: not this site's to fetch
    var options = kernel.loadPyodideOptions || {};
    var index = new URL(options.indexURL || ".", entry);
    var lockUrl = new URL(options.lockFileURL || "pyodide-lock.json", index);
    var files = [entry].concat(runtime.map(function (name) {
      return new URL(name, index);
    }));
    if (!sameSite(lockUrl)) return Promise.resolve(files);
    return getJSON(lockUrl).then(function (lock) {  // read here, so cached here too
      closure(lock, options.packages || []).forEach(function (entry) {
        if (entry.file_name) files.push(new URL(entry.file_name, index));
      });
      return files;
    }, function () { return files; });
  }

  function start() {
    var connection = navigator.connection;
    if (connection && (connection.saveData || /(^|-)2g$/.test(connection.effectiveType || ""))) {
      mark("skipped");
      return;
    }
    mark("running");
    var manifest = getJSON(new URL("minato-warmup.json", here)).then(
      function (listed) {
        (listed.assets || []).forEach(function (url) { allowed.push(new URL(url).origin); });
        return listed;
      },
      function () { return {}; }
    );
    var app = manifest.then(function (listed) {
      return (listed.bundles || []).map(function (url) { return new URL(url, here); });
    });
    var kernel = getJSON(new URL("jupyter-lite.json", here)).then(
      function (config) {
        var data = config["jupyter-config-data"] || {};
        return (data.litePluginSettings || {})[KERNEL_PLUGIN] || {};
      },
      function () { return {}; }
    );
    var pyodide = Promise.all([kernel, manifest]).then(function (parts) {
      return pyodideFiles(parts[0], parts[1].runtime || []);
    });
    Promise.all([app, pyodide, kernel])
      .then(function (parts) {
        var indexes = (parts[2].pipliteUrls || []).map(function (url) { return new URL(url, here); });
        var seen = {};
        function own(urls) {
          return urls.filter(function (url) {
            if (!sameSite(url) || seen[url.href]) return false;
            seen[url.href] = true;
            return true;
          }).map(function (url) { return url.href; });
        }
        return warm(own(parts[0].concat(indexes)), own(parts[1]));
      })
      .then(function (count) {
        root.setAttribute("data-minato-warmup-files", String(count.files));
        mark(count.failed ? "failed" : "done");
      }, function () { mark("failed"); });
  }

  function whenIdle() {
    if (window.requestIdleCallback) window.requestIdleCallback(start, { timeout: 3000 });
    else window.setTimeout(start, 200);
  }

  // after the report has painted: the load event (inline charts decoded), then idle time
  if (document.readyState === "complete") whenIdle();
  else window.addEventListener("load", whenIdle, { once: true });
})();
