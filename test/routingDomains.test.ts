import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import { checkRoutingDomains, type RoutingDomains } from "../lib/config/routingDomains";
import { loadRoutingDomains } from "../lib/config/stackFiles";
import { configFrom, validClusterInput } from "./support/configs";
import { exampleStacks, loadExample } from "./support/stacks";

function stack(name: string, change: Record<string, unknown>): ClusterConfig {
  return {
    ...configFrom({ ...validClusterInput(), routingDomain: "corp", ...change }),
    stack: name,
  };
}

const corp: RoutingDomains = { corp: { routedPodNetworks: false } };
const routedCorp: RoutingDomains = { corp: { routedPodNetworks: true } };

describe("routing domains", () => {
  it("passes the example stacks with the declared domains", () => {
    const domains = loadRoutingDomains();
    assert.ok(domains.ok);
    const configs = exampleStacks.map((name) => loadExample(name).config);
    assert.ok(configs.every((config) => config.routingDomain === "corp"));
    assert.deepEqual(checkRoutingDomains(configs, domains.domains), []);
  });

  it("reports two stacks in one domain with overlapping VPCs, naming stacks, keys and ranges", () => {
    const findings = checkRoutingDomains(
      [
        stack("alpha", { vpcCidr: "10.50.0.0/16", podCidr: "100.70.0.0/16" }),
        stack("beta", { vpcCidr: "10.50.64.0/18", podCidr: "100.71.0.0/16" }),
      ],
      corp,
    );
    assert.equal(findings.length, 1, JSON.stringify(findings));
    assert.equal(findings[0].code, "routing-domain-overlap");
    assert.deepEqual(findings[0].subjects, [
      "alpha: calico-cluster:vpcCidr",
      "beta: calico-cluster:vpcCidr",
    ]);
    assert.match(
      findings[0].message,
      /alpha calico-cluster:vpcCidr \(10\.50\.0\.0\/16\) overlaps beta calico-cluster:vpcCidr \(10\.50\.64\.0\/18\)/,
    );
  });

  it("reports a pod range that overlaps another stack's VPC in the domain", () => {
    const findings = checkRoutingDomains(
      [
        stack("alpha", { vpcCidr: "10.50.0.0/16", podCidr: "10.60.0.0/16" }),
        stack("beta", { vpcCidr: "10.60.0.0/18", podCidr: "100.71.0.0/16" }),
      ],
      corp,
    );
    assert.deepEqual(
      findings.map((finding) => finding.subjects),
      [["alpha: calico-cluster:podCidr", "beta: calico-cluster:vpcCidr"]],
    );
  });

  it("reports a service range overlapping another stack's reserved range", () => {
    const findings = checkRoutingDomains(
      [
        stack("alpha", { vpcCidr: "10.50.0.0/16", podCidr: "100.70.0.0/16" }),
        stack("beta", {
          vpcCidr: "10.51.0.0/16",
          podCidr: "100.71.0.0/16",
          reservedRanges: [{ name: "vpn", cidr: "10.96.0.0/16" }],
        }),
      ],
      corp,
    );
    // beta's own service range also overlaps its reserved range: that is the per-stack rules' job.
    assert.deepEqual(
      findings.map((finding) => finding.subjects),
      [["alpha: calico-cluster:serviceCidr", "beta: calico-cluster:reservedRanges[0]"]],
    );
  });

  it("lets pod ranges repeat unless the domain routes pod networks", () => {
    const configs = [
      stack("alpha", { vpcCidr: "10.50.0.0/16", podCidr: "100.70.0.0/16" }),
      stack("beta", { vpcCidr: "10.51.0.0/16", podCidr: "100.70.0.0/16" }),
    ];
    assert.deepEqual(checkRoutingDomains(configs, corp), []);
    const routed = checkRoutingDomains(configs, routedCorp);
    assert.equal(routed.length, 1);
    assert.match(routed[0].message, /routes pod networks.*alpha calico-cluster:podCidr/);
  });

  it("lets stacks in different domains, or in none, overlap", () => {
    const configs = [
      stack("alpha", { vpcCidr: "10.50.0.0/16" }),
      stack("beta", { vpcCidr: "10.50.0.0/16", routingDomain: "lab" }),
      { ...stack("gamma", { vpcCidr: "10.50.0.0/16" }), routingDomain: undefined },
    ];
    assert.deepEqual(
      checkRoutingDomains(configs, { ...corp, lab: { routedPodNetworks: false } }),
      [],
    );
  });

  it("refuses a stack whose domain is not declared", () => {
    const [finding] = checkRoutingDomains([stack("alpha", { routingDomain: "crop" })], corp);
    assert.equal(finding.code, "unknown-routing-domain");
    assert.match(
      finding.message,
      /calico-cluster:routingDomain = "crop" is not declared .* \(declared: corp\)/,
    );
  });
});
