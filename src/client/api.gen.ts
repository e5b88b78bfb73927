// Generated from GET /openapi.json by `bun run gen:client` (openapi-typescript); do not edit.
// `bun run check:client` (CI) fails when this file is not what the document gives.

export interface paths {
    "/dead-letters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List dead letters (admin) */
        get: operations["listDeadLetters"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/dead-letters/redrive": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Re-drive dead letters (admin)
         * @description Every partition is checked before any letter moves: an expired named letter (409, naming each as <id>@<partition>) or a partition over its share of MAX_BACKLOG (503) refuses the whole request. The moves are then one script call per partition (on a Redis Cluster partitions are in different slots): writes arriving in between, or Redis failing, can stop it halfway, answered 503 naming the ids moved and not moved; a retry moves only what is still a dead letter.
         */
        post: operations["redriveDeadLetters"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/del": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Delete a key (a versioned tombstone) */
        post: operations["del"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/get": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a key (the key in the query) */
        get: operations["getByQuery"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/get/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read a key */
        get: operations["get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: operations["health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/incr": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add to a key's integer value, atomically */
        post: operations["incr"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/mdel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Delete several keys in one atomic step */
        post: operations["mdel"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics (text)
         * @description Open unless METRICS_AUTH=admin, which makes it an operator route.
         */
        get: operations["metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/mget": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Read several keys */
        post: operations["mget"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/mset": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Write several keys in one atomic step */
        post: operations["mset"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness */
        get: operations["ready"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/set": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Write a key */
        post: operations["set"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A key's latest acknowledged and persisted versions (the key in the query) */
        get: operations["statusByQuery"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/status/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A key's latest acknowledged and persisted versions */
        get: operations["status"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ui": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The status page (HTML) */
        get: operations["statusPage"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/ui/data": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What the status page shows (admin) */
        get: operations["statusPageData"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        Error: {
            error: {
                /** @description stable; listed in the README */
                code: string;
                /** @description for humans; may change */
                message: string;
            };
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    listDeadLetters: {
        parameters: {
            query?: {
                /** @description list those after this id (the last id of the previous page) */
                after?: string;
                /** @description most dead letters to list */
                count?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description oldest first */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        deadLetters: {
                            error: string | null;
                            /** @description <ms>-<seq>@<partition>: the dead letter's id in its partition's dead-letter stream */
                            id: string;
                            key: string | null;
                            reason: string | null;
                            sourceId: string | null;
                            value: string | null;
                            version: number | null;
                        }[];
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description VALIDATION */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description REDIS_UNAVAILABLE */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    redriveDeadLetters: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    ids: string[];
                } | {
                    /** @constant */
                    all: true;
                };
            };
        };
        responses: {
            /** @description moved (a letter that is no write stays and is not counted) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        expired?: number;
                        redriven: number;
                    };
                };
            };
            /** @description INVALID_JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description DEAD_LETTER_EXPIRED */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description VALIDATION */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description REDIS_UNAVAILABLE, BACKPRESSURE */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    del: {
        parameters: {
            query?: {
                /** @description with wait=persisted: the longest wait */
                timeout_ms?: number;
                /** @description answer once the write is committed to the database (200 with persisted: true), or at the timeout (202 with persisted: false) */
                wait?: "persisted";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * @description any Unicode text up to MAX_KEY_BYTES UTF-8 bytes, no control characters
                     * @example user:42
                     */
                    key: string;
                };
            };
        };
        responses: {
            /** @description acknowledged (in Redis) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: string;
                        /** @description with ?wait=persisted: whether the write is in the database (202 when false) */
                        persisted?: boolean;
                        /** @constant */
                        status: "deleted";
                        /**
                         * @description the write's version: microseconds of the Redis clock, rising per key
                         * @example 1795640446546126
                         */
                        version: number;
                    };
                };
            };
            /** @description acknowledged; with ?wait=persisted, not yet in the database at the timeout */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: string;
                        /** @description with ?wait=persisted: whether the write is in the database (202 when false) */
                        persisted?: boolean;
                        /** @constant */
                        status: "deleted";
                        /**
                         * @description the write's version: microseconds of the Redis clock, rising per key
                         * @example 1795640446546126
                         */
                        version: number;
                    };
                };
            };
            /** @description INVALID_JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description VALIDATION */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description REDIS_UNAVAILABLE, REPLICATION_TIMEOUT, BACKPRESSURE, SHUTTING_DOWN */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    getByQuery: {
        parameters: {
            query: {
                /** @description the key, percent-encoded as encodeURIComponent does (UTF-8; + is a plus sign, not a space); any key, . and .. included */
                key: string;
                /** @description cache: Redis, then the database on a miss (read-through); db: the database only */
                source?: "cache" | "db";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description found */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: string;
                        source: "cache" | "db";
                        value: string;
                        /**
                         * @description the write's version: microseconds of the Redis clock, rising per key
                         * @example 1795640446546126
                         */
                        version: number;
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description VALIDATION */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description REDIS_UNAVAILABLE, DB_UNAVAILABLE */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    get: {
        parameters: {
            query?: {
                /** @description cache: Redis, then the database on a miss (read-through); db: the database only */
                source?: "cache" | "db";
            };
            header?: never;
            path: {
                /** @description the key, percent-encoded as encodeURIComponent does (UTF-8): /get/a%2Fb is the key a/b, + is a plus sign, an escape that is not UTF-8 (%FF) is 422. The rest of the path is the key, so /get/a/b is a/b too. The keys . and .. cannot travel in a path (clients collapse them): use the query form. */
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description found */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: string;
                        source: "cache" | "db";
                        value: string;
                        /**
                         * @description the write's version: microseconds of the Redis clock, rising per key
                         * @example 1795640446546126
                         */
                        version: number;
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description VALIDATION */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description REDIS_UNAVAILABLE, DB_UNAVAILABLE */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description alive */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        status: "ok" | "fail";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description a flusher thread down or stuck */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        status: "ok" | "fail";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
        };
    };
    incr: {
        parameters: {
            query?: {
                /** @description with wait=persisted: the longest wait */
                timeout_ms?: number;
                /** @description answer once the write is committed to the database (200 with persisted: true), or at the timeout (202 with persisted: false) */
                wait?: "persisted";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * @description default 1; may be negative; |by| < 2^53
                     * @example 1
                     */
                    by?: number;
                    /**
                     * @description any Unicode text up to MAX_KEY_BYTES UTF-8 bytes, no control characters
                     * @example user:42
                     */
                    key: string;
                };
            };
        };
        responses: {
            /** @description acknowledged (in Redis) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: string;
                        /** @description with ?wait=persisted: whether the write is in the database (202 when false) */
                        persisted?: boolean;
                        /** @constant */
                        status: "cached";
                        /** @description the new value, a decimal integer */
                        value: string;
                        /**
                         * @description the write's version: microseconds of the Redis clock, rising per key
                         * @example 1795640446546126
                         */
                        version: number;
                    };
                };
            };
            /** @description acknowledged; with ?wait=persisted, not yet in the database at the timeout */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: string;
                        /** @description with ?wait=persisted: whether the write is in the database (202 when false) */
                        persisted?: boolean;
                        /** @constant */
                        status: "cached";
                        /** @description the new value, a decimal integer */
                        value: string;
                        /**
                         * @description the write's version: microseconds of the Redis clock, rising per key
                         * @example 1795640446546126
                         */
                        version: number;
                    };
                };
            };
            /** @description INVALID_JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_AN_INTEGER, OUT_OF_RANGE */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description VALIDATION */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description REDIS_UNAVAILABLE, REPLICATION_TIMEOUT, BACKPRESSURE, SHUTTING_DOWN, DB_UNAVAILABLE, CONTENDED */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    mdel: {
        parameters: {
            query?: {
                /** @description with wait=persisted: the longest wait */
                timeout_ms?: number;
                /** @description answer once the write is committed to the database (200 with persisted: true), or at the timeout (202 with persisted: false) */
                wait?: "persisted";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description 1..MAX_BATCH_ITEMS keys */
                    keys: string[];
                };
            };
        };
        responses: {
            /** @description acknowledged (in Redis) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            key: string;
                            /**
                             * @description the write's version: microseconds of the Redis clock, rising per key
                             * @example 1795640446546126
                             */
                            version: number;
                        }[];
                        /** @description with ?wait=persisted: whether the write is in the database (202 when false) */
                        persisted?: boolean;
                        /** @constant */
                        status: "deleted";
                    };
                };
            };
            /** @description acknowledged; with ?wait=persisted, not yet in the database at the timeout */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            key: string;
                            /**
                             * @description the write's version: microseconds of the Redis clock, rising per key
                             * @example 1795640446546126
                             */
                            version: number;
                        }[];
                        /** @description with ?wait=persisted: whether the write is in the database (202 when false) */
                        persisted?: boolean;
                        /** @constant */
                        status: "deleted";
                    };
                };
            };
            /** @description INVALID_JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description VALIDATION */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description REDIS_UNAVAILABLE, REPLICATION_TIMEOUT, BACKPRESSURE, SHUTTING_DOWN */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the Prometheus text exposition */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    mget: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description 1..MAX_BATCH_ITEMS keys */
                    keys: string[];
                    /** @description default cache */
                    source?: "cache" | "db";
                };
            };
        };
        responses: {
            /** @description in request order */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: ({
                            key: string;
                            source: "cache" | "db";
                            value: string;
                            /**
                             * @description the write's version: microseconds of the Redis clock, rising per key
                             * @example 1795640446546126
                             */
                            version: number;
                        } | {
                            /** @constant */
                            found: false;
                            key: string;
                        })[];
                    };
                };
            };
            /** @description INVALID_JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description VALIDATION, VALIDATION */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description REDIS_UNAVAILABLE, DB_UNAVAILABLE */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    mset: {
        parameters: {
            query?: {
                /** @description with wait=persisted: the longest wait */
                timeout_ms?: number;
                /** @description answer once the write is committed to the database (200 with persisted: true), or at the timeout (202 with persisted: false) */
                wait?: "persisted";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /** @description 1..MAX_BATCH_ITEMS items */
                    items: {
                        /**
                         * @description any Unicode text up to MAX_KEY_BYTES UTF-8 bytes, no control characters
                         * @example user:42
                         */
                        key: string;
                        /**
                         * @description any text up to MAX_VALUE_BYTES UTF-8 bytes, no U+0000
                         * @example Alice
                         */
                        value: string;
                    }[];
                };
            };
        };
        responses: {
            /** @description acknowledged (in Redis) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            key: string;
                            /**
                             * @description the write's version: microseconds of the Redis clock, rising per key
                             * @example 1795640446546126
                             */
                            version: number;
                        }[];
                        /** @description with ?wait=persisted: whether the write is in the database (202 when false) */
                        persisted?: boolean;
                        /** @constant */
                        status: "cached";
                    };
                };
            };
            /** @description acknowledged; with ?wait=persisted, not yet in the database at the timeout */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        items: {
                            key: string;
                            /**
                             * @description the write's version: microseconds of the Redis clock, rising per key
                             * @example 1795640446546126
                             */
                            version: number;
                        }[];
                        /** @description with ?wait=persisted: whether the write is in the database (202 when false) */
                        persisted?: boolean;
                        /** @constant */
                        status: "cached";
                    };
                };
            };
            /** @description INVALID_JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description VALIDATION */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description REDIS_UNAVAILABLE, REPLICATION_TIMEOUT, BACKPRESSURE, SHUTTING_DOWN */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    ready: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description ready */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        status: "ok" | "fail";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description Redis or the database not ready */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        status: "ok" | "fail";
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
        };
    };
    set: {
        parameters: {
            query?: {
                /** @description with wait=persisted: the longest wait */
                timeout_ms?: number;
                /** @description answer once the write is committed to the database (200 with persisted: true), or at the timeout (202 with persisted: false) */
                wait?: "persisted";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": {
                    /**
                     * @description any Unicode text up to MAX_KEY_BYTES UTF-8 bytes, no control characters
                     * @example user:42
                     */
                    key: string;
                    /**
                     * @description any text up to MAX_VALUE_BYTES UTF-8 bytes, no U+0000
                     * @example Alice
                     */
                    value: string;
                };
            };
        };
        responses: {
            /** @description acknowledged (in Redis) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: string;
                        /** @description with ?wait=persisted: whether the write is in the database (202 when false) */
                        persisted?: boolean;
                        /** @constant */
                        status: "cached";
                        /**
                         * @description the write's version: microseconds of the Redis clock, rising per key
                         * @example 1795640446546126
                         */
                        version: number;
                    };
                };
            };
            /** @description acknowledged; with ?wait=persisted, not yet in the database at the timeout */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        key: string;
                        /** @description with ?wait=persisted: whether the write is in the database (202 when false) */
                        persisted?: boolean;
                        /** @constant */
                        status: "cached";
                        /**
                         * @description the write's version: microseconds of the Redis clock, rising per key
                         * @example 1795640446546126
                         */
                        version: number;
                    };
                };
            };
            /** @description INVALID_JSON */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description PAYLOAD_TOO_LARGE */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description UNSUPPORTED_MEDIA_TYPE */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description VALIDATION */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description REDIS_UNAVAILABLE, REPLICATION_TIMEOUT, BACKPRESSURE, SHUTTING_DOWN */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    statusByQuery: {
        parameters: {
            query: {
                /** @description the key, percent-encoded as encodeURIComponent does (UTF-8; + is a plus sign, not a space); any key, . and .. included */
                key: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description found */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @description present when the database could not be asked: the answer is Redis's alone (persistedVersion is the version when the cache knows it is committed, else null, and dirty is true)
                         * @constant
                         */
                        database?: "unavailable";
                        dirty: boolean;
                        key: string;
                        persistedVersion: number | null;
                        /**
                         * @description the write's version: microseconds of the Redis clock, rising per key
                         * @example 1795640446546126
                         */
                        version: number;
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description VALIDATION */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description REDIS_UNAVAILABLE, DB_UNAVAILABLE */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    status: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the key, percent-encoded as encodeURIComponent does (UTF-8): /get/a%2Fb is the key a/b, + is a plus sign, an escape that is not UTF-8 (%FF) is 422. The rest of the path is the key, so /get/a/b is a/b too. The keys . and .. cannot travel in a path (clients collapse them): use the query form. */
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description found */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @description present when the database could not be asked: the answer is Redis's alone (persistedVersion is the version when the cache knows it is committed, else null, and dirty is true)
                         * @constant
                         */
                        database?: "unavailable";
                        dirty: boolean;
                        key: string;
                        persistedVersion: number | null;
                        /**
                         * @description the write's version: microseconds of the Redis clock, rising per key
                         * @example 1795640446546126
                         */
                        version: number;
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description NOT_FOUND */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description VALIDATION */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description REDIS_UNAVAILABLE, DB_UNAVAILABLE */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
    statusPage: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description one HTML page; its data comes from /ui/data */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
        };
    };
    statusPageData: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description backlog, flusher threads, dead letters and recent history */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        backlog: number;
                        deadLetterCount: number;
                        deadLetters: {
                            error: string | null;
                            /** @description <ms>-<seq>@<partition>: the dead letter's id in its partition's dead-letter stream */
                            id: string;
                            key: string | null;
                            reason: string | null;
                            sourceId: string | null;
                            value: string | null;
                            version: number | null;
                        }[];
                        history: {
                            [key: string]: unknown;
                        }[];
                        /** @description ms since the epoch */
                        now: number;
                        oldestUnpersistedAgeSeconds: number;
                        threads: {
                            [key: string]: unknown;
                        }[];
                    } & {
                        [key: string]: unknown;
                    };
                };
            };
            /** @description UNAUTHORIZED */
            401: {
                headers: {
                    /** @description Bearer */
                    "WWW-Authenticate"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description FORBIDDEN */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
            /** @description REDIS_UNAVAILABLE */
            503: {
                headers: {
                    /** @description seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Error"];
                };
            };
        };
    };
}
