/** Small DOM helpers: an element builder and a few lookups, so pages read as a tree of elements. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | null | EventListener>;

/**
 * Creates `<tag>` with attributes (strings and numbers set as attributes, `true` as an empty attribute, false /
 * null / undefined skipped, functions for names starting with "on" added as event listeners) and children.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

/** Replaces the element's children. */
export function setChildren(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

/** The element with this id, typed; throws if the page lacks it (a bug, not bad input). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page element #${id} is missing`);
  return el as T;
}

let idCounter = 0;
/** A unique id for label/for and aria-describedby pairs. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${++idCounter}`;
}

/** A message box: role=alert so screen readers announce it. `kind` picks the colour. */
export function messageBox(text: string, kind: 'error' | 'info' = 'error'): HTMLElement {
  return h('div', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}
