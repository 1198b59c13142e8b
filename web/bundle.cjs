// The build's bundler step (src/web/CMakeLists.txt): web/app.js with uPlot from the build's
// node_modules, minified into one script, through esbuild's JS API (it finds its own binary,
// whether or not npm ran its install script).
// node web/bundle.cjs NODE_MODULES ENTRY OUTFILE
"use strict";
const path = require("path");
const [nodeModules, entry, outfile] = process.argv.slice(2);
const esbuild = require(path.join(nodeModules, "esbuild"));
esbuild.buildSync({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome100", "firefox100", "safari15"],
  nodePaths: [nodeModules],
  outfile,
  logLevel: "warning",
});
