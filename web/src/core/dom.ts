/**
 * DOM building without markup strings: text always goes in as textContent,
 * so nothing a user or the server wrote can become markup.
 */
type Attrs = Record<string, string | number | boolean | null | undefined>;

/** `h('button', {type: 'button', class: 'btn'}, 'Send')`: an element with attributes (false/null: left out) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  element.append(...children);
  return element;
}

/** Shows or hides an element; `hidden` wins over display utilities (see styles.scss). */
export function show(element: HTMLElement, visible: boolean): void {
  element.hidden = !visible;
}

const SVG = 'http://www.w3.org/2000/svg';

/** A 16 px line icon from one SVG path (stroked with currentColor); hidden from assistive technology, the button carries the name. */
export function icon(path: string, stroke = 1.6): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  const shape = document.createElementNS(SVG, 'path');
  for (const [name, value] of Object.entries({ viewBox: '0 0 16 16', width: 16, height: 16, 'aria-hidden': 'true', fill: 'none', stroke: 'currentColor', 'stroke-width': stroke, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' })) {
    svg.setAttribute(name, String(value));
  }
  shape.setAttribute('d', path);
  svg.append(shape);
  return svg;
}

/** Icon paths on a 16 px grid: a few strokes each, to keep the app small. */
export const ICONS = {
  search: 'M7 2.5a4.5 4.5 0 1 0 0 9 4.5 4.5 0 1 0 0-9M10.5 10.5 14 14',
  /** Three dots: draw with a stroke of 3. */
  menu: 'M3 8h.01M8 8h.01M13 8h.01',
  list: 'M2 4h12M2 8h12M2 12h12',
  sliders: 'M2 4h7m4 0h1M2 12h1m4 0h7M11 2v4M5 10v4',
  close: 'M3.5 3.5l9 9m0-9-9 9',
  send: 'M2 8h11M9 4l4 4-4 4',
};
