/**
 * The policy pack `pulumi preview --policy-pack policy` starts. The CLI runs the
 * compiled bin/index.js (package.json `main`), so a change here needs
 * `npm run build:policy`. Constructing the pack starts its gRPC server.
 */
import { PolicyPack } from "@pulumi/policy";
import { packName, policies } from "./policies";

new PolicyPack(packName, {
  description:
    "Rejects Kubernetes-on-AWS programs whose cluster network cannot work: overlapping ranges, Calico blocks or pools too small for the nodes, unencapsulated cross-subnet pod traffic, keys or join tokens in EC2 user data, instances with two security groups tagged for one cluster, and (advisory) node security groups closed to Calico.",
  enforcementLevel: "mandatory",
  policies,
});
