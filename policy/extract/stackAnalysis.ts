/**
 * One stack's analysis, shared by the pack's stack policies.
 *
 * @pulumi/policy runs the stack policies of one AnalyzeStack one after another
 * and hands each its own freshly deserialised copy of the same resources. Built
 * per policy, the graph, the facts and the rules' findings cost the pack several
 * times what reading the stack costs. So the last stack analysed is kept, and the
 * next call compares its declared resources with it value by value: an exact
 * match reuses the graph, facts and findings; any difference (another stack,
 * one property changed by a direct caller) starts afresh. Nothing is shared on
 * anything but equal input, so no result can leak from one stack to another.
 * The comparison is one linear pass over values the graph needs copied anyway.
 */
import type { NetworkFacts } from "../rules/facts";
import { type PackSettings, factsOf } from "./index";
import { type Declared, ResourceGraph, type StackResource, declare } from "./resources";
import { sameValue } from "./values";

function sameRefs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((urn, index) => urn === b[index]);
}

function sameDeclared(a: Declared, b: Declared): boolean {
  if (a.type !== b.type || a.urn !== b.urn || a.name !== b.name || a.parent !== b.parent) {
    return false;
  }
  if (!sameRefs(a.dependencies, b.dependencies)) return false;
  const [left, right] = [a.propertyDependencies, b.propertyDependencies];
  if (left === undefined || right === undefined) {
    if (left !== right) return false;
  } else {
    const keys = Object.keys(left);
    if (keys.length !== Object.keys(right).length) return false;
    for (const key of keys) {
      if (right[key] === undefined || !sameRefs(left[key], right[key])) return false;
    }
  }
  return sameValue(a.props, b.props);
}

function sameStack(a: readonly Declared[], b: readonly Declared[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameDeclared(a[i], b[i])) return false;
  return true;
}

/** A settings value as a key: the same settings give the same key. */
export function settingsKey(settings: PackSettings): string {
  return JSON.stringify([
    settings.serviceCidr,
    settings.reservedRanges.map((range) => [range.name, range.cidr]),
    settings.defaultMaxPods,
  ]);
}

export class StackAnalysis {
  readonly graph: ResourceGraph;
  private readonly results = new WeakMap<object, Map<string, unknown>>();

  constructor(declared: readonly Declared[]) {
    this.graph = new ResourceGraph({ declared });
  }

  /** The network facts under `settings`; computed once per distinct settings. */
  facts(settings: PackSettings): NetworkFacts {
    return this.once(factsOf, settingsKey(settings), () => factsOf(this.graph, settings));
  }

  /**
   * `compute()` once per `rule` (a function, for identity) and `key` (what else the
   * result depends on): several policies report different codes of one rule's findings.
   */
  once<Result>(rule: object, key: string, compute: () => Result): Result {
    let cache = this.results.get(rule);
    if (cache === undefined) this.results.set(rule, (cache = new Map()));
    if (!cache.has(key)) cache.set(key, compute());
    return cache.get(key) as Result;
  }
}

let last: StackAnalysis | undefined;

/** The analysis of `resources`: the previous one if the resources are equal to its, else a new one. */
export function analyseStack(resources: readonly StackResource[]): StackAnalysis {
  const declared = resources.map(declare);
  if (last === undefined || !sameStack(last.graph.resources, declared)) {
    last = new StackAnalysis(declared);
  }
  return last;
}
