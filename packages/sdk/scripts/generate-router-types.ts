/**
 * Writes src/generated/hub-router.ts: the hub's tRPC router as the client sees it (each procedure's kind,
 * input and output, and the error shape), spelled out in plain types. The published declarations
 * then need nothing of the server: no @ppv/core, no ORM, no context types.
 *
 *   tsx scripts/generate-router-types.ts          rewrite the file
 *   tsx scripts/generate-router-types.ts --check  exit 1 when it is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const entry = fileURLToPath(new URL('./router-entry.ts', import.meta.url));
export const generatedFile = fileURLToPath(new URL('../src/generated/hub-router.ts', import.meta.url));

const identifier = /^[A-Za-z_$][\w$]*$/;
const propertyName = (name: string) => (identifier.test(name) ? name : JSON.stringify(name));
const indent = (depth: number) => '  '.repeat(depth);

/** An object type whose only members are symbol-keyed: a nominal brand, not data. */
const isBrand = (type: ts.Type) =>
  (type.flags & ts.TypeFlags.Object) !== 0 &&
  type.getProperties().length > 0 &&
  type.getProperties().every((p) => p.getName().startsWith('__@'));

/** Prints a type structurally, expanding every alias and interface except Date. */
function printer(checker: ts.TypeChecker) {
  const visiting = new Set<ts.Type>();
  const print = (type: ts.Type, depth: number): string => {
    const f = type.flags;
    if (f & ts.TypeFlags.Any) return 'any';
    if (f & ts.TypeFlags.Unknown) return 'unknown';
    if (f & ts.TypeFlags.Never) return 'never';
    if (f & (ts.TypeFlags.String | ts.TypeFlags.Number | ts.TypeFlags.Boolean | ts.TypeFlags.BigInt))
      return checker.typeToString(type);
    if (f & (ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void))
      return checker.typeToString(type);
    if (type.isStringLiteral()) return JSON.stringify(type.value);
    if (type.isNumberLiteral()) return String(type.value);
    if (f & (ts.TypeFlags.BooleanLiteral | ts.TypeFlags.BigIntLiteral | ts.TypeFlags.TemplateLiteral))
      return checker.typeToString(type);
    if (type.isUnion()) {
      const parts = type.types.map((t) => print(t, depth));
      const both = parts.includes('true') && parts.includes('false');
      const kept = both ? ['boolean', ...parts.filter((p) => p !== 'true' && p !== 'false')] : parts;
      return kept.map((p) => (p.includes('=>') ? `(${p})` : p)).join(' | ');
    }
    if (type.isIntersection()) {
      // ORM brands such as MikroORM's Opt<string> (string & { [optional]?: 1 }) mean nothing on the wire.
      const kept = type.types.filter((t) => !isBrand(t));
      return kept.length === 1 ? print(kept[0]!, depth) : kept.map((t) => print(t, depth)).join(' & ');
    }
    if (!(f & ts.TypeFlags.Object))
      throw new Error(`cannot spell out the type ${checker.typeToString(type)}`);
    if (type.getSymbol()?.getName() === 'Date') return 'Date';
    if (checker.isArrayType(type)) {
      const [element] = checker.getTypeArguments(type as ts.TypeReference);
      const inner = print(element!, depth);
      return /[|&]/.test(inner) ? `Array<${inner}>` : `${inner}[]`;
    }
    if (checker.isTupleType(type)) {
      return `[${checker
        .getTypeArguments(type as ts.TypeReference)
        .map((t) => print(t, depth))
        .join(', ')}]`;
    }
    if (type.getCallSignatures().length > 0)
      throw new Error(`a procedure's input or output holds a function: ${checker.typeToString(type)}`);
    if (visiting.has(type)) throw new Error(`recursive type ${checker.typeToString(type)}`);
    visiting.add(type);
    const lines: string[] = [];
    for (const info of checker.getIndexInfosOfType(type)) {
      lines.push(
        `${indent(depth + 1)}[key: ${print(info.keyType, depth + 1)}]: ${print(info.type, depth + 1)};`,
      );
    }
    for (const prop of checker.getPropertiesOfType(type)) {
      const optional = (prop.flags & ts.SymbolFlags.Optional) !== 0;
      const propType = checker.getTypeOfSymbol(prop);
      lines.push(
        `${indent(depth + 1)}${propertyName(prop.getName())}${optional ? '?' : ''}: ${print(propType, depth + 1)};`,
      );
    }
    visiting.delete(type);
    return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${indent(depth)}}`;
  };
  return print;
}

export function generateRouterTypes(): string {
  const program = ts.createProgram([entry], {
    strict: true,
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry)!;
  const moduleSymbol = checker.getSymbolAtLocation(source)!;
  const exported = (name: string) => {
    const symbol = checker.getExportsOfModule(moduleSymbol).find((s) => s.getName() === name)!;
    return checker.getDeclaredTypeOfSymbol(symbol);
  };
  const print = printer(checker);
  const member = (type: ts.Type, name: string) => {
    const symbol = type.getProperty(name);
    if (!symbol) throw new Error(`no ${name} on ${checker.typeToString(type)}`);
    return checker.getTypeOfSymbol(symbol);
  };

  const record = (type: ts.Type, depth: number): string => {
    const lines = checker.getPropertiesOfType(type).map((prop) => {
      const value = checker.getTypeOfSymbol(prop);
      const key = `${indent(depth + 1)}${propertyName(prop.getName())}`;
      if (!value.getProperty('_def')) return `${key}: ${record(value, depth + 1)};`;
      const def = member(value, '_def');
      const kind = member(def, 'type');
      if (!kind.isStringLiteral()) throw new Error(`unknown procedure type on ${prop.getName()}`);
      const types = member(def, '$types');
      const wrapper = { query: 'TRPCQueryProcedure', mutation: 'TRPCMutationProcedure' }[kind.value];
      if (!wrapper)
        throw new Error(`${prop.getName()} is a ${kind.value}; the SDK knows queries and mutations`);
      const d = depth + 2;
      return [
        `${key}: ${wrapper}<{`,
        `${indent(d)}input: ${print(member(types, 'input'), d)};`,
        `${indent(d)}output: ${print(member(types, 'output'), d)};`,
        `${indent(d)}meta: object;`,
        `${indent(depth + 1)}}>;`,
      ].join('\n');
    });
    return `{\n${lines.join('\n')}\n${indent(depth)}}`;
  };

  return [
    '// Generated by scripts/generate-router-types.ts from the hub router (@ppv/core AppRouter).',
    '// Do not edit: run `npm run generate -w @ppv/sdk` after changing a procedure.',
    "import type { TRPCBuiltRouter, TRPCMutationProcedure, TRPCQueryProcedure } from '@trpc/server';",
    '',
    '/** The body of every error the hub answers, as `error.shape` on the client. */',
    `export type HubErrorShape = ${print(exported('ErrorShape'), 0)};`,
    '',
    '/** The hub router as a client sees it: every procedure with its input and output. */',
    'export type HubRouter = TRPCBuiltRouter<',
    '  { ctx: object; meta: object; errorShape: HubErrorShape; transformer: false },',
    `  ${record(exported('Procedures'), 1)}`,
    '>;',
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = generateRouterTypes();
  if (process.argv.includes('--check')) {
    if (readFileSync(generatedFile, 'utf8') !== text) {
      console.error('src/generated/hub-router.ts is out of date: run `npm run generate -w @ppv/sdk`');
      process.exit(1);
    }
  } else {
    writeFileSync(generatedFile, text);
  }
}
