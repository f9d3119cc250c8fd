// util.js: building DOM safely. Every string from the data becomes a text node or an
// attribute value set through the DOM; nothing is ever parsed as HTML.

const $ = (id) => document.getElementById(id);

// el("tag", {class: "x", dataset: {...}, on: {click: fn}, attr: value}, child, ...)
// Children may be nodes, strings (text nodes), arrays, null or false (skipped).
function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "on") for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) throw new Error("event handlers go in `on`");
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, ...children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, ...child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clear(node) {
  node.replaceChildren();
  return node;
}

const NUMBER = new Intl.NumberFormat("en");
const num = (n) => NUMBER.format(n);
const plural = (n, one, many) => `${num(n)} ${n === 1 ? one : many || one + "s"}`;

function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// Lower-cased, accents removed: how search compares strings.
function fold(s) {
  return (s || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

function isTyping(target) {
  const tag = target && target.tagName;
  return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || (target && target.isContentEditable);
}

// A button that looks like a link: the only kind of "link" the report makes (no hrefs from data).
function linkButton(text, onClick, props) {
  return el("button", Object.assign({ type: "button", class: "link", on: { click: onClick } }, props || {}), text);
}

function badge(text, cls) {
  return el("span", { class: "badge " + (cls || "") }, text);
}
