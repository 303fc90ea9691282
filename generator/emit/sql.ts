// `<slug>/sql/NNNN_<name>.sql`: the event store's migrations as plain SQL, for teams that run
// their own migration tool (psql, Flyway, ...). They come from the runtime's one list of
// migrations (`migrationFiles()`), byte for byte, so the files and `migrate()` can never drift:
// each file records itself in eventsmith_migrations with the checksum `migrate()` verifies.
import type { GeneratedFile } from '../core/generated-file.js';
import type { Domain } from '../core/model.js';
import { domainSlug } from '../core/names.js';
import { migrationFiles } from '../runtime/postgres/migrations.js';
import type { Emitter } from './context.js';

export const emitSql: Emitter = (ctx) => ctx.model.domains.flatMap((domain) => sqlFiles(domain));

/** Folder of a domain's migration files. */
export function sqlDir(domain: Domain): string {
  return `${domainSlug(domain.name)}/sql`;
}

/** The same migrations in every domain's folder: the tables are shared, and applying a file twice is harmless. */
export function sqlFiles(domain: Domain): GeneratedFile[] {
  return migrationFiles().map((f) => ({ path: `${sqlDir(domain)}/${f.fileName}`, content: f.content }));
}
