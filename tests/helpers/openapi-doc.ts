// The shape of the OpenAPI document as the tests read it (tests/openapi.test.ts against the
// running app, tests/unit/openapi.test.ts without a service).
export interface Param {
  name: string;
  in: string;
  required?: boolean;
  schema?: Record<string, unknown>;
}
export interface Media {
  schema?: unknown;
  examples?: Record<string, { value: unknown }>;
}
export interface Operation {
  operationId?: string;
  parameters?: Param[];
  requestBody?: unknown;
  security?: Record<string, string[]>[];
  responses: Record<string, { description: string; content?: Record<string, Media> }>;
}
export interface Doc {
  openapi: string;
  info: { license?: { name: string } };
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }>; schemas: Record<string, unknown> };
}
