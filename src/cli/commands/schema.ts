import { Command } from 'commander';
import { loadConfigFile } from '../io.ts';

export function schemaCommand(): Command {
  return new Command('schema')
    .description(
      'print the onboarding request as JSON Schema, with the configured profiles as an enum (for ticketing tools)',
    )
    .option('--config <file>', 'the configuration whose profiles the schema offers')
    .option('--offboarding', 'print the offboarding request instead (POST /offboardings)')
    .action(async (flags: { config?: string; offboarding?: boolean }) => {
      const { offboardingJsonSchema, requestJsonSchema } = await import('../../request-schema.ts');
      const schema = flags.offboarding
        ? offboardingJsonSchema()
        : requestJsonSchema(await loadConfigFile(flags.config));
      console.log(JSON.stringify(schema, null, 2));
    });
}
