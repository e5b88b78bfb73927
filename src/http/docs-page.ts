// The script of the /docs page: Scalar's API reference (its standalone browser build), served
// from the binary instead of a CDN, so the page works without internet and runs the version
// bun.lock pins rather than whatever `@latest` is that day. (The package exports no path to
// this file, hence the path into node_modules; `type: "file"` embeds it in the executable.)
import { Elysia } from "elysia";
import script from "../../node_modules/@scalar/api-reference/dist/browser/standalone.js" with { type: "file" };

export const SCALAR_SCRIPT = "/docs/scalar.js";

export const scalarScript = () =>
  new Elysia().get(
    SCALAR_SCRIPT,
    () =>
      new Response(Bun.file(script), {
        headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=3600" },
      }),
    { detail: { hide: true } },
  );
