/**
 * Workspace trust from the dashboard: what the gateway's workspace holds back (shown by
 * GET /config and, counted, by /health), and an admin's decision to trust it or take trust back.
 * The decision is recorded in the trust.json of the HOME the configuration was loaded with, as
 * `oxydra trust` records it, for exactly the settings the admin was shown (`keys_hash`). Held
 * settings are never loaded into a running gateway: they apply when it restarts.
 */
import { forgetDecision, recordDecision, showHeldValue } from '@oxydra/config';
import { heldCounts, heldCountText } from '@oxydra/types/held-items';
import { z } from 'zod';
import type { GatewayTrust } from '../../types.js';
import { ApiError, route } from '../define.js';

const TRUST_STATES = ['not-needed', 'trusted', 'trusted-for-this-run', 'untrusted', 'declined'] as const;
const DECISIONS = ['trusted', 'revoked'] as const;
type Decision = (typeof DECISIONS)[number];

const heldSchema = z
  .object({
    key: z.string().describe('dotted key path, e.g. providers.registry.openai.base_url'),
    source: z.string().describe('the file that sets it'),
    why: z.string().describe('why it needs trust'),
    value: z.string().describe('the value as set, as JSON text: secrets masked, long values cut'),
    yours: z
      .object({ kind: z.enum(['plugin', 'mcp-server']), name: z.string() })
      .optional()
      .describe(
        "set when it is an item of the user's own configuration (their plugin, their unsandboxed MCP server) held for resolving or starting inside the workspace",
      ),
  })
  .meta({ id: 'HeldSetting' });

const pendingSchema = z
  .enum(DECISIONS)
  .nullable()
  .describe('a decision recorded since the gateway started: it applies when the gateway restarts');

export const trustReportSchema = z
  .object({
    workspace: z.string(),
    state: z.enum(TRUST_STATES),
    changed: z.boolean().describe('the settings changed since the workspace was trusted'),
    keys_hash: z.string().describe('what POST /api/v1/trust takes back: it trusts exactly these settings'),
    held: z
      .array(heldSchema)
      .describe('settings of the workspace that need trust (held back unless trusted)'),
    pending: pendingSchema,
  })
  .meta({ id: 'WorkspaceTrust' })
  .nullable()
  .describe('null: the gateway was started without a trust report (embedded in another host)');

export const trustSummarySchema = z
  .object({
    state: z.enum(TRUST_STATES),
    held_count: z.number().describe("settings of the workspace's own .oxydra held back now"),
    yours_count: z
      .number()
      .describe(
        "items of the user's own configuration held back now for resolving or starting inside the workspace (one per plugin or MCP server): not counted in held_count",
      ),
  })
  .nullable();

const decisionSchema = z.object({
  workspace: z.string(),
  decision: z.enum(DECISIONS),
  restart_needed: z.boolean().describe('true: the running gateway still uses the settings as it loaded them'),
  message: z.string(),
});

/** The gateway's trust report and the decision taken since it started, shared by the routes. */
export class TrustView {
  #pending: Decision | null = null;

  constructor(readonly loaded: GatewayTrust | undefined) {}

  report(): z.infer<typeof trustReportSchema> {
    if (!this.loaded) return null;
    const { report } = this.loaded;
    return {
      workspace: report.workspace,
      state: report.state,
      changed: report.changed,
      keys_hash: report.keysHash,
      held: report.held.map((held) => ({
        key: held.key,
        source: held.source,
        why: held.why,
        value: showHeldValue(held),
        ...(held.yours ? { yours: held.yours } : {}),
      })),
      pending: this.#pending,
    };
  }

  summary(): z.infer<typeof trustSummarySchema> {
    if (!this.loaded) return null;
    const { state, held } = this.loaded.report;
    if (!heldBack(state)) return { state, held_count: 0, yours_count: 0 };
    const counts = heldCounts(held);
    return { state, held_count: counts.settings, yours_count: counts.yours };
  }

  set pending(decision: Decision | null) {
    this.#pending = decision;
  }
}

const heldBack = (state: string) => state === 'untrusted' || state === 'declined';

function loadedOrRefuse(view: TrustView): GatewayTrust {
  if (view.loaded) return view.loaded;
  throw new ApiError(
    409,
    'no_trust_report',
    'this gateway was started without a workspace trust report; trust the workspace with `oxydra trust`',
  );
}

/** A workspace folder that went away since the gateway started cannot be trusted by path. */
function workspaceGone(error: unknown, workspace: string): never {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT')
    throw new ApiError(409, 'workspace_gone', `${workspace} no longer exists; nothing was recorded`);
  throw error;
}

export function trustRoutes(view: TrustView) {
  return [
    route({
      method: 'post',
      path: '/trust',
      tag: 'system',
      role: 'admin',
      summary: 'Trust the workspace',
      description:
        "Records, as `oxydra trust` does, that the gateway's workspace is trusted with exactly the held settings GET /api/v1/config showed: send its `keys_hash`. A different hash (the settings are not the ones shown), or a workspace with nothing held back, is refused with 409. The settings apply when the gateway restarts: they are never loaded into a running gateway.",
      body: z.strictObject({
        keys_hash: z
          .string()
          .regex(/^[0-9a-f]{64}$/, 'expected the 64 hex digits GET /api/v1/config gave as trust.keys_hash'),
      }),
      response: decisionSchema,
      handler: async ({ body, kernel, actor }) => {
        const { report, env } = loadedOrRefuse(view);
        if (!heldBack(report.state)) {
          throw new ApiError(
            409,
            'nothing_held',
            report.state === 'not-needed'
              ? `${report.workspace}/.oxydra sets nothing that needs trust`
              : `${report.workspace} is already ${report.state === 'trusted' ? 'trusted' : 'trusted for this run (--trust); record it with `oxydra trust`'}`,
          );
        }
        if (body.keys_hash !== report.keysHash) {
          throw new ApiError(
            409,
            'trust_changed',
            'these are not the settings this gateway holds back: reload the configuration page and review them again',
          );
        }
        await recordDecision(report.workspace, report.held, 'trusted', env).catch((error: unknown) =>
          workspaceGone(error, report.workspace),
        );
        view.pending = 'trusted';
        await (await kernel.service('audit')).record(
          actor,
          'workspace_trust',
          { decision: 'trusted', keys_hash: report.keysHash, held: report.held.length },
          report.workspace,
        );
        return {
          workspace: report.workspace,
          decision: 'trusted',
          restart_needed: true,
          message: `trusted ${report.workspace}: restart the gateway to apply ${heldCountText(heldCounts(report.held))}`,
        };
      },
    }),
    route({
      method: 'delete',
      path: '/trust',
      tag: 'system',
      role: 'admin',
      summary: 'Take back trust in the workspace',
      description:
        "Forgets the workspace's trust decision, as `oxydra trust --revoke` does: from the gateway's next start its held settings are held back again.",
      response: decisionSchema,
      handler: async ({ kernel, actor }) => {
        const { report, env } = loadedOrRefuse(view);
        const forgot = await forgetDecision(report.workspace, env).catch((error: unknown) =>
          workspaceGone(error, report.workspace),
        );
        // What runs now was loaded trusted: it stays until the restart. Otherwise nothing held
        // applies now (untrusted), or --trust applies it whatever is recorded.
        const restartNeeded = report.state === 'trusted';
        view.pending = restartNeeded ? 'revoked' : null;
        await (await kernel.service('audit')).record(
          actor,
          'workspace_trust',
          { decision: 'revoked', keys_hash: report.keysHash, held: report.held.length, had_decision: forgot },
          report.workspace,
        );
        return {
          workspace: report.workspace,
          decision: 'revoked',
          restart_needed: restartNeeded,
          message: forgot
            ? `${report.workspace} is no longer trusted${restartNeeded ? ': restart the gateway to hold its settings back' : ''}`
            : `${report.workspace} had no trust decision to revoke`,
        };
      },
    }),
  ];
}
