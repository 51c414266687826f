/**
 * The VPC cut into its AZ slots, drawn to scale: a bar of the eight slots (used
 * and free), then per AZ its slot with the private subnet, the public subnet and
 * the space kept free for future tiers. Subnets with a finding are outlined red.
 */
import { type Cidr, mustParseCidr, subBlock } from "../../policy/rules/cidr";
import { azSlotCount } from "../config/schema";
import { slotPrefixBits, type AddressPlan, type SubnetPlan } from "../plan/addressPlan";
import type { FindingPlacement } from "./findingList";
import { intervalToCidrs } from "./layout";
import { element, escape, fittedLabel, formatNumber, rect, svg, table, text } from "./svg";

const width = 1170;
const labelWidth = 110;
const rowHeight = 46;
const colours = { private: "#3a6ea5", public: "#d08a2c", slot: "#5b7fa8" };

const slotOf = (vpc: Cidr, slot: number) => subBlock(vpc, vpc.prefix + slotPrefixBits, slot);

/** The part of a slot after its public subnet: what stays free for future tiers. */
export function freeInSlot(slot: Cidr, publicSubnet: Cidr): Cidr[] {
  return publicSubnet.end < slot.end ? intervalToCidrs(publicSubnet.end + 1n, slot.end) : [];
}

function slotBar(plan: AddressPlan, vpc: Cidr): string {
  const barWidth = width - labelWidth;
  const slotWidth = barWidth / azSlotCount;
  const parts = [text(labelWidth - 8, 30, "slots", { "text-anchor": "end", "font-size": 12 })];
  for (let slot = 0; slot < azSlotCount; slot++) {
    const cidr = slotOf(vpc, slot);
    const zone = plan.availabilityZones.find((candidate) => candidate.slot === slot);
    const box = { x: labelWidth + slot * slotWidth, y: 6, width: slotWidth - 2, height: rowHeight };
    parts.push(
      element(
        "g",
        { class: zone ? "slot used" : "slot free", "data-cidr": cidr.text },
        rect(
          box,
          zone
            ? { fill: colours.slot, rx: 3 }
            : { fill: "url(#vpcfree)", stroke: "#7fb77e", rx: 3 },
          `slot ${slot}: ${cidr.text}${zone ? ` (${zone.name})` : " free"}`,
        ) +
          fittedLabel(box, [zone ? zone.name : `slot ${slot} free`, cidr.text], 11, {
            fill: zone ? "#ffffff" : "#1d4d1c",
          }),
      ),
    );
  }
  return parts.join("");
}

function subnetBox(
  subnet: SubnetPlan,
  box: { x: number; y: number; width: number; height: number },
  findings: FindingPlacement,
): string {
  const id = `subnet-${subnet.availabilityZone}-${subnet.role}`;
  const bad = findings.hasError(id);
  const lines =
    subnet.role === "private"
      ? [
          `private ${subnet.cidr}`,
          `${formatNumber(subnet.usableAddresses)} usable, up to ${formatNumber(subnet.maxNodes)} nodes`,
        ]
      : ["public", subnet.cidr, `${formatNumber(subnet.usableAddresses)} usable`];
  return element(
    "g",
    {
      class: `subnet ${subnet.role}${bad ? " collides" : ""}`,
      id: `svg-${id}`,
      "data-cidr": subnet.cidr,
    },
    rect(
      box,
      {
        fill: colours[subnet.role],
        stroke: bad ? "#d62728" : "#ffffff",
        "stroke-width": bad ? 3 : 1,
        rx: 3,
      },
      `${subnet.availabilityZone} ${lines.join(", ")}${bad ? "; has a finding" : ""}`,
    ) + fittedLabel(box, lines, 11, { fill: "#ffffff" }),
  );
}

function zoneRows(plan: AddressPlan, vpc: Cidr, findings: FindingPlacement): string {
  const barWidth = width - labelWidth;
  return plan.availabilityZones
    .map((zone, index) => {
      const slot = slotOf(vpc, zone.slot);
      const y = 6 + (rowHeight + 8) * (index + 1) + 8;
      const scale = (cidr: Cidr) => ({
        x:
          labelWidth +
          (Number(cidr.start - slot.start) / Number(slot.end - slot.start + 1n)) * barWidth,
        y,
        width:
          (Number(cidr.end - cidr.start + 1n) / Number(slot.end - slot.start + 1n)) * barWidth - 2,
        height: rowHeight,
      });
      const privateCidr = mustParseCidr(zone.privateSubnet.cidr);
      const publicCidr = mustParseCidr(zone.publicSubnet.cidr);
      const free = freeInSlot(slot, publicCidr);
      const freeBox =
        free.length > 0 ? scale({ ...free[0], end: free[free.length - 1].end }) : undefined;
      return [
        text(labelWidth - 8, y + rowHeight / 2 - 2, zone.name, {
          "text-anchor": "end",
          "font-size": 12,
        }),
        text(labelWidth - 8, y + rowHeight / 2 + 12, `slot ${zone.slot}`, {
          "text-anchor": "end",
          "font-size": 10,
          fill: "#555",
        }),
        subnetBox(zone.privateSubnet, scale(privateCidr), findings),
        subnetBox(zone.publicSubnet, scale(publicCidr), findings),
        freeBox
          ? element(
              "g",
              { class: "free" },
              rect(
                freeBox,
                { fill: "url(#vpcfree)", stroke: "#7fb77e", rx: 3 },
                `free for future tiers: ${free.map((cidr) => cidr.text).join(", ")}`,
              ) +
                fittedLabel(
                  freeBox,
                  ["free for future tiers", free.map((cidr) => cidr.text).join(" + ")],
                  11,
                  { fill: "#1d4d1c" },
                ),
            )
          : "",
      ].join("");
    })
    .join("");
}

/** The VPC section: the picture, every subnet as a table row, and the findings on each. */
export function vpcSection(
  plan: AddressPlan,
  findings: FindingPlacement,
  ipamPoolId: string | undefined,
): string {
  const vpc = mustParseCidr(plan.vpcCidr);
  const height = 6 + (rowHeight + 8) * (plan.availabilityZones.length + 1) + 16;
  const defs = element(
    "defs",
    {},
    element(
      "pattern",
      {
        id: "vpcfree",
        width: 6,
        height: 6,
        patternUnits: "userSpaceOnUse",
        patternTransform: "rotate(45)",
      },
      rect({ x: 0, y: 0, width: 6, height: 6 }, { fill: "#eaf5ea" }) +
        element("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#9fd09e", "stroke-width": 2 }),
    ),
  );
  const picture = svg(
    width,
    height,
    defs + slotBar(plan, vpc) + zoneRows(plan, vpc, findings),
    `VPC ${plan.vpcCidr} by AZ slot`,
  );
  const rows = plan.availabilityZones.flatMap((zone) =>
    [zone.privateSubnet, zone.publicSubnet].map((subnet) => {
      const id = `subnet-${zone.name}-${subnet.role}`;
      return [
        escape(zone.name),
        String(zone.slot),
        escape(subnet.role),
        element("code", {}, escape(subnet.cidr)),
        formatNumber(subnet.usableAddresses),
        subnet.role === "private" ? formatNumber(subnet.maxNodes) : "(load balancers, NAT)",
        findings.list(id) || "none",
      ];
    }),
  );
  const freeSlots = Array.from({ length: azSlotCount }, (_, slot) => slot)
    .filter((slot) => !plan.availabilityZones.some((zone) => zone.slot === slot))
    .map((slot) => `slot ${slot} ${element("code", {}, escape(slotOf(vpc, slot).text))}`);
  const freeTiers = plan.availabilityZones.map(
    (zone) =>
      `${escape(zone.name)}: ${freeInSlot(
        slotOf(vpc, zone.slot),
        mustParseCidr(zone.publicSubnet.cidr),
      )
        .map((cidr) => element("code", {}, escape(cidr.text)))
        .join(" ")}`,
  );
  return element(
    "section",
    { id: "vpc", class: findings.hasError("vpc") ? "element has-error" : "element" },
    element("h2", {}, `VPC ${element("code", {}, escape(plan.vpcCidr))}`) +
      element(
        "p",
        {},
        `${formatNumber(Number(vpc.end - vpc.start + 1n))} addresses in ${azSlotCount} AZ slots of /${vpc.prefix + slotPrefixBits}; each slot: private subnet (first half), public subnet (next eighth), the rest free for future tiers.` +
          (ipamPoolId
            ? ` Allocated from AWS VPC IPAM pool ${element("code", {}, escape(ipamPoolId))}.`
            : ""),
      ) +
      findings.list("vpc") +
      element("div", { class: "strip" }, picture) +
      table(["AZ", "slot", "tier", "CIDR", "usable", "max nodes", "findings"], rows) +
      element(
        "p",
        { class: "free-list" },
        `Free slots: ${freeSlots.join("; ") || "none"}. Free for future tiers: ${freeTiers.join("; ")}.`,
      ),
  );
}
