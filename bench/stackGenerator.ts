/**
 * Generated team stacks for benchmarks, shaped like the example
 * `payments-prod` (3 AZs, NAT per AZ, public API, two worker groups): the same
 * file with its own cluster name, team and VPC range, all in the `corp`
 * routing domain without colliding. They are written to a temporary directory,
 * never to stacks/.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse as parseYaml, stringify } from "yaml";
import { projectName } from "../lib/config/clusterConfig";
import { stackFilePath, stacksDirectory } from "../lib/config/stackFiles";
import { routingDomainsFileName } from "../lib/config/routingDomains";

/** The example every generated stack copies. */
export const templateStack = "payments-prod";

/**
 * Second octets of the generated 10.x.0.0/16 VPCs: clear of the template's
 * reserved 10.0.0.0/14 and of the 10.96.0.0/12 service range every stack has.
 */
const vpcOctets = [
  ...Array.from({ length: 96 - 20 }, (_, i) => 20 + i),
  ...Array.from({ length: 256 - 112 }, (_, i) => 112 + i),
];

/** The most stacks one directory can hold without two VPCs colliding. */
export const maxGeneratedStacks = vpcOctets.length;

/** The generated stacks' names, `team-<n>-prod`. */
export const generatedStackName = (index: number) => `team-${index}-prod`;

/**
 * Writes `count` stack files and the example routing domains to a new
 * temporary directory.
 * @returns the directory (the caller removes it)
 */
export function generateStacks(count: number): string {
  if (!Number.isInteger(count) || count < 1 || count > maxGeneratedStacks) {
    throw new Error(`can generate 1 to ${maxGeneratedStacks} stacks, not ${count}`);
  }
  const template = parseYaml(fs.readFileSync(stackFilePath(templateStack), "utf8")) as {
    config: Record<string, unknown>;
  };
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "generated-stacks-"));
  for (let index = 0; index < count; index++) {
    const name = generatedStackName(index);
    const config = {
      ...template.config,
      [`${projectName}:clusterName`]: name,
      [`${projectName}:team`]: `team-${index}`,
      [`${projectName}:vpcCidr`]: `10.${vpcOctets[index]}.0.0/16`,
    };
    fs.writeFileSync(stackFilePath(name, directory), stringify({ config }));
  }
  fs.copyFileSync(
    path.join(stacksDirectory, routingDomainsFileName),
    path.join(directory, routingDomainsFileName),
  );
  return directory;
}
