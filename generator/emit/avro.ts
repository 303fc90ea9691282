// The avro artifact of one domain:
//   <slug>/avro/<ceType>.v<n>.avsc   the schema of every event and command version (fixed key order, see avro-schema.ts)
//   <slug>/avro/fingerprints.json    per .avsc: CRC-64-AVRO (hex) and SHA-256 of its Parsing Canonical Form
//   <slug>/avro.ts                   the same schemas as `as const` literals (no file reads, so bundlers
//                                    work), a codec and the recorded fingerprint per version, `codecs`
//                                    (events) and, when there are commands, `commandCodecs`
// Fingerprints are of the canonical form the runtime computes (avro-schema.ts writes it from the
// schema objects; test/emit/avro.test.ts holds the two equal), so what is recorded here is what
// `createCodec(schema).fingerprintHex` computes in the user's process.
import { banner, Imports, stableJson, type GeneratedFile } from '../core/generated-file.js';
import type { Domain, Message, MessageVersion } from '../core/model.js';
import { avroSchemaConstName, avscName, codecName, domainSlug, fingerprintConstName } from '../core/names.js';
import { commandCodecsName } from '../core/names-commands.js';
import { fingerprint64, fingerprintToHex, sha256Hex } from '../runtime/canonical.js';
import { canonicalFormOf, printAvroSchema, versionSchemaOf, type AvroRecordSchema } from './avro-schema.js';
import { bannerFor, type EmitContext, type Emitter } from './context.js';
import { lineComment, maxLineWidth, tsDoc, tsString } from './ts-print.js';

export const emitAvro: Emitter = (ctx) => ctx.model.domains.flatMap((domain) => avroFiles(domain, ctx));

/** `<slug>/avro.ts`, the module other generated files import codecs from. */
export function avroModulePath(domain: Domain): string {
  return `${domainSlug(domain.name)}/avro.ts`;
}

/** File name of a version's schema inside `<slug>/avro/`: `com.example.orders.order.placed.v2.avsc`. */
export function avscFileName(event: Message, version: MessageVersion): string {
  return avscName(event.ceType, version.version);
}

export interface FingerprintRecord {
  /** CRC-64-AVRO of the Parsing Canonical Form: 16 lower-case hex digits, most significant first. */
  readonly crc64avro: string;
  /** SHA-256 of the Parsing Canonical Form, lower-case hex. */
  readonly sha256: string;
}

/** One event or command version with everything the three files say about it. */
interface VersionSchema {
  readonly event: Message;
  readonly version: MessageVersion;
  readonly file: string;
  readonly schema: AvroRecordSchema;
  readonly fingerprint: FingerprintRecord;
}

function versionSchemas(domain: Domain): VersionSchema[] {
  return domain.aggregates.flatMap((agg) =>
    [...agg.events, ...agg.commands].flatMap((event) =>
      event.versions.map((version: MessageVersion) => {
        const { schema, fingerprint } = versionAvro(version, event, domain);
        return { event, version, file: avscFileName(event, version), schema, fingerprint };
      }),
    ),
  );
}

/**
 * The schema and fingerprints of one version, computed once per model: this emitter and the
 * catalog both need them, and the canonical form with its CRC-64 and SHA-256 cost ~4% of a
 * 1,000-version run each time. Keyed by the resolved model's frozen version objects, so an
 * entry is a function of its key alone and goes with the model: nothing carries over between
 * runs (a new model has new objects).
 */
interface VersionAvro {
  readonly message: Message;
  readonly domain: Domain;
  readonly schema: AvroRecordSchema;
  readonly fingerprint: FingerprintRecord;
}

const avroOfVersion = new WeakMap<MessageVersion, VersionAvro>();

export function versionAvro(version: MessageVersion, message: Message, domain: Domain): VersionAvro {
  const hit = avroOfVersion.get(version);
  // The schema depends on the message and domain too; a hand-built model may share a version.
  if (hit !== undefined && hit.message === message && hit.domain === domain) return hit;
  const schema = versionSchemaOf(version, message, domain);
  const made = { message, domain, schema, fingerprint: fingerprintOf(schema) };
  // Only frozen (resolved) models: an object that can still change cannot key a result.
  if (Object.isFrozen(version) && Object.isFrozen(message) && Object.isFrozen(domain)) avroOfVersion.set(version, made);
  return made;
}

export function fingerprintOf(schema: AvroRecordSchema): FingerprintRecord {
  const canonical = canonicalFormOf(schema);
  return { crc64avro: fingerprintToHex(fingerprint64(canonical)), sha256: sha256Hex(canonical) };
}

export function avroFiles(domain: Domain, ctx: EmitContext): GeneratedFile[] {
  const slug = domainSlug(domain.name);
  const versions = versionSchemas(domain);
  const avsc = versions.map((v) => ({ path: `${slug}/avro/${v.file}`, content: printAvroSchema(v.schema) }));
  const byFile = [...versions].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const fingerprints: { [file: string]: FingerprintRecord } = {};
  for (const v of byFile) fingerprints[v.file] = v.fingerprint;
  return [
    ...avsc,
    { path: `${slug}/avro/fingerprints.json`, content: stableJson(fingerprints) },
    { path: avroModulePath(domain), content: ctx.templates.render('avro.ts.hbs', avroView(domain, versions, ctx.options.runtimeModule, bannerFor(domain, ctx))) },
  ];
}

// ---- the template view ------------------------------------------------------------------

export interface AvroVersionView {
  /** TSDoc blocks, never ''. */
  readonly schemaDoc: string;
  readonly fingerprintDoc: string;
  readonly codecDoc: string;
  readonly schemaName: string;
  /** The schema as a TypeScript object literal (multi-line). */
  readonly schema: string;
  readonly fingerprintName: string;
  /** Quoted hex. */
  readonly fingerprint: string;
  readonly codecName: string;
  /** The data type in `./types.js`: `OrderPlacedV2`. */
  readonly typeName: string;
}

export interface AvroCodecsEntryView {
  /** Quoted CloudEvents type. */
  readonly key: string;
  /** `{ 1: orderPlacedV1Codec, 2: orderPlacedV2Codec }`, broken over lines when long. */
  readonly value: string;
}

export interface AvroView {
  readonly banner: string;
  readonly imports: string;
  /** Line comment on the file, or ''. */
  readonly doc: string;
  /** Printed names of the runtime's imports. */
  readonly codecType: string;
  readonly createCodec: string;
  readonly versions: readonly AvroVersionView[];
  readonly codecsDoc: string;
  readonly codecs: readonly AvroCodecsEntryView[];
  /** False when the domain has no commands: no `commandCodecs` table. */
  readonly hasCommands: boolean;
  readonly commandCodecsDoc: string;
  readonly commandCodecsName: string;
  readonly commandCodecs: readonly AvroCodecsEntryView[];
}

function avroView(domain: Domain, versions: readonly VersionSchema[], runtimeModule: string, bannerText: string): AvroView {
  const imports = new Imports();
  const codecType = imports.type(runtimeModule, 'AvroCodec');
  const createCodec = imports.value(runtimeModule, 'createCodec');
  // The same for every version: wrapped once, not once per version.
  const fingerprintDoc = tsDoc(['CRC-64-AVRO fingerprint of the schema\'s Parsing Canonical Form, as recorded in `avro/fingerprints.json`.']);
  const versionViews = versions.map((v): AvroVersionView => {
    const ce = `\`${v.event.ceType}\``;
    return {
      schemaDoc: tsDoc([`Avro schema of ${ce}${v.event.kind === 'command' ? ' (a command)' : ''}, version ${v.version.version} (\`avro/${v.file}\`).`]),
      fingerprintDoc,
      codecDoc: tsDoc([`Avro binary and JSON encoding of ${ce}, version ${v.version.version}.`]),
      schemaName: avroSchemaConstName(v.event.name, v.version.version),
      schema: printAvroSchema(v.schema, 'ts'),
      fingerprintName: fingerprintConstName(v.event.name, v.version.version),
      fingerprint: tsString(v.fingerprint.crc64avro),
      codecName: codecName(v.event.name, v.version.version),
      typeName: imports.type('./types.js', v.version.typeName),
    };
  });
  const events = domain.aggregates.flatMap((a) => a.events);
  const commands = domain.aggregates.flatMap((a) => a.commands);
  return {
    banner: bannerText,
    imports: imports.render(),
    doc: lineComment([`Avro schemas and codecs of the \`${domain.name}\` domain, one per event version.`]),
    codecType,
    createCodec,
    versions: versionViews,
    codecsDoc: tsDoc(['Codecs by CloudEvents type and version.']),
    codecs: events.map((e) => codecsEntry(e)),
    hasCommands: commands.length > 0,
    commandCodecsDoc: tsDoc(['Codecs of the commands by CloudEvents type and version.']),
    commandCodecsName,
    commandCodecs: commands.map((c) => codecsEntry(c)),
  };
}

function codecsEntry(event: Message): AvroCodecsEntryView {
  const key = tsString(event.ceType);
  const items = event.versions.map((v: MessageVersion) => `${v.version}: ${codecName(event.name, v.version)}`);
  const flat = `{ ${items.join(', ')} }`;
  // `  key: value,` on one line when it fits, else one version per line.
  if (2 + key.length + 2 + flat.length + 1 <= maxLineWidth) return { key, value: flat };
  return { key, value: `{\n${items.map((i) => `    ${i},\n`).join('')}  }` };
}
