/**
 * Every AZ name shape AWS issues, pinned: which address slot it gets, the subnets
 * the plan gives it and the logical names the network declares for it. A change
 * here moves or renames subnets of deployed stacks, so it must be deliberate.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Network } from "../components/network";
import { parseClusterConfig } from "../lib/config/clusterConfig";
import { planAddresses } from "../lib/plan/addressPlan";
import { recordScenario } from "./support/awsProvider";
import { validClusterInput } from "./support/configs";

type ZoneEntry = string | { name: string; slot: number };

interface Shape {
  readonly shape: string;
  readonly region: string;
  readonly zones: readonly ZoneEntry[];
  /** The zone under test, its slot and its private and public subnets (VPC 10.50.0.0/16). */
  readonly zone: string;
  readonly slot: number;
  readonly privateCidr: string;
  readonly publicCidr: string;
}

const shapes: readonly Shape[] = [
  {
    shape: "standard",
    region: "eu-west-1",
    zones: ["eu-west-1a", "eu-west-1c"],
    zone: "eu-west-1c",
    slot: 2,
    privateCidr: "10.50.64.0/20",
    publicCidr: "10.50.80.0/22",
  },
  {
    shape: "standard, sixth letter",
    region: "us-east-1",
    zones: ["us-east-1a", "us-east-1f"],
    zone: "us-east-1f",
    slot: 5,
    privateCidr: "10.50.160.0/20",
    publicCidr: "10.50.176.0/22",
  },
  {
    shape: "GovCloud",
    region: "us-gov-west-1",
    zones: ["us-gov-west-1a", "us-gov-west-1b"],
    zone: "us-gov-west-1b",
    slot: 1,
    privateCidr: "10.50.32.0/20",
    publicCidr: "10.50.48.0/22",
  },
  {
    shape: "China",
    region: "cn-north-1",
    zones: ["cn-north-1a", "cn-north-1b"],
    zone: "cn-north-1a",
    slot: 0,
    privateCidr: "10.50.0.0/20",
    publicCidr: "10.50.16.0/22",
  },
  {
    shape: "Local Zone, explicit slot beside its parent region's zone a",
    region: "us-west-2",
    zones: ["us-west-2a", { name: "us-west-2-lax-1a", slot: 6 }],
    zone: "us-west-2-lax-1a",
    slot: 6,
    privateCidr: "10.50.192.0/20",
    publicCidr: "10.50.208.0/22",
  },
  {
    shape: "Wavelength Zone, explicit slot",
    region: "us-east-1",
    zones: ["us-east-1a", { name: "us-east-1-wl1-bos-wlz-1", slot: 7 }],
    zone: "us-east-1-wl1-bos-wlz-1",
    slot: 7,
    privateCidr: "10.50.224.0/20",
    publicCidr: "10.50.240.0/22",
  },
];

function parse(region: string, zones: readonly ZoneEntry[]) {
  return parseClusterConfig("az-shapes", region, {
    ...validClusterInput(),
    availabilityZones: zones,
  });
}

describe("availability zone name shapes", () => {
  for (const row of shapes) {
    it(`${row.shape}: ${row.zone} takes slot ${row.slot} and its subnets`, async () => {
      const result = parse(row.region, row.zones);
      assert.ok(result.ok, JSON.stringify(!result.ok && result.problems));
      const plan = planAddresses(result.config);
      const zone = plan.availabilityZones.find((candidate) => candidate.name === row.zone);
      assert.ok(zone, `${row.zone} is in the plan`);
      assert.equal(zone.slot, row.slot);
      assert.equal(zone.privateSubnet.cidr, row.privateCidr);
      assert.equal(zone.publicSubnet.cidr, row.publicCidr);

      const graph = await recordScenario(result.config, true, (provider) => {
        new Network("network", { config: result.config, plan }, { provider });
      });
      const subnets = graph
        .ofType("aws:ec2/subnet:Subnet")
        .filter((subnet) => subnet.inputs.availabilityZone === row.zone);
      assert.deepEqual(subnets.map((subnet) => [subnet.name, subnet.inputs.cidrBlock]).sort(), [
        [`${row.zone}-private`, row.privateCidr],
        [`${row.zone}-public`, row.publicCidr],
      ]);
    });
  }

  it("refuses a Wavelength Zone without a slot: its name ends in no letter", () => {
    const result = parse("us-east-1", ["us-east-1a", "us-east-1-wl1-bos-wlz-1"]);
    assert.ok(!result.ok);
    assert.deepEqual(
      result.problems.map((problem) => problem.subjects[0]),
      ["calico-cluster:availabilityZones[1]"],
    );
    assert.match(result.problems[0].message, /has no default address slot/);
  });

  it("refuses a Local Zone whose letter collides with its parent region's zone", () => {
    const result = parse("us-west-2", ["us-west-2a", "us-west-2-lax-1a"]);
    assert.ok(!result.ok);
    assert.match(result.problems[0].message, /uses address slot 0, already used by us-west-2a/);
  });

  it("refuses a zone of another region and a region given as a zone", () => {
    for (const zone of ["eu-central-1a", "eu-west-1", "eu-west-1-wlz"]) {
      const result = parse("eu-west-1", ["eu-west-1a", zone]);
      assert.ok(!result.ok, zone);
      assert.equal(result.problems[0].subjects[0], "calico-cluster:availabilityZones[1]");
    }
  });
});
