// views.js: the actor index, the stance matrix, claims by speaker, the article list, and the
// evidence panel. Each view renders from the filtered data (applyFilters) into <main>.

const PAGE = { actors: 200, matrixRows: 25, matrixCols: 15, speakers: 30, claimsPerSpeaker: 8, articles: 200 };

function viewHeader(title, count, lede) {
  return [el("h2", {}, title, " ", el("span", { class: "count" }, num(count))), lede ? el("p", { class: "lede" }, lede) : null];
}

function moreButton(shown, total, what, onMore) {
  if (shown >= total) return null;
  return el("p", { class: "more" }, linkButton(`Show all ${num(total)} ${what} (${num(total - shown)} more)`, onMore));
}

function actorButton(id, text) {
  if (id === null || id === undefined) return el("span", { class: "reporter" }, text || actorName(id));
  return linkButton(text || ACTORS[id].name, () => setFilter("actor", id), {
    title: `Show only ${ACTORS[id].name}`,
    class: "link actor-link",
  });
}

function sourceLine(a, key) {
  return el("p", { class: "source" },
    el("span", { class: "source-title" }, articleTitle(a)),
    a.site ? el("span", { class: "muted" }, " \u00b7 " + a.site) : null,
    a.date ? el("span", { class: "muted" }, " \u00b7 " + (a.day || a.date)) : null,
    " ",
    linkButton("Open in article \u2192", () => openArticle(a.id, key), { class: "link open-article" }));
}

// --- actors ----------------------------------------------------------------------------------

function renderActors(main, v) {
  const counts = new Map();
  const bump = (id, field) => {
    if (id === null || id === undefined) return;
    const c = counts.get(id) || { articles: 0, claims: 0, stances: 0 };
    c[field] += 1;
    counts.set(id, c);
  };
  for (const a of v.articles) for (const id of new Set(a.mentions.map((m) => m.actor))) bump(id, "articles");
  for (const c of v.claims) bump(c.actor, "claims");
  for (const s of v.stances) bump(s.actor, "stances");
  let ids = [...counts.keys()];
  if (v.q) {
    const speaking = new Set([...v.claims, ...v.stances].map((x) => x.actor));
    ids = ids.filter((id) => speaking.has(id) || hay(ACTORS[id]).includes(v.q));
  }
  const score = (id) => counts.get(id);
  ids.sort((x, y) => score(y).articles - score(x).articles ||
    (score(y).claims + score(y).stances) - (score(x).claims + score(x).stances) ||
    ACTORS[x].name.localeCompare(ACTORS[y].name));
  const shown = ids.slice(0, ui.limit.actors);
  const body = el("tbody", {}, shown.map((id) => actorRow(ACTORS[id], counts.get(id))));
  append(main, [
    viewHeader("Actors", ids.length,
      "One row per real-world actor across all articles, most mentioned first. Select a name to filter every view by it."),
    el("table", { class: "grid actors" },
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, "Actor"), el("th", { scope: "col" }, "Type"),
        el("th", { scope: "col" }, "Also called"), el("th", { scope: "col", class: "num" }, "Articles"),
        el("th", { scope: "col", class: "num" }, "Claims"), el("th", { scope: "col", class: "num" }, "Stances"))),
      body),
    moreButton(shown.length, ids.length, "actors", () => { ui.limit.actors = Infinity; render(); }),
  ]);
}

function actorRow(actor, c) {
  const aliases = actor.aliases.slice(0, 4).join(", ");
  const extra = actor.aliases.length > 4 ? ` +${actor.aliases.length - 4} more` : "";
  return el("tr", {},
    el("td", {}, actorButton(actor.id), actor.role ? el("div", { class: "muted small" }, actor.role) : null),
    el("td", {}, badge(actor.type, "type-" + actor.type)),
    el("td", { class: "aliases", title: actor.aliases.join(", ") || null }, aliases, el("span", { class: "muted" }, extra)),
    el("td", { class: "num" }, num(c.articles)),
    el("td", { class: "num" }, num(c.claims)),
    el("td", { class: "num" }, num(c.stances)));
}

// --- stance matrix ---------------------------------------------------------------------------

function positionCounts(list) {
  const c = { support: 0, oppose: 0, mixed: 0, neutral: 0 };
  for (const s of list) c[s.position] += 1;
  return c;
}

function cellText(c) {
  return POSITIONS.filter((p) => c[p]).map((p) => POSITION_SIGN[p] + c[p]).join(" ");
}

function cellClass(c) {
  const present = POSITIONS.filter((p) => c[p]);
  return present.length === 1 ? "pos-" + present[0] : "pos-split";
}

function renderMatrix(main, v) {
  const cells = new Map();
  const rowTotal = new Map();
  const colTotal = new Map();
  for (const s of v.stances) {
    const key = s.actor + "|" + s.topic;
    if (!cells.has(key)) cells.set(key, []);
    cells.get(key).push(s);
    rowTotal.set(s.actor, (rowTotal.get(s.actor) || 0) + 1);
    colTotal.set(s.topic, (colTotal.get(s.topic) || 0) + 1);
  }
  const byTotal = (totals, name) => [...totals.keys()].sort((x, y) => totals.get(y) - totals.get(x) || name(x).localeCompare(name(y)));
  const cols = byTotal(colTotal, (id) => TOPICS[id].label);
  const shownCols = cols.slice(0, ui.limit.matrixCols);
  // Rows rank by their stances on the columns shown, so no shown row is empty.
  const inShown = new Map();
  const visible = new Set(shownCols);
  for (const s of v.stances) if (visible.has(s.topic)) inShown.set(s.actor, (inShown.get(s.actor) || 0) + 1);
  const rows = byTotal(inShown, (id) => ACTORS[id].name);
  const shownRows = rows.slice(0, ui.limit.matrixRows);
  append(main, viewHeader("Stance matrix", v.stances.length,
    "Actors by topic. Topics worded alike in different articles share a column. Select a cell for its evidence."));
  append(main, positionLegend());
  if (!rows.length) return append(main, el("p", { class: "empty" }, "No stances match the filters."));
  const table = el("table", { class: "matrix", role: "grid", "aria-label": "Stances of actors on topics" },
    el("thead", {}, el("tr", {}, el("th", { class: "corner", scope: "col" }, "Actor \\ topic"),
      shownCols.map((t) => el("th", { scope: "col", title: TOPICS[t].wordings.join(" | ") },
        el("span", { class: "topic-label" }, TOPICS[t].label))))),
    el("tbody", {}, shownRows.map((a, r) => el("tr", {},
      el("th", { scope: "row" }, actorButton(a),
        el("span", { class: "muted small", title: plural(rowTotal.get(a), "stance") + " in all" }, " " + num(rowTotal.get(a)))),
      shownCols.map((t, c) => matrixCell(cells.get(a + "|" + t), a, t, r, c))))));
  table.addEventListener("keydown", matrixKeys);
  append(main, el("div", { class: "matrix-wrap" }, table));
  append(main, el("p", { class: "more" },
    shownRows.length < rows.length ? linkButton(`Show all ${num(rows.length)} actors`, () => { ui.limit.matrixRows = Infinity; render(); }) : null,
    shownRows.length < rows.length && shownCols.length < cols.length ? " \u00b7 " : null,
    shownCols.length < cols.length ? linkButton(`Show all ${num(cols.length)} topics`, () => { ui.limit.matrixCols = Infinity; render(); }) : null));
  const first = table.querySelector("button.cell");
  if (first) first.tabIndex = 0;
}

function matrixCell(list, actor, topic, r, c) {
  if (!list) return el("td", { class: "void", "aria-label": "no stance" });
  const counts = positionCounts(list);
  const label = `${ACTORS[actor].name} on ${TOPICS[topic].label}: ` +
    POSITIONS.filter((p) => counts[p]).map((p) => `${counts[p]} ${p}`).join(", ");
  return el("td", {}, el("button", {
    type: "button", class: "cell " + cellClass(counts), tabindex: -1, "aria-label": label, title: label,
    dataset: { r, c, actor, topic },
    on: { click: () => openEvidence(`${ACTORS[actor].name} \u2014 ${TOPICS[topic].label}`, list) },
  }, cellText(counts), positionBar(counts)));
}

// Several positions in one cell: a bar of their shares under the signs.
function positionBar(counts) {
  const present = POSITIONS.filter((p) => counts[p]);
  if (present.length < 2) return null;
  return el("span", { class: "bar", "aria-hidden": "true" }, present.map((p) => {
    const seg = el("span", { class: "seg seg-" + p });
    seg.style.flexGrow = String(counts[p]);
    return seg;
  }));
}

function positionLegend() {
  return el("ul", { class: "legend positions", "aria-label": "Positions" },
    POSITIONS.map((p) => el("li", {}, el("span", { class: "swatch cell pos-" + p }, POSITION_SIGN[p]), p)),
    el("li", {}, el("span", { class: "swatch cell pos-split" }, "+1 \u22122", positionBar({ support: 1, oppose: 2 })),
      "several positions (bar: their shares)"));
}

// Arrow keys move between the cells that hold stances (roving tabindex).
function matrixKeys(event) {
  const cell = event.target.closest && event.target.closest("button.cell");
  const step = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[event.key];
  if (!cell || !step) return;
  event.preventDefault();
  const all = [...event.currentTarget.querySelectorAll("button.cell")];
  const r0 = Number(cell.dataset.r);
  const c0 = Number(cell.dataset.c);
  const ahead = all.filter((b) => {
    const dr = Number(b.dataset.r) - r0;
    const dc = Number(b.dataset.c) - c0;
    return step[0] ? Math.sign(dr) === step[0] && dc === 0 : Math.sign(dc) === step[1] && dr === 0;
  });
  const distance = (b) => Math.abs(Number(b.dataset.r) - r0) + Math.abs(Number(b.dataset.c) - c0);
  const next = ahead.sort((x, y) => distance(x) - distance(y))[0];
  if (!next) return;
  cell.tabIndex = -1;
  next.tabIndex = 0;
  next.focus();
}

// --- evidence panel --------------------------------------------------------------------------

function openEvidence(title, stances) {
  const drawer = $("drawer");
  $("drawer-title").textContent = title;
  append(clear($("drawer-body")), [
    el("p", { class: "muted" }, plural(stances.length, "stance")),
    el("ol", { class: "evidence" }, stances.map(evidenceItem)),
  ]);
  ui.returnFocus = document.activeElement;
  drawer.hidden = false;
  $("drawer-close").focus();
}

function evidenceItem(s) {
  const canonical = actorName(s.actor);
  return el("li", { class: "evidence-item" },
    el("p", {}, badge(s.position, "pos-badge pos-" + s.position), " ",
      el("strong", {}, canonical), s.name !== canonical ? el("span", { class: "muted" }, ` (as \u201c${s.name}\u201d)`) : null,
      el("span", { class: "muted" }, " on "), el("em", {}, s.wording),
      s.target ? el("span", { class: "muted" }, " \u2014 towards " + s.target) : null),
    el("blockquote", {}, s.quote),
    sourceLine(s.article, s.key));
}

function closeDrawer() {
  const drawer = $("drawer");
  if (drawer.hidden) return false;
  drawer.hidden = true;
  if (ui.returnFocus && document.contains(ui.returnFocus)) ui.returnFocus.focus();
  return true;
}

// --- claims by speaker -----------------------------------------------------------------------

function renderClaims(main, v) {
  const groups = new Map();
  for (const c of v.claims) {
    const key = c.actor === null ? -1 : c.actor;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(c);
  }
  const keys = [...groups.keys()].sort((x, y) => groups.get(y).length - groups.get(x).length ||
    actorName(x < 0 ? null : x).localeCompare(actorName(y < 0 ? null : y)));
  append(main, viewHeader("Claims by speaker", v.claims.length,
    "Who said what, with how it was reported: direct quote, indirect speech or the reporter's own voice, the reporting verb, and hedging."));
  if (!keys.length) return append(main, el("p", { class: "empty" }, "No claims match the filters."));
  const shown = keys.slice(0, ui.limit.speakers);
  append(main, shown.map((k) => speakerGroup(k < 0 ? null : k, groups.get(k))));
  append(main, moreButton(shown.length, keys.length, "speakers", () => { ui.limit.speakers = Infinity; render(); }));
}

function speakerGroup(actor, claims) {
  const limit = ui.openSpeakers.has(actor) ? Infinity : PAGE.claimsPerSpeaker;
  const list = el("ol", { class: "claims" }, claims.slice(0, limit).map(claimCard));
  return el("section", { class: "speaker" },
    el("h3", {}, actorButton(actor), " ", el("span", { class: "count" }, plural(claims.length, "claim"))),
    list,
    moreButton(Math.min(limit, claims.length), claims.length, "claims", () => { ui.openSpeakers.add(actor); render(); }));
}

function claimBadges(c) {
  return [
    badge(KIND_LABEL[c.kind] || c.kind, "kind-" + c.kind),
    c.cue ? badge("\u201c" + c.cue + "\u201d", "cue") : null,
    c.hedged ? badge("hedged", "hedged") : null,
  ];
}

function claimCard(c) {
  return el("li", { class: "claim" },
    el("p", { class: "claim-text" }, c.text),
    el("p", { class: "claim-meta" }, claimBadges(c), c.name && c.name !== actorName(c.actor) ? el("span", { class: "muted" }, ` as \u201c${c.name}\u201d`) : null),
    el("blockquote", {}, c.quote),
    sourceLine(c.article, c.key));
}

// --- articles ----------------------------------------------------------------------------------

// How the article list can be ordered: published (full date and time when known), URL, title.
const ARTICLE_SORTS = {
  newest: ["newest first", (x, y) => published(y).localeCompare(published(x))],
  oldest: ["oldest first", (x, y) => (published(x) || "\uffff").localeCompare(published(y) || "\uffff")],
  url: ["URL", (x, y) => (x.url || "\uffff").localeCompare(y.url || "\uffff")],
  title: ["title", () => 0],
};
const published = (a) => a.date || a.day || "";

function sortControl() {
  const select = el("select", { id: "a-sort", on: { change: (e) => { ui.articleSort = e.target.value; render(); } } },
    Object.entries(ARTICLE_SORTS).map(([key, [label]]) => el("option", { value: key, selected: key === ui.articleSort }, label)));
  return el("p", { class: "sort" }, el("label", {}, "Sort by ", select));
}

function renderArticles(main, v) {
  const order = (ARTICLE_SORTS[ui.articleSort] || ARTICLE_SORTS.newest)[1];
  const list = [...v.articles].sort((x, y) => order(x, y) || articleTitle(x).localeCompare(articleTitle(y)));
  ui.articleOrder = list.map((a) => a.id);
  const shown = list.slice(0, ui.limit.articles);
  append(main, viewHeader("Articles", list.length, "Open an article to read it with every piece of evidence highlighted."));
  append(main, sortControl());
  if (!list.length) return append(main, el("p", { class: "empty" }, "No articles match the filters."));
  append(main, el("table", { class: "grid articles" },
    el("thead", {}, el("tr", {},
      ["Article", "Site", "Published"].map((h) => el("th", { scope: "col" }, h)),
      ["Actors", "Claims", "Stances", "Dropped"].map((h) => el("th", { scope: "col", class: "num" }, h)))),
    el("tbody", {}, shown.map(articleRow))));
  append(main, moreButton(shown.length, list.length, "articles", () => { ui.limit.articles = Infinity; render(); }));
}

// "2026-11-30 00:53" for a full timestamp, the day alone otherwise.
function publishedLabel(a) {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(a.date || "");
  return m ? `${m[1]} ${m[2]}` : a.day || a.date || "";
}

function articleRow(a) {
  return el("tr", {},
    el("td", {}, linkButton(articleTitle(a), () => openArticle(a.id), { class: "link article-link" }),
      a.url ? el("div", { class: "small url" }, a.url) : null,
      el("div", { class: "muted small path" }, a.path, a.hasText ? null : el("span", { class: "warn" }, " \u00b7 text unavailable"))),
    el("td", {}, a.site || ""),
    el("td", { class: "nowrap", title: a.date || "" }, publishedLabel(a)),
    el("td", { class: "num" }, num(a.mentions.length)),
    el("td", { class: "num" }, num(a.claims.length)),
    el("td", { class: "num" }, num(a.stances.length)),
    el("td", { class: "num" }, a.dropped.length ? num(a.dropped.length) : ""));
}
