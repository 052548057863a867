import type { AslDefinition } from './definition.ts';

/**
 * The state machine as a Mermaid flowchart, drawn from the ASL itself: forward steps, the Catch edges
 * into the rollback chain (dashed), and the two failure ends. The README embeds this output.
 */
export function mermaidFromAsl(asl: AslDefinition): string {
  const lines = ['flowchart TD', `  start((start)) --> ${asl.StartAt}`];
  const shape = (name: string, type: string) => {
    if (type === 'Choice') return `${name}{${name}}`;
    if (type === 'Fail') return `${name}[/${name}/]`;
    if (type === 'Pass' || type === 'Succeed') return `${name}([${name}])`;
    return `${name}[${name}]`;
  };
  for (const [name, state] of Object.entries(asl.States)) {
    lines.push(`  ${shape(name, state.Type)}`);
  }
  for (const [name, state] of Object.entries(asl.States)) {
    const s = state as Record<string, unknown>;
    if (typeof s.Next === 'string') lines.push(`  ${name} --> ${s.Next}`);
    const catches = (s.Catch as { ErrorEquals: string[]; Next: string }[] | undefined) ?? [];
    for (const c of catches) {
      // An undo's Catch goes where its Next goes: one edge is enough.
      if (c.Next !== s.Next) lines.push(`  ${name} -.->|"${c.ErrorEquals.join(', ')}"| ${c.Next}`);
    }
    const choices = (s.Choices as { Next: string; Variable?: string }[] | undefined) ?? [];
    for (const c of choices) lines.push(`  ${name} -->|"${c.Variable ?? 'rule'}"| ${c.Next}`);
    if (typeof s.Default === 'string') lines.push(`  ${name} -->|otherwise| ${s.Default}`);
    if (s.End === true) lines.push(`  ${name} --> done((end))`);
  }
  lines.push(
    '  classDef undo fill:#fff3e0,stroke:#e65100',
    '  classDef fail fill:#ffebee,stroke:#b71c1c',
    `  class ${Object.keys(asl.States)
      .filter((n) => n.startsWith('Undo'))
      .join(',')} undo`,
    `  class ${Object.entries(asl.States)
      .filter(([, s]) => s.Type === 'Fail')
      .map(([n]) => n)
      .join(',')} fail`,
  );
  return lines.join('\n');
}
