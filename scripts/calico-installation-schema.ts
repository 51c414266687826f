// Regenerates test/data/calico/installation-v1-spec.<tag>.json from Calico's own
// Installation CRD, so the tests check the chart values against what the API server
// will enforce. Usage (a projectcalico/calico checkout, any tag):
//   npx tsx scripts/calico-installation-schema.ts <calico-repo> <tag>
// Reads charts/crd.projectcalico.org.v1/templates/operator.tigera.io_installations.yaml
// at that tag and keeps the v1 `spec` schema without its descriptions.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { parse } from "yaml";

type Node = unknown;
interface Crd {
  metadata: { name: string };
  spec: {
    versions: { name: string; schema: { openAPIV3Schema: { properties: { spec: Node } } } }[];
  };
}

const [repo, tag] = process.argv.slice(2);
if (!repo || !tag) {
  console.error("usage: npx tsx scripts/calico-installation-schema.ts <calico-repo> <tag>");
  process.exit(2);
}
const path = "charts/crd.projectcalico.org.v1/templates/operator.tigera.io_installations.yaml";
const git = (...args: string[]): string =>
  execFileSync("git", ["-C", repo, ...args], { encoding: "utf8", maxBuffer: 64 << 20 }).trim();
const crd = parse(git("show", `${tag}:${path}`)) as Crd;
const version = crd.spec.versions.find((candidate) => candidate.name === "v1");
if (!version) throw new Error(`${path} at ${tag} has no v1 version`);
const strip = (node: Node): Node => {
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
    note: "spec.versions[name=v1].schema.openAPIV3Schema.properties.spec of the Installation CRD, descriptions removed; regenerate with scripts/calico-installation-schema.ts",
  },
  crd: crd.metadata.name,
  version: "v1",
  schema: strip(version.schema.openAPIV3Schema.properties.spec),
};
writeFileSync(`test/data/calico/installation-v1-spec.${tag}.json`, JSON.stringify(out));
