/** What the environment says about where the built site will live. */

/** DOCS_BASE: the path the site is served under, e.g. /oxydra/ for a GitHub Pages project site. */
export function siteBase(value: string | undefined): string {
  if (value === undefined || value === '') return '/';
  if (!value.startsWith('/') || !value.endsWith('/')) {
    throw new Error(`DOCS_BASE="${value}" must start and end with "/", e.g. DOCS_BASE=/oxydra/`);
  }
  return value;
}

/**
 * Where links to files outside docs/ should point on the site: DOCS_SOURCE_URL (e.g.
 * https://github.com/OWNER/oxydra/blob/main), else, in a GitHub Actions build, the commit being
 * built; undefined when neither is known.
 */
export function sourceUrl(env: NodeJS.ProcessEnv): string | undefined {
  const explicit = env.DOCS_SOURCE_URL?.replace(/\/+$/, '');
  if (explicit) return explicit;
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_SHA: sha } = env;
  return server && repository && sha ? `${server}/${repository}/blob/${sha}` : undefined;
}
