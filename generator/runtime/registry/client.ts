/**
 * A small client for the Confluent Schema Registry REST API (and servers that speak it, such as
 * Apicurio Registry's /apis/ccompat/v7).
 *
 * Our own rather than @confluentinc/schemaregistry (whose dependencies include three cloud KMS
 * SDKs and Vault) or @kafkajs/confluent-schema-registry (whose own Avro codecs we would not use, and
 * which has no typed compatibility or config calls): eight endpoints over Node's fetch, with every
 * failure classified (network, timeout, 401, 403, 404, 409, 422, 5xx) so that the CLI can print
 * one line and the runtime can tell "unknown id" from "registry down".
 */

export type RegistryAuth =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'bearer'; readonly token: string };

export interface RegistryClientOptions {
  /** Base URL of the API, e.g. http://localhost:8081 or http://host/apis/ccompat/v7. */
  readonly url: string;
  readonly auth?: RegistryAuth;
  /** Per request (default 10 s). */
  readonly timeoutMs?: number;
}

export type RegistryErrorKind =
  | 'network' | 'timeout' | 'unauthorized' | 'forbidden' | 'not-found' | 'conflict' | 'invalid' | 'server' | 'protocol';

/** A failed registry call, classified. `message` is one line, fit for a CLI. */
export class SchemaRegistryError extends Error {
  override readonly name = 'SchemaRegistryError';
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
    readonly status?: number,
    /** Confluent's `error_code` (e.g. 40401 subject not found, 40403 schema not found, 42201 invalid schema). */
    readonly errorCode?: number,
  ) {
    super(message);
  }
  /** The registry answered and the thing asked for does not exist (unknown id, subject or version). */
  get isNotFound(): boolean {
    return this.kind === 'not-found';
  }
  /**
   * The registry itself says the subject, version or schema does not exist (Confluent error codes
   * 404xx). A 404 without such a code is a wrong URL, and must not read as "nothing registered".
   */
  get isAbsent(): boolean {
    return this.kind === 'not-found' && this.errorCode !== undefined && this.errorCode >= 40400 && this.errorCode < 40500;
  }
  /** Worth retrying: the registry could not be reached or failed on its side. */
  get isTransient(): boolean {
    return this.kind === 'network' || this.kind === 'timeout' || this.kind === 'server';
  }
}

export interface RegisteredSchema {
  readonly subject: string;
  readonly id: number;
  readonly version: number;
  readonly schema: string;
}

export interface CompatibilityVerdict {
  readonly compatible: boolean;
  /** The server's reasons (verbose mode); may be empty. */
  readonly messages: readonly string[];
}

export interface SchemaRegistryClient {
  readonly url: string;
  /** Registers `schema` (Avro text) under `subject`; returns its global id (the same text gives the same id). */
  register(subject: string, schema: string): Promise<number>;
  /** The id and version of `schema` under `subject`, or undefined if the subject does not hold it. */
  lookup(subject: string, schema: string): Promise<{ readonly id: number; readonly version: number } | undefined>;
  /** The schema text of a global id; throws SchemaRegistryError (kind 'not-found') if unknown. */
  schemaById(id: number): Promise<string>;
  /** Every subject. */
  subjects(): Promise<readonly string[]>;
  /** The versions under `subject`, oldest first; [] if the subject does not exist. */
  versions(subject: string): Promise<readonly number[]>;
  version(subject: string, version: number | 'latest'): Promise<RegisteredSchema>;
  /** Sets the subject's compatibility level (Confluent's names: BACKWARD, FULL_TRANSITIVE, NONE, …). */
  setCompatibility(subject: string, level: string): Promise<void>;
  /** The subject's own compatibility level, or undefined if none is set. */
  compatibility(subject: string): Promise<string | undefined>;
  /** Would registering `schema` under `subject` be allowed by the subject's compatibility level? */
  testCompatibility(subject: string, schema: string): Promise<CompatibilityVerdict>;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

function isObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOfStatus(status: number): RegistryErrorKind {
  switch (status) {
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not-found';
    case 409: return 'conflict';
    case 422: return 'invalid';
    default: return status >= 500 ? 'server' : 'protocol';
  }
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  401: 'unauthorized (check the registry credentials)',
  403: 'forbidden (the credentials lack permission)',
  404: 'not found',
  409: 'incompatible schema (refused by the subject\'s compatibility level)',
  422: 'invalid schema or request',
};

function authHeader(auth: RegistryAuth | undefined): Record<string, string> {
  if (auth === undefined) return {};
  if (auth.kind === 'bearer') return { authorization: `Bearer ${auth.token}` };
  return { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}` };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** Creates a client; no request is made until a method is called. */
export function createRegistryClient(options: RegistryClientOptions): SchemaRegistryClient {
  const base = options.url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const headers = { accept: `${CONTENT_TYPE}, application/json`, ...authHeader(options.auth) };

  /**
   * Every call here is idempotent (registering a schema again gives the same id), so a 5xx is
   * tried twice more: a registry under load answers an occasional one (seen with Apicurio's H2).
   */
  async function call(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await callOnce(method, path, body);
      } catch (err) {
        if (!(err instanceof SchemaRegistryError) || err.kind !== 'server' || attempt >= 3) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  async function callOnce(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<unknown> {
    const what = `${method} ${base}${path}`;
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': CONTENT_TYPE },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string; message?: string }; message?: string };
      if (e.name === 'TimeoutError' || e.name === 'AbortError') {
        throw new SchemaRegistryError('timeout', `schema registry: no answer within ${timeoutMs} ms (${what})`);
      }
      const cause = e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
      throw new SchemaRegistryError('network', `schema registry unreachable: ${cause} (${what})`);
    }
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const code = isObject(json) && typeof json['error_code'] === 'number' ? json['error_code'] : undefined;
      const detail = isObject(json) && typeof json['message'] === 'string' ? oneLine(json['message']) : oneLine(text);
      const kind = kindOfStatus(res.status);
      const head = STATUS_TEXT[res.status] ?? (kind === 'server' ? 'server error' : 'unexpected answer');
      throw new SchemaRegistryError(kind, `schema registry: HTTP ${res.status} ${head}${detail === '' ? '' : `: ${detail}`} (${what})`, res.status, code);
    }
    return json;
  }

  const enc = encodeURIComponent;
  const protocol = (what: string, got: unknown): never => {
    throw new SchemaRegistryError('protocol', `schema registry: unexpected answer to ${what}: ${oneLine(JSON.stringify(got) ?? 'nothing')}`);
  };
  const numberField = (value: unknown, key: string, what: string): number => {
    const n = isObject(value) ? value[key] : undefined;
    return typeof n === 'number' && Number.isSafeInteger(n) ? n : protocol(what, value);
  };

  async function lookup(subject: string, schema: string): Promise<{ id: number; version: number } | undefined> {
    try {
      const got = await call('POST', `/subjects/${enc(subject)}`, { schema });
      return { id: numberField(got, 'id', 'lookup'), version: numberField(got, 'version', 'lookup') };
    } catch (err) {
      if (err instanceof SchemaRegistryError && err.isAbsent) return undefined;
      throw err;
    }
  }

  return {
    url: base,
    async register(subject, schema) {
      try {
        const got = await call('POST', `/subjects/${enc(subject)}/versions`, { schema });
        return numberField(got, 'id', 'register');
      } catch (err) {
        // Apicurio creates a new subject check-then-insert: of two registrations racing to create
        // it (two instances starting, or a retry after a timeout while the first still runs), the
        // loser gets 409 "already exists" though its schema is there. Registering is idempotent,
        // so a 409 whose schema the subject holds is that schema's id; any other stays a refusal.
        if (!(err instanceof SchemaRegistryError) || err.status !== 409) throw err;
        const found = await lookup(subject, schema);
        if (found === undefined) throw err;
        return found.id;
      }
    },
    lookup,
    async schemaById(id) {
      const got = await call('GET', `/schemas/ids/${id}`);
      const schema = isObject(got) ? got['schema'] : undefined;
      return typeof schema === 'string' ? schema : protocol('schema by id', got);
    },
    async subjects() {
      const got = await call('GET', '/subjects');
      return Array.isArray(got) && got.every((s) => typeof s === 'string') ? (got as string[]) : protocol('subjects', got);
    },
    async versions(subject) {
      try {
        const got = await call('GET', `/subjects/${enc(subject)}/versions`);
        if (!Array.isArray(got) || !got.every((v) => typeof v === 'number')) return protocol('versions', got);
        return [...(got as number[])].sort((a, b) => a - b);
      } catch (err) {
        if (err instanceof SchemaRegistryError && err.isAbsent) return [];
        throw err;
      }
    },
    async version(subject, version) {
      const got = await call('GET', `/subjects/${enc(subject)}/versions/${version}`);
      const schema = isObject(got) ? got['schema'] : undefined;
      if (typeof schema !== 'string') return protocol('version', got);
      return { subject, id: numberField(got, 'id', 'version'), version: numberField(got, 'version', 'version'), schema };
    },
    async setCompatibility(subject, level) {
      await call('PUT', `/config/${enc(subject)}`, { compatibility: level });
    },
    async compatibility(subject) {
      try {
        const got = await call('GET', `/config/${enc(subject)}`);
        const level = isObject(got) ? got['compatibilityLevel'] ?? got['compatibility'] : undefined;
        return typeof level === 'string' ? level : undefined;
      } catch (err) {
        if (err instanceof SchemaRegistryError && err.isAbsent) return undefined;
        throw err;
      }
    },
    async testCompatibility(subject, schema) {
      try {
        const got = await call('POST', `/compatibility/subjects/${enc(subject)}/versions/latest?verbose=true`, { schema });
        const ok = isObject(got) ? got['is_compatible'] : undefined;
        if (typeof ok !== 'boolean') return protocol('compatibility', got);
        const messages = isObject(got) && Array.isArray(got['messages']) ? got['messages'].map((m) => oneLine(String(m))) : [];
        return { compatible: ok, messages };
      } catch (err) {
        // Nothing registered yet: anything is compatible.
        if (err instanceof SchemaRegistryError && err.isAbsent) return { compatible: true, messages: [] };
        throw err;
      }
    },
  };
}
