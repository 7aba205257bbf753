// Lints Cypher statements with Neo4j's own parser (@neo4j-cypher/language-support).
//
//   node lint_cypher.mjs statements.json [--strict]     (or the JSON on stdin)
//
// Input: {"schema": {labels, relationshipTypes, propertyKeys}, "statements": [{"name", "statement"}]}.
// Exits 1 when any statement has an Error diagnostic (with --strict: any Warning too, e.g. a label or
// property missing from the schema, which is how typos show). Undefined-parameter errors are ignored:
// our statements take every value as a parameter.
import { readFileSync } from 'node:fs';
import { isNotParamError, lintCypherQuery, testData } from '@neo4j-cypher/language-support';

const args = process.argv.slice(2);
const strict = args.includes('--strict');
const file = args.find((a) => !a.startsWith('--'));
const input = JSON.parse(readFileSync(file ?? 0, 'utf8'));

// Neo4j's procedure and function catalogue as the package ships it, so unknown or misspelt calls fail.
const catalogue = testData.mockSchema;
const dbSchema = {
  labels: input.schema.labels,
  relationshipTypes: input.schema.relationshipTypes,
  propertyKeys: input.schema.propertyKeys,
  functions: catalogue.functions,
  procedures: catalogue.procedures,
  defaultLanguage: 'CYPHER 5',
};

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };
let failures = 0;
for (const { name, statement } of input.statements) {
  const { diagnostics } = lintCypherQuery(statement, dbSchema);
  const shown = diagnostics.filter(isNotParamError).filter((d) => d.severity <= 2);
  for (const d of shown) {
    const fails = d.severity === 1 || strict;
    failures += fails ? 1 : 0;
    const at = `${d.range.start.line + 1}:${d.range.start.character + 1}`;
    const line = statement.split('\n')[d.range.start.line] ?? '';
    console.log(`${name}:${at}: ${SEVERITY[d.severity]}: ${d.message.split('\n')[0]}\n    ${line.trim()}`);
  }
}
console.log(`${input.statements.length} Cypher statements linted, ${failures} failing diagnostic(s).`);
process.exit(failures ? 1 : 0);
