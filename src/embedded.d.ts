// Bun's text imports (`with { type: "text" }`) embed .sql and .lua files in the binary.
declare module "*.sql" {
  const text: string;
  export default text;
}
declare module "*.lua" {
  const text: string;
  export default text;
}
// `with { type: "file" }` embeds a file and gives its path (the /docs page's script).
declare module "*/dist/browser/standalone.js" {
  const path: string;
  export default path;
}
// The status page (src/http/ui.ts) is imported `with { type: "text" }`: its text, not the HTML
// bundle bun-types declares for `*.html`.
declare module "*/ui.html" {
  const text: string;
  export default text;
}
