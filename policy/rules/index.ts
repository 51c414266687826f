/**
 * The network rules, one implementation shared by `npm run plan`, the program and
 * the policy pack. Pure: no Pulumi or provider imports.
 */
import { checkOverlaps, checkSubnetsInsideVpc, parseRanges } from "./addressing";
import {
  checkBlockSizes,
  checkBlocksFitNodes,
  checkCrossSubnetEncapsulation,
  checkPoolCapacity,
  checkSubnetCapacity,
} from "./capacity";
import type { NetworkFacts } from "./facts";
import type { Finding } from "./findings";

/** Runs every rule over the facts and returns all findings, errors first. */
export function checkNetwork(facts: NetworkFacts): Finding[] {
  const { ranges, findings } = parseRanges(facts);
  findings.push(
    ...checkSubnetsInsideVpc(facts, ranges),
    ...checkOverlaps(ranges),
    ...checkBlockSizes(facts, ranges),
    ...checkBlocksFitNodes(facts, ranges),
    ...checkPoolCapacity(facts, ranges),
    ...checkSubnetCapacity(facts, ranges),
    ...checkCrossSubnetEncapsulation(facts),
  );
  return findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
}
