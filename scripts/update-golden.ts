/**
 * `npm run golden:update [-- <stack> ...]`: rewrites the golden stacks
 * (test/golden/) from the program as it is now, so every change to what
 * `pulumi up` would declare shows up as a data diff to review.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { listStacks } from "../lib/config/stackFiles";
import { goldenDirectory, recordGolden } from "../test/support/golden";

async function main(): Promise<void> {
  const requested = process.argv.slice(2);
  const stacks = requested.length > 0 ? requested : listStacks();
  for (const stack of stacks) {
    const { files } = await recordGolden(stack);
    fs.rmSync(path.join(goldenDirectory, stack), { recursive: true, force: true });
    for (const [relative, content] of files) {
      const file = path.join(goldenDirectory, relative);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    console.log(`${stack}: ${files.size} golden files`);
  }
}

main().catch((error: unknown) => {
  console.error(`golden:update: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
