import { Command } from 'commander';

export function graphCommand(): Command {
  return new Command('graph')
    .description(
      'print the state machine as a Mermaid flowchart, drawn from statemachine/onboarding.asl.yaml',
    )
    .action(async () => {
      const [{ loadAsl }, { mermaidFromAsl }] = await Promise.all([
        import('../../definition.ts'),
        import('../../graph.ts'),
      ]);
      console.log(mermaidFromAsl(await loadAsl()));
    });
}
