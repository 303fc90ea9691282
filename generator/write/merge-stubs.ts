// Adding the stubs of new custom hooks to a user-owned file that already exists. The spec gained
// an `apply: custom` (or another hook) after the user filled in the file: the fresh stub file
// generate would write has a function the user's file lacks. With ts-morph we read both files'
// syntax trees and splice in only what is missing — the function (with its comments) at the end
// and the names it needs into the imports — so every byte of the user's code stays as it was.
// A function that exists with another signature than the spec's is reported at its position and
// left alone: it is the user's code, and the compiler re-checks it at the generated import site.
// Pure: text in, text and diagnostics out (the caller loads ts-morph, which is large, only when
// a user-owned file exists).
import type * as TsMorph from 'ts-morph';
import type { Diagnostic } from '../core/diagnostics.js';

export type TsMorphModule = typeof TsMorph;

export interface MergeResult {
  /** The user's file with the missing stubs added; the same string when nothing is missing. */
  readonly text: string;
  /** Names of the functions added, in the order of the fresh file. */
  readonly added: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
}

interface ImportedName {
  readonly module: string;
  readonly kind: 'named' | 'namespace';
  /** The exported name (named) or the namespace's local name. */
  readonly name: string;
  readonly typeOnly: boolean;
  /** Position of its declaration among the fresh file's imports: new declarations keep that order. */
  readonly order: number;
}

interface Edit {
  readonly pos: number;
  readonly text: string;
}

type FunctionLike = TsMorph.FunctionDeclaration | TsMorph.ArrowFunction | TsMorph.FunctionExpression;

/** Local names the fresh file imports, with where from. */
function importsOf(sf: TsMorph.SourceFile): Map<string, ImportedName> {
  const out = new Map<string, ImportedName>();
  for (const [order, decl] of sf.getImportDeclarations().entries()) {
    const module = decl.getModuleSpecifierValue();
    const ns = decl.getNamespaceImport();
    if (ns) out.set(ns.getText(), { module, kind: 'namespace', name: ns.getText(), typeOnly: decl.isTypeOnly(), order });
    for (const n of decl.getNamedImports()) {
      const local = n.getAliasNode()?.getText() ?? n.getName();
      out.set(local, { module, kind: 'named', name: n.getName(), typeOnly: decl.isTypeOnly() || n.isTypeOnly(), order });
    }
  }
  return out;
}

/** Every name bound at the top level of `sf`: imports and declarations. */
function topLevelNames(m: TsMorphModule, sf: TsMorph.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const decl of sf.getImportDeclarations()) {
    const def = decl.getDefaultImport();
    if (def) names.add(def.getText());
    const ns = decl.getNamespaceImport();
    if (ns) names.add(ns.getText());
    for (const n of decl.getNamedImports()) names.add(n.getAliasNode()?.getText() ?? n.getName());
  }
  for (const st of sf.getStatements()) {
    if (m.Node.isVariableStatement(st)) for (const d of st.getDeclarations()) names.add(d.getName());
    else if (m.Node.isFunctionDeclaration(st) || m.Node.isClassDeclaration(st) || m.Node.isInterfaceDeclaration(st) || m.Node.isTypeAliasDeclaration(st) || m.Node.isEnumDeclaration(st)) {
      const n = st.getName();
      if (n) names.add(n);
    }
  }
  return names;
}

/** What the user's file exports by name, with the function behind it when there is one to check. */
function exportsOf(m: TsMorphModule, sf: TsMorph.SourceFile): { byName: Map<string, FunctionLike | undefined>; star: boolean } {
  const byName = new Map<string, FunctionLike | undefined>();
  let star = false;
  for (const st of sf.getStatements()) {
    if (m.Node.isFunctionDeclaration(st) && st.isExported()) {
      const n = st.getName();
      // Overloads: the implementation (with a body) is what the spec's signature is compared to.
      if (n && (!byName.has(n) || st.hasBody())) byName.set(n, st);
    } else if (m.Node.isVariableStatement(st) && st.isExported()) {
      for (const d of st.getDeclarations()) {
        const init = d.getInitializer();
        const fn = !d.getTypeNode() && init && (m.Node.isArrowFunction(init) || m.Node.isFunctionExpression(init)) ? init : undefined;
        byName.set(d.getName(), fn);
      }
    } else if (m.Node.isExportDeclaration(st)) {
      if (!st.hasNamedExports()) star = true;
      for (const e of st.getNamedExports()) byName.set(e.getAliasNode()?.getText() ?? e.getName(), undefined);
    }
  }
  return { byName, star };
}

/** Type text compared without layout, and without the namespace a file happens to import types through. */
function normalType(text: string, namespaces: readonly string[]): string {
  let t = text.replace(/\s+/g, '');
  for (const ns of namespaces) t = t.replace(new RegExp(`(?<![\\w$.])${ns.replace(/\$/g, '\\$')}\\.`, 'g'), '');
  return t.replace(/,([)\]}>])/g, '$1');
}

function namespacesOf(sf: TsMorph.SourceFile): string[] {
  return sf
    .getImportDeclarations()
    .map((d) => d.getNamespaceImport()?.getText())
    .filter((n): n is string => n !== undefined);
}

export interface MergeInput {
  /** The user's file as on disk. */
  readonly user: string;
  /** The stub file generate would write if there were none. */
  readonly fresh: string;
  /** The user's file as shown in diagnostics. */
  readonly file: string;
  /** The generated module that re-checks the functions, for the messages. */
  readonly checkedIn: string;
}

export function mergeStubs(m: TsMorphModule, input: MergeInput): MergeResult {
  const project = new m.Project({ useInMemoryFileSystem: true, skipAddingFilesFromTsConfig: true, compilerOptions: { noLib: true, allowJs: false } });
  const userSf = project.createSourceFile('/user.ts', input.user);
  const freshSf = project.createSourceFile('/fresh.ts', input.fresh);
  const diagnostics: Diagnostic[] = [];
  const at = (node: TsMorph.Node): { line: number; col: number } => {
    const { line, column } = userSf.getLineAndColumnAtPos(node.getStart());
    return { line, col: column };
  };
  const warn = (node: TsMorph.Node, message: string): void => {
    diagnostics.push({ code: 'ES4012', severity: 'warning', message, file: input.file, ...at(node), path: '' });
  };

  const freshImports = importsOf(freshSf);
  const userExports = exportsOf(m, userSf);
  const userNames = topLevelNames(m, userSf);
  const freshNs = namespacesOf(freshSf);
  const userNs = namespacesOf(userSf);

  const missing: TsMorph.FunctionDeclaration[] = [];
  for (const fresh of freshSf.getFunctions()) {
    const name = fresh.getName();
    if (!name || !fresh.isExported()) continue;
    if (userExports.byName.has(name)) {
      const fn = userExports.byName.get(name);
      if (fn) checkSignature(name, fresh, fn);
      continue;
    }
    if (userExports.star) continue; // it may come from the re-exported module; the compiler knows
    const local = userSf.getFunction(name) ?? userSf.getVariableDeclaration(name);
    if (local) {
      warn(local, `${name} is declared here but not exported: ${input.checkedIn} imports it; add \`export\` (generate adds no second one)`);
      continue;
    }
    missing.push(fresh);
  }

  function checkSignature(name: string, fresh: TsMorph.FunctionDeclaration, fn: FunctionLike): void {
    const want = fresh.getParameters();
    const have = fn.getParameters();
    const mismatch = (node: TsMorph.Node, what: string): void =>
      warn(
        node,
        `${name} no longer matches the spec: ${what}; generate leaves your code as it is, so change it to (${want.map((p) => p.getText()).join(', ')}): ${fresh.getReturnTypeNode()?.getText() ?? 'void'} ` +
          `(${input.checkedIn} re-checks it)`,
      );
    // Fewer parameters is fine: TypeScript accepts a function that ignores trailing arguments.
    const extra = have[want.length];
    if (extra) {
      mismatch(extra, `it takes ${have.length} parameters, the spec passes ${want.length}`);
      return;
    }
    for (const [i, p] of have.entries()) {
      const typeNode = p.getTypeNode();
      const wantType = want[i]?.getTypeNode();
      if (!typeNode || !wantType) continue;
      if (normalType(typeNode.getText(), userNs) !== normalType(wantType.getText(), freshNs)) {
        mismatch(typeNode, `parameter ${p.getName()} is ${typeNode.getText()}, the spec passes ${wantType.getText()}`);
        return;
      }
    }
    const ret = fn.getReturnTypeNode();
    const wantRet = fresh.getReturnTypeNode();
    if (ret && wantRet && normalType(ret.getText(), userNs) !== normalType(wantRet.getText(), freshNs)) {
      mismatch(ret, `it returns ${ret.getText()}, the spec expects ${wantRet.getText()}`);
    }
  }

  if (missing.length === 0) return { text: input.user, added: [], diagnostics };

  // Splicing into a file that does not parse could put the stub inside the user's half-written code.
  const syntax = project.getProgram().getSyntacticDiagnostics(userSf);
  const first = syntax[0];
  if (first) {
    const start = first.getStart() ?? 0;
    const { line, column } = userSf.getLineAndColumnAtPos(start);
    const text = first.getMessageText();
    const message = typeof text === 'string' ? text : text.getMessageText();
    diagnostics.push({
      code: 'ES4011',
      severity: 'error',
      message: `${message} — generate must add ${missing.map((f) => f.getName()).join(', ')} to this file and adds nothing to a file that does not parse; fix it and run generate again`,
      file: input.file,
      line,
      col: column,
      path: '',
    });
    return { text: input.user, added: [], diagnostics };
  }

  // The imported names the new functions use and the user's file does not bind yet, in first-use order.
  const needed: ImportedName[] = [];
  const seen = new Set<string>();
  for (const fn of missing) {
    for (const id of fn.getDescendantsOfKind(m.SyntaxKind.Identifier)) {
      const local = id.getText();
      const imp = freshImports.get(local);
      if (!imp || seen.has(local) || userNames.has(local)) continue;
      // `types.Foo`: only the namespace on the left is a binding.
      const parent = id.getParent();
      if (parent && (m.Node.isQualifiedName(parent) || m.Node.isPropertyAccessExpression(parent)) && parent.getChildAtIndex(0) !== id) continue;
      seen.add(local);
      needed.push(imp);
    }
  }

  const eol = input.user.includes('\r\n') ? '\r\n' : '\n';
  const edits: Edit[] = [];
  const newDecls: { readonly order: number; readonly text: string }[] = [];
  const byModule = new Map<string, ImportedName[]>();
  for (const imp of needed) {
    if (imp.kind === 'namespace') {
      newDecls.push({ order: imp.order, text: `import ${imp.typeOnly ? 'type ' : ''}* as ${imp.name} from '${imp.module}';` });
      continue;
    }
    byModule.set(imp.module, [...(byModule.get(imp.module) ?? []), imp]);
  }
  for (const [module, names] of [...byModule].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const target = userSf
      .getImportDeclarations()
      .find((d) => d.getModuleSpecifierValue() === module && !d.getNamespaceImport() && d.getNamedImports().length > 0 && (!d.isTypeOnly() || names.every((n) => n.typeOnly)));
    if (!target) {
      const allTypes = names.every((n) => n.typeOnly);
      const list = names.map((n) => (allTypes || !n.typeOnly ? n.name : `type ${n.name}`)).join(', ');
      newDecls.push({ order: Math.min(...names.map((n) => n.order)), text: `import ${allTypes ? 'type ' : ''}{ ${list} } from '${module}';` });
      continue;
    }
    const elems = names.map((n) => (target.isTypeOnly() || !n.typeOnly ? n.name : `type ${n.name}`));
    edits.push(intoNamedImports(target, elems, eol));
  }
  const endsWithNewline = input.user.length === 0 || input.user.endsWith('\n');
  if (newDecls.length) {
    // In the fresh file's order (runtime, then generated modules), whatever order they were needed in.
    const decls = newDecls.sort((a, b) => a.order - b.order).map((d) => d.text);
    const lastImport = userSf.getImportDeclarations().at(-1);
    const firstStatement = userSf.getStatements()[0];
    if (lastImport) edits.push({ pos: lastImport.getEnd(), text: decls.map((d) => `${eol}${d}`).join('') });
    else if (firstStatement) edits.push({ pos: firstStatement.getStart(true), text: `${decls.join(eol)}${eol}${eol}` });
    // Only comments: the imports go at the end, followed by the stubs' own blank line below.
    else edits.push({ pos: input.user.length, text: `${endsWithNewline ? '' : eol}${decls.join(eol)}${endsWithNewline ? eol : ''}` });
  }

  const stubs = missing.map((fn) => input.fresh.slice(fn.getPos(), fn.getEnd()).replace(/^\s+/, '').replace(/\r?\n/g, eol));
  edits.push({ pos: input.user.length, text: `${endsWithNewline ? '' : eol}${stubs.map((s) => `${eol}${s}${eol}`).join('')}` });

  // Back to front, so each position still points into the original text; at one position the
  // edit planned first ends up first.
  let text = input.user;
  const ordered = edits.map((e, i) => ({ ...e, i })).sort((a, b) => b.pos - a.pos || b.i - a.i);
  for (const e of ordered) text = text.slice(0, e.pos) + e.text + text.slice(e.pos);
  return { text, added: missing.map((f) => f.getName() ?? ''), diagnostics };
}

/** Append names to `import { a, b } from '…'`, in the list's own layout (one line, or one per line). */
function intoNamedImports(decl: TsMorph.ImportDeclaration, names: readonly string[], eol: string): Edit {
  const elements = decl.getNamedImports();
  const last = elements[elements.length - 1] as TsMorph.ImportSpecifier;
  const sf = decl.getSourceFile();
  const full = sf.getFullText();
  const close = full.indexOf('}', last.getEnd());
  const between = full.slice(last.getEnd(), close);
  const comma = between.indexOf(',');
  const multiline = sf.getLineAndColumnAtPos(last.getStart()).line !== sf.getLineAndColumnAtPos(decl.getStart()).line;
  if (multiline) {
    const lineStart = full.lastIndexOf('\n', last.getStart()) + 1;
    const indent = /^[ \t]*/.exec(full.slice(lineStart, last.getStart()))?.[0] ?? '';
    return comma >= 0
      ? { pos: last.getEnd() + comma + 1, text: names.map((n) => `${eol}${indent}${n},`).join('') }
      : { pos: last.getEnd(), text: names.map((n) => `,${eol}${indent}${n}`).join('') };
  }
  return comma >= 0 ? { pos: last.getEnd() + comma + 1, text: names.map((n) => ` ${n},`).join('') } : { pos: last.getEnd(), text: names.map((n) => `, ${n}`).join('') };
}
