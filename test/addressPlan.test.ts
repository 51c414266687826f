import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { type AddressPlan, planAddresses } from "../lib/plan/addressPlan";
import { contains, findOverlaps, mustParseCidr } from "../policy/rules/cidr";
import { configFrom, planFrom, validClusterInput } from "./support/configs";

const letters = ["a", "b", "c", "d", "e", "f", "g", "h"];

/** Random valid cluster inputs: any VPC /16-/22, 1-6 AZs in any order, 1-4 worker groups. */
const arbitraryInput = fc
  .record({
    vpcBase: fc.integer({ min: 0, max: 2 ** 16 - 1 }),
    vpcPrefix: fc.integer({ min: 16, max: 22 }),
    zones: fc.shuffledSubarray(letters, { minLength: 1, maxLength: 6 }),
    groups: fc.array(
      fc.record({
        maxSize: fc.integer({ min: 1, max: 8 }),
        maxPods: fc.integer({ min: 8, max: 250 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ vpcBase, vpcPrefix, zones, groups }) => {
    // 10.x.y.0 keeps the VPC clear of the pod pool and service range below.
    const address = (10 * 2 ** 24 + vpcBase * 2 ** 8) >>> 0;
    const network = address - (address % 2 ** (32 - vpcPrefix));
    const octets = [24, 16, 8, 0].map((shift) => (network >>> shift) & 255).join(".");
    return {
      ...validClusterInput(),
      vpcCidr: `${octets}/${vpcPrefix}`,
      podCidr: "100.64.0.0/12",
      serviceCidr: "172.20.0.0/16",
      podBlockSize: undefined,
      reservedRanges: [],
      availabilityZones: zones.map((letter) => `eu-west-1${letter}`),
      workerGroups: groups.map((group, index) => ({
        name: `group-${index}`,
        instanceType: "m6i.large",
        minSize: 0,
        ...group,
      })),
    };
  });

function subnetsByZone(plan: AddressPlan): Map<string, [string, string]> {
  return new Map(
    plan.availabilityZones.map((zone) => [
      zone.name,
      [zone.privateSubnet.cidr, zone.publicSubnet.cidr],
    ]),
  );
}

describe("address plan properties", () => {
  it("keeps every subnet inside the VPC and all subnets disjoint", () => {
    fc.assert(
      fc.property(arbitraryInput, (input) => {
        const plan = planFrom(input);
        const vpc = mustParseCidr(plan.vpcCidr);
        const subnets = plan.availabilityZones.flatMap((zone) => [
          mustParseCidr(zone.privateSubnet.cidr),
          mustParseCidr(zone.publicSubnet.cidr),
        ]);
        for (const subnet of subnets) assert.ok(contains(vpc, subnet), subnet.text);
        assert.deepEqual(
          findOverlaps(subnets, (subnet) => subnet),
          [],
        );
        assert.equal(subnets.length, 2 * input.availabilityZones.length);
        assert.ok(plan.findings.every((finding) => finding.severity !== "error"));
      }),
      { numRuns: 200 },
    );
  });

  it("never moves a subnet that stays when AZs are added, removed or reordered", () => {
    fc.assert(
      fc.property(
        arbitraryInput,
        fc.shuffledSubarray(letters, { minLength: 1, maxLength: 6 }),
        (input, otherZones) => {
          const before = subnetsByZone(planFrom(input));
          const after = subnetsByZone(
            planFrom({ ...input, availabilityZones: otherZones.map((l) => `eu-west-1${l}`) }),
          );
          for (const [zone, cidrs] of after) {
            if (before.has(zone)) assert.deepEqual(cidrs, before.get(zone), zone);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("never moves a subnet or the pod pool when worker groups are added or removed", () => {
    fc.assert(
      fc.property(arbitraryInput, fc.integer({ min: 0, max: 3 }), (input, dropIndex) => {
        const pinned = { ...input, podBlockSize: 24 };
        const plan = planFrom(pinned);
        const fewer = input.workerGroups.filter((_, index) => index !== dropIndex);
        const more = [
          ...input.workerGroups,
          { name: "added", instanceType: "c6i.large", minSize: 0, maxSize: 3, maxPods: 30 },
        ];
        for (const workerGroups of [fewer.length > 0 ? fewer : more, more]) {
          const edited = planFrom({ ...pinned, workerGroups });
          assert.deepEqual(subnetsByZone(edited), subnetsByZone(plan));
          assert.equal(edited.podPool.cidr, plan.podPool.cidr);
          assert.equal(edited.podPool.blockSize, plan.podPool.blockSize);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("derives the smallest block that holds the largest group's pods plus the tunnel address", () => {
    fc.assert(
      fc.property(arbitraryInput, (input) => {
        const plan = planFrom(input);
        const largest = Math.max(...plan.nodeGroups.map((group) => group.maxPods));
        assert.ok(plan.podPool.addressesPerBlock >= largest + 1);
        assert.ok(
          plan.podPool.addressesPerBlock / 2 < largest + 1,
          "one size smaller would not fit",
        );
        assert.equal(plan.podPool.blockSizeSource, "derived");
        assert.ok(plan.findings.some((finding) => finding.code === "block-size-derived"));
      }),
    );
  });
});

describe("address plan figures", () => {
  it("counts usable addresses after AWS's five and the nodes that can land in each subnet", () => {
    const input = validClusterInput();
    const plan = planFrom(input);
    const zone = plan.availabilityZones[0];
    assert.equal(zone.privateSubnet.cidr, "10.50.0.0/20");
    assert.equal(zone.privateSubnet.usableAddresses, 4096 - 5);
    assert.equal(zone.publicSubnet.cidr, "10.50.16.0/22");
    assert.equal(zone.publicSubnet.usableAddresses, 1024 - 5);
    // One master per AZ plus every group that may put all its nodes here.
    assert.equal(zone.privateSubnet.maxNodes, 1 + 20);
    assert.equal(plan.podPool.blocks, 2 ** (25 - 16));
    assert.equal(plan.podPool.maxNodes, 3 + 20);
  });

  it("gives an AZ its letter's slot and honours an explicit slot", () => {
    const plan = planFrom({
      ...validClusterInput(),
      availabilityZones: ["eu-west-1c", { name: "eu-west-1a", slot: 5 }],
    });
    assert.deepEqual(
      plan.availabilityZones.map((zone) => [zone.name, zone.slot, zone.slotCidr]),
      [
        ["eu-west-1c", 2, "10.50.64.0/19"],
        ["eu-west-1a", 5, "10.50.160.0/19"],
      ],
    );
  });
});

describe("plans that cannot work are refused", () => {
  const errors = (input: Record<string, unknown>) =>
    planAddresses(configFrom(input)).findings.filter((finding) => finding.severity === "error");

  it("refuses a pod CIDR overlapping the VPC, naming both keys", () => {
    const [finding, ...rest] = errors({ ...validClusterInput(), podCidr: "10.50.128.0/17" });
    assert.equal(rest.length, 0);
    assert.equal(finding.code, "cidr-overlap");
    assert.deepEqual(finding.subjects, ["calico-cluster:vpcCidr", "calico-cluster:podCidr"]);
    assert.match(finding.message, /10\.50\.0\.0\/16.*10\.50\.128\.0\/17/);
  });

  it("refuses a /26 block with max pods 110", () => {
    const findings = errors({ ...validClusterInput(), podBlockSize: 26 });
    assert.ok(findings.length > 0);
    for (const finding of findings) {
      assert.equal(finding.code, "block-too-small-for-pods");
      assert.ok(finding.subjects.includes("calico-cluster:podBlockSize"));
      assert.match(finding.message, /64 addresses.*needs 111/);
    }
    assert.ok(findings.some((f) => f.subjects.includes("calico-cluster:workerGroups[0]")));
  });

  it("refuses a pod pool too small for the groups' max size", () => {
    const [finding] = errors({ ...validClusterInput(), podCidr: "100.70.0.0/22" });
    assert.equal(finding.code, "pool-too-small-for-nodes");
    assert.match(finding.message, /8 \/25 blocks, but the node groups can reach 23 nodes/);
    assert.match(finding.fix, /\/20/);
  });

  it("refuses a reserved range overlapping the VPC", () => {
    const [finding] = errors({
      ...validClusterInput(),
      reservedRanges: [{ name: "peered-vpc", cidr: "10.50.0.0/24" }],
    });
    assert.equal(finding.code, "cidr-overlap");
    assert.deepEqual(finding.subjects, [
      "calico-cluster:vpcCidr",
      "calico-cluster:reservedRanges[0]",
    ]);
    assert.match(finding.message, /peered-vpc/);
  });

  it("refuses a block size outside Calico's range", () => {
    const [finding] = errors({ ...validClusterInput(), podBlockSize: 19 });
    assert.equal(finding.code, "block-size-out-of-range");
  });
});
