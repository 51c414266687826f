/**
 * The HTML shell of every map page: one self-contained document with its CSS
 * inline and a Content-Security-Policy that forbids every fetch and script, so a
 * page opened from a pull-request artifact can never reach the network.
 */
import { escape } from "./svg";

const style = `
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 24px; color: #1f2328; background: #ffffff; max-width: 1240px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 6px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 4px; }
code { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: 0.92em; }
a { color: #0b5cad; }
nav { font-size: 13px; margin-bottom: 10px; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: bold; }
.status.ok { background: #dafbe1; color: #116329; }
.status.refused { background: #ffebe9; color: #a40e26; }
.bad { color: #a40e26; font-weight: bold; }
.strip { overflow-x: auto; margin: 6px 0; }
svg text { font-family: "DejaVu Sans", system-ui, sans-serif; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 10px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.free-list { font-size: 13px; color: #33582f; }
.legend { font-size: 13px; }
.swatch { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 10px; vertical-align: -1px; border-radius: 2px; }
.free-swatch { background: repeating-linear-gradient(45deg, #eaf5ea, #eaf5ea 2px, #9fd09e 2px, #9fd09e 4px); }
ul.findings { margin: 6px 0; padding-left: 0; list-style: none; font-size: 13px; }
ul.findings li { border-left: 4px solid #bf8700; background: #fff8c5; padding: 4px 8px; margin: 4px 0; }
ul.findings li.error { border-left-color: #d62728; background: #ffebe9; }
ul.findings .severity { font-weight: bold; }
ul.findings .fix, ul.findings .where { color: #57606a; }
td ul.findings { margin: 0; }
section.element.has-error > h2 { color: #a40e26; }
.pool { display: flex; gap: 18px; align-items: flex-start; flex-wrap: wrap; }
details summary { cursor: pointer; font-size: 13px; color: #57606a; }
`;

/** No network, no script: the page is a picture with text. */
const contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export function page(title: string, body: string): string {
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escape(title)}</title>`,
    `<style>${style}</style>`,
    "</head>",
    `<body>${body}</body>`,
    "</html>",
    "",
  ].join("\n");
}
