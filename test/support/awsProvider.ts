/**
 * Test support for the AWS components: the provider as index.ts makes it, a
 * mock state with deterministic ids and the computed outputs the components
 * read, and a small graph query that relates resources by id when ids are known
 * (update) and by dependency URNs when they are not (preview).
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { projectName } from "../../lib/config/clusterConfig";
import {
  installMockEngine,
  type RecordedResource,
  unknownValue,
} from "../../lib/harness/mockEngine";
import { commonTags } from "../../lib/naming";

/** The program's AWS provider: region and default tags, nothing else. */
export function testAwsProvider(config: {
  region: string;
  clusterName: string;
  team: string;
  environment: string;
}): aws.Provider {
  return new aws.Provider("aws", {
    region: config.region,
    defaultTags: { tags: commonTags(config) },
  });
}

/** The id the mock gives a resource in update mode. */
export function mockId(type: string, name: string): string {
  return `${name}@${type}`;
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** Computed outputs that real AWS would return and the components read. */
function mockState(args: pulumi.runtime.MockResourceArgs, preview: boolean) {
  if (preview) return undefined;
  const inputs = args.inputs as Record<string, unknown>;
  const state: Record<string, unknown> = {
    ...inputs,
    arn: `arn:aws:mock:::${args.type}/${args.name}`,
  };
  if (typeof inputs.namePrefix === "string" && inputs.name === undefined) {
    state.name = `${inputs.namePrefix}20250101`;
  }
  if (args.type === "aws:ec2/eip:Eip") {
    const bytes = digest(args.name);
    state.publicIp = `198.18.${bytes[0]}.${bytes[1]}`;
    state.allocationId = `eipalloc-${args.name}`;
  }
  if (args.type === "aws:lb/loadBalancer:LoadBalancer") {
    state.dnsName = `${String(inputs.name)}.elb.mock.example`;
    state.zoneId = "ZMOCK";
  }
  return { id: mockId(args.type, args.name), state };
}

export function isUnknown(value: unknown): boolean {
  return (
    value === unknownValue ||
    (typeof value === "object" && value !== null && "__pulumiUnknown" in value)
  );
}

export class ResourceGraph {
  private readonly byId = new Map<string, RecordedResource>();
  private readonly byUrn = new Map<string, RecordedResource>();

  constructor(
    readonly resources: readonly RecordedResource[],
    readonly preview: boolean,
  ) {
    for (const resource of resources) {
      this.byUrn.set(resource.urn, resource);
      if (resource.custom) this.byId.set(mockId(resource.type, resource.name), resource);
    }
  }

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  /** The one resource of a type and name; throws when missing or ambiguous. */
  one(type: string, name: string): RecordedResource {
    const found = this.ofType(type).filter((resource) => resource.name === name);
    if (found.length !== 1)
      throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    return found[0];
  }

  /**
   * The resources an id-valued input refers to: by the id itself when it is
   * known, else by the property's dependency URNs (as a policy pack must).
   */
  refs(resource: RecordedResource, property: string): RecordedResource[] {
    const value = resource.inputs[property];
    if (typeof value === "string" && !isUnknown(value)) {
      const target = this.byId.get(value);
      return target === undefined ? [] : [target];
    }
    return this.sources(resource, property);
  }

  /** The single resource an id-valued input refers to. */
  ref(resource: RecordedResource, property: string): RecordedResource {
    const found = this.refs(resource, property);
    if (found.length !== 1) {
      throw new Error(`${resource.name}.${property} refers to ${found.length} resources`);
    }
    return found[0];
  }

  /**
   * The resources a non-id input (an ARN, an address, a JSON document) was
   * computed from, by dependency URNs, in both modes.
   */
  sources(resource: RecordedResource, property: string): RecordedResource[] {
    return (resource.propertyDependencies[property] ?? [])
      .map((urn) => this.byUrn.get(urn))
      .filter((target): target is RecordedResource => target !== undefined);
  }

  /** The provider resource a custom resource is managed by. */
  providerOf(resource: RecordedResource): RecordedResource | undefined {
    const urn = resource.provider.slice(0, resource.provider.lastIndexOf("::"));
    return this.byUrn.get(urn);
  }
}

let scenarioCount = 0;

/**
 * Runs `build` under a fresh mock engine (its own stack, so scenarios never
 * share URNs) with the program's AWS provider, and returns the recorded graph.
 */
export async function recordScenario(
  config: { region: string; clusterName: string; team: string; environment: string },
  preview: boolean,
  build: (provider: aws.Provider) => void,
): Promise<ResourceGraph> {
  scenarioCount += 1;
  const engine = installMockEngine({
    project: projectName,
    stack: `scenario${scenarioCount}`,
    preview,
    state: mockState,
  });
  build(testAwsProvider(config));
  return new ResourceGraph(await engine.settle(), preview);
}
