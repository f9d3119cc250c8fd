// main.js: the page state, tabs, filter controls, keyboard shortcuts, and start-up.

const VIEWS = { actors: renderActors, matrix: renderMatrix, claims: renderClaims, articles: renderArticles };
const ui = {
  view: "actors",
  article: null, // index of the open article, within the Articles view
  articleOrder: ARTICLES.map((a) => a.id),
  articleSort: "newest", // a key of ARTICLE_SORTS (views.js)
  limit: Object.assign({}, PAGE),
  openSpeakers: new Set(),
  returnFocus: null,
};

function render() {
  const v = applyFilters();
  const main = clear($("main"));
  hideTip();
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const selected = tab.dataset.view === ui.view;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
  }
  if (ui.view === "articles" && ui.article !== null) {
    if (!ui.articleOrder.includes(ui.article)) ui.articleOrder = v.articles.map((a) => a.id);
    renderArticle(main, ARTICLES[ui.article], null);
  } else {
    VIEWS[ui.view](main, v);
  }
  $("f-count").textContent = filtersActive()
    ? `${plural(v.articles.length, "article")} of ${num(ARTICLES.length)} \u00b7 ${plural(v.claims.length, "claim")} \u00b7 ${plural(v.stances.length, "stance")}`
    : "";
}

function show(view) {
  ui.view = view;
  ui.article = null;
  render();
}

function openArticle(id, focusKey) {
  if (id === undefined) return;
  closeDrawer();
  if (!ui.articleOrder.includes(id)) ui.articleOrder = applyFilters().articles.map((a) => a.id);
  ui.view = "articles";
  ui.article = id;
  render();
  if (focusKey) focusItem(focusKey);
  else { window.scrollTo(0, 0); $("doc-title").setAttribute("tabindex", "-1"); $("doc-title").focus(); }
}

function closeArticle() {
  const id = ui.article;
  ui.article = null;
  render();
  const back = [...document.querySelectorAll("button.article-link")].find((b) => b.closest("tr") && b.textContent === articleTitle(ARTICLES[id]));
  if (back) back.focus();
}

// --- filters -----------------------------------------------------------------------------------

function setFilter(name, value) {
  filters[name] = value;
  syncControls();
  ui.limit = Object.assign({}, PAGE);
  if (ui.article !== null && name !== "q") ui.article = null;
  render();
}

function syncControls() {
  $("f-actor").value = filters.actor === null ? "" : ACTOR_LABEL[filters.actor];
  $("f-topic").value = filters.topic === null ? "" : TOPIC_LABEL[filters.topic];
  $("f-position").value = filters.position;
  $("f-site").value = filters.site;
  $("f-from").value = filters.from;
  $("f-to").value = filters.to;
  if ($("f-url").value !== filters.url) $("f-url").value = filters.url;
  if ($("q").value !== filters.q) $("q").value = filters.q;
  for (const id of ["f-actor", "f-topic"]) $(id).removeAttribute("aria-invalid");
}

// A picker's text names an actor or topic by its label (or a unique part of one); text that
// names none is marked invalid and filters nothing.
function pickerChanged(input, labels, name) {
  const found = lookup(labels, input.value);
  if (found === undefined) {
    input.setAttribute("aria-invalid", "true");
    return;
  }
  setFilter(name, found);
}

function wireFilters() {
  append($("dl-actors"), ACTOR_LABEL.map((label) => el("option", { value: label })));
  append($("dl-topics"), TOPIC_LABEL.map((label) => el("option", { value: label })));
  append($("f-site"), SITES.map((s) => el("option", { value: s }, s)));
  $("f-actor").addEventListener("change", (e) => pickerChanged(e.target, ACTOR_LABEL, "actor"));
  $("f-topic").addEventListener("change", (e) => pickerChanged(e.target, TOPIC_LABEL, "topic"));
  for (const [id, name] of [["f-position", "position"], ["f-site", "site"], ["f-from", "from"], ["f-to", "to"]]) {
    $(id).addEventListener("change", (e) => setFilter(name, e.target.value));
  }
  $("q").addEventListener("input", debounce((e) => setFilter("q", e.target.value), 150));
  $("f-url").addEventListener("input", debounce((e) => setFilter("url", e.target.value), 150));
  $("f-clear").addEventListener("click", () => {
    Object.assign(filters, { q: "", actor: null, topic: null, position: "", site: "", from: "", to: "", url: "" });
    setFilter("q", "");
  });
}

// --- keyboard ------------------------------------------------------------------------------------

function tabKeys(event) {
  const tabs = [...document.querySelectorAll("[role=tab]")];
  const at = tabs.indexOf(event.target);
  const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[event.key];
  if (at < 0 || to === undefined) return;
  event.preventDefault();
  const tab = tabs[(to + tabs.length) % tabs.length];
  tab.focus();
  show(tab.dataset.view);
}

function toggleHelp(open) {
  const help = $("help");
  help.hidden = !open;
  if (open) $("help-close").focus();
  else $("help-button").focus();
}

function globalKeys(event) {
  if (event.key === "Escape") {
    if (!$("help").hidden) return toggleHelp(false);
    if (closeDrawer()) return;
    if (!$("tooltip").hidden) return hideTip();
    if (isTyping(event.target)) return event.target.blur();
    if (ui.article !== null && ARTICLES.length > 1) return closeArticle();
    return;
  }
  if (isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
  const views = ["actors", "matrix", "claims", "articles"];
  if (event.key === "/") { event.preventDefault(); $("q").focus(); $("q").select(); }
  else if (event.key === "?") toggleHelp($("help").hidden);
  else if (views[Number(event.key) - 1]) show(views[Number(event.key) - 1]);
  else if (ui.article !== null && (event.key === "j" || event.key === "k")) stepHighlight(event.key === "j" ? 1 : -1);
  else if (ui.article !== null && (event.key === "[" || event.key === "]")) {
    const order = ui.articleOrder;
    openArticle(order[order.indexOf(ui.article) + (event.key === "]" ? 1 : -1)]);
  }
}

// --- start -----------------------------------------------------------------------------------------

function header() {
  const title = ARTICLES.length === 1 ? articleTitle(ARTICLES[0]) : "News report";
  $("report-title").textContent = title;
  document.title = title + " \u2014 summarize";
  const parts = [plural(ARTICLES.length, "article"), plural(ACTORS.length, "actor"),
    plural(ARTICLES.reduce((n, a) => n + a.claims.length, 0), "claim"),
    plural(ARTICLES.reduce((n, a) => n + a.stances.length, 0), "stance")];
  if (META.failed) parts.push(`${num(META.failed)} failed (not shown)`);
  const missing = ARTICLES.filter((a) => !a.hasText).length;
  if (missing) parts.push(`${num(missing)} without text`);
  if (META.models && META.models.length) parts.push("model " + META.models.join(", "));
  $("report-meta").textContent = parts.join(" \u00b7 ");
}

function start() {
  header();
  wireFilters();
  for (const tab of document.querySelectorAll("[role=tab]")) tab.addEventListener("click", () => show(tab.dataset.view));
  document.querySelector("[role=tablist]").addEventListener("keydown", tabKeys);
  $("drawer-close").addEventListener("click", closeDrawer);
  $("help-button").addEventListener("click", () => toggleHelp(true));
  $("help-close").addEventListener("click", () => toggleHelp(false));
  document.addEventListener("keydown", globalKeys);
  if (ARTICLES.length === 1) {
    ui.view = "articles";
    ui.article = 0;
  }
  render();
  performance.mark("summarize:ready"); // benchmarks/report.py reads it: the first render's end
  document.body.dataset.ready = "true";
}

start();
