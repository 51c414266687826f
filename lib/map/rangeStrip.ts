/**
 * Draws ranges on their address spaces: one strip per space (10.0.0.0/8,
 * 100.64.0.0/10, ...), one lane per stack plus one for reserved ranges, free
 * gaps hatched on top, collisions as red bands across every lane. Widths are
 * logarithmic (see layout.ts), so a table under each strip gives the exact
 * ranges and free blocks as text.
 */
import { addressCount } from "../../policy/rules/cidr";
import { type Axis, assignTracks, compressedAxis, freeGaps, spacesFor, xOf } from "./layout";
import { type MapRange, type RangeView, roleNames } from "./model";
import { element, escape, fittedLabel, formatNumber, rect, svg, table, text } from "./svg";

const laneLabelWidth = 170;
const axisWidth = 1000;
const trackHeight = 34;
const laneGap = 6;
const freeRowHeight = 26;

export const roleColours: Record<MapRange["role"], string> = {
  vpc: "#3a6ea5",
  pod: "#3d8b37",
  service: "#8a5a9e",
  reserved: "#7a6a58",
};

interface LaneLayout {
  readonly lane: string;
  readonly y: number;
  readonly height: number;
  readonly tracks: Map<MapRange, number>;
}

function laneLayouts(ranges: readonly MapRange[], top: number): LaneLayout[] {
  const lanes = [...new Set(ranges.map((range) => range.lane))].sort((a, b) =>
    a === "reserved" ? 1 : b === "reserved" ? -1 : 0,
  );
  let y = top;
  return lanes.map((lane) => {
    const members = ranges.filter((range) => range.lane === lane);
    const tracks = assignTracks(members, (range) => range.cidr);
    const height = (Math.max(...tracks.values()) + 1) * trackHeight;
    const layout = { lane, y, height, tracks };
    y += height + laneGap;
    return layout;
  });
}

function rangeBox(axis: Axis, range: MapRange, lane: LaneLayout) {
  const x = xOf(axis, range.cidr.start);
  const track = lane.tracks.get(range) ?? 0;
  return {
    x: laneLabelWidth + x,
    y: lane.y + track * trackHeight + 2,
    width: xOf(axis, range.cidr.end + 1n) - x,
    height: trackHeight - 4,
  };
}

function drawRange(axis: Axis, range: MapRange, lane: LaneLayout): string {
  const box = rangeBox(axis, range, lane);
  const tooltip = `${range.label} ${range.cidr.text} (${formatNumber(addressCount(range.cidr))} addresses), ${range.declaredBy.join(", ")}${range.collides ? "; OVERLAPS" : ""}`;
  return element(
    "g",
    {
      class: `range ${range.role}${range.collides ? " collides" : ""}`,
      "data-cidr": range.cidr.text,
    },
    rect(
      box,
      {
        fill: range.collides ? "#d62728" : roleColours[range.role],
        stroke: range.collides ? "#7f0000" : "#ffffff",
        "stroke-width": range.collides ? 2 : 1,
        rx: 3,
      },
      tooltip,
    ) + fittedLabel(box, [range.cidr.text, range.label], 11, { fill: "#ffffff" }),
  );
}

/** The SVG strip of one address space. */
function spaceStrip(view: RangeView, space: ReturnType<typeof spacesFor>[number]): string {
  const ranges = view.ranges.filter(
    (range) => range.cidr.start >= space.cidr.start && range.cidr.end <= space.cidr.end,
  );
  const axis = compressedAxis(
    space,
    ranges.map((range) => range.cidr),
    axisWidth,
  );
  const top = 22 + freeRowHeight + laneGap;
  const lanes = laneLayouts(ranges, top);
  const bottom =
    lanes.length > 0 ? lanes[lanes.length - 1].y + lanes[lanes.length - 1].height : top;
  const parts: string[] = [];
  parts.push(
    text(0, 14, `${space.cidr.text} (${space.name})`, { "font-size": 13, "font-weight": "bold" }),
    text(laneLabelWidth - 8, 22 + freeRowHeight / 2 + 4, "free", {
      "text-anchor": "end",
      "font-size": 12,
    }),
  );
  for (const gap of freeGaps(
    space.cidr,
    ranges.map((range) => range.cidr),
  )) {
    const x = xOf(axis, gap.start);
    const box = {
      x: laneLabelWidth + x,
      y: 22,
      width: xOf(axis, gap.end + 1n) - x,
      height: freeRowHeight,
    };
    parts.push(
      element(
        "g",
        { class: "free" },
        rect(
          box,
          { fill: "url(#free)", stroke: "#7fb77e" },
          `free: ${gap.cidrs.map((cidr) => cidr.text).join(", ")}`,
        ) +
          fittedLabel(
            box,
            [
              gap.cidrs.length === 1
                ? gap.cidrs[0].text
                : `${gap.cidrs[0].text} +${gap.cidrs.length - 1}`,
            ],
            10,
            {
              fill: "#1d4d1c",
            },
          ),
      ),
    );
  }
  for (const lane of lanes) {
    parts.push(
      rect(
        { x: laneLabelWidth, y: lane.y, width: axisWidth, height: lane.height },
        { fill: "#f3f4f6" },
      ),
      text(laneLabelWidth - 8, lane.y + lane.height / 2 + 4, lane.lane, {
        "text-anchor": "end",
        "font-size": 12,
      }),
    );
    for (const range of ranges.filter((candidate) => candidate.lane === lane.lane)) {
      parts.push(drawRange(axis, range, lane));
    }
  }
  for (const collision of view.collisions) {
    if (collision.start < space.cidr.start || collision.end > space.cidr.end) continue;
    const x = xOf(axis, collision.start);
    const width = Math.max(xOf(axis, collision.end + 1n) - x, 3);
    parts.push(
      element(
        "g",
        { class: "collision" },
        rect(
          { x: laneLabelWidth + x, y: top - 4, width, height: bottom - top + 8 },
          {
            fill: "#d62728",
            "fill-opacity": 0.18,
            stroke: "#d62728",
            "stroke-width": 2,
            "stroke-dasharray": "4 2",
          },
          `${collision.finding.code}: ${collision.finding.message}`,
        ),
      ),
    );
  }
  const defs = element(
    "defs",
    {},
    element(
      "pattern",
      {
        id: "free",
        width: 6,
        height: 6,
        patternUnits: "userSpaceOnUse",
        patternTransform: "rotate(45)",
      },
      rect({ x: 0, y: 0, width: 6, height: 6 }, { fill: "#eaf5ea" }) +
        element("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#9fd09e", "stroke-width": 2 }),
    ),
  );
  return svg(
    laneLabelWidth + axisWidth + 4,
    bottom + 6,
    defs + parts.join(""),
    `Address space ${space.cidr.text}`,
  );
}

function rangeRows(ranges: readonly MapRange[]): string[][] {
  return ranges.map((range) => [
    escape(range.lane),
    escape(range.label),
    element("code", {}, escape(range.cidr.text)),
    formatNumber(addressCount(range.cidr)),
    escape(range.declaredBy.join(", ")),
    range.collides ? element("span", { class: "bad" }, "overlaps") : "ok",
  ]);
}

/** Every space's strip, with its ranges and free blocks as tables. */
export function rangeStrips(view: RangeView): string {
  const spaces = spacesFor(view.ranges.map((range) => range.cidr));
  return spaces
    .map((space) => {
      const ranges = view.ranges
        .filter((range) => range.cidr.start >= space.cidr.start && range.cidr.end <= space.cidr.end)
        .sort((a, b) =>
          a.cidr.start < b.cidr.start
            ? -1
            : a.cidr.start > b.cidr.start
              ? 1
              : a.cidr.prefix - b.cidr.prefix,
        );
      const gaps = freeGaps(
        space.cidr,
        ranges.map((range) => range.cidr),
      );
      const free = gaps.map((gap) =>
        gap.cidrs.map((cidr) => element("code", {}, escape(cidr.text))).join(" "),
      );
      return element(
        "section",
        { class: "space", "data-space": space.cidr.text },
        element("div", { class: "strip" }, spaceStrip(view, space)) +
          element(
            "details",
            { open: "" },
            element("summary", {}, `Ranges in ${escape(space.cidr.text)}`) +
              table(
                ["lane", "what", "CIDR", "addresses", "declared by", "status"],
                rangeRows(ranges),
              ) +
              element(
                "p",
                { class: "free-list" },
                `Free in ${escape(space.cidr.text)}: ${free.join("; ") || "nothing"}`,
              ),
          ),
      );
    })
    .join("");
}

export const legend = element(
  "p",
  { class: "legend" },
  (Object.keys(roleColours) as MapRange["role"][])
    .map(
      (role) =>
        element("span", { class: "swatch", style: `background:${roleColours[role]}` }, "") +
        escape(roleNames[role]),
    )
    .join(" ") +
    element("span", { class: "swatch", style: "background:#d62728" }, "") +
    "overlap " +
    element("span", { class: "swatch free-swatch" }, "") +
    "free. Widths grow with the logarithm of a range's size; the tables give exact ranges.",
);
