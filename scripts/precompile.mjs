// Part of `npm run build`: compiles, once at build time, what every `generate` run otherwise
// compiled at start-up (ajv's validators for the DSL and config schemas, the built-in Handlebars
// templates) into dist/generator/precompiled/*.cjs. Each module carries the text it was compiled
// from; at run time it is used only if that text is still what the run reads, so an edited
// template or schema without a rebuild is compiled at run time instead of going stale.
// Deterministic: same inputs, same bytes (ajv's standalone code and Handlebars' precompiler are).
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { Ajv } = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;
const Handlebars = require('handlebars');
const { editorKeywords, specValidatorOptions, configValidatorOptions } = await import(path.join(root, 'dist/generator/validate/options.js'));
const { templateCompileOptions } = await import(path.join(root, 'dist/generator/core/template-options.js'));

const out = path.join(root, 'dist/generator/precompiled');
mkdirSync(out, { recursive: true });

/** JSON text of `value` as a JS literal, safe inside a script. */
const literal = (value) => JSON.stringify(value).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

// --- the DSL schema: the root and every definition (validate/index.ts re-checks oneOf branches) ---
const specText = readFileSync(path.join(root, 'schemas/eventsmith.schema.json'), 'utf8');
const spec = JSON.parse(specText);
{
  const ajv = new Ajv({ ...specValidatorOptions, code: { source: true } });
  ajv.addVocabulary([...editorKeywords]);
  ajv.addSchema(spec);
  const refs = { root: spec.$id };
  for (const name of Object.keys(spec.definitions ?? {})) refs[`#/definitions/${name}`] = `${spec.$id}#/definitions/${name}`;
  const code = standaloneCode(ajv, refs);
  writeFileSync(path.join(out, 'spec-validators.cjs'), `${code}\nexports.compiledFrom = ${literal(JSON.stringify(spec))};\n`);
}

// --- the configuration file's schema ---
{
  const text = readFileSync(path.join(root, 'schemas/eventsmith.config.schema.json'), 'utf8');
  const ajv = new Ajv({ ...configValidatorOptions, code: { source: true } });
  const validate = ajv.compile(JSON.parse(text));
  writeFileSync(path.join(out, 'config-validator.cjs'), `${standaloneCode(ajv, validate)}\nmodule.exports.compiledFrom = ${literal(text)};\n`);
}

// --- built-in templates ---
{
  const dir = path.join(root, 'templates');
  const names = readdirSync(dir).filter((n) => n.endsWith('.hbs')).sort();
  const entries = names.map((name) => {
    const text = readFileSync(path.join(dir, name), 'utf8');
    const spec = Handlebars.precompile(text, templateCompileOptions);
    return `  ${literal(name)}: { source: ${literal(text)}, spec: ${spec} },`;
  });
  writeFileSync(path.join(out, 'templates.cjs'), `"use strict";\nmodule.exports = {\n${entries.join('\n')}\n};\n`);
}
