import { Command } from 'commander';
import { loadAsl } from '../../definition.ts';
import { mermaidFromAsl } from '../../graph.ts';

export function graphCommand(): Command {
  return new Command('graph')
    .description(
      'print the state machine as a Mermaid flowchart, drawn from statemachine/onboarding.asl.yaml',
    )
    .action(async () => {
      console.log(mermaidFromAsl(await loadAsl()));
    });
}
