import { Command } from 'commander';
import { loadConfigFile } from '../io.ts';

export function schemaCommand(): Command {
  return new Command('schema')
    .description(
      'print the onboarding request as JSON Schema, with the configured profiles as an enum (for ticketing tools)',
    )
    .option('--config <file>', 'the configuration whose profiles the schema offers')
    .action(async (flags: { config?: string }) => {
      const { requestJsonSchema } = await import('../../request-schema.ts');
      console.log(JSON.stringify(requestJsonSchema(await loadConfigFile(flags.config)), null, 2));
    });
}
