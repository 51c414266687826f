/**
 * The pod pool as blocks: one cell per Calico block (or per run of blocks in a
 * large pool), coloured by the node group that can claim it when every group is
 * at `maxSize`, the rest free; blocks the groups would need beyond the pool are
 * drawn after it in red. Calico hands blocks out in no fixed order: the picture
 * shows how many, not which.
 */
import { mustParseCidr } from "../../policy/rules/cidr";
import type { AddressPlan } from "../plan/addressPlan";
import type { FindingPlacement } from "./findingList";
import { element, escape, formatNumber, rect, svg, table, text } from "./svg";

const columns = 64;
const cell = 16;
const maxCells = 1024;
const groupColours = [
  "#3a6ea5",
  "#3d8b37",
  "#d08a2c",
  "#8a5a9e",
  "#2a9d8f",
  "#b5651d",
  "#6c757d",
  "#c44e89",
];

interface Claim {
  readonly name: string;
  readonly blocks: number;
  readonly colour: string;
}

function claims(plan: AddressPlan): Claim[] {
  const masters = plan.nodeGroups.filter((group) => group.role === "master");
  const workers = plan.nodeGroups.filter((group) => group.role === "worker");
  return [
    {
      name: "masters",
      blocks: masters.reduce((sum, group) => sum + group.maxSize, 0),
      colour: "#44546a",
    },
    ...workers.map((group, index) => ({
      name: group.name,
      blocks: group.maxSize,
      colour: groupColours[index % groupColours.length],
    })),
  ];
}

export function poolSection(plan: AddressPlan, findings: FindingPlacement): string {
  const pool = plan.podPool;
  const groups = claims(plan);
  const claimed = groups.reduce((sum, group) => sum + group.blocks, 0);
  const missing = Math.max(claimed - pool.blocks, 0);
  const free = Math.max(pool.blocks - claimed, 0);
  const totalCells = pool.blocks + missing;
  const perCell = Math.max(1, Math.ceil(totalCells / maxCells));
  const cellOwners: { colour: string; label: string; missing: boolean }[] = [];
  let blockIndex = 0;
  const ownerOf = (index: number) => {
    let offset = 0;
    for (const group of groups) {
      if (index < offset + group.blocks) return group;
      offset += group.blocks;
    }
    return undefined;
  };
  while (blockIndex < totalCells) {
    const owner = ownerOf(blockIndex);
    const beyond = blockIndex >= pool.blocks;
    cellOwners.push({
      colour: beyond ? "#d62728" : owner ? owner.colour : "url(#poolfree)",
      label: beyond
        ? `needed beyond the pool (${owner?.name ?? "?"})`
        : owner
          ? owner.name
          : "free",
      missing: beyond,
    });
    blockIndex += perCell;
  }
  const rows = Math.ceil(cellOwners.length / columns);
  const cells = cellOwners
    .map((owner, index) =>
      rect(
        {
          x: (index % columns) * cell,
          y: 18 + Math.floor(index / columns) * cell,
          width: cell - 2,
          height: cell - 2,
        },
        {
          fill: owner.colour,
          class: owner.missing ? "block missing" : "block",
          stroke: owner.colour.startsWith("url") ? "#9fd09e" : "none",
        },
        `${perCell > 1 ? `blocks ${index * perCell + 1}-${(index + 1) * perCell}` : `block ${index + 1}`}: ${owner.label}`,
      ),
    )
    .join("");
  const defs = element(
    "defs",
    {},
    element(
      "pattern",
      {
        id: "poolfree",
        width: 4,
        height: 4,
        patternUnits: "userSpaceOnUse",
        patternTransform: "rotate(45)",
      },
      rect({ x: 0, y: 0, width: 4, height: 4 }, { fill: "#eaf5ea" }) +
        element("line", { x1: 0, y1: 0, x2: 0, y2: 4, stroke: "#9fd09e", "stroke-width": 1.5 }),
    ),
  );
  const caption = text(
    0,
    12,
    `${pool.cidr}: ${formatNumber(pool.blocks)} blocks of /${pool.blockSize}${perCell > 1 ? ` (one cell = ${perCell} blocks)` : ""}`,
    {
      "font-size": 12,
      "font-weight": "bold",
    },
  );
  const picture = svg(
    columns * cell,
    18 + rows * cell + 4,
    defs + caption + cells,
    `Pod pool ${pool.cidr} blocks`,
  );
  const share =
    pool.blocks > 0 ? Math.round((Math.min(claimed, pool.blocks) / pool.blocks) * 100) : 100;
  const legendRows = [
    ...groups.map((group) => [
      element("span", { class: "swatch", style: `background:${group.colour}` }, "") +
        escape(group.name),
      formatNumber(group.blocks),
    ]),
    [element("span", { class: "swatch free-swatch" }, "") + "free", formatNumber(free)],
    ...(missing > 0
      ? [
          [
            element("span", { class: "swatch", style: "background:#d62728" }, "") +
              element("span", { class: "bad" }, "missing"),
            formatNumber(missing),
          ],
        ]
      : []),
  ];
  const first = mustParseCidr(pool.cidr);
  return element(
    "section",
    { id: "pod-pool", class: findings.hasError("pod-pool") ? "element has-error" : "element" },
    element("h2", {}, `Pod pool ${element("code", {}, escape(pool.cidr))}`) +
      element(
        "p",
        {},
        `${formatNumber(Number(first.end - first.start + 1n))} addresses in ${formatNumber(pool.blocks)} blocks of /${pool.blockSize} (${formatNumber(pool.addressesPerBlock)} addresses each, block size ${pool.blockSizeSource}), ${escape(pool.encapsulation)}. ` +
          `At maxSize the groups claim ${element("strong", {}, formatNumber(claimed))} blocks (${share}% of the pool); ${formatNumber(free)} stay free` +
          (missing > 0
            ? `; ${element("strong", { class: "bad" }, `${formatNumber(missing)} more than the pool holds`)}`
            : "") +
          ".",
      ) +
      findings.list("pod-pool") +
      element(
        "div",
        { class: "pool" },
        element("div", { class: "strip" }, picture) + table(["claimed by", "blocks"], legendRows),
      ),
  );
}
