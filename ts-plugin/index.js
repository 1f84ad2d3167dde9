// `tsxdp/ts-plugin`, the TypeScript language-service plugin. tsserver loads plugins with
// require() by name from the project's node_modules (without package `exports`: it finds this
// folder's index.js), and tsxdp is ES modules: this CommonJS entry loads the compiled plugin,
// with require() where Node loads ES modules that way (20.19+, 22.12+), otherwise with
// import(), then asks the editor to fetch diagnostics again once the checks are ready.
"use strict";
const path = require("node:path");
const { pathToFileURL } = require("node:url");

const entry = path.join(__dirname, "..", "dist", "compiler", "language-service-plugin.js");

function loadNow() {
  try {
    return require(entry);
  } catch (error) {
    if (error && (error.code === "ERR_REQUIRE_ESM" || error.code === "ERR_REQUIRE_ASYNC_MODULE")) return undefined;
    throw error;
  }
}

function init(modules) {
  const now = loadNow();
  if (now) return now.createPlugin(modules);
  const later = import(pathToFileURL(entry).href);
  return {
    create(info) {
      let decorated;
      later.then(
        (plugin) => {
          decorated = plugin.createPlugin(modules).create(info);
          info.project.refreshDiagnostics();
        },
        (error) => info.project.projectService.logger.info(`tsxdp: the plugin did not load: ${error && error.stack ? error.stack : error}`),
      );
      return new Proxy(info.languageService, {
        get(service, key) {
          const source = decorated || service;
          const member = source[key];
          return typeof member === "function" ? member.bind(source) : member;
        },
      });
    },
  };
}

module.exports = init;
