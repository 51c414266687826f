/**
 * The declared resources as a graph, and how one resource's reference property
 * (a VPC id, subnet ids, a launch template) is resolved to the resources it names.
 *
 * After an update the ids are known and match the `id` output of the resource they
 * name. In a preview they are unknown, but the engine still sends, per property,
 * the URNs the value was computed from (`propertyDependencies`); those relate the
 * resources instead. A known id that names nothing in the stack (an existing VPC,
 * a subnet made elsewhere) stands for itself, so two subnets in the same external
 * VPC still count as one VPC.
 */
import { type Value, asString, isRecord, toValue, unknown } from "./values";

export interface ResourceRef {
  readonly urn: string;
}

/**
 * What extraction needs of a resource. @pulumi/policy's `PolicyResource` fits it,
 * and so do plain objects built in tests or from recorded mock registrations.
 */
export interface StackResource {
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  /** Inputs (preview) or outputs (update); may hold unknowns and secrets. */
  readonly props: object;
  readonly parent?: ResourceRef;
  readonly dependencies?: readonly ResourceRef[];
  readonly propertyDependencies?: Readonly<Record<string, readonly ResourceRef[]>>;
}

export interface Declared {
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  readonly props: { readonly [key: string]: Value };
  readonly parent: string | undefined;
  readonly dependencies: readonly string[];
  /** `undefined` when the engine sent no property dependencies at all (older CLIs). */
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>> | undefined;
}

/**
 * The literal values a declared resource answers to when another resource names
 * it (default: its `id` output). Lookups index these once per type set, so
 * resolving every reference in a stack stays linear in its size.
 */
export type RefKeys = (candidate: Declared) => readonly Value[];

const byId: RefKeys = (candidate) => [candidate.props.id];

/** What a reference resolved to: the resources (URNs, or literal ids outside the stack). */
export interface ResolvedRefs {
  readonly urns: string[];
  /**
   * Components the value came from, when the candidates were taken from their
   * children because the exact ones cannot be known yet (a preview of a value a
   * component computed); empty when the set is exact.
   */
  readonly inferredFrom: readonly string[];
}

/** One resource as the pack reads it: plain values, URNs for every reference. */
export function declare(resource: StackResource): Declared {
  const props = toValue(resource.props);
  const propertyDependencies: Record<string, string[]> = {};
  for (const [key, refs] of Object.entries(resource.propertyDependencies ?? {})) {
    propertyDependencies[key] = refs.map((ref) => ref.urn);
  }
  return {
    type: resource.type,
    urn: resource.urn,
    name: resource.name,
    props: isRecord(props) ? props : {},
    parent: resource.parent?.urn,
    dependencies: (resource.dependencies ?? []).map((ref) => ref.urn),
    propertyDependencies:
      Object.keys(propertyDependencies).length > 0 ? propertyDependencies : undefined,
  };
}

export class ResourceGraph {
  readonly resources: readonly Declared[];
  private readonly byUrn: ReadonlyMap<string, Declared>;
  private readonly byType = new Map<string, Declared[]>();
  private readonly children = new Map<string, Declared[]>();
  private readonly keyIndexes = new Map<string, Map<Value, Declared>>();
  private readonly keyFunctions = new Map<RefKeys, number>();

  /** @param resources the stack's resources, or ones already declared (see `declare`) */
  constructor(resources: readonly StackResource[] | { readonly declared: readonly Declared[] }) {
    this.resources = "declared" in resources ? resources.declared : resources.map(declare);
    const byUrn = new Map<string, Declared>();
    for (const resource of this.resources) {
      byUrn.set(resource.urn, resource);
      let list = this.byType.get(resource.type);
      if (list === undefined) this.byType.set(resource.type, (list = []));
      list.push(resource);
      if (resource.parent !== undefined) {
        let siblings = this.children.get(resource.parent);
        if (siblings === undefined) this.children.set(resource.parent, (siblings = []));
        siblings.push(resource);
      }
    }
    this.byUrn = byUrn;
  }

  /** Resources of any of `types`, in declaration order. */
  ofType(...types: readonly string[]): Declared[] {
    if (types.length === 1) return [...(this.byType.get(types[0]) ?? [])];
    const wanted = new Set(types);
    return this.resources.filter((resource) => wanted.has(resource.type));
  }

  get(urn: string): Declared | undefined {
    return this.byUrn.get(urn);
  }

  /** URNs of the resource's declared ancestors, nearest first. */
  ancestors(resource: Declared): string[] {
    const found: string[] = [];
    const seen = new Set<string>();
    for (let urn = resource.parent; urn !== undefined && !seen.has(urn);) {
      seen.add(urn);
      found.push(urn);
      urn = this.byUrn.get(urn)?.parent;
    }
    return found;
  }

  /** Resources of `types` anywhere under `urn` in the parent tree, in declaration order. */
  descendants(urn: string, types: readonly string[]): Declared[] {
    const found: Declared[] = [];
    const seen = new Set<string>([urn]);
    const queue = [urn];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      for (const child of this.children.get(next) ?? []) {
        if (seen.has(child.urn)) continue;
        seen.add(child.urn);
        if (types.includes(child.type)) found.push(child);
        queue.push(child.urn);
      }
    }
    return found.sort((a, b) => this.position(a) - this.position(b));
  }

  private positions: Map<Declared, number> | undefined;

  private position(resource: Declared): number {
    this.positions ??= new Map(this.resources.map((r, index) => [r, index]));
    return this.positions.get(resource) ?? 0;
  }

  /** The first resource of `types` that answers to `literal`, from an index built once. */
  private named(types: readonly string[], literal: string, keys: RefKeys): Declared | undefined {
    let keyId = this.keyFunctions.get(keys);
    if (keyId === undefined) this.keyFunctions.set(keys, (keyId = this.keyFunctions.size));
    const indexKey = `${keyId}\u0000${types.join("\u0000")}`;
    let index = this.keyIndexes.get(indexKey);
    if (index === undefined) {
      index = new Map();
      for (const candidate of this.ofType(...types)) {
        for (const key of keys(candidate)) {
          if (typeof key === "string" && !index.has(key)) index.set(key, candidate);
        }
      }
      this.keyIndexes.set(indexKey, index);
    }
    return index.get(literal);
  }

  /**
   * URNs of resources of `types` that `property` of `from` was computed from. With
   * no property dependencies at all (an older engine), falls back to the resource's
   * dependencies when exactly one of them has a wanted type.
   */
  dependencyUrns(from: Declared, property: string, types: readonly string[]): string[] {
    const wanted = (urn: string) => {
      const target = this.byUrn.get(urn);
      return target !== undefined && types.includes(target.type);
    };
    if (from.propertyDependencies !== undefined) {
      return [...new Set((from.propertyDependencies[property] ?? []).filter(wanted))];
    }
    const candidates = [...new Set(from.dependencies.filter(wanted))];
    return candidates.length === 1 ? candidates : [];
  }

  /**
   * When `property` depends on no resource of `types` directly but on component
   * resources (an awsx VPC's `privateSubnetIds`), the components' descendants of
   * `types`: the value is some of them, which ones only the update shows.
   */
  componentCandidates(
    from: Declared,
    property: string,
    types: readonly string[],
  ): { readonly components: string[]; readonly candidates: string[] } {
    const sources =
      from.propertyDependencies !== undefined
        ? (from.propertyDependencies[property] ?? [])
        : from.dependencies;
    const components: string[] = [];
    const candidates = new Set<string>();
    for (const urn of new Set(sources)) {
      const source = this.byUrn.get(urn);
      if (source === undefined || types.includes(source.type)) continue;
      const below = this.descendants(urn, types);
      if (below.length === 0) continue;
      components.push(urn);
      for (const resource of below) candidates.add(resource.urn);
    }
    return { components, candidates: [...candidates] };
  }

  /**
   * The set of resources a list-valued reference names, as URNs (or the literal id
   * for something outside the stack); `undefined` when unknown values leave it open.
   */
  refs(
    from: Declared,
    property: string,
    elements: readonly Value[] | typeof unknown,
    types: readonly string[],
    keys: RefKeys = byId,
  ): string[] | undefined {
    const resolved = this.resolveRefs(from, property, elements, types, keys);
    return resolved === undefined || resolved.inferredFrom.length > 0 ? undefined : resolved.urns;
  }

  /**
   * Like `refs`, but when unknown values leave the set open and the property was
   * computed by component resources, their children of `types` stand in for it,
   * marked as inferred.
   */
  resolveRefs(
    from: Declared,
    property: string,
    elements: readonly Value[] | typeof unknown,
    types: readonly string[],
    keys: RefKeys = byId,
  ): ResolvedRefs | undefined {
    const resolved = new Set<string>();
    const literals: string[] = [];
    let unknowns = elements === unknown ? 1 : 0;
    for (const element of elements === unknown ? [] : elements) {
      const literal = asString(element);
      if (literal === unknown) unknowns++;
      else if (literal !== undefined) {
        const target = this.named(types, literal, keys);
        if (target) resolved.add(target.urn);
        else literals.push(literal);
      }
    }
    if (unknowns === 0 && literals.length === 0) return { urns: [...resolved], inferredFrom: [] };
    const dependencies = this.dependencyUrns(from, property, types);
    if (dependencies.length > 0) {
      for (const urn of dependencies) resolved.add(urn);
      // Literal ids that name nothing declared are external resources only when
      // the dependencies cannot account for every element (they may be declared
      // resources whose ids this request does not show).
      const count = elements === unknown ? resolved.size : elements.length;
      for (const literal of literals.slice(0, Math.max(0, count - resolved.size))) {
        resolved.add(literal);
      }
      return { urns: [...resolved], inferredFrom: [] };
    }
    if (unknowns === 0) return { urns: [...resolved, ...literals], inferredFrom: [] };
    const { components, candidates } = this.componentCandidates(from, property, types);
    if (components.length === 0) return undefined;
    return {
      urns: [...new Set([...resolved, ...literals, ...candidates])],
      inferredFrom: components,
    };
  }

  /**
   * A single reference: the one resource it names, or `undefined` when that is not
   * known. A value computed by a component that holds exactly one resource of
   * `types` (an awsx VPC's `vpcId`) names that one.
   */
  ref(
    from: Declared,
    property: string,
    value: Value | undefined,
    types: readonly string[],
    keys: RefKeys = byId,
  ): string | undefined {
    if (value === undefined) return undefined;
    const found = this.resolveRefs(
      from,
      property,
      value === unknown ? unknown : [value],
      types,
      keys,
    );
    return found !== undefined && found.urns.length === 1 ? found.urns[0] : undefined;
  }

  /**
   * Resolves each element of a reference list on its own, for rules that must
   * keep elements apart; an unknown element resolves only when the property
   * depends on exactly one resource of the wanted types.
   */
  refEach(
    from: Declared,
    property: string,
    elements: readonly Value[],
    types: readonly string[],
  ): (string | undefined)[] {
    return elements.map((element) => {
      const literal = asString(element);
      if (literal === undefined) return undefined;
      if (literal !== unknown) return this.named(types, literal, byId)?.urn ?? literal;
      const dependencies = this.dependencyUrns(from, property, types);
      return dependencies.length === 1 ? dependencies[0] : undefined;
    });
  }
}
