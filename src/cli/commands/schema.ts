import { Command } from 'commander';

export function schemaCommand(): Command {
  return new Command('schema')
    .description('print the onboarding request as JSON Schema (for ticketing tools)')
    .action(async () => {
      const { requestJsonSchema } = await import('../../request-schema.ts');
      console.log(JSON.stringify(requestJsonSchema(), null, 2));
    });
}
