/**
 * Puts every finding on the element it concerns: each page element (the VPC, a
 * subnet, the pod pool, a node group...) lists the findings whose subjects name
 * it, with code, message and fix; what names no element is listed at the end,
 * so no finding is ever dropped.
 */
import type { Problem } from "../../policy/rules/findings";
import { elementForSubject } from "./model";
import { element, escape } from "./svg";

export class FindingPlacement {
  private readonly byElement = new Map<string, Problem[]>();
  private readonly unplaced: Problem[] = [];

  constructor(findings: readonly Problem[]) {
    for (const finding of findings) {
      const elements = [
        ...new Set(
          finding.subjects.map(elementForSubject).filter((id): id is string => id !== undefined),
        ),
      ];
      if (elements.length === 0) this.unplaced.push(finding);
      for (const id of elements)
        this.byElement.set(id, [...(this.byElement.get(id) ?? []), finding]);
    }
  }

  /** The findings on one element. */
  on(id: string): readonly Problem[] {
    return this.byElement.get(id) ?? [];
  }

  /** Whether an element has a finding of error severity. */
  hasError(id: string): boolean {
    return this.on(id).some((finding) => finding.severity === "error");
  }

  /** The findings on one element, as a list (empty string when none). */
  list(id: string): string {
    return findingList(this.on(id), id);
  }

  /** Findings that name no element on the page. */
  rest(): string {
    return findingList(this.unplaced, "other");
  }
}

export function findingList(findings: readonly Problem[], elementId: string): string {
  if (findings.length === 0) return "";
  return element(
    "ul",
    { class: "findings", "data-element": elementId },
    findings
      .map((finding) =>
        element(
          "li",
          { class: finding.severity, "data-code": finding.code },
          `${element("span", { class: "severity" }, escape(finding.severity.toUpperCase()))} ${element("code", {}, escape(finding.code))} ${escape(finding.message)}` +
            (finding.fix ? element("div", { class: "fix" }, `Fix: ${escape(finding.fix)}`) : "") +
            element("div", { class: "where" }, `Where: ${escape(finding.subjects.join(", "))}`),
        ),
      )
      .join(""),
  );
}
