// data.js: the embedded JSON as objects, lookups, and the filters.

const RAW = JSON.parse($("report-data").textContent);
const META = RAW.meta;

// Rows are arrays; RAW.fields names their columns (summarize/output/report.py: FIELDS).
function objects(list, fields) {
  return list.map((row) => {
    const o = {};
    fields.forEach((f, i) => { o[f] = row[i]; });
    return o;
  });
}

const ACTORS = objects(RAW.actors, RAW.fields.actor).map((a, id) => Object.assign(a, { id, articleIds: [] }));
const TOPICS = objects(RAW.topics, RAW.fields.topic).map((t, id) => Object.assign(t, { id }));
const ARTICLES = objects(RAW.articles, RAW.fields.article).map((a, id) => {
  a.id = id;
  a.mentions = objects(a.mentions, RAW.fields.mention);
  a.claims = objects(a.claims, RAW.fields.claim).map((c, i) => Object.assign(c, { type: "claim", key: "c" + i, article: a }));
  a.stances = objects(a.stances, RAW.fields.stance).map((s, i) => Object.assign(s, { type: "stance", key: "s" + i, article: a }));
  a.dropped = objects(a.dropped, RAW.fields.dropped);
  for (const m of a.mentions) {
    const ids = m.actor === null ? null : ACTORS[m.actor].articleIds;
    if (ids && ids[ids.length - 1] !== id) ids.push(id);
  }
  return a;
});
const SITES = [...new Set(ARTICLES.map((a) => a.site).filter(Boolean))].sort((x, y) => x.localeCompare(y));
const POSITIONS = ["support", "oppose", "mixed", "neutral"];
const POSITION_SIGN = { support: "+", oppose: "\u2212", mixed: "\u00b1", neutral: "\u25cb" };
const KIND_LABEL = { direct_quote: "direct quote", indirect: "indirect", reporter_assertion: "reporter" };

function actorName(id) {
  return id === null || id === undefined ? "No named speaker" : ACTORS[id].name;
}

function articleTitle(a) {
  return a.title || a.path;
}

// Labels for the actor and topic pickers: unique, so a label names one row. Two actors
// with one name (two people called "Smith" kept apart) are told apart by an article.
const ACTOR_LABEL = (() => {
  const seen = new Map();
  for (const a of ACTORS) seen.set(a.name, (seen.get(a.name) || 0) + 1);
  return ACTORS.map((a) => {
    if (seen.get(a.name) === 1) return a.name;
    const first = ARTICLES[a.articleIds[0]];
    return `${a.name} (${first ? first.path : a.type}${a.articleIds.length > 1 ? ", \u2026" : ""})`;
  });
})();
const TOPIC_LABEL = (() => {
  const seen = new Set();
  return TOPICS.map((t, i) => {
    const label = seen.has(t.label) ? `${t.label} (${i + 1})` : t.label;
    seen.add(t.label);
    return label;
  });
})();

function lookup(labels, text) {
  const wanted = fold(text.trim());
  if (!wanted) return null;
  let i = labels.findIndex((l) => fold(l) === wanted);
  if (i < 0) {
    const partial = labels.map((l, j) => (fold(l).includes(wanted) ? j : -1)).filter((j) => j >= 0);
    i = partial.length === 1 ? partial[0] : -1;
  }
  return i < 0 ? undefined : i;
}

// --- search --------------------------------------------------------------------------------

const HAY = new WeakMap();
function hay(x) {
  let h = HAY.get(x);
  if (h === undefined) {
    let parts;
    if (x.type === "claim") parts = [x.name, actorName(x.actor), x.text, x.quote, x.cue, KIND_LABEL[x.kind]];
    else if (x.type === "stance") parts = [x.name, actorName(x.actor), x.wording, TOPICS[x.topic].label, x.quote, x.position, x.target];
    else if (x.aliases) parts = [x.name, x.role, ...x.aliases];
    else parts = [x.title, x.summary, x.path, x.site, x.author, x.url];
    h = fold(parts.filter(Boolean).join("\n"));
    HAY.set(x, h);
  }
  return h;
}

// --- filters -------------------------------------------------------------------------------

const filters = { q: "", actor: null, topic: null, position: "", site: "", from: "", to: "", url: "" };

function articlePasses(a) {
  if (filters.site && a.site !== filters.site) return false;
  if (filters.from && !(a.day && a.day >= filters.from)) return false;
  if (filters.to && !(a.day && a.day <= filters.to)) return false;
  if (filters.url.trim() && !fold(a.url).includes(fold(filters.url.trim()))) return false;
  return true;
}

// What the filters let through (docs/REPORT.md, "Filters"):
// site and dates select articles; actor selects its claims and stances and the articles
// that mention it; topic and position select stances, and the articles (and so claims)
// that hold such a stance; search keeps items whose words match, and articles whose
// title, summary or items match.
function applyFilters() {
  const q = fold(filters.q.trim());
  const byStance = filters.topic !== null || filters.position !== "";
  const actor = filters.actor;
  const out = { articles: [], claims: [], stances: [], q };
  for (const a of ARTICLES) {
    if (!articlePasses(a)) continue;
    const st = a.stances.filter((s) =>
      (actor === null || s.actor === actor) &&
      (filters.topic === null || s.topic === filters.topic) &&
      (!filters.position || s.position === filters.position));
    if (byStance && !st.length) continue;
    const cl = actor === null ? a.claims : a.claims.filter((c) => c.actor === actor);
    if (actor !== null && !st.length && !cl.length && !a.mentions.some((m) => m.actor === actor)) continue;
    const stq = q ? st.filter((s) => hay(s).includes(q)) : st;
    const clq = q ? cl.filter((c) => hay(c).includes(q)) : cl;
    if (q && !stq.length && !clq.length && !hay(a).includes(q)) continue;
    out.articles.push(a);
    out.stances.push(...stq);
    out.claims.push(...clq);
  }
  return out;
}

function filtersActive() {
  return Boolean(filters.q.trim() || filters.actor !== null || filters.topic !== null ||
    filters.position || filters.site || filters.from || filters.to || filters.url.trim());
}
