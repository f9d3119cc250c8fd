// article.js: one article with every evidence span highlighted at its offsets.
//
// The text is parsed from its own JSON block only when the article is opened. Offsets are
// UTF-16 units (report.py converts them), so text.slice(start, end) is the quote. Spans
// may overlap: the text is cut at every start and end, and each piece is one <mark> that
// lists every item covering it (data-items), coloured by the shortest, most specific one.

const PALETTE = 7; // Okabe-Ito colours, see report.css
const LINES = 5; // underline styles, so colour is never the only cue
const TEXTS = new Map();

function articleText(a) {
  if (!a.hasText) return null;
  if (!TEXTS.has(a.id)) TEXTS.set(a.id, JSON.parse($("text-" + a.id).textContent));
  return TEXTS.get(a.id);
}

// Legend slots: actors in order of their first highlighted item; the reporter's voice apart.
function legendOf(items) {
  const slots = new Map();
  for (const item of items) if (item.actor !== null && !slots.has(item.actor)) slots.set(item.actor, slots.size);
  return slots;
}

function styleClass(item, slots) {
  if (item.actor === null) return "hl-reporter";
  const n = slots.get(item.actor);
  return `hl-c${n % PALETTE} hl-u${n % LINES}`;
}

function renderArticle(main, a, focusKey) {
  const text = articleText(a);
  const items = [...a.claims, ...a.stances].sort((x, y) => x.start - y.start || y.end - x.end);
  const placed = text === null ? [] : items.filter((x) => x.start >= 0 && x.end > x.start && x.end <= text.length);
  const slots = legendOf(placed);
  const position = ui.articleOrder.indexOf(a.id);
  append(main, el("article", { class: "doc" },
    articleNav(a, position),
    el("header", { class: "doc-head" },
      el("h2", { id: "doc-title" }, articleTitle(a)),
      el("p", { class: "meta" }, [a.site, a.day || a.date, a.author ? "by " + a.author : null, a.path].filter(Boolean).join(" \u00b7 ")),
      a.url ? el("p", { class: "meta url" }, a.url) : null,
      el("p", { class: "summary" }, a.summary)),
    el("div", { class: "doc-body" },
      text === null ? missingText(a, items) : highlightedText(text, placed, slots),
      sidePanel(a, placed, slots, text !== null))));
  if (focusKey) focusItem(focusKey);
}

function articleNav(a, position) {
  const order = ui.articleOrder;
  const step = (d) => order[position + d];
  return el("nav", { class: "doc-nav", "aria-label": "Article navigation" },
    ARTICLES.length > 1 ? linkButton("\u2190 All articles", closeArticle, { class: "link back" }) : null,
    el("span", { class: "spacer" }),
    position > 0 ? linkButton("[ Previous", () => openArticle(step(-1)), { class: "link" }) : null,
    position >= 0 && order.length > 1 ? el("span", { class: "muted" }, ` ${num(position + 1)} of ${num(order.length)} `) : null,
    position >= 0 && position < order.length - 1 ? linkButton("Next ]", () => openArticle(step(1)), { class: "link" }) : null);
}

function missingText(a, items) {
  return el("div", { class: "doc-text unavailable" },
    el("p", { class: "notice", role: "note" },
      el("strong", {}, "The article text is not available"),
      `: ${a.note || "it could not be recovered"}. Nothing is highlighted; the evidence quotes are listed instead. ` +
      "Pass the folder that holds the articles with --articles to show the text."),
    el("ol", { class: "quotes" }, items.map((x) => el("li", { dataset: { items: x.key } },
      el("strong", {}, actorName(x.actor)), el("span", { class: "muted" }, x.type === "claim" ? " \u00b7 claim" : ` \u00b7 ${x.position} on ${x.wording}`),
      el("blockquote", {}, x.quote)))));
}

function highlightedText(text, items, slots) {
  const cuts = new Set([0, text.length]);
  for (const x of items) { cuts.add(x.start); cuts.add(x.end); }
  const points = [...cuts].sort((p, q) => p - q);
  const box = el("div", { class: "doc-text", lang: "en" });
  for (let i = 0; i + 1 < points.length; i++) {
    const [from, to] = [points[i], points[i + 1]];
    const covering = items.filter((x) => x.start <= from && x.end >= to);
    const piece = text.slice(from, to);
    if (!covering.length) { box.append(piece); continue; }
    const primary = covering.reduce((p, q) => (q.end - q.start < p.end - p.start ? q : p));
    box.append(el("mark", {
      class: `hl ${styleClass(primary, slots)}${covering.length > 1 ? " hl-multi" : ""}`,
      tabindex: 0,
      dataset: { items: covering.map((x) => x.key).join(" ") },
    }, piece));
  }
  box.addEventListener("mouseover", (e) => { const m = e.target.closest("mark"); if (m) showTip(m); });
  box.addEventListener("mouseout", (e) => { if (e.target.closest("mark")) hideTip(); });
  box.addEventListener("focusin", (e) => { const m = e.target.closest("mark"); if (m) showTip(m); });
  box.addEventListener("focusout", hideTip);
  return box;
}

function itemByKey(a, key) {
  return (key[0] === "c" ? a.claims : a.stances)[Number(key.slice(1))];
}

function describe(item) {
  const who = actorName(item.actor);
  if (item.type === "claim") {
    return el("div", { class: "tip-item" },
      el("p", { class: "tip-head" }, el("strong", {}, who), el("span", { class: "muted" }, " \u00b7 claim")),
      el("p", {}, item.text), el("p", { class: "claim-meta" }, claimBadges(item)));
  }
  return el("div", { class: "tip-item" },
    el("p", { class: "tip-head" }, el("strong", {}, who), el("span", { class: "muted" }, " \u00b7 stance")),
    el("p", {}, badge(item.position, "pos-badge pos-" + item.position), " on ", el("em", {}, item.wording),
      item.target ? el("span", { class: "muted" }, " \u2014 towards " + item.target) : null));
}

function showTip(mark) {
  const a = ARTICLES[ui.article];
  const tip = $("tooltip");
  append(clear(tip), mark.dataset.items.split(" ").map((k) => describe(itemByKey(a, k))));
  tip.hidden = false;
  const box = mark.getBoundingClientRect();
  const width = tip.offsetWidth;
  const left = Math.max(8, Math.min(box.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - width - 8));
  const below = box.bottom + tip.offsetHeight + 8 < window.innerHeight;
  tip.style.left = left + "px";
  tip.style.top = (below ? box.bottom + 6 : box.top - tip.offsetHeight - 6) + window.scrollY + "px";
  mark.setAttribute("aria-describedby", "tooltip");
}

function hideTip() {
  $("tooltip").hidden = true;
}

function sidePanel(a, placed, slots, hasText) {
  const onText = new Set(placed.map((x) => x.key));
  const entry = (x, body) => el("li", { class: "side-item " + (onText.has(x.key) ? styleClass(x, slots) : ""), dataset: { key: x.key } },
    hasText && onText.has(x.key)
      ? linkButton(body, () => focusItem(x.key), { class: "link side-link", title: "Show in the text" })
      : el("span", {}, body));
  const legend = [...slots.entries()].map(([actor, n]) => el("li", {},
    el("span", { class: `swatch hl hl-c${n % PALETTE} hl-u${n % LINES}` }, "Aa"), " ", actorButton(actor)));
  if (placed.some((x) => x.actor === null)) legend.push(el("li", {}, el("span", { class: "swatch hl hl-reporter" }, "Aa"), " ", actorName(null)));
  return el("aside", { class: "doc-side", "aria-label": "Evidence in this article" },
    legend.length ? [el("h3", {}, "Legend"), el("ul", { class: "legend actors-legend" }, legend)] : null,
    el("h3", {}, `Claims (${num(a.claims.length)})`),
    a.claims.length ? el("ol", { class: "side-list" }, a.claims.map((c) => entry(c, [el("strong", {}, actorName(c.actor)), ": ", c.text, " ", claimBadges(c)]))) : el("p", { class: "muted" }, "None."),
    el("h3", {}, `Stances (${num(a.stances.length)})`),
    a.stances.length ? el("ol", { class: "side-list" }, a.stances.map((s) => entry(s, [el("strong", {}, actorName(s.actor)), " ", badge(s.position, "pos-badge pos-" + s.position), " ", s.wording]))) : el("p", { class: "muted" }, "None."),
    el("section", { class: "dropped", "aria-label": "Dropped items" },
      el("h3", {}, `Dropped (${num(a.dropped.length)})`),
      el("p", { class: "muted small" }, "Proposed by the model but not kept: not found in the text, or not attributable."),
      a.dropped.length ? el("ol", { class: "side-list" }, a.dropped.map(droppedItem)) : el("p", { class: "muted" }, "None.")));
}

function droppedItem(d) {
  return el("li", { class: "dropped-item" },
    el("p", {}, badge(d.kind), " ", d.who ? el("strong", {}, d.who) : el("span", { class: "muted" }, "no speaker"), d.what ? ": " + d.what : ""),
    d.quote ? el("blockquote", {}, d.quote) : null,
    el("p", { class: "muted small" }, "Why: " + d.reason));
}

function focusItem(key) {
  const mark = [...document.querySelectorAll("mark.hl")].find((m) => m.dataset.items.split(" ").includes(key));
  if (!mark) return;
  mark.scrollIntoView({ block: "center" });
  mark.focus({ preventScroll: true });
  for (const m of document.querySelectorAll("mark.flash")) m.classList.remove("flash");
  for (const m of document.querySelectorAll("mark.hl")) if (m.dataset.items.split(" ").includes(key)) m.classList.add("flash");
}

// j / k: the next and previous highlight.
function stepHighlight(direction) {
  const marks = [...document.querySelectorAll("mark.hl")];
  if (!marks.length) return;
  const at = marks.indexOf(document.activeElement);
  const next = at < 0 ? (direction > 0 ? 0 : marks.length - 1) : Math.min(marks.length - 1, Math.max(0, at + direction));
  marks[next].scrollIntoView({ block: "nearest" });
  marks[next].focus({ preventScroll: true });
}
