/**
 * How commands show a file: relative to the working directory when it lies below
 * it, else absolute. A leaf, so reports and checks can share it without importing
 * each other.
 */
import * as path from "node:path";

export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === "" ? "." : relative.startsWith("..") ? path.resolve(file) : relative;
}
