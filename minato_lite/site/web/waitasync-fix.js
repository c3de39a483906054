// minato-lite work-around for a race in coincident 1.2.3, which
// jupyterlite-pyodide-kernel 0.8.6 bundles for its SharedArrayBuffer transport
// (used when the page is cross-origin isolated, `serve --isolate`).
// The page waits for the kernel worker's answer with
//   Atomics.waitAsync(buffer, 0, 0).value.then(...)
// When the worker has already answered, waitAsync returns synchronously
// {async: false, value: "not-equal"}; `.value.then` then throws
// "A(...).value.then is not a function", the cell's reply is lost and the
// cell stays at [*] forever. Here a synchronous result is handed back as an
// already-settled promise, which is what coincident expects. Must run before
// the kernel extension loads (coincident reads Atomics.waitAsync once).
(function () {
  "use strict";
  if (typeof Atomics === "undefined" || typeof Atomics.waitAsync !== "function") return;
  var native = Atomics.waitAsync;
  Atomics.waitAsync = function waitAsync() {
    var result = native.apply(Atomics, arguments);
    if (result && result.async === false) {
      return { async: true, value: Promise.resolve(result.value) };
    }
    return result;
  };
})();
