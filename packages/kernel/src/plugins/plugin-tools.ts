/**
 * A plugin's tools as registry tools (defineTool: zod validation, JSON Schema for the model),
 * privileged unless the plugin says otherwise. A tool that throws gives the model a tool error
 * and is reported and audited like any plugin failure.
 */
import type { PluginTool } from '@oxydra/plugin';
import { defineTool } from '@oxydra/tools';
import type { Tool } from '@oxydra/types';

export function pluginTools(
  plugin: string,
  tools: readonly PluginTool[],
  report: (error: unknown, what: string) => void,
): Tool[] {
  return tools.map((tool) =>
    defineTool({
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters,
      safety: tool.safety ?? 'privileged',
      ...(tool.timeoutMs !== undefined ? { timeoutMs: tool.timeoutMs } : {}),
      async execute(args, context) {
        try {
          const result = await tool.execute(args, {
            workspace: context.workspace,
            signal: context.signal,
            ...(context.agentId !== undefined ? { agentId: context.agentId } : {}),
            ...(context.sessionId !== undefined ? { sessionId: context.sessionId } : {}),
            ...(context.userId !== undefined ? { userId: context.userId } : {}),
          });
          return typeof result === 'string'
            ? result
            : { content: result.content, isError: result.isError === true };
        } catch (error) {
          if (context.signal.aborted) throw error;
          report(error, `tool ${tool.name}`);
          return {
            content: `${tool.name} (plugin ${plugin}) failed: ${(error as Error).message ?? error}`,
            isError: true,
          };
        }
      },
    }),
  );
}
