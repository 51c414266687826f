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

/** Whether a declared resource is the one a literal reference names; default: its `id` output. */
export type RefMatcher = (candidate: Declared, literal: string) => boolean;

const byId: RefMatcher = (candidate, literal) => candidate.props.id === literal;

function declare(resource: StackResource): Declared {
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

  constructor(resources: readonly StackResource[]) {
    this.resources = resources.map(declare);
    this.byUrn = new Map(this.resources.map((resource) => [resource.urn, resource]));
  }

  ofType(...types: readonly string[]): Declared[] {
    return this.resources.filter((resource) => types.includes(resource.type));
  }

  get(urn: string): Declared | undefined {
    return this.byUrn.get(urn);
  }

  /** URNs of the resource's declared ancestors, nearest first. */
  ancestors(resource: Declared): string[] {
    const found: string[] = [];
    for (let urn = resource.parent; urn !== undefined && !found.includes(urn);) {
      found.push(urn);
      urn = this.byUrn.get(urn)?.parent;
    }
    return found;
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
   * The set of resources a list-valued reference names, as URNs (or the literal id
   * for something outside the stack); `undefined` when unknown values leave it open.
   */
  refs(
    from: Declared,
    property: string,
    elements: readonly Value[] | typeof unknown,
    types: readonly string[],
    matches: RefMatcher = byId,
  ): string[] | undefined {
    const candidates = this.ofType(...types);
    const resolved = new Set<string>();
    const literals: string[] = [];
    let unknowns = elements === unknown ? 1 : 0;
    for (const element of elements === unknown ? [] : elements) {
      const literal = asString(element);
      if (literal === unknown) unknowns++;
      else if (literal !== undefined) {
        const target = candidates.find((candidate) => matches(candidate, literal));
        if (target) resolved.add(target.urn);
        else literals.push(literal);
      }
    }
    if (unknowns === 0 && literals.length === 0) return [...resolved];
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
      return [...resolved];
    }
    if (unknowns > 0) return undefined;
    return [...resolved, ...literals];
  }

  /** A single reference: the one resource it names, or `undefined` when that is not known. */
  ref(
    from: Declared,
    property: string,
    value: Value | undefined,
    types: readonly string[],
    matches: RefMatcher = byId,
  ): string | undefined {
    if (value === undefined) return undefined;
    const found = this.refs(from, property, value === unknown ? unknown : [value], types, matches);
    return found !== undefined && found.length === 1 ? found[0] : undefined;
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
    const candidates = this.ofType(...types);
    return elements.map((element) => {
      const literal = asString(element);
      if (literal === undefined) return undefined;
      if (literal !== unknown) {
        return candidates.find((candidate) => byId(candidate, literal))?.urn ?? literal;
      }
      const dependencies = this.dependencyUrns(from, property, types);
      return dependencies.length === 1 ? dependencies[0] : undefined;
    });
  }
}
