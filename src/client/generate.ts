// Not part of the client: the tool behind its types (package.json's lint:api, gen:client and
// check:client). `dump <file>` writes the OpenAPI document the app serves, built in-process
// from the routes, with no server and no connections. `types <file>` writes the client's
// types, generated from that document by openapi-typescript; with `--check` it writes nothing
// and fails when the committed file differs, so a change to the API that would change
// generated clients cannot pass CI unnoticed.
import { loadConfig } from "../config";
import { createApp } from "../http/app";
import { Registry } from "../metrics";

// openapi-typescript prints with TypeScript 5's compiler API (a peer dependency); this
// project's `typescript` is 7, the native compiler, which has no such API. The generator is
// therefore given `typescript5` (npm:typescript@5) wherever it imports `typescript`.
const typescript5 = Bun.resolveSync("typescript5", import.meta.dir);
Bun.plugin({
  name: "typescript 5 for openapi-typescript",
  setup(build) {
    build.onLoad({ filter: /\/node_modules\/typescript\/lib\/version\.cjs$/ }, () => ({
      contents: `import ts from ${JSON.stringify(typescript5)}; export default ts;`,
      loader: "js",
    }));
  },
});

/** The document GET /openapi.json answers, from the app as configured by default. */
export async function openapiDocument(): Promise<unknown> {
  // The routes touch their dependencies only when they are called: none is needed to list them.
  const app = createApp({ config: loadConfig({}), metrics: new Registry(), state: { shuttingDown: false } } as never);
  const r = await app.handle(new Request("http://localhost/openapi.json"));
  if (r.status !== 200) throw new Error(`GET /openapi.json answered ${r.status}`);
  return r.json();
}

/** The client's types, as openapi-typescript generates them from `doc`. */
export async function clientTypes(doc: unknown): Promise<string> {
  const { default: openapiTS, astToString } = await import("openapi-typescript");
  const ast = await openapiTS(doc as never, { alphabetize: true });
  return [
    "// Generated from GET /openapi.json by `bun run gen:client` (openapi-typescript); do not edit.",
    "// `bun run check:client` (CI) fails when this file is not what the document gives.",
    "",
    astToString(ast),
  ].join("\n");
}

async function main(args: string[]): Promise<number> {
  const [what, file] = args.filter((a) => !a.startsWith("--"));
  const check = args.includes("--check");
  if (!file || (what !== "dump" && what !== "types")) {
    console.error("usage: bun src/client/generate.ts dump <openapi.json> | types <file.ts> [--check]");
    return 2;
  }
  const doc = await openapiDocument();
  const text = what === "dump" ? `${JSON.stringify(doc, null, 2)}\n` : await clientTypes(doc);
  if (!check) {
    await Bun.write(file, text);
    return 0;
  }
  const committed = await Bun.file(file).text().catch(() => "");
  if (committed === text) return 0;
  console.error(`${file} is not what the OpenAPI document gives: run \`bun run gen:client\` and commit the result`);
  return 1;
}

if (import.meta.main) process.exit(await main(process.argv.slice(2)));
