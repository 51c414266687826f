// Regenerates test/data/calico/installation-v1-spec.<tag>.json from Calico's own
// Installation CRD, so the tests check the chart values against what the API server
// will enforce. Usage (a projectcalico/calico checkout, any tag):
//   node scripts/calico-installation-schema.mjs <calico-repo> <tag>
// Reads charts/crd.projectcalico.org.v1/templates/operator.tigera.io_installations.yaml
// at that tag and keeps the v1 `spec` schema without its descriptions.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import yaml from "js-yaml";

const [repo, tag] = process.argv.slice(2);
if (!repo || !tag) {
  console.error("usage: node scripts/calico-installation-schema.mjs <calico-repo> <tag>");
  process.exit(2);
}
const path = "charts/crd.projectcalico.org.v1/templates/operator.tigera.io_installations.yaml";
const git = (...args) =>
  execFileSync("git", ["-C", repo, ...args], { encoding: "utf8", maxBuffer: 64 << 20 }).trim();
const crd = yaml.load(git("show", `${tag}:${path}`));
const version = crd.spec.versions.find((candidate) => candidate.name === "v1");
const strip = (node) => {
  if (Array.isArray(node)) return node.map(strip);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => key !== "description")
      .map(([key, value]) => [key, strip(value)]),
  );
};
const out = {
  source: {
    repository: "https://github.com/projectcalico/calico",
    tag,
    commit: git("rev-parse", `${tag}^{commit}`),
    path,
    blob: git("rev-parse", `${tag}:${path}`),
    note: "spec.versions[name=v1].schema.openAPIV3Schema.properties.spec of the Installation CRD, descriptions removed; regenerate with scripts/calico-installation-schema.mjs",
  },
  crd: crd.metadata.name,
  version: "v1",
  schema: strip(version.schema.openAPIV3Schema.properties.spec),
};
writeFileSync(`test/data/calico/installation-v1-spec.${tag}.json`, JSON.stringify(out));
