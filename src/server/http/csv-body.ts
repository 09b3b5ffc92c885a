import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";

type App = Parameters<FastifyPluginAsyncZod>[0];

/** A CSV upload's body, as text (`acceptCsvBodies` reads `text/csv` up to its size limit). */
export const CsvBody = z.string({ error: "Send the file as text/csv" });

/**
 * Lets the routes of this plugin (only) read `text/csv` bodies as text, up to `maxBytes`; a
 * larger body is 413 like any other oversized request.
 */
export function acceptCsvBodies(app: App, maxBytes: number): void {
  app.addContentTypeParser(
    "text/csv",
    { parseAs: "string", bodyLimit: maxBytes },
    (_request, body, done) => done(null, body),
  );
}
