/**
 * The few SVG and HTML pieces the map pages are built from. Every piece of text
 * goes through `escape`, so a stack name or a finding message can never become
 * markup. Pure strings.
 */

export function escape(text: string | number): string {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

type Attributes = Record<string, string | number | undefined>;

function attributes(attrs: Attributes): string {
  return Object.entries(attrs)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => ` ${name}="${escape(value as string | number)}"`)
    .join("");
}

/** An element; `children` is markup (already escaped). */
export function element(name: string, attrs: Attributes, children = ""): string {
  return `<${name}${attributes(attrs)}>${children}</${name}>`;
}

const round = (value: number) => Math.round(value * 10) / 10;

/** A rectangle with a tooltip (`<title>`, shown on hover and read by screen readers). */
export function rect(
  box: { x: number; y: number; width: number; height: number },
  attrs: Attributes,
  tooltip?: string,
): string {
  return element(
    "rect",
    {
      x: round(box.x),
      y: round(box.y),
      width: round(Math.max(box.width, 1)),
      height: round(box.height),
      ...attrs,
    },
    tooltip === undefined ? "" : element("title", {}, escape(tooltip)),
  );
}

export function text(x: number, y: number, content: string, attrs: Attributes = {}): string {
  return element("text", { x: round(x), y: round(y), ...attrs }, escape(content));
}

/** Average glyph width of the pages' sans-serif at `fontSize`, for deciding whether a label fits. */
export function textWidth(content: string, fontSize: number): number {
  return content.length * fontSize * 0.6;
}

/** A label centred in a box if it fits, else nothing (the same text is in the page's tables). */
export function fittedLabel(
  box: { x: number; y: number; width: number; height: number },
  lines: readonly string[],
  fontSize: number,
  attrs: Attributes = {},
): string {
  const fitting: string[] = [];
  for (const line of lines) {
    if (textWidth(line, fontSize) + 6 > box.width) break;
    if ((fitting.length + 1) * (fontSize + 2) + 2 > box.height) break;
    fitting.push(line);
  }
  const top = box.y + box.height / 2 - ((fitting.length - 1) * (fontSize + 2)) / 2 + fontSize / 3;
  return fitting
    .map((line, index) =>
      text(box.x + box.width / 2, top + index * (fontSize + 2), line, {
        "text-anchor": "middle",
        "font-size": fontSize,
        ...attrs,
      }),
    )
    .join("");
}

export function svg(width: number, height: number, body: string, label: string): string {
  return element(
    "svg",
    {
      xmlns: "http://www.w3.org/2000/svg",
      viewBox: `0 0 ${round(width)} ${round(height)}`,
      width: round(width),
      height: round(height),
      role: "img",
      "aria-label": label,
    },
    body,
  );
}

export const formatNumber = (value: number | bigint) => value.toLocaleString("en-US");

/** A plain HTML table; cells are markup. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  attrs: Attributes = {},
): string {
  const head = element(
    "tr",
    {},
    headers.map((header) => element("th", {}, escape(header))).join(""),
  );
  const body = rows
    .map((row) => element("tr", {}, row.map((cell) => element("td", {}, cell)).join("")))
    .join("");
  return element("table", attrs, element("thead", {}, head) + element("tbody", {}, body));
}
