/**
 * Building elements for the page. Text goes in as text nodes, never as
 * markup: nothing here parses HTML, so packet bytes, payloads and capture
 * comments can only ever show as the characters they are.
 *
 * @module
 */

/** Attributes of {@linkcode h}: strings, numbers, or booleans for presence. */
export type Attributes = Record<string, string | number | boolean | undefined>;

/** A child of {@linkcode h}: an element, text, or nothing. */
export type Child = Node | string | number | null | undefined | false;

/**
 * Make an element with attributes and children. Attribute names starting
 * with `on` are refused: handlers are added with `addEventListener`.
 *
 * @param tag The tag name.
 * @param attributes Its attributes (`class`, `data-*`, `aria-*`, …).
 * @param children Elements and text, appended in order.
 * @returns The element.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (/^on/i.test(name)) {
      throw new TypeError(`Cannot set attribute ${name}: use addEventListener`);
    }
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, ...children);
  return element;
}

/**
 * Append children: elements as they are, text as text nodes.
 *
 * @param parent The parent.
 * @param children The children.
 */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(
      child instanceof Node ? child : document.createTextNode(String(child)),
    );
  }
}

/**
 * Move focus among items with the arrow keys (a roving tab stop): the item
 * focused gets `tabindex="0"`, the others `-1`, so Tab enters and leaves
 * the group in one step.
 *
 * @param current The item focused now.
 * @param next The item to focus, if any.
 * @returns Whether focus moved.
 */
export function moveFocus(
  current: Element,
  next: Element | undefined,
): boolean {
  if (!(next instanceof HTMLElement) || next === current) return false;
  current.setAttribute("tabindex", "-1");
  next.setAttribute("tabindex", "0");
  next.focus();
  return true;
}
