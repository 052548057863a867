import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/definition.ts';

/**
 * package.json says `"sideEffects": false`: esbuild may then leave out of a Lambda bundle any module of
 * this project whose exports that bundle does not use (a task's bundle drops the saga's registry, the
 * ledger's status code...). That is only true while importing a module does nothing but declare: a
 * top-level statement that acts (a call, an assignment, a registration) would silently vanish from
 * the bundles that do not use its module's exports. This test keeps the claim true.
 */

const DECLARATIONS = new Set([
  ts.SyntaxKind.ImportDeclaration,
  ts.SyntaxKind.ImportEqualsDeclaration,
  ts.SyntaxKind.ExportDeclaration,
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.ClassDeclaration,
  ts.SyntaxKind.InterfaceDeclaration,
  ts.SyntaxKind.TypeAliasDeclaration,
  ts.SyntaxKind.EnumDeclaration,
  ts.SyntaxKind.ModuleDeclaration,
  // `const x = ...`: a declaration (what its initializer does is the author's to keep pure).
  ts.SyntaxKind.VariableStatement,
]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('the project modules', () => {
  it('are declared free of side effects in package.json', () => {
    const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      sideEffects?: unknown;
    };
    expect(pkg.sideEffects).toBe(false);
  });

  it('only declare at their top level (nothing the bundles could drop)', () => {
    const files = [...sources(join(PROJECT_ROOT, 'src')), ...sources(join(PROJECT_ROOT, 'functions'))];
    expect(files.length).toBeGreaterThan(50);
    const acting: string[] = [];
    for (const file of files) {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
      for (const statement of source.statements) {
        if (DECLARATIONS.has(statement.kind)) continue;
        const { line } = source.getLineAndCharacterOfPosition(statement.getStart());
        acting.push(`${relative(PROJECT_ROOT, file)}:${line + 1}: ${ts.SyntaxKind[statement.kind]}`);
      }
    }
    expect(acting).toEqual([]);
  });
});
