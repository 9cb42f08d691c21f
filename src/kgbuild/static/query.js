// The query page's editor: YASGUI (bundled in static/vendor/yasgui, no request leaves this server) on our /sparql
// endpoint, completing our ontology's prefixes, classes and properties. Without JavaScript, or if YASGUI fails to
// load, the plain form below it works as before.
document.addEventListener("DOMContentLoaded", () => {
  const mount = document.getElementById("yasgui");
  const form = document.getElementById("query-form");
  if (!mount || !form || typeof window.Yasgui === "undefined") return;
  const config = JSON.parse(document.getElementById("yasgui-config").textContent);
  const Yasqe = window.Yasgui.Yasqe;
  const always = (values) => () => Promise.resolve(values);
  // Our own completers in place of the ones that ask prefix.cc and LOV on the internet.
  Yasqe.forkAutocompleter("prefixes", { name: "kgPrefixes", persistenceId: null,
    get: always(Object.entries(config.prefixes).map(([p, ns]) => `${p}: <${ns}>`).sort()) }, false);
  Yasqe.forkAutocompleter("class", { name: "kgClasses", bulk: true, persistenceId: null,
    get: always(config.classes) }, false);
  Yasqe.forkAutocompleter("property", { name: "kgProperties", bulk: true, persistenceId: null,
    get: always(config.properties) }, false);
  Yasqe.defaults.autocompleters = ["kgPrefixes", "kgClasses", "kgProperties", "variables"];
  Yasqe.defaults.prefixCcApi = undefined;
  const yasgui = new window.Yasgui(mount, {
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    endpointCatalogueOptions: { getData: () => [{ endpoint: config.endpoint }] },
    copyEndpointOnNewTab: true,
    corsProxy: undefined,
    persistenceId: null,  // the page's query, not one remembered from an earlier visit
    yasqe: { value: document.getElementById("query").value },
    yasr: { prefixes: config.prefixes },
  });
  // A result cut at the server's row limit says so above the table (the header and the JSON body carry it).
  const note = document.createElement("p");
  note.className = "message truncated";
  note.setAttribute("role", "status");
  note.hidden = true;
  const hooked = new WeakSet();
  const hook = (tab) => {
    const yasqe = tab && tab.getYasqe && tab.getYasqe();
    if (!yasqe || hooked.has(yasqe)) return;
    hooked.add(yasqe);
    yasqe.on("queryResponse", (_yasqe, response) => {
      const cut = response && response.headers && response.headers.get ? response.headers.get("X-Kgbuild-Truncated") : null;
      const rows = cut && (cut.match(/(\d+) rows/) || [])[1];
      note.textContent = cut ? `Only the first ${rows || "few"} rows are shown: the server cuts results at ` +
        `${rows || "its limit of"} rows (kgbuild serve --max-rows).` : "";
      note.hidden = !cut;
      const yasr = mount.querySelector(".tabPanel.active .yasr") || mount.querySelector(".yasr");
      if (yasr) yasr.before(note);
    });
  };
  hook(yasgui.getTab());
  yasgui.on("tabSelect", (_yasgui, id) => setTimeout(() => hook(yasgui.getTab(id)), 0));
  form.hidden = true;
  document.querySelectorAll(".server-results").forEach((el) => { el.hidden = true; });
  document.body.classList.add("with-yasgui");
  window.kgbuildYasgui = yasgui;  // for the browser tests and the console
  if (mount.dataset.run) yasgui.getTab().query();
});
